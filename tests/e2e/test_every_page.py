"""Every page of the site in a real browser: it loads, says nothing in the console, fits
a phone's width, and can be walked with the keyboard."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.e2e.conftest import launch_chromium, new_page
from tests.e2e.pages import sign_up

pytestmark = pytest.mark.e2e

VISITOR_PAGES = ["/", "/accounts/signup/", "/accounts/login/"]
MEMBER_PAGES = [
    "/",
    "/session/",
    "/catalogue/",
    "/catalogue/history/",
    "/catalogue/liked/",
    "/compositions/",
    "/compositions/new/",
    "/moods/history/",
    "/accounts/profile/",
    "/accounts/password/",
]
# Swagger UI only: Redoc's bundle always shows its maker's logo from their CDN (an <img>
# with no option to turn it off; it hides itself offline). The site links to Swagger UI.
DOCS_PAGES = ["/api/docs/"]


def slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path).strip("-") or "home"


def test_every_page_loads_cleanly_and_fits_a_phone(playwright_driver, face_video, stack, console, shots):
    call_command("load_catalogue", verbosity=0)
    browser = launch_chromium(playwright_driver, face_video)
    try:
        page = new_page(browser, stack, console)
        for path in VISITOR_PAGES:
            assert page.goto(path).status == 200, path
        sign_up(page, "walker")
        for path in MEMBER_PAGES:
            response = page.goto(path)
            assert response.status == 200, path
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            page.screenshot(path=shots / f"desktop-{slug(path)}.png", full_page=True)
        for path in DOCS_PAGES:
            assert page.goto(path).status == 200, path
            page.wait_for_load_state("networkidle")
        expect(page.locator("h1").first).to_contain_text("Emotional Echoes API", timeout=30_000)

        phone = new_page(browser, stack, console, storage_state=page.context.storage_state())
        phone.set_viewport_size({"width": 360, "height": 780})
        for path in MEMBER_PAGES:
            phone.goto(path)
            overflow = phone.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} is {overflow}px wider than a phone"
            phone.screenshot(path=shots / f"phone-{slug(path)}.png", full_page=True)
    finally:
        browser.close()
    console.assert_clean()


def test_session_page_works_from_the_keyboard(playwright_driver, face_video, stack, console):
    # The camera is refused here: what matters is that the keyboard reaches and presses Start.
    browser = launch_chromium(playwright_driver, face_video, camera_allowed=False)
    try:
        page = new_page(browser, stack, console)
        sign_up(page, "keys")
        page.goto("/session/")
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
        page.keyboard.press("Enter")
        for _ in range(10):
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement.id") == "session-start":
                break
        expect(page.get_by_role("button", name="Start")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.get_by_role("alert")).to_contain_text("Camera access was refused")
        # Focus comes back to Start, ready to try again.
        expect(page.get_by_role("button", name="Start")).to_be_focused()
    finally:
        browser.close()
    console.assert_clean()
