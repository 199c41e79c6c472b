"""What every journey page shares: the store, the shopper's language, branding that is safe to
put in CSS, formatting with Babel, and the progress through the steps."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import wraps
from typing import Any

from babel.dates import format_date
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _

from retour.commerce.models import Store
from retour.core.colours import AA_TEXT, HEX_COLOUR, WHITE, contrast, readable_on
from retour.core.money import format_money

SUPPORTED = {code for code, _name in settings.LANGUAGES}
LANGUAGE_KEY = "retour.portal.language"
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


def logo_url(store: Store) -> str:
    """The logo uploaded in the dashboard (served by the portal under a name that changes with
    its content), else an https address set through the API, else nothing."""
    data = store.branding or {}
    stored = str(data.get("logo") or "")
    if stored:
        digest = stored.rsplit("logo-", 1)[-1].removesuffix(".png")
        return reverse("portal:logo", args=[store.slug, digest])
    logo = str(data.get("logo_url") or "")
    return logo if logo.startswith("https://") else ""


def branding(store: Store, language: str) -> dict[str, str]:
    """Colours as #hex only, https or uploaded logos only, and text colours chosen for WCAG AA
    contrast: the store's text colour where it reaches 4.5:1 on the brand colour, else white or
    black; the brand colour for links only where it reads on white (else a dark default)."""
    data = store.branding or {}
    primary = str(data.get("primary_color") or data.get("primary_colour") or "")
    primary = primary if HEX_COLOUR.match(primary) else DEFAULT_BRAND
    text = str(data.get("text_color") or "")
    if not (HEX_COLOUR.match(text) and contrast(primary, text) >= AA_TEXT):
        text = readable_on(primary)
    link = primary if contrast(primary, WHITE) >= AA_TEXT else DEFAULT_BRAND
    texts = data.get("texts") if isinstance(data.get("texts"), dict) else {}
    localised = texts.get(language) if isinstance(texts.get(language), dict) else {}
    return {
        "primary_color": primary,
        "on_primary": text,
        "link_color": link,
        "logo_url": logo_url(store),
        "welcome": str(localised.get("welcome", "")),
        "packing": str(localised.get("packing", "")),
    }


@dataclass
class CachedStore:
    store: Store
    expires: float
    branding: dict[str, dict[str, str]] = field(default_factory=dict)

    def branding_in(self, language: str) -> dict[str, str]:
        if language not in self.branding:
            self.branding[language] = branding(self.store, language)
        return self.branding[language]


_STORES: dict[str, CachedStore] = {}


def cached_store(slug: str) -> CachedStore:
    """The store of a slug (404 if none) with its branding per language, kept by this process
    for `RETOUR_PORTAL["STORE_CACHE_SECONDS"]` (30 s): every portal page needs them, and they
    change rarely. A save of any store in this process drops the cache (`forget_stores`, on
    `post_save`/`post_delete`); another worker process sees the change when its entry expires.
    Unknown slugs are not kept."""
    entry = _STORES.get(slug)
    now = time.monotonic()
    if entry is None or entry.expires <= now:
        store = Store.objects.filter(slug=slug).first()
        if store is None:
            raise Http404("no such store")
        seconds = getattr(settings, "RETOUR_PORTAL", {}).get("STORE_CACHE_SECONDS", 30)
        entry = _STORES[slug] = CachedStore(store, now + seconds)
    return entry


def forget_stores(**_kwargs: Any) -> None:
    _STORES.clear()


@dataclass
class Page:
    store: Store
    language: str
    cached: CachedStore | None = None

    @property
    def branding(self) -> dict[str, str]:
        if self.cached is not None:
            return self.cached.branding_in(self.language)
        return branding(self.store, self.language)

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
        cached = cached_store(slug)
        language = pick_language(request, cached.store)
        with translation.override(language):
            response = view(request, Page(cached.store, language, cached), *args, **kwargs)
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
        "branding": page.branding,
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
