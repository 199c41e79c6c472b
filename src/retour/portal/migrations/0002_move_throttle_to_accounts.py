"""The look-up's throttle rows move to `accounts.Throttle` (one limiter for the portal and the
staff sign-in); `portal.Throttle` goes. The keys are digests of scope and identifier, and the
portal's scopes (`lookup-*`) differ from the sign-in's, so the rows copy over unchanged."""

from django.db import migrations


def move_rows(apps, schema_editor):
    old = apps.get_model("portal", "Throttle")
    new = apps.get_model("accounts", "Throttle")
    rows = [
        new(key=row.key, count=row.count, window_ends=row.window_ends)
        for row in old.objects.all().iterator()
    ]
    new.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_throttle_staffsecurity"),
        ("portal", "0001_initial"),
    ]

    operations = [
        # Backwards, the counters stay in `accounts.Throttle` (they only live for a window).
        migrations.RunPython(move_rows, migrations.RunPython.noop),
        migrations.DeleteModel(name="Throttle"),
    ]
