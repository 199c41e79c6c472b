"""Settings: carrier accounts (secrets encrypted at rest, write-only here), warehouses and the
routing rules that send each return to a warehouse with a carrier."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy

from retour.commerce.models import Warehouse
from retour.core.errors import DomainError
from retour.dashboard.views.settings import (
    SettingsPage,
    refused,
    saved,
    secret_field,
    settings_page,
    show,
)
from retour.logistics import services
from retour.logistics.choices import CarrierKind, RoutingStrategy
from retour.logistics.models import CarrierAccount, RoutingRule

SECRET_LABELS = {
    "api_key": gettext_lazy("API key (EasyPost)"),
    "webhook_secret": gettext_lazy("Webhook secret (EasyPost)"),
    "public_key": gettext_lazy("Public key (Sendcloud)"),
    "secret_key": gettext_lazy("Secret key (Sendcloud)"),
    "webhook_key": gettext_lazy("Webhook signing key (Sendcloud)"),
}


class CarrierForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Carrier"), choices=CarrierKind.choices)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args, account: CarrierAccount | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        stored = account.credentials if account is not None else {}
        keys = services.CREDENTIAL_FIELDS[account.kind] if account else list(SECRET_LABELS)
        for key in keys:
            self.fields[key] = secret_field(SECRET_LABELS[key], stored=bool(stored.get(key)))
        if account is not None:
            self.fields["kind"].disabled = True

    def secrets(self) -> dict[str, str]:
        return {key: self.cleaned_data[key] for key in SECRET_LABELS if key in self.cleaned_data}


def _list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


class RoutingRuleForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    position = forms.IntegerField(
        label=gettext_lazy("Order (lowest first)"), min_value=0, max_value=32000, initial=0
    )
    country = forms.CharField(
        label=gettext_lazy("Shopper's countries"),
        required=False,
        help_text=gettext_lazy("Comma-separated, e.g. FR, BE; empty: any."),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason codes"),
        required=False,
        help_text=gettext_lazy("Comma-separated; empty: any."),
    )
    category = forms.CharField(
        label=gettext_lazy("Product categories"),
        required=False,
        help_text=gettext_lazy("Comma-separated prefixes, e.g. apparel/; empty: any."),
    )
    method = forms.CharField(
        label=gettext_lazy("Return methods"),
        required=False,
        help_text=gettext_lazy("Comma-separated, e.g. drop_off, pickup; empty: any."),
    )
    account = forms.TypedChoiceField(
        label=gettext_lazy("Carrier account"), required=False, coerce=int, empty_value=None
    )
    warehouse = forms.TypedChoiceField(
        label=gettext_lazy("Warehouse"), required=False, coerce=int, empty_value=None
    )
    strategy = forms.ChoiceField(label=gettext_lazy("Service"), choices=RoutingStrategy.choices)
    service = forms.CharField(
        label=gettext_lazy("Carrier service code"), required=False, max_length=100
    )
    active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args, accounts, warehouses, **kwargs):
        super().__init__(*args, **kwargs)
        default = [("", gettext_lazy("The store's default"))]
        self.fields["account"].choices = default + [(a.pk, a.name) for a in accounts]
        self.fields["warehouse"].choices = default + [(w.pk, w.name) for w in warehouses]

    @staticmethod
    def initial_for(rule: RoutingRule) -> dict:
        conditions = {
            key: ", ".join(rule.conditions.get(key, [])) for key in services.ROUTING_CONDITIONS
        }
        return {
            "name": rule.name,
            "position": rule.position,
            "account": rule.account_id,
            "warehouse": rule.warehouse_id,
            "strategy": rule.strategy,
            "service": rule.service,
            "active": rule.active,
            **conditions,
        }

    def data_for_service(self) -> services.RoutingRuleInput:
        data = self.cleaned_data
        return services.RoutingRuleInput(
            name=data["name"],
            position=data["position"],
            conditions={key: _list(data[key]) for key in services.ROUTING_CONDITIONS},
            account_id=data["account"],
            warehouse_id=data["warehouse"],
            strategy=data["strategy"],
            service=data["service"],
            active=data["active"],
        )


def _page(request, page: SettingsPage, carrier_form, rule_form, **context) -> HttpResponse:
    store_id = page.store.pk
    context = {
        "accounts": list(CarrierAccount.objects.filter(store_id=store_id).order_by("name")),
        "warehouses": list(Warehouse.objects.filter(store_id=store_id).order_by("code")),
        "rules": list(
            RoutingRule.objects.filter(store_id=store_id)
            .select_related("account", "warehouse")
            .order_by("position", "id")
        ),
        "carrier_form": carrier_form,
        "rule_form": rule_form,
        **context,
    }
    for account in context["accounts"]:
        stored = account.credentials
        account.secrets = [
            (SECRET_LABELS[key], bool(stored.get(key)))
            for key in services.CREDENTIAL_FIELDS[account.kind]
        ]
    return show(request, page, "dashboard/settings/carriers.html", context)


def _rule_form(page: SettingsPage, *args, **kwargs) -> RoutingRuleForm:
    return RoutingRuleForm(
        *args,
        accounts=CarrierAccount.objects.filter(store=page.store).order_by("name"),
        warehouses=Warehouse.objects.filter(store=page.store).order_by("code"),
        **kwargs,
    )


@settings_page("carriers")
def carriers(request: HttpRequest, page: SettingsPage) -> HttpResponse:
    carrier_form = CarrierForm(prefix="carrier")
    rule_form = _rule_form(page, prefix="rule")
    if request.method == "POST" and request.POST.get("form") == "carrier":
        carrier_form = CarrierForm(request.POST, prefix="carrier")
        if carrier_form.is_valid():
            data = carrier_form.cleaned_data
            try:
                services.save_carrier_account(
                    store=page.store,
                    kind=data["kind"],
                    name=data["name"],
                    active=data["active"],
                    secrets=carrier_form.secrets(),
                    actor=page.actor,
                )
            except DomainError as error:
                refused(carrier_form, error)
            else:
                return saved(request, page)
    elif request.method == "POST":
        rule_form = _rule_form(page, request.POST, prefix="rule")
        if rule_form.is_valid():
            try:
                services.save_routing_rule(
                    store=page.store, data=rule_form.data_for_service(), actor=page.actor
                )
            except DomainError as error:
                refused(rule_form, error)
            else:
                return saved(request, page)
    return _page(request, page, carrier_form, rule_form)


@settings_page("carriers")
def carrier(request: HttpRequest, page: SettingsPage, account_id: int) -> HttpResponse:
    account = get_object_or_404(CarrierAccount, store=page.store, pk=account_id)
    initial = {"kind": account.kind, "name": account.name, "active": account.active}
    form = CarrierForm(initial=initial, account=account)
    if request.method == "POST":
        form = CarrierForm(request.POST, initial=initial, account=account)
        if form.is_valid():
            try:
                services.save_carrier_account(
                    store=page.store,
                    kind=account.kind,
                    name=form.cleaned_data["name"],
                    active=form.cleaned_data["active"],
                    secrets=form.secrets(),
                    actor=page.actor,
                    account=account,
                )
            except DomainError as error:
                refused(form, error)
            else:
                return saved(request, page)
    return show(
        request, page, "dashboard/settings/carrier.html", {"form": form, "account": account}
    )


@settings_page("carriers")
def routing_rule(request: HttpRequest, page: SettingsPage, rule_id: int) -> HttpResponse:
    rule = get_object_or_404(RoutingRule, store=page.store, pk=rule_id)
    form = _rule_form(page, initial=RoutingRuleForm.initial_for(rule))
    if request.method == "POST":
        form = _rule_form(page, request.POST)
        if form.is_valid():
            try:
                services.save_routing_rule(
                    store=page.store, data=form.data_for_service(), actor=page.actor, rule=rule
                )
            except DomainError as error:
                refused(form, error)
            else:
                return saved(request, page)
    return show(request, page, "dashboard/settings/routing_rule.html", {"form": form, "rule": rule})
