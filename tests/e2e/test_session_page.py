"""The live session page in a real browser: camera refused, and a server restart."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import WEBSOCKET_NOISE, launch_chromium, new_page
from tests.e2e.pages import FIRST_RESULT_MS, emotion_percent, sign_up, start_session_and_see_a_face

pytestmark = pytest.mark.e2e


def test_refused_camera_says_so_and_how_to_fix_it(playwright_driver, face_video, stack, console, shots):
    browser = launch_chromium(playwright_driver, face_video, camera_allowed=False)
    try:
        page = new_page(browser, stack, console)
        sign_up(page, "nocam")
        page.goto("/session/")
        page.get_by_role("button", name="Start").click()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("Camera access was refused")
        expect(alert).to_contain_text("Allow the camera")
        expect(page.get_by_role("button", name="Start")).to_be_enabled()
        expect(page.locator("body")).to_have_attribute("data-session-state", "camera-refused")
        page.screenshot(path=shots / "camera-refused.png", full_page=True)
    finally:
        browser.close()
    console.assert_clean()


def test_page_reconnects_after_the_server_restarts(playwright_driver, face_video, stack, console, shots):
    console.allow(WEBSOCKET_NOISE)  # Chromium's own log line for each refused handshake
    browser = launch_chromium(playwright_driver, face_video)
    try:
        page = new_page(browser, stack, console)
        sign_up(page, "restart")
        start_session_and_see_a_face(page)
        first_session = page.locator("#session-status").inner_text()
        assert emotion_percent(page, "happy") > 50

        stack.server.restart()

        # While it is down or just after, the page says what happens...
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("connection to the server was lost", timeout=30_000)
        page.screenshot(path=shots / "reconnecting.png", full_page=True)
        # ...and comes back by itself: a new session, results flowing again.
        expect(page.locator("#session-status")).to_have_text(
            re.compile(r"Session \d+ running"), timeout=FIRST_RESULT_MS
        )
        expect(page.locator("#session-status")).not_to_have_text(first_session)
        expect(alert).to_be_hidden()
        sent = int(page.locator("#counter-sent").text_content())  # folded away: not rendered
        expect(page.locator("#counter-sent")).not_to_have_text(str(sent), timeout=30_000)
        expect(page.locator("#face-state")).to_have_text(re.compile(r"^yes"), timeout=FIRST_RESULT_MS)
        page.screenshot(path=shots / "reconnected.png", full_page=True)
        page.get_by_role("button", name="Stop").click()
        expect(page.locator("#session-summary")).to_contain_text("Session saved", timeout=30_000)
    finally:
        browser.close()
    console.assert_clean()


def test_logged_out_session_stops_and_says_to_log_in(playwright_driver, face_video, stack, console, shots):
    console.allow(WEBSOCKET_NOISE)
    browser = launch_chromium(playwright_driver, face_video)
    try:
        page = new_page(browser, stack, console)
        sign_up(page, "leaver")
        start_session_and_see_a_face(page)
        # Log out in another tab, then the connection drops: the page must not retry
        # forever with a cookie that no longer works.
        other = page.context.new_page()
        console.attach(other)
        other.goto("/")
        other.get_by_role("button", name="Log out").click()
        other.close()
        stack.server.restart()
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("logged out", timeout=FIRST_RESULT_MS)
        expect(alert).to_contain_text("Log in again")
        expect(page.get_by_role("button", name="Start")).to_be_enabled()
        expect(page.locator("body")).to_have_attribute("data-session-state", "stopped")
        page.screenshot(path=shots / "logged-out.png", full_page=True)
    finally:
        browser.close()
    console.assert_clean()
