from django.http import HttpRequest
from ninja import Router

from retour.api.schemas import StoreOut
from retour.commerce.models import Store

router = Router(tags=["stores"])


@router.get("", response=list[StoreOut], summary="The stores this key or staff member can use")
def list_stores(request: HttpRequest):
    return Store.objects.filter(id__in=request.auth.store_ids).order_by("slug")
