"""Keep the covering indexes of 0002 in the database, but not in the model state.

0002 created the prefilter indexes with INCLUDE (id, singers_key): a covering index on
PostgreSQL (index-only scans for the recommender), a plain one on SQLite, which ignores
INCLUDE. Declared in the model, `include` makes Django warn (models.W040) on every
SQLite `migrate`, so the model now declares plain indexes with the same names and this
migration changes only the state; the database keeps what 0002 built.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0002_covering_mood_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="song", name="song_lang_mood_cover"),
                migrations.RemoveIndex(model_name="song", name="song_mood_cover"),
                migrations.AddIndex(
                    model_name="song",
                    index=models.Index(fields=["language", "valence", "energy"], name="song_lang_mood_cover"),
                ),
                migrations.AddIndex(
                    model_name="song",
                    index=models.Index(fields=["valence", "energy"], name="song_mood_cover"),
                ),
            ],
            database_operations=[],
        ),
    ]
