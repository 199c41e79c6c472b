"""`GET /healthz`: is the process up and can it reach its database?"""

import logging
import time

from django.db import connection
from django.http import HttpRequest, JsonResponse

logger = logging.getLogger(__name__)


def healthz(request: HttpRequest) -> JsonResponse:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        logger.warning("health check: database unreachable", extra={"error": str(exc)})
        database = {"status": "unavailable", "vendor": connection.vendor}
        return JsonResponse({"status": "error", "database": database}, status=503)
    database = {
        "status": "ok",
        "vendor": connection.vendor,
        "latency_ms": round((time.perf_counter() - started) * 1000, 2),
    }
    return JsonResponse({"status": "ok", "database": database})
