"""The default reason catalogue every store starts with."""

import pytest

from retour.returns.catalogue import DEFAULT_REASONS
from retour.returns.models import ReturnReason
from retour.returns.services import install_default_reasons
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db

EXPECTED = sum(1 + len(reason[-1]) for reason in DEFAULT_REASONS)


def test_it_installs_every_default_reason_with_its_children(actor):
    store = StoreFactory(reasons=False)

    assert install_default_reasons(store=store, actor=actor) == EXPECTED
    assert ReturnReason.objects.get(store=store, code="too_small").parent.code == "size"


def test_installing_twice_adds_nothing(actor):
    store = StoreFactory(reasons=False)
    install_default_reasons(store=store, actor=actor)

    assert install_default_reasons(store=store, actor=actor) == 0
    assert ReturnReason.objects.filter(store=store).count() == EXPECTED


def test_a_reason_the_store_edited_is_left_alone(actor):
    store = StoreFactory(reasons=False)
    ReturnReason.objects.create(store=store, code="damaged", labels={"en": "Broken"})

    install_default_reasons(store=store, actor=actor)

    assert ReturnReason.objects.get(store=store, code="damaged").labels == {"en": "Broken"}


def test_a_reason_label_falls_back_to_english(store_a):
    reason = ReturnReason.objects.get(store=store_a, code="size")

    assert (reason.label("fr"), reason.label("de")) == ("Taille ou coupe", "Size or fit")
