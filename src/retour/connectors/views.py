"""The platforms' webhooks: `POST /connectors/<store>/<platform>/webhook`, public (the platform
signs the body; there is no session or API key), outside `/api/v1`."""

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from retour.connectors import services
from retour.connectors.adapters.base import InvalidSignature
from retour.core.errors import NotFound


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, store: str, platform: str) -> JsonResponse:
    """200 once recorded (the platform stops retrying), whether new or a repeat, and for the
    platform's ping; 401 for a bad signature, 404 for a store without this connection. Applying
    it is a job: the platform's timeout (Shopify: 5 s) never waits for our database or its API."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    try:
        event, created = services.receive_webhook(
            store_slug=store, platform=platform, headers=headers, body=request.body
        )
    except InvalidSignature as error:
        return JsonResponse({"detail": error.message}, status=401)
    except NotFound as error:
        return JsonResponse({"detail": str(error)}, status=404)
    if event is None:  # the platform's ping when a webhook is saved: nothing to record
        return JsonResponse({"ping": True})
    return JsonResponse({"id": event.pk, "duplicate": not created})
