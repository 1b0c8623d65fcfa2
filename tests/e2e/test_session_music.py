"""The live soundtrack in a real browser: FluidSynth (WebAssembly) plays the bars the
server writes for the face in the fake camera, without gaps and audibly; it can be kept.

E2E_MUSIC_SECONDS sets how long the music plays (default 30; bench/soundtrack_browser.py
runs the same steps for 10 minutes).
"""

from __future__ import annotations

import os
import time

import pytest
from playwright.sync_api import expect

from compositions.models import Composition
from tests.e2e.conftest import launch_chromium, new_page
from tests.e2e.pages import music_figures, sign_up, start_music, start_session_and_see_a_face

pytestmark = pytest.mark.e2e
SECONDS = float(os.environ.get("E2E_MUSIC_SECONDS", "30"))


def test_music_plays_every_bar_in_time_audibly_and_is_kept(
    playwright_driver, face_video, stack, console, shots
):
    browser = launch_chromium(playwright_driver, face_video)
    try:
        page = new_page(browser, stack, console)
        sign_up(page, "musiclover")
        start_session_and_see_a_face(page)
        start_music(page)
        expect(page.locator("#music-status")).to_contain_text("following your face")
        time.sleep(SECONDS)
        figures = music_figures(page)
        page.screenshot(path=shots / "music-playing.png", full_page=True)
        bars_expected = SECONDS / (4 * 60 / 140)  # no mood plays faster than 140 bpm
        assert figures["bars"] >= SECONDS / (4 * 60 / 60) * 0.8 and figures["bars"] <= bars_expected + 2
        assert figures["gaps"] == 0, figures  # every bar was queued before it started
        assert figures["min_lead_ms"] > 0, figures
        assert figures["peak_rms"] > 0.001, figures  # the AnalyserNode heard music
        expect(page.locator("#music-key")).not_to_have_text("–")
        expect(page.locator("#music-mood")).not_to_have_text("–")
        expect(page.locator("#music-instruments")).not_to_have_text("–")
        # another arrangement while playing: its parts (drums on channel 10) play on, gaplessly
        page.locator("#music-arrangement").select_option("beat")
        expect(page.locator("body")).to_have_attribute("data-music-arrangement", "beat", timeout=30_000)
        expect(page.locator("#music-instruments")).to_contain_text("drums")
        assert music_figures(page)["gaps"] == 0
        # synthesiser, worklet and SoundFont all came from our server (no CDN)
        loaded = page.evaluate("() => performance.getEntriesByType('resource').map((e) => e.name)")
        assert any(name.endswith("/music/soundfont.sf2") for name in loaded)
        assert all(name.startswith(stack.server.url) for name in loaded), loaded

        page.get_by_role("button", name="Save this soundtrack").click()
        link = page.locator("#music-save-status a")
        expect(link).to_be_visible(timeout=120_000)
        composition = Composition.objects.get(owner__username="musiclover")
        assert composition.source == "soundtrack" and composition.status == "ready"
        # what had played by then, rendered (the files are in the server's MEDIA_ROOT)
        assert composition.audio_file.name.endswith(".ogg") and composition.duration_seconds > SECONDS / 2
        link.click()
        expect(page.locator("h1")).to_contain_text(composition.title)
    finally:
        browser.close()
    console.assert_clean()
