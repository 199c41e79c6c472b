"""The channels an event goes out on, behind one interface: `plan` says who gets it, `send` tries
once and reports. E-mail (SMTP), webhooks (signed HTTP POST), SMS (a gateway adapter) and Web Push
(the shopper's browsers that asked for updates on the tracking page)."""

from __future__ import annotations

import json
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from email.utils import formataddr, parseaddr
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from retour.commerce.models import Store
from retour.core.money import format_money
from retour.events.models import OutboxEvent
from retour.notifications import emails, vapid, webhooks
from retour.notifications.adapters import webpush
from retour.notifications.adapters.base import (
    MessageGateway,
    PermanentFailure,
    SentMessage,
    SubscriptionGone,
    TemporaryFailure,
)
from retour.notifications.adapters.twilio import TwilioGateway
from retour.notifications.choices import Channel
from retour.notifications.content import Shopper, email_context, return_url, shopper_for
from retour.notifications.emails import babel_locale
from retour.notifications.models import Delivery, PushSubscription, WebhookEndpoint

SMTP_TIMEOUT = 30


@dataclass(frozen=True)
class Planned:
    recipient: str
    language: str = ""
    endpoint_id: int | None = None


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None = None
    response: str = ""
    error: str = ""
    permanent: bool = False
    duration_ms: int = 0


class ChannelBackend(Protocol):
    name: str

    def plan(self, event: OutboxEvent, store: Store, shopper: Shopper | None) -> list[Planned]: ...

    def send(self, delivery: Delivery) -> Outcome: ...


