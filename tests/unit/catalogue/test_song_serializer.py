"""The song shape clients see: written out by hand for speed, equal to DRF's own rendering."""

from __future__ import annotations

import pytest

from catalogue.models import Song
from catalogue.serializers import SongSerializer
from tests.unit.catalogue.factories import make_song

pytestmark = pytest.mark.django_db


def test_the_written_out_song_equals_drfs_rendering_of_the_declared_fields():
    plain = make_song("Plain", "Sid Sriram")
    full = make_song("Full", ["Earth, Wind & Fire", "Sid Sriram"], valence=0.8, energy=0.3)
    Song.objects.filter(pk=full.pk).update(
        spotify_id="4uLU6hMCjMI75M1A2tKUQC",
        tempo=121.5,
        mode=Song.Mode.MINOR,
        year=1999,
        album="An album",
        genre="funk",
        tags=["groovy", "live"],
        features="measured",
    )
    serializer = SongSerializer()
    for song in (plain, Song.objects.get(pk=full.pk)):
        assert serializer.to_representation(song) == serializer.generic_representation(song)
    shown = serializer.to_representation(Song.objects.get(pk=full.pk))
    assert shown["singers"] == ["Earth, Wind & Fire", "Sid Sriram"]
    assert shown["mode"] == "minor" and shown["embed_url"].endswith("/embed/track/4uLU6hMCjMI75M1A2tKUQC")
    assert set(shown) == set(SongSerializer.Meta.fields)
