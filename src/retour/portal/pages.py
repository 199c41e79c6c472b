"""What every journey page shares: the store, the shopper's language, branding that is safe to
put in CSS, formatting with Babel, and the progress through the steps."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import wraps
from typing import Any

from babel.dates import format_date
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _

from retour.commerce.models import Store
from retour.core.money import format_money

SUPPORTED = {code for code, _name in settings.LANGUAGES}
LANGUAGE_KEY = "retour.portal.language"
COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
DEFAULT_BRAND = "#1e293b"

STEPS = [
    ("items", _("Items")),
    ("reasons", _("Reasons")),
    ("resolution", _("Refund or exchange")),
    ("method", _("Sending")),
    ("review", _("Review")),
]


def pick_language(request: HttpRequest, store: Store) -> str:
    """`?lang=` (remembered for the next pages), else the one chosen before, else the
    browser's, else the store's."""
    asked = request.GET.get("lang", "")[:2]
    if asked in SUPPORTED:
        if request.session.get(LANGUAGE_KEY) != asked:
            request.session[LANGUAGE_KEY] = asked
        return asked
    saved = request.session.get(LANGUAGE_KEY)
    if saved in SUPPORTED:
        return saved
    if request.META.get("HTTP_ACCEPT_LANGUAGE"):
        return (request.LANGUAGE_CODE or settings.LANGUAGE_CODE)[:2]
    default = (store.default_locale or "")[:2]
    return default if default in SUPPORTED else settings.LANGUAGE_CODE


def _luminance(colour: str) -> float:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: float, b: float) -> float:
    light, dark = max(a, b), min(a, b)
    return (light + 0.05) / (dark + 0.05)


def branding(store: Store, language: str) -> dict[str, str]:
    """Colours as #hex only, https logos only, and text colours chosen for WCAG AA contrast:
    white or black on the brand colour, the brand colour for links only where it reads on
    white (else a dark default)."""
    data = store.branding or {}
    primary = str(data.get("primary_color") or data.get("primary_colour") or "")
    primary = primary if COLOUR.match(primary) else DEFAULT_BRAND
    logo = str(data.get("logo_url") or "")
    lum = _luminance(primary)
    on_brand = "#ffffff" if _contrast(lum, 1.0) >= _contrast(lum, 0.0) else "#000000"
    link = primary if _contrast(lum, 1.0) >= 4.5 else DEFAULT_BRAND
    texts = data.get("texts") if isinstance(data.get("texts"), dict) else {}
    localised = texts.get(language) if isinstance(texts.get(language), dict) else {}
    return {
        "primary_color": primary,
        "on_primary": on_brand,
        "link_color": link,
        "logo_url": logo if logo.startswith("https://") else "",
        "welcome": str(localised.get("welcome", "")),
        "packing": str(localised.get("packing", "")),
    }


@dataclass
class Page:
    store: Store
    language: str

    def money(self, amount: Decimal | None, currency: str | None = None) -> str:
        if amount is None:
            return ""
        return format_money(amount, currency or self.store.currency, self.language)

    def date(self, moment: datetime | date | None) -> str:
        if moment is None:
            return ""
        if isinstance(moment, datetime):
            moment = moment.date()
        return format_date(moment, format="long", locale=self.language)


def portal_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Resolve the store (404 if unknown) and the language, and run the view in that language."""

    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
        store = get_object_or_404(Store, slug=slug)
        language = pick_language(request, store)
        with translation.override(language):
            response = view(request, Page(store, language), *args, **kwargs)
        response["Content-Language"] = language
        patch_vary_headers(response, ["Accept-Language", "Cookie"])
        return response

    return wrapper


def show(
    request: HttpRequest,
    page: Page,
    template: str,
    context: dict[str, Any],
    *,
    step: str = "",
    status: int = 200,
) -> HttpResponse:
    steps = []
    reached = True
    for code, label in STEPS:
        steps.append({"code": code, "label": label, "current": code == step, "done": reached})
        if code == step:
            reached = False
    for item in steps:
        item["done"] = item["done"] and not item["current"] and bool(step)
    path = request.path
    context = {
        "store": page.store,
        "language": page.language,
        "branding": branding(page.store, page.language),
        "languages": [
            {"code": code, "url": f"{path}?lang={code}", "current": code == page.language}
            for code in sorted(SUPPORTED)
        ],
        "steps": steps if step else [],
        "step_number": next((i for i, s in enumerate(STEPS, 1) if s[0] == step), 0),
        "step_count": len(STEPS),
        **context,
    }
    return render(request, template, context, status=status)
