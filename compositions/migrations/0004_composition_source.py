from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("compositions", "0003_composition_form_arrangement_length"),
    ]

    operations = [
        migrations.AddField(
            model_name="composition",
            name="source",
            field=models.CharField(
                choices=[("composed", "Composed"), ("soundtrack", "Live soundtrack")], default="composed", max_length=12
            ),
        ),
        migrations.RemoveConstraint(model_name="composition", name="composition_bars_range"),
        migrations.AddConstraint(
            model_name="composition",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("bars__gte", 1), models.Q(("bars__lte", 128), ("source", "soundtrack"), _connector="OR")
                ),
                name="composition_bars_range",
            ),
        ),
    ]
