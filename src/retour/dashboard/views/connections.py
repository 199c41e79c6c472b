"""Settings: the store's connection to its shop platform (owners only), chosen with
`?platform=`. Connect Shopify (the shop's address, the Admin API access token and the webhook
secret) or WooCommerce (the site's address, the REST API consumer key and secret, the webhook
secret) — secrets encrypted, never shown back —, see its health (last event, last error, the
latest events with a replay button, the write-backs that failed with a retry button and those
the platform cannot take) and start a backfill of the order history. Each action is a
`connectors.services` call, audited there (`connection.*`)."""

import re

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from retour.connectors import selectors, services
from retour.connectors.choices import EventStatus, Platform
from retour.connectors.models import Connection, InboundEvent, WriteBack
from retour.core.errors import DomainError
from retour.dashboard.views.settings import (
    SettingsPage,
    refused,
    saved,
    secret_field,
    settings_page,
    show,
)

_HOST = re.compile(
    r"^(https?://)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(:\d+)?/?$"
)
_KEEP_SAVED = gettext_lazy("Empty: keep the saved one. Never shown again once saved.")


class ShopifyForm(forms.Form):
    shop = forms.CharField(
        label=gettext_lazy("Shop address"),
        max_length=200,
        help_text=gettext_lazy("Your shop's myshopify.com domain, e.g. example.myshopify.com."),
    )
    access_token = secret_field(
        gettext_lazy("Admin API access token"), help_text=_KEEP_SAVED, max_length=200
    )
    webhook_secret = secret_field(
        gettext_lazy("Webhook signing secret"), help_text=_KEEP_SAVED, max_length=200
    )
    location_id = forms.CharField(
        label=gettext_lazy("Location for restocks"),
        max_length=200,
        required=False,
        help_text=gettext_lazy(
            "The Shopify location (gid://shopify/Location/…) returned items are restocked at; "
            "empty: refunds do not restock."
        ),
    )

    def clean_shop(self) -> str:
        shop = self.cleaned_data["shop"].strip().lower()
        if not _HOST.match(shop):
            raise forms.ValidationError(_("Give the shop's domain, e.g. example.myshopify.com."))
        return shop.rstrip("/") if "://" in shop else f"https://{shop.rstrip('/')}"

    def connection_options(self) -> dict:
        location = self.cleaned_data["location_id"]
        return {"location_id": location} if location else {}


class WooCommerceForm(forms.Form):
    shop = forms.CharField(
        label=gettext_lazy("Shop address"),
        max_length=200,
        help_text=gettext_lazy("Your WordPress site's address, e.g. https://shop.example.com."),
    )
    consumer_key = secret_field(
        gettext_lazy("REST API consumer key"), help_text=_KEEP_SAVED, max_length=200
    )
    consumer_secret = secret_field(
        gettext_lazy("REST API consumer secret"), help_text=_KEEP_SAVED, max_length=200
    )
    webhook_secret = secret_field(
        gettext_lazy("Webhook secret"), help_text=_KEEP_SAVED, max_length=200
    )

    def clean_shop(self) -> str:
        shop = self.cleaned_data["shop"].strip().lower().rstrip("/")
        if shop.startswith("http://"):
            raise forms.ValidationError(
                _("WooCommerce takes its API keys over HTTPS only: give an https:// address.")
            )
        host, _slash, path = shop.removeprefix("https://").partition("/")
        if not _HOST.match(host) or " " in path:
            raise forms.ValidationError(
                _("Give the site's address, e.g. https://shop.example.com.")
            )
        return f"https://{host}" + (f"/{path}" if path else "")

    def connection_options(self) -> dict:
        return {}


FORMS: dict[str, type[ShopifyForm] | type[WooCommerceForm]] = {
    Platform.SHOPIFY: ShopifyForm,
    Platform.WOOCOMMERCE: WooCommerceForm,
}


def _platform(request: HttpRequest, store_id: int) -> str:
    """The platform asked for (`?platform=`), else the one connected last, else Shopify."""
    asked = request.GET.get("platform", "")
    if asked in FORMS:
        return asked
    latest = (
        Connection.objects.filter(store_id=store_id, platform__in=FORMS)
        .order_by("-created_at")
        .values_list("platform", flat=True)
        .first()
    )
    return latest or Platform.SHOPIFY


def _form(platform: str, connection: Connection | None, data=None) -> forms.Form:
    initial = {"shop": connection.base_url, **connection.options} if connection else {}
    return FORMS[platform](data, initial=initial)


def _connect(page: SettingsPage, platform: str, form) -> None:
    data = form.cleaned_data
    names = [name for name in ("access_token", "consumer_key", "consumer_secret") if name in data]
    services.connect(
        store=page.store,
        platform=platform,
        base_url=data["shop"],
        credentials={name: data[name] for name in [*names, "webhook_secret"]},
        options=form.connection_options(),
        actor=page.actor,
    )


@settings_page("connections")
def connections(request: HttpRequest, page: SettingsPage) -> HttpResponse:
    platform = _platform(request, page.store.pk)
    connection = selectors.connection_of(page.store.pk, platform)
    form = _form(platform, connection, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _connect(page, platform, form)
        except DomainError as error:
            refused(form, error)
        else:
            label = Platform(platform).label
            answer = saved(
                request, page, _("The %(platform)s connection is saved.") % {"platform": label}
            )
            answer["Location"] += f"?platform={platform}"
            return answer
    webhook = request.build_absolute_uri(
        reverse("connectors:webhook", kwargs={"store": page.store.slug, "platform": platform})
    )
    context = {
        "form": form,
        "platform": platform,
        "platforms": [(name, Platform(name).label) for name in FORMS],
        "health": selectors.health(connection) if connection else None,
        "webhook_url": webhook,
        "replayable": {EventStatus.FAILED, EventStatus.IGNORED},
    }
    response = show(request, page, "dashboard/settings/connections.html", context)
    response.status_code = 400 if form.errors else 200
    return response


@settings_page("connections")
@require_POST
def backfill(request: HttpRequest, page: SettingsPage, connection_id: int) -> HttpResponse:
    connection = Connection.objects.filter(store=page.store, pk=connection_id).first()
    if connection is None:
        raise Http404
    services.start_backfill(connection=connection, actor=page.actor)
    return saved(request, page, _("The backfill started: orders arrive in the background."))


@settings_page("connections")
@require_POST
def retry(request: HttpRequest, page: SettingsPage, write_back_id: int) -> HttpResponse:
    write_back = (
        WriteBack.objects.filter(connection__store=page.store, pk=write_back_id)
        .select_related("connection__store")
        .first()
    )
    if write_back is None:
        raise Http404
    try:
        services.retry_write_back(write_back=write_back, actor=page.actor)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("dashboard:settings-connections", store=page.store.slug)
    return saved(request, page, _("The write-back will be sent again."))


@settings_page("connections")
@require_POST
def replay(request: HttpRequest, page: SettingsPage, event_id: int) -> HttpResponse:
    event = (
        InboundEvent.objects.filter(connection__store=page.store, pk=event_id)
        .select_related("connection__store")
        .first()
    )
    if event is None:
        raise Http404
    services.replay_event(event=event, actor=page.actor)
    return saved(request, page, _("The event will be applied again."))
