"""E-mails to shoppers: which events send one, the context they get, rendering in a sandbox.

Templates are Jinja2, rendered by `SandboxedEnvironment`: a template (packaged default or edited by
the store) sees only the plain values of its context, cannot call into the application, and the
HTML part is autoescaped. Defaults live in `templates/notifications/emails/<language>.toml`, one
table per event with `subject`, `text` and `html`; the HTML part is placed in the store's branded
layout (`layout.html` there).
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency
from django.conf import settings
from jinja2 import StrictUndefined, TemplateError, Undefined
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from retour.commerce.models import Store

EMAIL_DIR = Path(__file__).resolve().parent / "templates" / "notifications" / "emails"
LANGUAGES = ("en", "fr")

# Event type → what the shopper is told. Each has a default template in every language.
EMAIL_EVENTS: tuple[str, ...] = (
    "return.created",  # request received
    "return.approved",
    "return.label_issued",  # approved with its label
    "return.rejected",  # with the reason
    "return.message_sent",  # a staff member's message about the return (dashboard)
    "return.in_transit",
    "return.received",
    "return.inspected",
    "refund.succeeded",  # with the reference and the expected date
    "store_credit.issued",
    "return.exchange_payment_requested",  # the price difference to pay, its link and expiry
    "return.exchange_ordered",  # the replacement is on its way
    "return.expiry_reminder",  # before the return window closes
    "return.feedback_requested",
    "withdrawal.recorded",  # the acknowledgement of a withdrawal (durable medium, art. 11a)
    "claim.approved",  # a reported problem accepted: refund or replacement, nothing to send back
    "claim.rejected",  # with the reason
)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


class EmailTemplateError(ValueError):
    """A template that does not compile or render; the message says where."""


MAX_OUTPUT = 200_000  # characters a multiplication in a template may produce


class _Sandbox(SandboxedEnvironment):
    """Jinja2's sandbox (no attribute of the Python internals, ranges capped), and no huge
    strings or numbers through `*` and `**`."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator, left, right):
        if operator == "**" and (not isinstance(right, int) or abs(right) > 64):
            raise SecurityError("exponent too large")
        result = super().call_binop(context, operator, left, right)
        if isinstance(result, str | list | tuple) and len(result) > MAX_OUTPUT:
            raise SecurityError("result too large")
        return result


def _environment(*, autoescape: bool, undefined=Undefined) -> SandboxedEnvironment:
    env = _Sandbox(autoescape=autoescape, undefined=undefined, trim_blocks=True)
    env.filters["money"] = _money_filter
    env.filters["day"] = _day_filter
    return env


def _money_filter(value: Any, currency: str = "EUR", language: str = "en") -> str:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return format_currency(amount, currency, locale=babel_locale(language))


def _day_filter(value: Any, language: str = "en") -> str:
    if not value:
        return ""
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return format_date(day, format="long", locale=babel_locale(language))


def babel_locale(language: str) -> str:
    return {"fr": "fr_FR", "en": "en_GB"}.get(language[:2], "en_GB")


_HTML_ENV = _environment(autoescape=True)
_TEXT_ENV = _environment(autoescape=False)
_STRICT_ENV = _environment(autoescape=True, undefined=StrictUndefined)


@cache
def default_templates(language: str) -> dict[str, dict[str, str]]:
    with (EMAIL_DIR / f"{language}.toml").open("rb") as handle:
        return tomllib.load(handle)


@cache
def _layout_source() -> str:
    return (EMAIL_DIR / "layout.html").read_text(encoding="utf-8")


def pick_language(*candidates: str | None) -> str:
    for candidate in candidates:
        if candidate and candidate[:2].lower() in LANGUAGES:
            return candidate[:2].lower()
    return "en"


def template_sources(store: Store, event_type: str, language: str) -> dict[str, str]:
    """The store's template for this event and language, or the packaged default."""
    from retour.notifications.models import EmailTemplate

    custom = EmailTemplate.objects.filter(
        store=store, event_type=event_type, language=language
    ).first()
    if custom is not None:
        return {"subject": custom.subject, "text": custom.body_text, "html": custom.body_html}
    return dict(default_templates(language)[event_type])


def render(sources: dict[str, str], context: dict[str, Any]) -> RenderedEmail:
    """Render subject, text and HTML (the latter inside the branded layout)."""
    try:
        subject = _TEXT_ENV.from_string(sources["subject"]).render(context)
        text = _TEXT_ENV.from_string(sources["text"]).render(context)
        body = _HTML_ENV.from_string(sources["html"]).render(context)
        html = _HTML_ENV.from_string(_layout_source()).render({**context, "body": _Markup(body)})
    except TemplateError as exc:
        raise EmailTemplateError(str(exc)) from exc
    except (ArithmeticError, TypeError, ValueError, LookupError) as exc:
        # What a store's template can still do wrong at render time (1/0, "a" + 1, …).
        raise EmailTemplateError(f"{type(exc).__name__}: {exc}") from exc
    return RenderedEmail(subject=" ".join(subject.split()), text=text.strip() + "\n", html=html)


def check_template(sources: dict[str, str], context: dict[str, Any]) -> None:
    """Raise `EmailTemplateError` if a template does not compile, uses an unknown variable or
    tries something the sandbox forbids (checked against a sample context)."""
    for part in ("subject", "text", "html"):
        try:
            _STRICT_ENV.from_string(sources[part]).render(context)
        except TemplateError as exc:
            raise EmailTemplateError(f"{part}: {exc}") from exc
        except (ArithmeticError, TypeError, ValueError, LookupError) as exc:
            raise EmailTemplateError(f"{part}: {type(exc).__name__}: {exc}") from exc


def _Markup(value: str):  # noqa: N802 - mirrors markupsafe.Markup
    from markupsafe import Markup

    return Markup(value)  # noqa: S704 - the body was rendered with autoescape on


def message_id(event_id: Any, recipient: str) -> str:
    """The same for every (re)delivery of one event to one address: a receiver (or its mail
    client) recognises a duplicate by it."""
    digest = hashlib.sha256(recipient.lower().encode()).hexdigest()[:12]
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "retour.invalid"
    return f"<{event_id}.{digest}@{domain}>"
