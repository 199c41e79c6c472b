"""Every write of the notifications app: webhook endpoints, manual replay, e-mail templates,
shoppers' Web Push subscriptions."""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from retour.commerce.audit import record_audit
from retour.commerce.models import Store
from retour.core.actors import Actor
from retour.core.errors import InvalidRequest
from retour.notifications import emails
from retour.notifications.choices import DeliveryStatus
from retour.notifications.content import Shopper, email_context, sample_event
from retour.notifications.models import (
    Delivery,
    EmailTemplate,
    PushSubscription,
    WebhookEndpoint,
)
from retour.notifications.vapid import b64url_decode
from retour.returns.models import Return


@dataclass(frozen=True)
class NewEndpoint:
    endpoint: WebhookEndpoint
    secret: str
    """Shown once: the shop keeps it to check signatures."""


def _check_url(url: str) -> None:
    if not url.lower().startswith(("https://", "http://")):
        raise InvalidRequest(_("A webhook URL must start with https:// or http://."))


@transaction.atomic
def create_endpoint(
    *, store: Store, url: str, actor: Actor, events: list[str] | None = None, description: str = ""
) -> NewEndpoint:
    _check_url(url)
    secret = f"whsec_{secrets.token_urlsafe(32)}"
    endpoint = WebhookEndpoint.objects.create(
        store=store, url=url, secret=secret, events=events or [], description=description
    )
    record_audit(store=store, actor=actor, verb="webhook.created", obj=endpoint, data={"url": url})
    return NewEndpoint(endpoint=endpoint, secret=secret)


@transaction.atomic
def enable_endpoint(*, endpoint: WebhookEndpoint, actor: Actor) -> WebhookEndpoint:
    """Turn a disabled endpoint back on (its abandoned deliveries are replayed separately)."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        disabled_at=None, disabled_reason="", consecutive_failures=0
    )
    record_audit(store=endpoint.store, actor=actor, verb="webhook.enabled", obj=endpoint)
    endpoint.refresh_from_db()
    return endpoint


@transaction.atomic
def replay_delivery(*, delivery: Delivery, actor: Actor) -> Delivery:
    """Send a delivery again, whatever its status (the receiver sees the same event id)."""
    from retour.notifications.jobs import send_delivery

    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.endpoint_id and delivery.endpoint.disabled_at is not None:
        raise InvalidRequest(_("Enable the webhook endpoint before replaying its deliveries."))
    if delivery.status == DeliveryStatus.SENDING:
        raise InvalidRequest(_("This delivery is being sent right now."))
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, next_attempt_at=timezone.now(), claimed_until=None
    )
    send_delivery.enqueue(str(delivery.pk))
    record_audit(store=delivery.store, actor=actor, verb="delivery.replayed", obj=delivery, data={})
    delivery.refresh_from_db()
    return delivery


def _check_event(event_type: str, language: str) -> None:
    if event_type not in emails.EMAIL_EVENTS:
        raise InvalidRequest(_("No e-mail is sent for “%s”.") % event_type)
    if language not in emails.LANGUAGES:
        raise InvalidRequest(_("Unsupported language: %s") % language)


def preview_email(
    *,
    store: Store,
    event_type: str,
    language: str,
    subject: str | None = None,
    body_text: str | None = None,
    body_html: str | None = None,
) -> emails.RenderedEmail:
    """The e-mail as a shopper would get it, with sample values; unsaved edits may be passed."""
    _check_event(event_type, language)
    sources = emails.template_sources(store, event_type, language)
    for part, value in (("subject", subject), ("text", body_text), ("html", body_html)):
        if value is not None:
            sources[part] = value
    shopper = Shopper(email="ada@example.com", language=language, first_name="Ada")
    context = email_context(sample_event(store, event_type), store, shopper)
    try:
        return emails.render(sources, context)
    except emails.EmailTemplateError as exc:
        raise InvalidRequest(_("The template cannot be rendered: %s") % exc) from exc


@transaction.atomic
def save_email_template(
    *,
    store: Store,
    event_type: str,
    language: str,
    subject: str,
    body_text: str,
    body_html: str,
    actor: Actor,
) -> EmailTemplate:
    """Save the store's version after checking it renders (unknown variables refused)."""
    _check_event(event_type, language)
    sources = {"subject": subject, "text": body_text, "html": body_html}
    shopper = Shopper(email="ada@example.com", language=language, first_name="Ada")
    context = email_context(sample_event(store, event_type), store, shopper)
    try:
        emails.check_template(sources, context)
    except emails.EmailTemplateError as exc:
        raise InvalidRequest(_("The template cannot be rendered: %s") % exc) from exc
    template, _created = EmailTemplate.objects.update_or_create(
        store=store,
        event_type=event_type,
        language=language,
        defaults={"subject": subject, "body_text": body_text, "body_html": body_html},
    )
    record_audit(
        store=store,
        actor=actor,
        verb="email_template.saved",
        obj=template,
        data={"event": event_type, "language": language},
    )
    return template


