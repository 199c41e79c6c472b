from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("logistics", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="shipment",
            name="resumable",
            field=models.BooleanField(default=False),
        ),
    ]
