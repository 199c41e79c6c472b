"""`GET /healthz/queue`: the job queue's and the outbox's figures, for monitors and dashboards.

Only counts and ages, no store data; 503 when degraded so a plain HTTP check can alert on it.
"""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from retour.notifications.selectors import health


@require_GET
def queue_health(request: HttpRequest) -> JsonResponse:
    figures = health()
    return JsonResponse(figures, status=200 if figures["status"] == "ok" else 503)
