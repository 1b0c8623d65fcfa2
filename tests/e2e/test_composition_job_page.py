"""The job page in a real browser when things go wrong: the server goes away while the
page waits for a piece (it says so in words, then recovers by itself), and the job fails
(the page says why and what to do)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from compositions.services import CRASH_MESSAGE, composition_create, composition_job_fail
from tests.e2e.conftest import WEBSOCKET_NOISE, launch_chromium, new_page
from tests.e2e.pages import sign_up

pytestmark = pytest.mark.e2e

# What Chromium logs for the page's polls while nothing listens on the port.
SERVER_DOWN_NOISE = re.compile(
    r"ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|ERR_EMPTY_RESPONSE|Failed to fetch"
)


def test_the_job_page_says_when_the_server_is_lost_and_when_the_job_failed(
    playwright_driver, face_video, stack, console, shots
):
    console.allow(WEBSOCKET_NOISE)
    console.allow(SERVER_DOWN_NOISE)
    browser = launch_chromium(playwright_driver, face_video)
    try:
        page = new_page(browser, stack, console)
        sign_up(page, "waiting")
        # No worker runs: the piece stays queued while the page waits for it.
        composition = composition_create(user=User.objects.get(username="waiting"), mood="calm", style="folk")
        page.goto(f"/compositions/{composition.pk}/")
        expect(page.locator("[data-stage-label]")).to_contain_text("Queued")
        notice = page.locator("[data-server-notice]")

        stack.server.stop()
        expect(notice).to_be_visible(timeout=30_000)
        expect(notice).to_have_attribute("role", "alert")
        expect(notice).to_contain_text("Lost contact with the server")
        page.screenshot(path=shots / "server-lost.png", full_page=True)

        # While the server is away the job process dies for good; the page learns it
        # when the server is back.
        composition_job_fail(composition_id=composition.pk, message=CRASH_MESSAGE)
        stack.server.start()
        detail = page.locator(".composition-detail")
        expect(detail).to_contain_text(f"Failed: {CRASH_MESSAGE}", timeout=60_000)
        expect(page.get_by_role("link", name="Compose it again")).to_be_visible()
        expect(page.locator("[data-server-notice]")).to_be_hidden()
        page.screenshot(path=shots / "job-failed.png", full_page=True)

        page.goto("/compositions/")
        expect(page.locator(f'[data-composition-id="{composition.pk}"]')).to_contain_text(CRASH_MESSAGE)
    finally:
        browser.close()
    console.assert_clean()
