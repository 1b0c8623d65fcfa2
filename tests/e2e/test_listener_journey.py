"""One listener's whole visit in a real browser, against the real servers:

sign up → preferences → live session (an emotion appears) → recommendations (like one)
→ stop → compose for the mood → progress reaches ready → play the audio → find it in
the library → mood history chart → API docs. Screenshots of every page.
"""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.e2e.conftest import launch_chromium, new_page
from tests.e2e.pages import emotion_percent, nav, sign_up, start_session_and_see_a_face

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1200)]

# Generating and rendering on a CPU that other jobs share: minutes, not seconds.
COMPOSE_MS = 300_000


def test_listener_journey(playwright_driver, face_video, stack, console, shots):
    call_command("load_catalogue", verbosity=0)
    stack.start_worker()
    browser = launch_chromium(playwright_driver, face_video)
    try:
        page = new_page(browser, stack, console)

        page.goto("/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Music that meets your mood")
        page.screenshot(path=shots / "01-landing.png", full_page=True)

        sign_up(page, "meera")
        page.get_by_label("Telugu").check()
        page.get_by_label("Hindi").check()
        page.get_by_label("English").check()
        page.get_by_label("Favourite singers").fill("Sid Sriram\nArijit Singh")
        page.screenshot(path=shots / "02-preferences.png", full_page=True)
        page.get_by_role("button", name="Save preferences").click()
        expect(page.get_by_role("status").first).to_contain_text("Preferences saved")

        # Live session: the fake camera shows a smiling face.
        nav(page, "Live session").click()
        start_session_and_see_a_face(page)
        expect(page.locator("#mood-label")).to_have_text("happy")
        assert emotion_percent(page, "happy") > 50
        page.screenshot(path=shots / "03-session-live.png", full_page=True)

        # Songs for this mood, each with its reason; like the first.
        page.get_by_role("button", name="Recommend songs").click()
        songs = page.locator("#recommendations li.song")
        expect(songs.first).to_be_visible(timeout=30_000)
        expect(songs.first.locator(".song-reason")).not_to_be_empty()
        songs.first.get_by_role("button", name=re.compile("^Like")).click()
        expect(songs.first.get_by_role("button", name=re.compile("^Like"))).to_have_attribute(
            "aria-pressed", "true"
        )
        page.screenshot(path=shots / "04-session-recommendations.png", full_page=True)

        page.get_by_role("button", name="Stop").click()
        expect(page.locator("#session-summary")).to_contain_text(
            "Session saved: mostly happy", timeout=30_000
        )

        # Compose a minute of music for this mood and watch the job until it is ready.
        page.locator("#compose-form").get_by_label("Length").select_option("1min")
        page.get_by_role("button", name="Compose for this mood").click()
        job = page.locator("#session-compositions [data-composition-id]")
        expect(job).to_have_count(1, timeout=30_000)
        title = job.locator("a").first.inner_text()
        page.screenshot(path=shots / "05-composing.png", full_page=True)
        expect(job).to_have_attribute("data-status", "ready", timeout=COMPOSE_MS)
        expect(job.locator("[data-stage-label]")).to_have_text("Ready")
        audio = job.locator("audio")
        expect(audio).to_be_visible()
        duration = audio.evaluate(
            """(el) => new Promise((resolve, reject) => {
                 if (el.readyState >= 1) return resolve(el.duration);
                 el.addEventListener("loadedmetadata", () => resolve(el.duration), { once: true });
                 const fail = () => reject(new Error("audio error " + (el.error && el.error.code)));
                 el.addEventListener("error", fail, { once: true });
               })"""
        )
        # a minute, plus the slower ending, the held last chord and the release tail
        assert 57 <= duration <= 66, duration
        audio.evaluate("(el) => { el.muted = true; return el.play(); }")
        expect(audio).to_have_js_property("paused", False)
        page.screenshot(path=shots / "06-composed.png", full_page=True)

        # The library has it, with its player and piano roll.
        nav(page, "Library").click()
        card = page.locator("[data-composition-id]", has_text=title)
        expect(card).to_have_attribute("data-status", "ready")
        expect(card.locator("audio")).to_have_count(1)
        expect(card.locator("img.piano-roll")).to_have_js_property("complete", True)
        assert card.locator("img.piano-roll").evaluate("(img) => img.naturalWidth") > 0
        page.screenshot(path=shots / "07-library.png", full_page=True)
        card.get_by_role("link", name=title).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(title)
        page.screenshot(path=shots / "08-composition-detail.png", full_page=True)

        # Composing from the library's form: the job's page shows live progress and
        # turns into the player when the job is ready.
        nav(page, "Library").click()
        page.get_by_role("link", name="Compose something new").click()
        page.get_by_label("Mood").select_option("calm")
        page.get_by_label("Length").select_option("")  # a number of bars
        page.get_by_label("Bars").fill("4")
        page.get_by_label("Title").fill("Evening calm")
        page.get_by_role("button", name="Compose").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Evening calm")
        page.screenshot(path=shots / "08b-composition-in-progress.png", full_page=True)
        expect(page.locator("main audio")).to_be_visible(timeout=COMPOSE_MS)
        expect(page.locator("img.piano-roll")).to_be_visible()

        # Mood history: the session just saved is on the chart.
        nav(page, "Mood history").click()
        chart = page.locator("main img[src*='chart']")
        expect(chart).to_be_visible(timeout=30_000)
        expect(chart).to_have_js_property("complete", True)
        assert chart.evaluate("(img) => img.naturalWidth") > 0
        expect(page.locator("main")).to_contain_text("happy")
        page.screenshot(path=shots / "09-mood-history.png", full_page=True)

        # The catalogue's own recommendations page, for the mood of the latest session.
        nav(page, "Recommendations").click()
        songs = page.locator("main li.song")
        expect(songs.first).to_be_visible()
        # Like and skip right there, without the page reloading under the reader.
        address = page.url
        songs.nth(0).get_by_role("button", name="Like").click()
        expect(songs.nth(0).get_by_role("button", name="Liked")).to_be_disabled()
        songs.nth(1).get_by_role("button", name="Skip").click()
        expect(songs.nth(1)).to_have_class(re.compile(r"\bskipped\b"))
        assert page.url == address
        page.screenshot(path=shots / "10-recommendations-page.png", full_page=True)
        page.get_by_role("link", name="Listening history").click()
        expect(page.locator("#history-table tr[data-kind='like']")).to_have_count(2)  # session page + here
        expect(page.locator("#history-table tr[data-kind='skip']")).to_have_count(1)
        page.screenshot(path=shots / "10b-listening-history.png", full_page=True)

        nav(page, "API docs").click()
        expect(page.locator(".swagger-ui .info .title")).to_contain_text(
            "Emotional Echoes API", timeout=30_000
        )
        page.screenshot(path=shots / "11-api-docs.png")

        # The same session page on a phone-sized screen.
        phone = new_page(browser, stack, console, storage_state=page.context.storage_state())
        phone.set_viewport_size({"width": 390, "height": 844})
        phone.goto("/session/")
        expect(phone.get_by_role("button", name="Start")).to_be_visible()
        phone.screenshot(path=shots / "12-session-phone.png", full_page=True)
    finally:
        browser.close()
    console.assert_clean()
