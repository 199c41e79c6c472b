"""A store's settings, one page per section, each a thin view over a domain service that checks,
writes in one transaction and records an audit event. Every section page ends with the latest
audit entries of that section; the index shows those of every section the role may open.

Who may open what (beyond the role's API scopes, which say nothing about settings): the owner
every section; support the reasons and e-mail templates (they talk to shoppers); finance the
refund settings; warehouse none (in particular not refunds' money settings). A store the user
does not belong to is 404; a section the role may not open is 403.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from retour.accounts.models import Membership
from retour.accounts.scopes import Role
from retour.commerce import selectors as commerce
from retour.commerce.logo import MAX_BYTES as MAX_LOGO_BYTES
from retour.commerce.models import Store
from retour.commerce.services import Branding, update_branding
from retour.core.actors import Actor
from retour.core.errors import DomainError
from retour.dashboard.views.common import staff_only


@dataclass(frozen=True)
class Section:
    code: str
    label: Any
    url_name: str
    roles: frozenset[str]
    verbs: tuple[str, ...]  # the audit verbs (prefixes) of its changes


OWNER = frozenset({Role.OWNER})
SECTIONS = [
    Section("branding", gettext_lazy("Branding"), "settings-branding", OWNER, ("branding.",)),
    Section("policy", gettext_lazy("Return policy"), "settings-policy", OWNER, ("policy.",)),
    Section(
        "reasons",
        gettext_lazy("Return reasons"),
        "settings-reasons",
        frozenset({Role.OWNER, Role.SUPPORT}),
        ("reason.", "reasons."),
    ),
    Section(
        "carriers",
        gettext_lazy("Carriers and routing"),
        "settings-carriers",
        OWNER,
        ("carrier.", "routing_rule."),
    ),
    Section(
        "refunds",
        gettext_lazy("Refunds"),
        "settings-refunds",
        frozenset({Role.OWNER, Role.FINANCE}),
        ("refund_settings.",),
    ),
    Section(
        "emails",
        gettext_lazy("E-mail templates"),
        "settings-emails",
        frozenset({Role.OWNER, Role.SUPPORT}),
        ("email_template.",),
    ),
    Section(
        "webhooks", gettext_lazy("Webhooks"), "settings-webhooks", OWNER, ("webhook.", "delivery.")
    ),
    Section(
        "connections",
        gettext_lazy("Shop platform"),
        "settings-connections",
        OWNER,
        ("connection.",),
    ),
]
SECTION_BY_CODE = {section.code: section for section in SECTIONS}


@dataclass(frozen=True)
class SettingsPage:
    """The store whose settings are open, the signed-in user's role there and its author."""

    store: Store
    role: str
    section: Section | None
    actor: Actor

    @property
    def sections(self) -> list[Section]:
        return [section for section in SECTIONS if self.role in section.roles]


def settings_page(section: str | None) -> Callable:
    """Decorate a view `view(request, page, …)`: the user's membership of the store in the URL
    (404 without one), the section's roles (403 for others)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @staff_only
        @wraps(view)
        def wrapper(request: HttpRequest, store: str, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = (
                Membership.objects.filter(user=request.user, store__slug=store)
                .select_related("store")
                .first()
            )
            if membership is None:
                raise Http404
            chosen = SECTION_BY_CODE[section] if section else None
            if chosen is not None and membership.role not in chosen.roles:
                raise Forbidden
            page = SettingsPage(
                membership.store, membership.role, chosen, Actor.staff(request.user)
            )
            if chosen is None and not page.sections:
                raise Forbidden
            return view(request, page, *args, **kwargs)

        return wrapper

    return decorate


def show(request: HttpRequest, page: SettingsPage, template: str, context: dict) -> HttpResponse:
    """Render a settings page with the navigation and the audit entries of what it shows."""
    shown = [page.section] if page.section else page.sections
    verbs = [verb for section in shown for verb in section.verbs]
    return render(
        request,
        template,
        {
            "page": page,
            "store": page.store,
            "audit": commerce.audit_log(page.store.pk, verbs),
            **context,
        },
    )


def refused(form: forms.Form, error: DomainError) -> None:
    """Put a service's refusal on the form: on its field when the service named one."""
    field = error.details.get("field")
    form.add_error(field if field in form.fields else None, error.message)


