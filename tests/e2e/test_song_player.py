"""A recommended song plays in the page: Spotify's embed frame with the song's track id.

The frame itself needs the internet (the test machine has none), so the test asserts the
element and its URL, then plays the part of the player: Spotify's embed reports playback
to its parent window with a "playback_update" message, which is what makes the page
record the listening event "play".
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from catalogue.models import ListeningEvent
from tests.e2e.conftest import launch_chromium, new_page
from tests.e2e.pages import sign_up
from tests.unit.catalogue.factories import make_grid, make_song

pytestmark = pytest.mark.e2e

TRACK = "3n3Ppam7vgaVa1iaRUc9Lp"


def test_recommended_song_plays_in_a_spotify_embed(playwright_driver, face_video, stack, console, shots):
    make_grid(languages=("en",))
    make_song("Mr. Brightside", "The Killers", language="en", valence=0.75, energy=0.3, spotify_id=TRACK)
    # No internet here: the frame's own requests fail, and that is not the page's fault.
    console.allow(re.compile(r"open\.spotify\.com|spotifycdn|scdn\.co"))
    browser = launch_chromium(playwright_driver, face_video)
    try:
        page = new_page(browser, stack, console)
        sign_up(page, "ravi")
        page.goto("/catalogue/?mood=calm")
        song = page.locator("li.song", has_text="Mr. Brightside")
        expect(song).to_have_count(1)
        expect(song.locator("a.listen")).to_have_count(0)  # no YouTube search for it
        song.get_by_role("button", name="Play here").click()
        frame = song.locator("iframe.spotify-embed")
        expect(frame).to_have_attribute("src", f"https://open.spotify.com/embed/track/{TRACK}")
        expect(frame).to_have_attribute("title", re.compile("Mr. Brightside"))
        page.screenshot(path=shots / "01-player.png", full_page=True)

        user = User.objects.get(username="ravi")
        assert not ListeningEvent.objects.filter(user=user).exists()  # opening is not playing
        report = """(frame, origin) => window.dispatchEvent(new MessageEvent("message", {
                 origin, source: frame.contentWindow,
                 data: {type: "playback_update", payload: {isPaused: false, isBuffering: false}},
               }))"""
        # The same message from another origin is not the player: nothing is recorded.
        frame.evaluate(report, "https://evil.example")
        page.wait_for_timeout(500)
        expect(song).not_to_have_attribute("data-played", "true")
        frame.evaluate(report, "https://open.spotify.com")
        expect(song).to_have_attribute("data-played", "true")
        events = ListeningEvent.objects.filter(user=user)
        assert list(events.values_list("kind", "song__spotify_id")) == [("play", TRACK)]
        console.assert_clean()
    finally:
        browser.close()