@transaction.atomic
def reset_email_template(*, store: Store, event_type: str, language: str, actor: Actor) -> None:
    """Go back to the packaged default."""
    template = EmailTemplate.objects.filter(
        store=store, event_type=event_type, language=language
    ).first()
    if template is not None:
        record_audit(store=store, actor=actor, verb="email_template.reset", obj=template)
        template.delete()


MAX_PUSH_DEVICES = 10
"""Browsers one return may notify: each is one more request per update."""


def _check_push_endpoint(endpoint: str) -> None:
    """An https URL of a push service. Shoppers choose it, and the worker will POST to it: so no
    credentials in it, and no loopback or private address (except loopback where allowed, for
    development and tests)."""
    if not endpoint or len(endpoint) > PushSubscription._meta.get_field("endpoint").max_length:
        raise InvalidRequest(_("The push endpoint is missing or too long."), code="endpoint")
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    loopback = host == "localhost" or (address is not None and address.is_loopback)
    allow_loopback = settings.RETOUR_PUSH["ALLOW_LOOPBACK"]
    if loopback and allow_loopback:
        allowed_schemes = ("https", "http")
    elif loopback or (address is not None and not address.is_global):
        raise InvalidRequest(_("The push endpoint must be a public address."), code="endpoint")
    else:
        allowed_schemes = ("https",)
    if parts.scheme not in allowed_schemes or not host or parts.username or parts.password:
        raise InvalidRequest(_("The push endpoint must be an https:// URL."), code="endpoint")
    if not (loopback or _known_push_service(host)):
        raise InvalidRequest(
            _("The push endpoint is not a known browser push service."), code="endpoint"
        )


def _known_push_service(host: str) -> bool:
    """The browsers' push services (settings RETOUR_PUSH["HOSTS"], a host or its subdomains;
    "*" for any public host): anything else would have the worker POST wherever a visitor
    likes, an internal host's name included."""
    hosts = settings.RETOUR_PUSH["HOSTS"]
    return "*" in hosts or any(host == known or host.endswith("." + known) for known in hosts)


def _check_push_keys(p256dh: str, auth: str) -> None:
    """`p256dh`: a point on P-256, uncompressed (65 bytes); `auth`: 16 bytes (RFC 8291)."""
    try:
        point = b64url_decode(p256dh)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        if len(point) != 65:
            raise ValueError("compressed point")
    except ValueError as exc:
        raise InvalidRequest(
            _("The browser's key (p256dh) is not a P-256 public key."), code="p256dh"
        ) from exc
    try:
        secret = b64url_decode(auth)
    except ValueError:
        secret = b""
    if len(secret) != 16:
        raise InvalidRequest(
            _("The authentication secret (auth) must be 16 bytes in base64url."), code="auth"
        )


@transaction.atomic
def subscribe_push(
    *, return_request: Return, endpoint: str, p256dh: str, auth: str, language: str
) -> tuple[PushSubscription, bool]:
    """Send this return's updates to a browser (the caller checked the shopper may follow it).
    The same browser again updates its keys and language; returns (subscription, created)."""
    _check_push_endpoint(endpoint)
    _check_push_keys(p256dh, auth)
    if language not in emails.LANGUAGES:
        raise InvalidRequest(_("Unsupported language: %s") % language, code="language")
    # The return's row lock serialises two subscriptions at once against the device limit.
    Return.objects.select_for_update().filter(pk=return_request.pk).first()
    existing = PushSubscription.objects.filter(return_request=return_request, endpoint=endpoint)
    if not existing.exists() and (
        PushSubscription.objects.filter(return_request=return_request).count() >= MAX_PUSH_DEVICES
    ):
        raise InvalidRequest(
            _("This return already sends updates to %(count)d devices.")
            % {"count": MAX_PUSH_DEVICES},
            code="too_many",
        )
    return PushSubscription.objects.update_or_create(
        return_request=return_request,
        endpoint=endpoint,
        defaults={
            "store_id": return_request.store_id,
            "p256dh": p256dh.strip(),
            "auth": auth.strip(),
            "language": language,
        },
    )


def unsubscribe_push(*, return_request: Return, endpoint: str) -> bool:
    """Stop this return's updates to a browser; False if it was not subscribed."""
    deleted, _kinds = PushSubscription.objects.filter(
        return_request=return_request, endpoint=endpoint
    ).delete()
    return deleted > 0
