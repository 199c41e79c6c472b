"""Deciding a claim through the API: the reason of a rejection reaches the shopper's e-mail
event, and a claim is decided once."""

import json

import pytest

from retour.events.models import OutboxEvent
from retour.returns import services
from retour.returns.models import Claim
from retour.returns.services import LineRequest
from tests.factories import SYSTEM

pytestmark = pytest.mark.django_db


def _decide(client, claim, body):
    return client.post(
        f"/api/v1/stores/store-a/claims/{claim.number}/decide",
        data=json.dumps(body),
        content_type="application/json",
    )


def test_a_rejection_carries_its_reason_and_a_second_decision_is_refused(api_a, order_a):
    line = order_a.lines.order_by("id").first()
    claim = services.create_claim(
        order=order_a, kind="missing", lines=[LineRequest(line.pk, 1)], actor=SYSTEM
    )

    first = _decide(api_a, claim, {"approve": False, "reason": "Delivered complete"})
    second = _decide(api_a, claim, {"approve": True, "resolution": "refund"})

    assert first.status_code == 200
    assert first.json()["status"] == "rejected"
    assert second.status_code == 409
    assert Claim.objects.get(pk=claim.pk).status == "rejected"
    [event] = OutboxEvent.objects.filter(type__startswith="claim.")
    assert event.type == "claim.rejected"
    assert event.payload["data"]["reason"] == "Delivered complete"
