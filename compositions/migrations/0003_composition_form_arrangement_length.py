# Issue 13: the form, arrangement and asked-for length of a composition; pieces up to 128 bars.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('compositions', '0002_composition_mood_session'),
    ]

    operations = [
        migrations.AddField(
            model_name='composition',
            name='arrangement',
            field=models.CharField(blank=True, choices=[('piano', 'piano'), ('strings', 'strings'), ('acoustic', 'acoustic'), ('ambient', 'ambient'), ('beat', 'beat')], max_length=16),
        ),
        migrations.AddField(
            model_name='composition',
            name='form',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name='composition',
            name='length',
            field=models.CharField(blank=True, choices=[('30s', '30s'), ('1min', '1min'), ('2min', '2min'), ('3min', '3min')], max_length=8),
        ),
        migrations.RemoveConstraint(
            model_name='composition',
            name='composition_bars_range',
        ),
        migrations.AddConstraint(
            model_name='composition',
            constraint=models.CheckConstraint(condition=models.Q(('bars__gte', 1), ('bars__lte', 128)), name='composition_bars_range'),
        ),
    ]
