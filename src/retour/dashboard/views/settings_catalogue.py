"""Settings: the store's catalogue of return reasons (FR/EN labels, sub-reasons, order, on/off)."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from retour.core.errors import DomainError
from retour.dashboard.views.settings import SettingsPage, refused, saved, settings_page, show
from retour.returns import services
from retour.returns.models import ReturnReason


class ReasonForm(forms.Form):
    code = forms.SlugField(
        label=gettext_lazy("Code"),
        max_length=60,
        help_text=gettext_lazy("Used by policy rules and the API; cannot change later."),
    )
    label_en = forms.CharField(label=gettext_lazy("Label (English)"), max_length=200)
    label_fr = forms.CharField(label=gettext_lazy("Label (French)"), max_length=200)
    parent = forms.TypedChoiceField(
        label=gettext_lazy("Sub-reason of"), required=False, coerce=int, empty_value=None
    )
    merchant_fault = forms.BooleanField(
        label=gettext_lazy("The merchant's fault (free return shipping)"), required=False
    )
    requires_comment = forms.BooleanField(label=gettext_lazy("Comment required"), required=False)
    requires_photo = forms.BooleanField(label=gettext_lazy("Photo required"), required=False)

    def __init__(self, *args, parents: list[ReturnReason], editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = [("", _("None: a main reason"))] + [
            (reason.pk, f"{reason.label()} ({reason.code})") for reason in parents
        ]
        if editing:
            self.fields["code"].disabled = True

    def data_for_service(self) -> services.ReasonInput:
        data = self.cleaned_data
        return services.ReasonInput(
            code=data["code"],
            label_en=data["label_en"],
            label_fr=data["label_fr"],
            parent_id=data["parent"],
            merchant_fault=data["merchant_fault"],
            requires_comment=data["requires_comment"],
            requires_photo=data["requires_photo"],
        )


def _catalogue(store_id: int) -> tuple[list[ReturnReason], list[ReturnReason]]:
    """Main reasons with their sub-reasons listed under each (one query), and the main ones."""
    every = list(ReturnReason.objects.filter(store_id=store_id).order_by("position", "id"))
    parents = [reason for reason in every if reason.parent_id is None]
    children: dict[int, list[ReturnReason]] = {}
    for reason in every:
        if reason.parent_id is not None:
            children.setdefault(reason.parent_id, []).append(reason)
    rows = []
    for parent in parents:
        rows.append(parent)
        rows.extend(children.get(parent.pk, []))
    return rows, parents


def _form_page(request: HttpRequest, page: SettingsPage, reason: ReturnReason | None):
    rows, parents = _catalogue(page.store.pk)
    initial = {}
    if reason is not None:
        initial = {
            "code": reason.code,
            "label_en": reason.labels.get("en", ""),
            "label_fr": reason.labels.get("fr", ""),
            "parent": reason.parent_id,
            "merchant_fault": reason.merchant_fault,
            "requires_comment": reason.requires_comment,
            "requires_photo": reason.requires_photo,
        }
    choices = [parent for parent in parents if reason is None or parent.pk != reason.pk]
    editing = reason is not None
    form = ReasonForm(initial=initial, parents=choices, editing=editing)
    if request.method == "POST":
        form = ReasonForm(request.POST, initial=initial, parents=choices, editing=editing)
        if form.is_valid():
            try:
                services.save_reason(
                    store=page.store,
                    data=form.data_for_service(),
                    actor=page.actor,
                    reason=reason,
                )
            except DomainError as error:
                refused(form, error)
            else:
                return saved(request, page)
    context = {"form": form, "reason": reason, "rows": rows}
    return show(request, page, "dashboard/settings/reasons.html", context)


@settings_page("reasons")
def reasons(request: HttpRequest, page: SettingsPage) -> HttpResponse:
    return _form_page(request, page, None)


@settings_page("reasons")
def reason(request: HttpRequest, page: SettingsPage, reason_id: int) -> HttpResponse:
    found = get_object_or_404(ReturnReason, store=page.store, pk=reason_id)
    return _form_page(request, page, found)


@require_POST
@settings_page("reasons")
def reason_action(request: HttpRequest, page: SettingsPage, reason_id: int) -> HttpResponse:
    """Up, down, activate or deactivate one reason."""
    found = get_object_or_404(
        ReturnReason.objects.select_related("store"), store=page.store, pk=reason_id
    )
    action = request.POST.get("action")
    if action in ("up", "down"):
        services.move_reason(reason=found, up=action == "up", actor=page.actor)
    elif action in ("activate", "deactivate"):
        services.set_reason_active(reason=found, active=action == "activate", actor=page.actor)
    return saved(request, page)
