"""Stripe's secret key and webhook secret move from clear columns to encrypted ones
(`refunds.crypto`): each stored value is encrypted, then the clear columns are dropped."""

from django.db import migrations, models

from retour.refunds.crypto import decrypt_secret, encrypt_secret

SECRETS = ("stripe_secret_key", "stripe_webhook_secret")


def encrypt_stored(apps, schema_editor):
    RefundSettings = apps.get_model("refunds", "RefundSettings")
    for settings in RefundSettings.objects.all():
        for name in SECRETS:
            setattr(settings, f"{name}_encrypted", encrypt_secret(getattr(settings, name)))
        settings.save(update_fields=[f"{name}_encrypted" for name in SECRETS])


def decrypt_stored(apps, schema_editor):
    RefundSettings = apps.get_model("refunds", "RefundSettings")
    for settings in RefundSettings.objects.all():
        for name in SECRETS:
            setattr(settings, name, decrypt_secret(getattr(settings, f"{name}_encrypted")))
        settings.save(update_fields=list(SECRETS))


class Migration(migrations.Migration):
    dependencies = [
        ("refunds", "0003_gateway_platform"),
    ]

    operations = [
        migrations.AddField(
            model_name="refundsettings",
            name="stripe_secret_key_encrypted",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="refundsettings",
            name="stripe_webhook_secret_encrypted",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.RunPython(encrypt_stored, decrypt_stored),
        migrations.RemoveField(model_name="refundsettings", name="stripe_secret_key"),
        migrations.RemoveField(model_name="refundsettings", name="stripe_webhook_secret"),
    ]
