"""The shopper's public pages of a store: its return policy, generated from the policy data.

Language: `?lang=fr|en`, else the browser's (LocaleMiddleware reads Accept-Language), else the
store's default language.
"""

from django.conf import settings
from django.core.files.storage import storages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from retour.commerce.models import Store
from retour.policy.describe import summary
from retour.policy.flowchart import flowchart_svg
from retour.policy.law import EEA_MEMBERS
from retour.policy.selectors import compiled, current_version
from retour.portal.pages import branding

SUPPORTED = {code for code, _name in settings.LANGUAGES}


def _language(request: HttpRequest, store: Store) -> str:
    asked = request.GET.get("lang", "")[:2]
    if asked in SUPPORTED:
        return asked
    if request.META.get("HTTP_ACCEPT_LANGUAGE"):
        return (request.LANGUAGE_CODE or settings.LANGUAGE_CODE)[:2]
    default = (store.default_locale or "")[:2]
    return default if default in SUPPORTED else settings.LANGUAGE_CODE


def _context(request: HttpRequest, slug: str) -> tuple[Store, str, dict]:
    store = get_object_or_404(Store, slug=slug)
    version = current_version(store)
    document = compiled(version).document
    language = _language(request, store)
    with translation.override(language):
        data = summary(document, country=store.country, currency=store.currency, language=language)
    return (
        store,
        language,
        {
            "store": store,
            "version": version,
            "document": document,
            "policy": data,
            "language": language,
            "languages": sorted(SUPPORTED),
            "eu_store": store.country.upper() in EEA_MEMBERS,
            "branding": branding(store, language),
        },
    )


def _localised(response: HttpResponse, language: str) -> HttpResponse:
    response["Content-Language"] = language
    patch_vary_headers(response, ["Accept-Language"])
    return response


@require_GET
def policy_page(request: HttpRequest, slug: str) -> HttpResponse:
    store, language, context = _context(request, slug)
    with translation.override(language):
        context["flowchart"] = flowchart_svg(context["document"], language=language)
        response = render(request, "portal/policy.html", context)
    return _localised(response, language)


def _policy_url(request: HttpRequest, store: Store, language: str) -> str:
    path = reverse("portal:policy", kwargs={"slug": store.slug})
    return request.build_absolute_uri(f"{path}?lang={language}")


@require_GET
def policy_snippet_json(request: HttpRequest, slug: str) -> JsonResponse:
    """The policy "at a glance", for the shop's product pages (public, any origin)."""
    store, language, context = _context(request, slug)
    policy = context["policy"]
    with translation.override(language):
        headline = translation.ngettext(
            "Returns within %(days)d day of delivery",
            "Returns within %(days)d days of delivery",
            policy["window_days"],
        ) % {"days": policy["window_days"]}
    data = {
        "store": store.slug,
        "language": language,
        "version": context["version"].number if context["version"] else None,
        "headline": headline,
        "window_days": policy["window_days"],
        "resolutions": policy["resolutions"],
        "methods": policy["methods"],
        "store_credit_bonus_percent": policy["store_credit_bonus_percent"],
        "not_returnable": policy["exclusions"],
        "policy_url": _policy_url(request, store, language),
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    return _localised(response, language)


@xframe_options_exempt  # made to be embedded in the shop's product pages
@require_GET
def policy_snippet_html(request: HttpRequest, slug: str) -> HttpResponse:
    store, language, context = _context(request, slug)
    context["policy_url"] = _policy_url(request, store, language)
    with translation.override(language):
        response = render(request, "portal/policy_snippet.html", context)
    response["Access-Control-Allow-Origin"] = "*"
    return _localised(response, language)


@require_GET
def logo(request: HttpRequest, slug: str, digest: str) -> HttpResponse:
    """The store's uploaded logo (cleaned and re-encoded when uploaded). Its name changes with
    its content, so it may be cached for a year."""
    store = get_object_or_404(Store, slug=slug)
    name = str((store.branding or {}).get("logo") or "")
    if not name.endswith(f"logo-{digest}.png"):
        raise Http404
    try:
        handle = storages["default"].open(name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/png")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response
