"""The live session page tells the truth: a smoothed chip that says so, choosing a mood by
hand (also without a camera), "that's not how I feel", folded telemetry, a warm server."""

from __future__ import annotations

import re
import time

import pytest
import requests
from playwright.sync_api import expect

from accounts.models import User
from moods.models import MoodCorrection, MoodSession
from tests.e2e.conftest import launch_chromium, new_page
from tests.e2e.pages import emotion_percent, sign_up, start_session_and_see_a_face

pytestmark = pytest.mark.e2e


def wait_until_warm(url: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while requests.get(f"{url}/healthz", timeout=30).json()["emotion_model"] == "warming":
        assert time.monotonic() < deadline, "the server never finished warming up"
        time.sleep(0.2)


def test_without_a_camera_i_choose_my_mood_by_hand(playwright_driver, face_video, stack, console, shots):
    browser = launch_chromium(playwright_driver, face_video, camera_allowed=False)
    try:
        page = new_page(browser, stack, console)
        sign_up(page, "handpicked")
        page.goto("/session/")
        page.get_by_role("button", name="Start").click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("Camera access was refused")
        expect(alert).to_contain_text("choose your mood yourself")
        expect(page.get_by_role("button", name="Recommend songs")).to_be_disabled()

        choice = page.get_by_role("form", name="Or choose your mood yourself")
        choice.get_by_role("button", name="Calm").click()
        expect(choice.get_by_role("button", name="Calm")).to_have_attribute("aria-pressed", "true")
        expect(page.locator("#mood-choice-status")).to_have_text(re.compile("Using calm, chosen by you"))
        expect(page.locator("#mood-caption")).to_have_text("Mood (chosen by you):")
        expect(page.locator("#mood-label")).to_have_text("calm")
        expect(page.locator("[data-mood-name]")).to_have_text("calm")
        expect(page.get_by_role("button", name="Recommend songs")).to_be_enabled()
        expect(page.get_by_role("button", name="Compose for this mood")).to_be_enabled()
        page.screenshot(path=shots / "chosen-by-hand.png", full_page=True)
    finally:
        browser.close()
    console.assert_clean()
    user = User.objects.get(username="handpicked")
    session = MoodSession.objects.get(user=user)
    # The choice is the session's mood, as a measured one would be.
    assert session.chosen_mood == "calm" and session.close_reason == "chosen"


def test_the_chip_is_the_smoothed_mood_and_thats_not_how_i_feel_is_saved(
    playwright_driver, face_video, stack, console, shots
):
    browser = launch_chromium(playwright_driver, face_video)
    try:
        page = new_page(browser, stack, console)
        sign_up(page, "corrector")
        start_session_and_see_a_face(page)
        # The chip says what it is, and does not contradict a face that is clearly happy.
        expect(page.locator("#mood-caption")).to_have_text("Mood (last few seconds):")
        assert emotion_percent(page, "happy") > 50
        expect(page.locator("#mood-label")).to_have_text(re.compile("^(happy|excited)$"), timeout=10_000)

        # Developer telemetry is folded away, and opens on request.
        telemetry = page.locator("details#telemetry")
        expect(telemetry).not_to_have_attribute("open", re.compile(".*"))
        expect(page.locator("#counter-latency")).to_be_hidden()
        page.get_by_text("Connection details (for developers)").click()
        expect(page.locator("#counter-latency")).to_be_visible()
        expect(page.locator("#counter-latency")).to_have_text(re.compile(r"\d+ ms"))

        page.get_by_role("button", name="That's not how I feel").click()
        page.get_by_label("I feel").select_option("sad")
        page.get_by_role("button", name="Save how I feel").click()
        expect(page.locator("#correction-status")).to_contain_text("Thanks, saved: you feel sad")
        expect(page.locator("#mood-caption")).to_have_text("Mood (chosen by you):")
        expect(page.locator("#mood-label")).to_have_text("sad")
        time.sleep(1.5)  # more results arrive; the chip keeps what I said
        expect(page.locator("#mood-label")).to_have_text("sad")
        page.screenshot(path=shots / "corrected.png", full_page=True)

        page.get_by_role("button", name="Stop").click()
        expect(page.locator("#session-summary")).to_contain_text("Session saved: low, as you chose")
    finally:
        browser.close()
    console.assert_clean()
    correction = MoodCorrection.objects.get(user__username="corrector")
    assert correction.felt_mood == "sad"
    assert correction.probabilities["happy"] > 0.5  # what the page was showing then
    assert correction.session.chosen_mood == "sad"


def test_a_warm_server_answers_the_pages_first_frame_within_a_second(
    playwright_driver, face_video, stack, console, shots
):
    wait_until_warm(stack.server.url)  # what a load balancer does before sending sessions
    browser = launch_chromium(playwright_driver, face_video)
    try:
        page = new_page(browser, stack, console)
        sign_up(page, "firstcomer")
        page.goto("/session/")
        page.get_by_role("button", name="Start").click()
        expect(page.locator("#face-state")).to_have_text(re.compile(r"^yes"), timeout=15_000)
        first_result_ms = int(page.locator("body").get_attribute("data-first-result-ms"))
        page.screenshot(path=shots / "first-result.png", full_page=True)
    finally:
        browser.close()
    console.assert_clean()
    assert first_result_ms <= 1000, f"the first result came {first_result_ms} ms after the first frame"
