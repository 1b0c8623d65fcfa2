"""Steps the browser tests share (written as a person would do them)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

PASSWORD = "echoes-in-the-browser-42"
# The first analysed frame waits for the server to load its models; the CPU is shared.
FIRST_RESULT_MS = 120_000


def sign_up(page: Page, username: str) -> None:
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/accounts/profile/$"))


def start_session_and_see_a_face(page: Page) -> None:
    page.goto("/session/")
    page.get_by_role("button", name="Start").click()
    expect(page.locator("#face-state")).to_have_text(re.compile(r"^yes"), timeout=FIRST_RESULT_MS)
    expect(page.locator("#mood-label")).not_to_have_text("–")


def emotion_percent(page: Page, emotion: str) -> int:
    return int(page.locator(f'[data-emotion="{emotion}"] [role=meter]').get_attribute("aria-valuenow"))


def nav(page: Page, name: str):
    """A link of the site's main navigation."""
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


def start_music(page: Page) -> None:
    """Press "Turn music on" in a running session and wait until bars play."""
    page.get_by_role("button", name="Turn music on").click()
    expect(page.locator("body")).to_have_attribute("data-music-state", "on", timeout=FIRST_RESULT_MS)
    expect(page.locator("body")).to_have_attribute("data-music-bars", re.compile(r"^[1-9]"), timeout=60_000)


def music_figures(page: Page) -> dict:
    """What the page recorded about its soundtrack: bars, gaps, leads, loudness."""
    data = page.evaluate("() => ({...document.body.dataset})")
    return {
        "bars": int(data.get("musicBars", 0)),
        "gaps": int(data.get("musicGaps", 0)),
        "min_lead_ms": float(data.get("musicMinLeadMs", "nan")),
        "peak_rms": float(data.get("musicPeak", 0)),
        "load_ms": float(data.get("musicLoadMs", "nan")),
    }
