"""E-mails over a real SMTP server (aiosmtpd): the right ones, in the shopper's language, with the
right links, exactly once per event."""

from datetime import date, timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from retour.core.errors import InvalidRequest
from retour.events.models import OutboxEvent
from retour.events.outbox import emit
from retour.notifications import services
from retour.notifications.emails import EMAIL_EVENTS, LANGUAGES, default_templates
from retour.notifications.models import Delivery
from retour.notifications.reminders import remind_expiring_returns, request_feedback
from retour.returns import services as returns
from retour.returns.links import tracking_path
from retour.returns.models import Return
from tests.factories import SYSTEM
from tests.notifications.helpers import drain, open_return


def _walk_a_return(order, locale):
    """Request → approved → label → in transit → received → inspected → resolved."""
    return_request = open_return(order, locale=locale)
    returns.approve_return(return_request=return_request, actor=SYSTEM)
    returns.record_label(
        return_request=return_request,
        carrier="Colissimo",
        tracking_number="6A0001",
        actor=SYSTEM,
    )
    returns.mark_in_transit(return_request=return_request, actor=SYSTEM)
    lines = list(return_request.lines.all())
    returns.receive_lines(
        return_request=return_request,
        receipts=[returns.LineReceipt(line.pk, line.quantity) for line in lines],
        actor=SYSTEM,
    )
    returns.inspect_lines(
        return_request=return_request,
        inspections=[returns.LineInspection(line.pk, line.quantity) for line in lines],
        actor=SYSTEM,
    )
    return Return.objects.get(pk=return_request.pk)


@pytest.mark.parametrize(
    ("locale", "subjects"),
    [
        (
            "en",
            [
                "We have received your return request",
                "is approved",
                "Your return label for",
                "is on its way",
                "We have received your return R",
                "have been checked",
            ],
        ),
        (
            "fr",
            [
                "Nous avons bien reçu votre demande de retour",
                "est accepté",
                "Votre étiquette de retour pour",
                "est en route",
                "Nous avons reçu votre retour R",
                "ont été vérifiés",
            ],
        ),
    ],
)
def test_each_step_of_a_return_sends_one_email_in_the_shoppers_language(
    order_a, smtp, locale, subjects
):
    return_request = _walk_a_return(order_a, locale)
    drain()

    messages = smtp.messages
    assert [m["Subject"] for m in messages] == [
        m["Subject"] for m in messages if any(s in m["Subject"] for s in subjects)
    ]
    assert len(messages) == len(subjects)
    for message, expected in zip(messages, subjects, strict=True):
        assert expected in message["Subject"]
        assert message["To"] == order_a.email
        assert return_request.rma in message["Subject"] or "retour" in message["Subject"].lower()
    # Exactly once per event, recognisable by the event id.
    events = OutboxEvent.objects.filter(deliveries__channel="email")
    assert smtp.by_event() == {str(event.pk): 1 for event in events}


def test_the_label_email_links_to_the_label_and_has_both_parts(order_a, smtp, settings):
    settings.PUBLIC_URL = "https://returns.example.com"
    _walk_a_return(order_a, "en")
    drain()
    return_request = Return.objects.get()

    label = next(m for m in smtp.messages if "label" in m["Subject"])
    text, html = smtp.parts(label)
    page = "https://returns.example.com" + tracking_path(order_a.store.slug, return_request.rma)
    assert f"{page}label/" in text
    assert f'href="{page}label/"' in html
    assert "Colissimo" in text
    assert "6A0001" in text
    assert "Store A" in html  # the store's branding frames the message
    assert label["From"].startswith("Store A")
    assert label["Message-ID"].startswith(f"<{label['X-Retour-Event-Id']}.")


def test_a_rejection_tells_the_reason(order_a, smtp):
    return_request = open_return(order_a, locale="fr")
    returns.reject_return(
        return_request=return_request, actor=SYSTEM, reason="Article porté <b>plusieurs</b> fois"
    )
    drain()

    rejected = smtp.messages[-1]
    text, html = smtp.parts(rejected)
    assert "n'a pas pu être acceptée" in rejected["Subject"]
    assert "Motif : Article porté <b>plusieurs</b> fois" in text
    assert "Article porté &lt;b&gt;plusieurs&lt;/b&gt; fois" in html  # autoescaped


def _refund_event(store, return_request, expected_by):
    with transaction.atomic():
        emit(
            "refund.succeeded",
            store_id=store.pk,
            payload={
                "refund": {
                    "reference": "RF-7Q2K-ZZ9W",
                    "amount": "1234.50",
                    "currency": "EUR",
                    "expected_by": expected_by.isoformat(),
                },
                "return": {"id": return_request.pk, "rma": return_request.rma},
                "order": {"number": return_request.order.number},
            },
        )