def saved(request: HttpRequest, page: SettingsPage, message: str = "") -> HttpResponse:
    messages.success(request, message or _("Saved."))
    return redirect(f"dashboard:{page.section.url_name}", store=page.store.slug)


def secret_field(
    label: Any, *, stored: bool = False, help_text: Any = None, max_length: int | None = None
) -> forms.CharField:
    """A write-only secret: optional (empty keeps the saved one), never rendered back nor
    remembered by the browser; its help says whether one is saved unless `help_text` is given."""
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=secret_help(stored) if help_text is None else help_text,
    )


def secret_help(stored: bool) -> Any:
    """Whether a write-only secret is saved, and how to keep or replace it."""
    if stored:
        return gettext_lazy("Set. Leave empty to keep it; type a new one to replace it.")
    return gettext_lazy("Not set.")


@settings_page(None)
def index(request: HttpRequest, page: SettingsPage) -> HttpResponse:
    return show(request, page, "dashboard/settings/index.html", {})


@staff_only
def choose_store(request: HttpRequest) -> HttpResponse:
    """The settings of the user's only store, or the list of their stores (those where their
    role opens at least one section)."""
    roles = {role for section in SECTIONS for role in section.roles}
    stores = list(
        Store.objects.filter(memberships__user=request.user, memberships__role__in=roles)
        .order_by("name")
        .only("name", "slug")
    )
    if len(stores) == 1:
        return redirect("dashboard:settings", store=stores[0].slug)
    return render(request, "dashboard/settings/stores.html", {"stores": stores})


class BrandingForm(forms.Form):
    primary_color = forms.CharField(label=gettext_lazy("Brand colour"), max_length=7)
    text_color = forms.CharField(
        label=gettext_lazy("Text colour on the brand colour"),
        max_length=7,
        required=False,
        help_text=gettext_lazy("Empty: white or black, whichever reads best."),
    )
    logo = forms.FileField(
        label=gettext_lazy("Logo"),
        required=False,
        help_text=gettext_lazy(
            "PNG, JPEG, WebP or GIF, at most 2 MB; empty: keep the current one."
        ),
    )
    remove_logo = forms.BooleanField(label=gettext_lazy("Remove the logo"), required=False)
    welcome_en = forms.CharField(
        label=gettext_lazy("Welcome text (English)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    welcome_fr = forms.CharField(
        label=gettext_lazy("Welcome text (French)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    packing_en = forms.CharField(
        label=gettext_lazy("Packing instructions (English)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    packing_fr = forms.CharField(
        label=gettext_lazy("Packing instructions (French)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    domain = forms.CharField(
        label=gettext_lazy("Own domain for the portal"),
        required=False,
        help_text=gettext_lazy(
            "e.g. returns.example.com, pointed at this Retour; links in e-mails then use it."
        ),
    )

    @classmethod
    def initial_for(cls, store: Store) -> dict[str, str]:
        data = store.branding or {}
        texts = data.get("texts") or {}
        initial = {
            "primary_color": data.get("primary_color", ""),
            "text_color": data.get("text_color", ""),
            "domain": data.get("domain", ""),
        }
        for language in ("en", "fr"):
            for key in ("welcome", "packing"):
                initial[f"{key}_{language}"] = (texts.get(language) or {}).get(key, "")
        return initial

    def branding(self) -> Branding:
        data = self.cleaned_data
        logo = data.get("logo")
        return Branding(
            primary_color=data["primary_color"].strip(),
            text_color=data["text_color"].strip(),
            texts={
                language: {key: data[f"{key}_{language}"] for key in ("welcome", "packing")}
                for language in ("en", "fr")
            },
            domain=data["domain"],
            logo=logo.read(MAX_LOGO_BYTES + 1) if logo else None,  # more is refused
            remove_logo=data["remove_logo"],
        )


@settings_page("branding")
def branding(request: HttpRequest, page: SettingsPage) -> HttpResponse:
    form = BrandingForm(initial=BrandingForm.initial_for(page.store))
    if request.method == "POST":
        form = BrandingForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                result = update_branding(
                    store=page.store, branding=form.branding(), actor=page.actor
                )
            except DomainError as error:
                refused(form, error)
            else:
                for warning in result.warnings:
                    messages.warning(request, warning)
                return saved(request, page)
    return show(request, page, "dashboard/settings/branding.html", {"form": form})
