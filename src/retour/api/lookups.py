"""What route handlers find from their path: a store's return by its RMA, 404 otherwise."""

from django.http import HttpRequest

from retour.core.errors import NotFound
from retour.returns.models import Return


def return_of_store(store_id: int, rma: str, *related: str) -> Return:
    """The store's return `rma` (any case), with the relations `related` joined."""
    query = Return.objects.filter(store_id=store_id, rma=rma.upper())
    # No argument to select_related would join every relation.
    found = (query.select_related(*related) if related else query).first()
    if found is None:
        raise NotFound("Not found.")
    return found


def scoped_return(request: HttpRequest, store: str, rma: str, scope: str, *related: str) -> Return:
    """The return `rma` of the store `store` where the caller holds `scope` (see
    `Access.store_id`: 404 for a store not theirs, 403 without the scope)."""
    return return_of_store(request.auth.store_id(store, scope), rma, *related)
