"""The shopper is e-mailed the decision on their claim, in their language, once."""

import pytest

from retour.core.actors import Actor
from retour.refunds import claims, services
from retour.refunds.models import Refund
from retour.returns import services as returns
from retour.returns.choices import ClaimResolution
from retour.returns.services import LineRequest
from tests.factories import SYSTEM, OrderFactory, UserFactory
from tests.notifications.helpers import drain

pytestmark = pytest.mark.django_db


def _claim(store, locale="en"):
    order = OrderFactory(store=store, lines=[2], locale=locale, customer__locale=locale)
    line = order.lines.get()
    return returns.create_claim(
        order=order, kind="damaged", lines=[LineRequest(line.pk, 1)], actor=SYSTEM
    )


def test_an_approved_claim_tells_the_shopper_what_they_get(store_a, smtp):
    claim = _claim(store_a)
    title = claim.lines.get().order_line.title

    returns.decide_claim(
        claim=claim, actor=SYSTEM, approve=True, resolution=ClaimResolution.REPLACEMENT
    )
    drain()

    [message] = smtp.messages
    assert message["To"] == claim.order.email
    assert message["Subject"] == f"Your claim {claim.number} is approved"
    text, html = smtp.parts(message)
    assert f"order {claim.order.number}" in text
    assert f"1 × {title}" in text
    assert "We will send you a replacement" in text
    assert "replacement" in html


def test_a_rejected_claim_tells_the_shopper_why_in_their_language(store_a, smtp):
    claim = _claim(store_a, locale="fr")

    returns.decide_claim(claim=claim, actor=SYSTEM, approve=False, reason="Aucun dommage visible")
    drain()

    [message] = smtp.messages
    assert (
        message["Subject"].strip() == f"Votre réclamation {claim.number} n'a pas pu être acceptée"
    )
    assert "Motif : Aucun dommage visible" in smtp.parts(message)[0]


def test_a_claims_refund_once_paid_tells_the_shopper_its_reference_and_arrival(store_a, smtp):
    claim = _claim(store_a)
    claims.decide_claim(claim=claim, actor=SYSTEM, approve=True, resolution="refund")
    drain()
    smtp.messages.clear()
    refund = Refund.objects.get(claim=claim)
    services.process_refund(refund.pk)  # the store's manual gateway: finance records it
    services.record_manual_refund(
        allocation=refund.allocations.get(), reference="VIR-1", actor=Actor.staff(UserFactory())
    )
    drain()

    [message] = smtp.messages
    assert message["Subject"] == f"Your refund for claim {claim.number}"
    text = smtp.parts(message)[0]
    assert refund.reference in text
    assert "Expected on your account by" in text
    assert "/track/" not in text
