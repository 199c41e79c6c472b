"""Orders and customers lose their plain index on `store`: every query filtering on the store
alone can use the unique (store, number) / (store, email) indexes, which lead with it, and each
plain index cost the bulk importer its maintenance on every row. Only the indexes are dropped
(the foreign keys are not re-created and re-validated, as `AlterField` would)."""

import django.db.models.deletion
from django.db import migrations, models

INDEXES = {
    "commerce_customer": "commerce_customer_store_id_2d9829e2",
    "commerce_order": "commerce_order_store_id_f48d4b4e",
}


class Migration(migrations.Migration):
    dependencies = [
        ("commerce", "0002_order_history_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name=model,
                    name="store",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name=related_name,
                        to="commerce.store",
                    ),
                )
                for model, related_name in (("customer", "customers"), ("order", "orders"))
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{index}"',
                    reverse_sql=f'CREATE INDEX "{index}" ON "{table}" ("store_id")',
                )
                for table, index in INDEXES.items()
            ],
        ),
    ]
