"""Settings: how the store refunds (trigger, gateway, fees, store credit, four eyes).

The form is built from the `RefundSettings` model, so a field added there shows here. Gateway
secrets are write-only: the page says whether one is set and offers to replace it.
"""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy

from retour.core.errors import DomainError
from retour.dashboard.views.settings import (
    SettingsPage,
    refused,
    saved,
    secret_field,
    secret_help,
    settings_page,
    show,
)
from retour.refunds.models import RefundSettings
from retour.refunds.services import SECRET_SETTINGS, update_refund_settings


class RefundSettingsForm(forms.ModelForm):
    stripe_api_base = forms.URLField(
        label=gettext_lazy("Stripe API address"), max_length=200, assume_scheme="https"
    )
    stripe_secret_key = secret_field(gettext_lazy("Stripe secret key"))
    stripe_webhook_secret = secret_field(gettext_lazy("Stripe webhook signing secret"))

    class Meta:
        model = RefundSettings
        # Every setting, including those added to the model later, belongs on this page.
        exclude = ["store"]  # noqa: DJ006

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SECRET_SETTINGS:
            self.fields[name].help_text = secret_help(self.instance.has_secret(name))
            self.initial[name] = ""

    def split(self) -> tuple[dict, dict]:
        values = {k: v for k, v in self.cleaned_data.items() if k not in SECRET_SETTINGS}
        secrets = {k: self.cleaned_data[k].strip() for k in SECRET_SETTINGS}
        return values, secrets


@settings_page("refunds")
def refunds(request: HttpRequest, page: SettingsPage) -> HttpResponse:
    current = RefundSettings.for_store(page.store.pk)
    form = RefundSettingsForm(instance=current)
    if request.method == "POST":
        # The form only reads and cleans the input; the service checks and writes.
        form = RefundSettingsForm(request.POST, instance=RefundSettings.for_store(page.store.pk))
        if form.is_valid():
            values, secrets = form.split()
            try:
                update_refund_settings(
                    store_id=page.store.pk, values=values, secrets=secrets, actor=page.actor
                )
            except DomainError as error:
                refused(form, error)
            else:
                return saved(request, page)
    return show(request, page, "dashboard/settings/refunds.html", {"form": form})
