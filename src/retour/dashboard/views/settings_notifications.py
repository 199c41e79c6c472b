"""Settings: the shopper e-mails (the store's Jinja2 templates, FR/EN, with a preview) and the
webhooks (endpoints, their delivery log, manual replay)."""

from django import forms
from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from retour.core.errors import DomainError
from retour.dashboard.views.settings import SettingsPage, refused, saved, settings_page, show
from retour.notifications import emails, services
from retour.notifications.choices import Channel
from retour.notifications.models import Delivery, DeliveryAttempt, EmailTemplate, WebhookEndpoint

DELIVERY_LOG_SIZE = 50


@settings_page("emails")
def email_templates(request: HttpRequest, page: SettingsPage) -> HttpResponse:
    custom = set(
        EmailTemplate.objects.filter(store=page.store).values_list("event_type", "language")
    )
    rows = [
        (event, [(language, (event, language) in custom) for language in emails.LANGUAGES])
        for event in emails.EMAIL_EVENTS
    ]
    return show(request, page, "dashboard/settings/emails.html", {"rows": rows})


class EmailTemplateForm(forms.Form):
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=300)
    text = forms.CharField(
        label=gettext_lazy("Plain-text body"), widget=forms.Textarea(attrs={"rows": 10})
    )
    html = forms.CharField(
        label=gettext_lazy("HTML body"), widget=forms.Textarea(attrs={"rows": 14})
    )


@settings_page("emails")
def email_template(
    request: HttpRequest, page: SettingsPage, event: str, language: str
) -> HttpResponse:
    if event not in emails.EMAIL_EVENTS or language not in emails.LANGUAGES:
        raise Http404
    form = EmailTemplateForm(initial=emails.template_sources(page.store, event, language))
    preview = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "reset":
            services.reset_email_template(
                store=page.store, event_type=event, language=language, actor=page.actor
            )
            messages.success(request, _("The default e-mail is back."))
            return redirect(
                "dashboard:settings-email", store=page.store.slug, event=event, language=language
            )
        form = EmailTemplateForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if action == "preview":
                    preview = services.preview_email(
                        store=page.store,
                        event_type=event,
                        language=language,
                        subject=data["subject"],
                        body_text=data["text"],
                        body_html=data["html"],
                    )
                else:
                    services.save_email_template(
                        store=page.store,
                        event_type=event,
                        language=language,
                        subject=data["subject"],
                        body_text=data["text"],
                        body_html=data["html"],
                        actor=page.actor,
                    )
                    return saved(request, page)
            except DomainError as error:
                refused(form, error)
    elif request.GET.get("preview"):
        preview = services.preview_email(store=page.store, event_type=event, language=language)
    context = {"form": form, "event": event, "language": language, "preview": preview}
    return show(request, page, "dashboard/settings/email.html", context)


class EndpointForm(forms.Form):
    url = forms.URLField(label=gettext_lazy("URL"), max_length=500, assume_scheme="https")
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200, required=False)
    events = forms.CharField(
        label=gettext_lazy("Events"),
        required=False,
        help_text=gettext_lazy(
            "Comma-separated event types, e.g. return.approved; empty: every event."
        ),
    )


@settings_page("webhooks")
def webhooks(request: HttpRequest, page: SettingsPage) -> HttpResponse:
    form = EndpointForm()
    if request.method == "POST":
        form = EndpointForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            events = [e.strip() for e in data["events"].split(",") if e.strip()]
            try:
                created = services.create_endpoint(
                    store=page.store,
                    url=data["url"],
                    events=events,
                    description=data["description"],
                    actor=page.actor,
                )
            except DomainError as error:
                refused(form, error)
            else:
                messages.warning(
                    request,
                    _("Signing secret of %(url)s, shown only now: %(secret)s")
                    % {"url": created.endpoint.url, "secret": created.secret},
                )
                return saved(request, page, _("Webhook endpoint added."))
    endpoints = list(WebhookEndpoint.objects.filter(store=page.store).order_by("id"))
    deliveries = list(
        Delivery.objects.filter(store=page.store, channel=Channel.WEBHOOK)
        .select_related("event", "endpoint")
        .prefetch_related(Prefetch("log", queryset=DeliveryAttempt.objects.order_by("number")))
        .order_by("-created_at", "-id")[:DELIVERY_LOG_SIZE]
    )
    context = {"form": form, "endpoints": endpoints, "deliveries": deliveries}
    return show(request, page, "dashboard/settings/webhooks.html", context)


@require_POST
@settings_page("webhooks")
def enable_endpoint(request: HttpRequest, page: SettingsPage, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(
        WebhookEndpoint.objects.select_related("store"), store=page.store, pk=endpoint_id
    )
    services.enable_endpoint(endpoint=endpoint, actor=page.actor)
    return saved(request, page, _("Webhook endpoint enabled."))


@require_POST
@settings_page("webhooks")
def replay_delivery(request: HttpRequest, page: SettingsPage, delivery_id: int) -> HttpResponse:
    delivery = get_object_or_404(
        Delivery.objects.select_related("store"),
        store=page.store,
        channel=Channel.WEBHOOK,
        pk=delivery_id,
    )
    try:
        services.replay_delivery(delivery=delivery, actor=page.actor)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("dashboard:settings-webhooks", store=page.store.slug)
    return saved(request, page, _("The delivery will be sent again."))
