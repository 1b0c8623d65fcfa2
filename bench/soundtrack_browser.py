"""The live soundtrack in Chromium for a long run: gaps, leads and loudness as the page saw them.

A real daphne, Chromium with the fake camera (the astronaut's face), the session page,
"Turn music on", then T seconds of music. Once a minute (and at the end) it prints what
the page recorded (tests/e2e/pages.music_figures): bars played, gaps (bars that arrived
after their start), the smallest lead (how long before its start a bar was queued), the
AnalyserNode's peak RMS, and the time to load the synthesiser and SoundFont; plus the
load average (2 shared cores).

    .venv/bin/python bench/soundtrack_browser.py --seconds 600    # the issue's 10 minutes
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.frontend_session import prepare_site  # noqa: E402
from bench.ws_load import bench_database_url, free_port, server_env, start_server  # noqa: E402
from tests.e2e.conftest import launch_chromium  # noqa: E402
from tests.e2e.pages import music_figures, sign_up, start_music  # noqa: E402
from tests.e2e.video import astronaut_frame, write_y4m  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="how long the music plays")
    args = parser.parse_args()
    from playwright.sync_api import expect, sync_playwright

    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        env = server_env(bench_database_url(tmp), None)
        prepare_site(env, tmp)
        port = free_port()
        server = start_server(env, port, tmp / "daphne.log")
        video = write_y4m(tmp / "face.y4m", astronaut_frame())
        try:
            with sync_playwright() as driver:
                browser = launch_chromium(driver, video)
                page = browser.new_page(base_url=f"http://127.0.0.1:{port}")
                page.set_default_timeout(120_000)  # a busy machine answers slowly
                sign_up(page, f"music{uuid.uuid4().hex[:8]}")
                page.goto("/session/")
                page.click("#session-start")
                expect(page.locator("#face-state")).to_contain_text("yes", timeout=180_000)
                start_music(page)
                began = time.monotonic()
                while (elapsed := time.monotonic() - began) < args.seconds:
                    time.sleep(min(60.0, args.seconds - elapsed))
                    row = {"seconds": round(time.monotonic() - began), **music_figures(page)}
                    rows.append(row)
                    print(json.dumps(row), flush=True)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=20)
    last = rows[-1]
    print(
        f"\nChromium, {args.seconds:g} s of music: {last['bars']} bars, {last['gaps']} gaps, "
        f"smallest lead {last['min_lead_ms']:.0f} ms, peak RMS {last['peak_rms']:.3f}, "
        f"synth + SoundFont loaded in {last['load_ms']:.0f} ms; load average "
        f"{load_before[0]:.1f} -> {os.getloadavg()[0]:.1f} (2 cores)"
    )
    return 0 if last["gaps"] == 0 and last["peak_rms"] > 0.001 else 1


if __name__ == "__main__":
    raise SystemExit(main())
