"""The page's synthesiser gets its General MIDI SoundFont from our server (no CDN)."""

from __future__ import annotations

from django.urls import reverse


def test_the_soundfont_is_served_from_the_system_package_and_cached(client, settings):
    response = client.get(reverse("frontend:soundfont"))
    body = b"".join(response.streaming_content)
    assert response.status_code == 200 and body[:4] == b"RIFF" and body[8:12] == b"sfbk"
    assert "max-age=86400" in response["Cache-Control"]


def test_a_server_without_a_soundfont_says_so(client, settings, tmp_path):
    settings.SOUNDFONT_PATH = str(tmp_path / "missing.sf2")
    response = client.get(reverse("frontend:soundfont"))
    assert response.status_code == 404


def test_the_session_page_offers_the_music_card_with_our_own_files(client, django_user_model):
    user = django_user_model.objects.create_user("player", "player@example.com", "a-long-password-42")
    client.force_login(user)
    page = client.get(reverse("frontend:session")).content.decode()
    assert 'id="music-toggle"' in page and "Turn music on" in page
    assert "/music/soundfont.sf2" in page and "vendor/js-synthesizer/libfluidsynth-2.4.6.js" in page
    for name in ("mood", "piano", "strings"):
        assert f'<option value="{name}"' in page
