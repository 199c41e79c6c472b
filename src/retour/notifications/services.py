"""Every write of the notifications app: webhook endpoints, manual replay, e-mail templates."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

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
from retour.notifications.models import Delivery, EmailTemplate, WebhookEndpoint


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
