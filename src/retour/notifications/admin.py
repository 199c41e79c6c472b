"""Staff views of the outbox, deliveries (with manual replay), endpoints and templates."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from retour.core.actors import Actor
from retour.core.errors import InvalidRequest
from retour.notifications import services
from retour.notifications.models import Delivery, DeliveryAttempt, EmailTemplate, WebhookEndpoint


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = [
        "number",
        "started_at",
        "duration_ms",
        "ok",
        "status_code",
        "error",
        "response",
    ]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["event", "channel", "recipient", "status", "attempts", "next_attempt_at"]
    list_filter = ["channel", "status"]
    readonly_fields = [field.name for field in Delivery._meta.fields]
    inlines = [AttemptInline]
    actions = ["replay"]

    @admin.action(description=_("Send again"))
    def replay(self, request, queryset):
        for delivery in queryset:
            try:
                services.replay_delivery(delivery=delivery, actor=Actor.staff(request.user))
            except InvalidRequest as exc:
                self.message_user(request, f"{delivery}: {exc}", messages.WARNING)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "store", "consecutive_failures", "disabled_at"]
    readonly_fields = ["masked_secret", "consecutive_failures", "disabled_at", "disabled_reason"]
    exclude = ["secret"]

    def save_model(self, request, obj, form, change):
        if not obj.secret:  # created here: give it a secret (shown masked; rotate by recreating)
            import secrets

            obj.secret = f"whsec_{secrets.token_urlsafe(32)}"
        super().save_model(request, obj, form, change)


@admin.register(EmailTemplate)
class EmailTemplateAdmin(admin.ModelAdmin):
    list_display = ["store", "event_type", "language", "updated_at"]
    list_filter = ["language", "event_type"]