def _timed(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


class EmailChannel:
    name = Channel.EMAIL

    def plan(self, event: OutboxEvent, store: Store, shopper: Shopper | None) -> list[Planned]:
        if event.type not in emails.EMAIL_EVENTS or shopper is None or not shopper.email:
            return []
        return [Planned(recipient=shopper.email, language=shopper.language)]

    def render(self, delivery: Delivery) -> emails.RenderedEmail:
        event, store = delivery.event, delivery.event.store
        shopper = shopper_for(event, store)
        shopper = Shopper(
            email=delivery.recipient,
            language=delivery.language or "en",
            first_name=shopper.first_name if shopper else "",
        )
        context = email_context(event, store, shopper)
        sources = emails.template_sources(store, event.type, shopper.language)
        return emails.render(sources, context)

    def send(self, delivery: Delivery) -> Outcome:
        started = time.perf_counter()
        store = delivery.event.store
        try:
            rendered = self.render(delivery)
        except emails.EmailTemplateError as exc:
            return Outcome(ok=False, error=f"template: {exc}", permanent=True)
        sender = formataddr((store.name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1]))
        message = EmailMultiAlternatives(
            subject=rendered.subject,
            body=rendered.text,
            from_email=sender,
            to=[delivery.recipient],
            reply_to=[store.support_email] if store.support_email else None,
            headers={
                "Message-ID": emails.message_id(delivery.event_id, delivery.recipient),
                "X-Retour-Event-Id": str(delivery.event_id),
                "X-Retour-Event-Type": delivery.event.type,
            },
            connection=get_connection(timeout=SMTP_TIMEOUT),
        )
        message.attach_alternative(rendered.html, "text/html")
        try:
            message.send()
        except smtplib.SMTPRecipientsRefused as exc:
            return Outcome(ok=False, error=str(exc), permanent=True, duration_ms=_timed(started))
        except (smtplib.SMTPException, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"
            return Outcome(ok=False, error=error, duration_ms=_timed(started))
        return Outcome(ok=True, duration_ms=_timed(started))


class WebhookChannel:
    name = Channel.WEBHOOK

    def plan(self, event: OutboxEvent, store: Store, shopper: Shopper | None) -> list[Planned]:
        endpoints = WebhookEndpoint.objects.filter(store=store, disabled_at__isnull=True)
        return [
            Planned(recipient=str(endpoint.pk), endpoint_id=endpoint.pk)
            for endpoint in endpoints.order_by("pk")
            if endpoint.wants(event.type)
        ]

    def send(self, delivery: Delivery) -> Outcome:
        endpoint = delivery.endpoint
        if endpoint is None or endpoint.disabled_at is not None:
            return Outcome(ok=False, error="endpoint disabled", permanent=True)
        started = time.perf_counter()
        body = webhooks.body_for(delivery.event)
        headers = webhooks.headers_for(delivery.event, endpoint.secret, body, delivery.attempts)
        answer = webhooks.post(endpoint.url, body, headers)
        return Outcome(
            ok=answer.ok,
            status_code=answer.status,
            response=answer.body[:500],
            error="" if answer.ok else (answer.error or f"HTTP {answer.status}"),
            duration_ms=_timed(started),
        )


SMS_TEXTS = {
    "return.label_issued": _("%(store)s: the label for your return %(rma)s is ready: %(url)s"),
    "return.received": _("%(store)s: we have received your return %(rma)s."),
    "refund.succeeded": _("%(store)s: your refund for return %(rma)s is on its way."),
}
# A claim's refund names the claim: no return, nothing came back.
CLAIM_SMS_TEXTS = {
    "refund.succeeded": _("%(store)s: your refund for claim %(claim)s is on its way."),
}


def sms_gateway() -> MessageGateway | None:
    config = settings.RETOUR_SMS
    if not config.get("ACCOUNT"):
        return None
    return TwilioGateway(
        account_sid=config["ACCOUNT"],
        auth_token=config["TOKEN"],
        sender=config["FROM"],
        base_url=config["BASE_URL"],
    )


class SmsChannel:
    name = Channel.SMS

    def plan(self, event: OutboxEvent, store: Store, shopper: Shopper | None) -> list[Planned]:
        if event.type not in SMS_TEXTS or shopper is None or not shopper.phone:
            return []
        if sms_gateway() is None:
            return []
        return [Planned(recipient=shopper.phone, language=shopper.language)]

    def text(self, delivery: Delivery) -> str:
        event, store = delivery.event, delivery.event.store
        rma = (event.payload.get("return") or {}).get("rma", "")
        claim = (event.payload.get("claim") or {}).get("number", "")
        texts = CLAIM_SMS_TEXTS if claim and not rma else SMS_TEXTS
        with translation.override(delivery.language or "en"):
            return str(texts[event.type]) % {
                "store": store.name,
                "rma": rma,
                "claim": claim,
                "url": return_url(store, rma),
            }

    def send(self, delivery: Delivery) -> Outcome:
        gateway = sms_gateway()
        if gateway is None:
            return Outcome(ok=False, error="no SMS gateway configured", permanent=True)
        return _provider_outcome(
            lambda: gateway.send(
                to=delivery.recipient,
                body=self.text(delivery),
                idempotency_key=f"{delivery.event_id}:{delivery.recipient}",
            )
        )


# The status updates a shopper also gets by e-mail, as one line under the store's name.
PUSH_TEXTS = {
    "return.approved": _("Your return %(rma)s is approved."),
    "return.label_issued": _("The label for your return %(rma)s is ready."),
    "return.rejected": _("Your return request %(rma)s could not be accepted."),
    "return.message_sent": _("A message about your return %(rma)s: %(message)s"),
    "return.in_transit": _("Your return %(rma)s is on its way to us."),
    "return.received": _("We have received your return %(rma)s."),
    "return.inspected": _("The items of your return %(rma)s have been checked."),
    "refund.succeeded": _("Your refund of %(amount)s is on its way (reference %(reference)s)."),
    "return.exchange_payment_requested": _(
        "Pay the difference of %(amount)s to receive your exchange (%(rma)s)."
    ),
    "return.exchange_ordered": _("The exchange for your return %(rma)s is on its way."),
    "return.expiry_reminder": _("Reminder: send your return %(rma)s soon."),
    "return.feedback_requested": _("How was your return %(rma)s? Tell us in two questions."),
}
PUSH_MESSAGE_CHARS = 160  # a staff message is cut: the notification leads to the whole page


class PushChannel:
    name = Channel.PUSH

    def plan(self, event: OutboxEvent, store: Store, shopper: Shopper | None) -> list[Planned]:
        return_id = (event.payload.get("return") or {}).get("id")
        if event.type not in PUSH_TEXTS or not return_id:
            return []
        subscriptions = PushSubscription.objects.filter(store=store, return_request_id=return_id)
        return [
            Planned(recipient=str(subscription.pk), language=subscription.language)
            for subscription in subscriptions.order_by("pk")
        ]

    def message(self, delivery: Delivery) -> dict[str, str]:
        """What the service worker shows: the store's name, one line, the tracking page."""
        event, store = delivery.event, delivery.event.store
        language = delivery.language or "en"
        context = email_context(event, store, Shopper(email="", language=language))
        money = context["refund"] if event.type == "refund.succeeded" else context["exchange"]
        amount = (
            format_money(Decimal(money["amount"]), money["currency"], babel_locale(language))
            if money["amount"]
            else ""
        )
        message = " ".join(context["message"].split())
        if len(message) > PUSH_MESSAGE_CHARS:
            message = message[: PUSH_MESSAGE_CHARS - 1] + "…"
        with translation.override(language):
            body = str(PUSH_TEXTS[event.type]) % {
                "rma": context["rma"],
                "message": message,
                "amount": amount,
                "reference": context["refund"]["reference"],
            }
        return {
            "title": store.name,
            "body": body,
            "url": context["return_url"],
            "tag": f"retour-{context['rma']}",  # a newer update replaces the return's last one
            "lang": language,
        }

    def send(self, delivery: Delivery) -> Outcome:
        subscription = PushSubscription.objects.filter(pk=int(delivery.recipient)).first()
        if subscription is None:
            return Outcome(ok=False, error="unsubscribed", permanent=True)
        try:
            key = vapid.installation_key()
        except ValueError as exc:  # the encryption key changed: the VAPID key cannot be read
            return Outcome(ok=False, error=f"VAPID key: {exc}", permanent=True)
        payload = json.dumps(self.message(delivery), ensure_ascii=False).encode()

        def push() -> SentMessage:
            try:
                return webpush.send(
                    webpush.PushTarget(
                        subscription.endpoint, subscription.p256dh, subscription.auth
                    ),
                    payload,
                    vapid_private_key=key.private_key,
                    subject=vapid.contact(delivery.event.store),
                    ttl=settings.RETOUR_PUSH["TTL"],
                    topic=delivery.event_id.hex,
                    timeout=settings.RETOUR_PUSH["TIMEOUT"],
                )
            except SubscriptionGone:
                # The browser dropped it: forget it, so no later update is tried on it.
                PushSubscription.objects.filter(pk=subscription.pk).delete()
                raise

        return _provider_outcome(push)


def _provider_outcome(send: Callable[[], SentMessage]) -> Outcome:
    """A provider's answer as the delivery's outcome: a permanent failure is not retried."""
    started = time.perf_counter()
    try:
        sent = send()
    except PermanentFailure as exc:
        return Outcome(ok=False, error=str(exc), permanent=True, duration_ms=_timed(started))
    except TemporaryFailure as exc:
        return Outcome(ok=False, error=str(exc), duration_ms=_timed(started))
    return Outcome(
        ok=True,
        status_code=sent.status_code,
        response=sent.response or sent.provider_id,
        duration_ms=_timed(started),
    )


CHANNELS: dict[str, ChannelBackend] = {
    Channel.EMAIL: EmailChannel(),
    Channel.WEBHOOK: WebhookChannel(),
    Channel.SMS: SmsChannel(),
    Channel.PUSH: PushChannel(),
}
