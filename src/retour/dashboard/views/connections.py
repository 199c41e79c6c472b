"""Settings: the store's connection to its shop platform (owners only). Connect Shopify (the
shop's address, the Admin API access token and the webhook secret: encrypted, never shown
back), see its health (last event, last error, the latest events with a replay button, the
write-backs that failed with a retry button) and start a backfill of the order history. Each
action is a `connectors.services` call, audited there (`connection.*`)."""

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
from retour.dashboard.views.settings import SettingsPage, refused, saved, settings_page, show

_HOST = re.compile(
    r"^(https?://)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(:\d+)?/?$"
)
_SECRET = forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})


class ShopifyForm(forms.Form):
    shop = forms.CharField(
        label=gettext_lazy("Shop address"),
        max_length=200,
        help_text=gettext_lazy("Your shop's myshopify.com domain, e.g. example.myshopify.com."),
    )
    access_token = forms.CharField(
        label=gettext_lazy("Admin API access token"),
        max_length=200,
        required=False,
        widget=_SECRET,
        help_text=gettext_lazy("Empty: keep the saved one. Never shown again once saved."),
    )
    webhook_secret = forms.CharField(
        label=gettext_lazy("Webhook signing secret"),
        max_length=200,
        required=False,
        widget=_SECRET,
        help_text=gettext_lazy("Empty: keep the saved one. Never shown again once saved."),
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


def _form(connection: Connection | None, data=None) -> ShopifyForm:
    initial = (
        {"shop": connection.base_url, "location_id": connection.options.get("location_id", "")}
        if connection
        else {}
    )
    return ShopifyForm(data, initial=initial)


@settings_page("connections")
def connections(request: HttpRequest, page: SettingsPage) -> HttpResponse:
    connection = selectors.connection_of(page.store.pk, Platform.SHOPIFY)
    form = _form(connection, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.connect(
                store=page.store,
                platform=Platform.SHOPIFY,
                base_url=data["shop"],
                credentials={
                    "access_token": data["access_token"],
                    "webhook_secret": data["webhook_secret"],
                },
                options={"location_id": data["location_id"]} if data["location_id"] else {},
                actor=page.actor,
            )
        except DomainError as error:
            refused(form, error)
        else:
            return saved(request, page, _("The Shopify connection is saved."))
    webhook = request.build_absolute_uri(
        reverse(
            "connectors:webhook", kwargs={"store": page.store.slug, "platform": Platform.SHOPIFY}
        )
    )
    context = {
        "form": form,
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
