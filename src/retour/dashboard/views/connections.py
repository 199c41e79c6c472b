"""Settings: the store's connection to its shop platform (owners only), chosen with
`?platform=`. Connect Shopify (the shop's address, the Admin API access token and the webhook
secret), WooCommerce (the site's address, the REST API consumer key and secret, the webhook
secret) or PrestaShop (the shop's address, the webservice key and the options its adapter reads;
polled: no webhooks) — secrets encrypted, never shown back —, see its health (last event, last
error, the latest events with a replay button, the write-backs that failed with a retry button
and those the platform cannot take) and start a backfill of the order history. Each action is a
`connectors.services` call, audited there (`connection.*`)."""

import re
import urllib.parse
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from retour.connectors import selectors, services
from retour.connectors.adapters.base import is_loopback, secure_url
from retour.connectors.adapters.prestashop import DELIVERED_STATES
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


class ConnectionForm(forms.Form):
    """A platform's connection form: its write-only secrets, and its options as the adapter
    reads them from `Connection.options`."""

    secrets: tuple[str, ...] = ()

    def credentials(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in self.secrets}

    def connection_options(self) -> dict:
        return {}

    @classmethod
    def initial_of(cls, options: dict) -> dict:
        return dict(options)


def _site_address(value: str, *, plain_http: str, example: str) -> str:
    """A site's address (`https://host[:port][/folder]`), without a trailing slash. Plain http
    is refused (the API key goes with every request) but to a loopback address."""
    address = value.strip()
    if "://" not in address:
        address = f"https://{address}"
    try:
        parts = urllib.parse.urlsplit(address)
        host = parts.hostname or ""
    except ValueError:
        raise forms.ValidationError(example) from None
    netloc = parts.netloc.lower()
    if (
        parts.scheme not in ("http", "https")
        or parts.query
        or parts.fragment
        or " " in parts.path
        or not (_HOST.match(netloc) or is_loopback(host))
    ):
        raise forms.ValidationError(example)
    if not secure_url(address):
        raise forms.ValidationError(plain_http)
    return f"{parts.scheme}://{netloc}{parts.path.rstrip('/')}"


class ShopifyForm(ConnectionForm):
    secrets = ("access_token", "webhook_secret")

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


class WooCommerceForm(ConnectionForm):
    secrets = ("consumer_key", "consumer_secret", "webhook_secret")

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
        return _site_address(
            self.cleaned_data["shop"],
            plain_http=_(
                "WooCommerce takes its API keys over HTTPS only: give an https:// address."
            ),
            example=_("Give the site's address, e.g. https://shop.example.com."),
        )


_WEBSERVICE_KEY = re.compile(r"^[A-Za-z0-9]{32}$")
_STATE_ID = re.compile(r"^0*[1-9][0-9]{0,9}$")
_TIME_ZONES = sorted(available_timezones())


class PrestaShopForm(ConnectionForm):
    secrets = ("webservice_key",)

    shop = forms.CharField(
        label=gettext_lazy("Shop address"),
        max_length=200,
        help_text=gettext_lazy(
            "Your shop's address, with its folder if it has one, e.g. https://shop.example.com."
        ),
    )
    webservice_key = secret_field(
        gettext_lazy("Webservice key"), help_text=_KEEP_SAVED, max_length=32
    )
    timezone = forms.ChoiceField(
        label=gettext_lazy("The shop's time zone"),
        choices=[(zone, zone) for zone in _TIME_ZONES],
        initial=settings.TIME_ZONE,
        help_text=gettext_lazy(
            "As set in International → Localization: PrestaShop gives its dates without one."
        ),
    )
    delivered_states = forms.CharField(
        label=gettext_lazy("Order statuses meaning delivered"),
        max_length=200,
        initial=", ".join(DELIVERED_STATES),
        help_text=gettext_lazy(
            "The ids of the statuses (Orders → Statuses) that mean the parcel reached the "
            "shopper, separated by commas; 5 is PrestaShop's “Delivered”. An order counts as "
            "shipped at its first status with “Set the order as shipped” ticked."
        ),
    )
    language_id = forms.IntegerField(
        label=gettext_lazy("Language of store credit vouchers"),
        min_value=1,
        initial=1,
        help_text=gettext_lazy(
            "The id of the language (International → Localization → Languages) the vouchers' "
            "name is written in."
        ),
    )
    credit_days = forms.IntegerField(
        label=gettext_lazy("Store credit vouchers valid for (days)"),
        min_value=1,
        max_value=3650,
        initial=365,
    )
    shop_id = forms.IntegerField(
        label=gettext_lazy("Shop id (multistore)"),
        required=False,
        min_value=1,
        help_text=gettext_lazy(
            "Only when PrestaShop runs several shops: the id of this store's shop (Advanced "
            "Parameters → Multistore). Only its orders are read, and restocks go to its stock; "
            "the webservice key must be allowed on it. Empty: the orders of every shop. After "
            "changing it, read the order history again."
        ),
    )

    def clean_shop(self) -> str:
        return _site_address(
            self.cleaned_data["shop"],
            plain_http=_("The webservice key goes with every request: give an https:// address."),
            example=_("Give the shop's address, e.g. https://shop.example.com."),
        )

    def clean_webservice_key(self) -> str:
        key = self.cleaned_data["webservice_key"].strip()
        if key and not _WEBSERVICE_KEY.match(key):
            raise forms.ValidationError(
                _("A webservice key is 32 letters and digits, as PrestaShop generates it.")
            )
        return key

    def clean_delivered_states(self) -> list[str]:
        states = [state.strip() for state in self.cleaned_data["delivered_states"].split(",")]
        if not all(_STATE_ID.match(state) for state in states):
            raise forms.ValidationError(_("Give status ids separated by commas, e.g. 5, 14."))
        return [str(state) for state in sorted({int(state) for state in states})]

    def connection_options(self) -> dict:
        data = self.cleaned_data
        options = {
            name: data[name]
            for name in ("timezone", "delivered_states", "language_id", "credit_days")
        }
        return options | ({"shop_id": data["shop_id"]} if data["shop_id"] else {})

    @classmethod
    def initial_of(cls, options: dict) -> dict:
        states = options.get("delivered_states")
        return {**options, **({"delivered_states": ", ".join(states)} if states else {})}


FORMS: dict[str, type[ConnectionForm]] = {
    Platform.SHOPIFY: ShopifyForm,
    Platform.WOOCOMMERCE: WooCommerceForm,
    Platform.PRESTASHOP: PrestaShopForm,
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


def _form(platform: str, connection: Connection | None, data=None) -> ConnectionForm:
    form_class = FORMS[platform]
    initial = (
        {"shop": connection.base_url, **form_class.initial_of(connection.options)}
        if connection
        else {}
    )
    return form_class(data, initial=initial)


def _connect(page: SettingsPage, platform: str, form: ConnectionForm) -> None:
    services.connect(
        store=page.store,
        platform=platform,
        base_url=form.cleaned_data["shop"],
        credentials=form.credentials(),
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
        "polled": platform in services.POLLED,
        "poll_minutes": settings.RETOUR_CONNECTORS["POLL_MINUTES"],
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
