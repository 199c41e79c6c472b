"""SMS through the Twilio adapter, against a local server answering like Twilio."""

import pytest

from retour.core.actors import Actor
from retour.notifications.adapters.base import PermanentFailure
from retour.notifications.adapters.twilio import TwilioGateway
from retour.notifications.models import Delivery
from retour.refunds import claims
from retour.refunds import services as refunds
from retour.refunds.models import Refund
from retour.returns import services as returns
from tests.factories import SYSTEM, UserFactory
from tests.notifications.helpers import drain, open_return


def test_the_label_sms_goes_to_the_shoppers_phone_in_french(order_a, twilio, smtp):
    order_a.customer.phone = "+33611223344"
    order_a.customer.save()
    return_request = open_return(order_a, locale="fr")
    returns.approve_return(return_request=return_request, actor=SYSTEM)
    returns.record_label(
        return_request=return_request, carrier="Colissimo", tracking_number="6A1", actor=SYSTEM
    )
    drain()

    assert len(twilio.received) == 1
    sms = twilio.received[0]
    assert sms["To"] == "+33611223344"
    assert sms["From"] == "+33600000000"
    assert return_request.rma in sms["Body"]
    assert "étiquette" in sms["Body"]
    delivery = Delivery.objects.get(channel="sms")
    assert delivery.status == "sent"
    assert delivery.log.get().response.startswith('{"sid": "SM')


def test_no_phone_no_sms(order_a, twilio, smtp):
    return_request = open_return(order_a)
    returns.approve_return(return_request=return_request, actor=SYSTEM)
    returns.record_label(
        return_request=return_request, carrier="Colissimo", tracking_number="6A1", actor=SYSTEM
    )
    drain()
    assert twilio.received == []


def test_refused_credentials_are_a_permanent_failure(twilio):
    gateway = TwilioGateway(
        account_sid=twilio.account,
        auth_token="wrong",
        sender="+33600000000",
        base_url=twilio.server and f"http://127.0.0.1:{twilio.server.server_address[1]}",
    )
    with pytest.raises(PermanentFailure):
        gateway.send(to="+33611223344", body="hi", idempotency_key="k")


def test_a_claims_refund_sms_names_the_claim(order_a, twilio, smtp):
    order_a.customer.phone = "+33611223344"
    order_a.customer.locale = "fr"
    order_a.customer.save()
    claim = returns.create_claim(
        order=order_a,
        kind="damaged",
        lines=[returns.LineRequest(order_a.lines.order_by("id").first().pk, 1)],
        actor=SYSTEM,
    )
    claims.decide_claim(claim=claim, actor=SYSTEM, approve=True, resolution="refund")
    refund = Refund.objects.get(claim=claim)
    refunds.process_refund(refund.pk)  # the store's manual gateway: finance records it
    refunds.record_manual_refund(
        allocation=refund.allocations.get(), reference="VIR-1", actor=Actor.staff(UserFactory())
    )
    drain()

    [sms] = twilio.received
    assert claim.number in sms["Body"]
    assert "réclamation" in sms["Body"]
