"""Factories of the logistics models, and a return ready for its label."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from retour.logistics.models import CarrierAccount, RoutingRule
from retour.returns.choices import ReturnStatus
from tests.factories import OrderFactory, ReturnFactory, StoreFactory, WarehouseFactory


class CarrierAccountFactory(DjangoModelFactory):
    class Meta:
        model = CarrierAccount
        skip_postgeneration_save = True

    store = factory.SubFactory(StoreFactory)
    kind = "own_label"
    name = factory.Sequence(lambda n: f"Carrier {n}")

    @factory.post_generation
    def credentials(obj, create, extracted, **kwargs):  # noqa: N805 - the object built
        if extracted is not None:
            obj.set_credentials(extracted)
            if create:
                obj.save(update_fields=["credentials_encrypted"])


class RoutingRuleFactory(DjangoModelFactory):
    class Meta:
        model = RoutingRule

    store = factory.SubFactory(StoreFactory)
    name = factory.Sequence(lambda n: f"Rule {n}")


def warehouse(store, **kwargs):
    values = {
        "code": "main",
        "name": "Maison Exemple — Entrepôt",
        "address": {"line1": "ZA des Chênes", "postcode": "69800", "city": "Saint-Priest"},
        "country": "FR",
    }
    values.update(kwargs)
    return WarehouseFactory(store=store, **values)


def approved_return(store, **kwargs):
    """An approved return of a new order of `store` (two lines: 2 and 1 units)."""
    order = OrderFactory(store=store, lines=[2, 1])
    kwargs.setdefault("status", ReturnStatus.APPROVED)
    return ReturnFactory(order=order, **kwargs)