def test_the_refund_email_gives_reference_amount_and_date_in_french(order_a, smtp):
    return_request = open_return(order_a, locale="fr")
    _refund_event(order_a.store, return_request, date(2026, 12, 3))
    drain()

    refund = smtp.messages[-1]
    text, _html = smtp.parts(refund)
    assert refund["Subject"] == f"Votre remboursement pour le retour {return_request.rma}"
    assert "RF-7Q2K-ZZ9W" in text
    assert "1\u202f234,50\xa0€" in text or "1 234,50" in text.replace("\u202f", " ").replace(
        "\xa0", " "
    )
    assert "3 décembre 2026" in text


def test_a_store_template_replaces_the_default(order_a, smtp):
    services.save_email_template(
        store=order_a.store,
        event_type="return.created",
        language="en",
        subject="Got it: {{ rma }}",
        body_text="Thanks {{ shopper.first_name }}, see {{ return_url }}",
        body_html="<p>Thanks {{ shopper.first_name }}</p>",
        actor=SYSTEM,
    )
    return_request = open_return(order_a)
    drain()

    message = smtp.messages[-1]
    assert message["Subject"] == f"Got it: {return_request.rma}"
    assert smtp.parts(message)[0].startswith("Thanks Ada, see http")


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ store.name.__class__ }}",
        "{% for x in range(10**9) %}{% endfor %}",
        "{{ 'x' * 10**9 }}",
        "{{ 1 / 0 }}",
    ],
)
def test_a_store_template_cannot_run_code(store_a, source):
    with pytest.raises(InvalidRequest):
        services.save_email_template(
            store=store_a,
            event_type="return.created",
            language="en",
            subject="Hi",
            body_text=source,
            body_html="<p>x</p>",
            actor=SYSTEM,
        )


def test_a_template_with_an_unknown_variable_is_refused(store_a):
    with pytest.raises(InvalidRequest):
        services.save_email_template(
            store=store_a,
            event_type="return.created",
            language="en",
            subject="{{ nope }}",
            body_text="x",
            body_html="x",
            actor=SYSTEM,
        )


def test_the_preview_renders_unsaved_edits_with_sample_values(store_a):
    preview = services.preview_email(
        store=store_a,
        event_type="refund.succeeded",
        language="fr",
        body_html="<p>Ref. {{ refund.reference }}</p>",
    )
    assert "RF-3H7K-Q2WD" in preview.text
    assert "<p>Ref. RF-3H7K-Q2WD</p>" in preview.html
    assert preview.subject == "Votre remboursement pour le retour R-7KQ4-M9XP"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_email_event_has_a_default_that_renders(store_a, language):
    assert set(default_templates(language)) == set(EMAIL_EVENTS)
    for event_type in EMAIL_EVENTS:
        preview = services.preview_email(store=store_a, event_type=event_type, language=language)
        assert preview.subject
        assert preview.text.strip()
        assert "<html" in preview.html


def test_the_reminder_goes_once_before_the_return_expires(order_a, smtp):
    return_request = open_return(order_a)
    returns.approve_return(return_request=return_request, actor=SYSTEM)
    Return.objects.filter(pk=return_request.pk).update(
        status_changed_at=timezone.now() - timedelta(days=12)
    )

    assert remind_expiring_returns() == 1
    assert remind_expiring_returns() == 0
    drain()

    reminder = smtp.messages[-1]
    assert reminder["Subject"] == f"Reminder: send your return {return_request.rma} soon"
    expires = (timezone.now() + timedelta(days=2)).date()
    assert str(expires.day) in smtp.parts(reminder)[0]


def test_feedback_is_asked_once_after_the_return_is_resolved(smtp, store_a):
    from tests.factories import ReturnFactory

    return_request = ReturnFactory(order__store=store_a, status="resolved")
    Return.objects.filter(pk=return_request.pk).update(
        status_changed_at=timezone.now() - timedelta(days=3)
    )

    assert request_feedback() == 1
    assert request_feedback() == 0
    drain()

    assert smtp.messages[-1]["Subject"] == "How was your return with Store A?"
    assert "/feedback/" in smtp.parts(smtp.messages[-1])[0]


def test_an_unreachable_smtp_server_is_retried_then_delivers(order_a, settings):
    from django_tasks_db.models import DBTaskResult

    from tests.notifications.servers import SmtpSink, free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    open_return(order_a)
    drain()
    delivery = Delivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.attempts == 1

    assert delivery.next_attempt_at > timezone.now()  # backoff: the retry waits

    # Time passes: the retry is due.
    Delivery.objects.update(next_attempt_at=timezone.now())
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    with SmtpSink() as sink:
        settings.EMAIL_PORT = sink.port
        drain()
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    assert delivery.attempts == 2
    assert len(sink.messages) == 1
