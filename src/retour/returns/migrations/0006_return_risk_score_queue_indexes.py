"""The risk score of a return's decision in its own column (the staff queue filters on it with an
index), backfilled from the stored decisions; and the queue's "waiting longest" index per status.

Not atomic: the backfill commits batch by batch, so a large table is never locked whole. It only
fills rows still empty, so running it again after an interruption finishes the job. On
PostgreSQL, run `VACUUM (ANALYZE) returns_return` afterwards: the queue's counts are index-only
scans, and they stay so only while the visibility map is fresh.
"""

from django.db import migrations, models
from django.db.models import IntegerField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

BATCH = 50_000


def copy_risk_scores(apps, schema_editor):
    Return = apps.get_model("returns", "Return")
    rows = Return.objects.using(schema_editor.connection.alias)
    last = rows.order_by("-pk").values_list("pk", flat=True).first() or 0
    for start in range(0, last + 1, BATCH):
        rows.filter(
            pk__gte=start,
            pk__lt=start + BATCH,
            risk_score__isnull=True,
            decision__risk__score__isnull=False,
        ).update(risk_score=Cast(KT("decision__risk__score"), IntegerField()))


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("commerce", "0002_order_history_indexes"),
        ("policy", "0001_initial"),
        ("returns", "0005_withdrawal"),
    ]

    operations = [
        migrations.AddField(
            model_name="return",
            name="risk_score",
            field=models.PositiveSmallIntegerField(
                blank=True, editable=False, null=True, verbose_name="risk score"
            ),
        ),
        migrations.RunPython(copy_risk_scores, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="return",
            index=models.Index(
                fields=["store", "status", "status_changed_at", "id"],
                name="return_store_status_wait_id",
            ),
        ),
        migrations.AddIndex(
            model_name="return",
            index=models.Index(fields=["store", "risk_score"], name="return_store_risk"),
        ),
    ]
