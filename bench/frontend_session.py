"""The live session page measured in a real browser (Chromium, fake camera, real daphne).

For each target rate the page is asked for (5, 10, 15, 30 frames/s) it streams the
astronaut's face for T seconds; the script reads the page's own counters once a second
and counts the bytes the page sends. Prints per rate: results/s, round-trip latency
(median and p95 of the page's 20-frame medians), server time, frames sent, frames the
server dropped, and the mean JPEG size; plus the load average (2 shared cores).

    .venv/bin/python bench/frontend_session.py                 # 20 s per rate
    .venv/bin/python bench/frontend_session.py --seconds 10 --rates 10 30

The server runs on a temporary SQLite file, or on `<DATABASE_URL's name>_bench` when
DATABASE_URL names a PostgreSQL database (as bench/ws_load.py does).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.ws_load import bench_database_url, free_port, server_env, start_server  # noqa: E402
from tests.e2e.conftest import launch_chromium  # noqa: E402
from tests.e2e.pages import sign_up  # noqa: E402
from tests.e2e.video import astronaut_frame, write_y4m  # noqa: E402

# Counts what the page sends on its sockets (bytes of binary frames), without touching
# the page's code.
COUNT_BYTES = """
(() => {
  window.__sent = { frames: 0, bytes: 0 };
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (data instanceof ArrayBuffer) { window.__sent.frames += 1; window.__sent.bytes += data.byteLength; }
    return send.call(this, data);
  };
})();
"""


def prepare_site(env: dict[str, str], tmp: Path) -> None:
    """Migrate the bench database and collect static files (production mode serves the
    collected, hashed files; without them every page fails)."""
    env["STATIC_ROOT"] = str(tmp / "static")
    for command in ("migrate", "collectstatic"):
        subprocess.run(
            [sys.executable, "manage.py", command, "--noinput", "-v", "0"], cwd=REPO, env=env, check=True
        )


def number(text: str) -> float | None:
    text = text.replace("ms", "").strip()
    try:
        return float(text)
    except ValueError:
        return None


def measure(page, rate: int, seconds: float) -> dict:
    page.select_option("#session-fps", str(rate))
    time.sleep(3)  # let the previous rate's frames drain
    before = page.evaluate("() => ({...window.__sent})")
    dropped0 = int(page.text_content("#counter-dropped"))
    fps, latency, server = [], [], []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(1)
        fps.append(number(page.text_content("#counter-fps")))
        latency.append(number(page.text_content("#counter-latency")))
        server.append(number(page.text_content("#counter-server")))
    after = page.evaluate("() => ({...window.__sent})")
    frames = after["frames"] - before["frames"]

    def clean(values):
        return [v for v in values if v is not None]

    lat = sorted(clean(latency))
    return {
        "rate": rate,
        "results_per_s": statistics.median(clean(fps)) if clean(fps) else 0.0,
        "latency_p50": statistics.median(lat) if lat else None,
        "latency_p95": lat[min(len(lat) - 1, int(0.95 * len(lat)))] if lat else None,
        "server_ms": statistics.median(clean(server)) if clean(server) else None,
        "sent_per_s": frames / seconds,
        "dropped": int(page.text_content("#counter-dropped")) - dropped0,
        "jpeg_kb": (after["bytes"] - before["bytes"]) / frames / 1024 if frames else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rates", type=int, nargs="+", default=[5, 10, 15, 30])
    args = parser.parse_args()
    from playwright.sync_api import expect, sync_playwright

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
                page.add_init_script(COUNT_BYTES)
                sign_up(page, f"browser{uuid.uuid4().hex[:8]}")
                page.goto("/session/")
                page.click("#session-start")
                expect(page.locator("#face-state")).to_contain_text("yes", timeout=180_000)
                rows = [measure(page, rate, args.seconds) for rate in args.rates]
                page.click("#session-stop")
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=20)
    load = os.getloadavg()
    print(f"live session page in Chromium, {args.seconds:g} s per rate, load average {load[0]:.1f} (2 cores)")
    print("| asked fps | results/s | sent/s | latency p50 / p95 (ms) | server (ms) | dropped | JPEG (KB) |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        lat = f"{r['latency_p50']:.0f} / {r['latency_p95']:.0f}" if r["latency_p50"] is not None else "–"
        server_ms = f"{r['server_ms']:.0f}" if r["server_ms"] is not None else "–"
        print(
            f"| {r['rate']} | {r['results_per_s']:.1f} | {r['sent_per_s']:.1f} | {lat} | {server_ms} "
            f"| {r['dropped']} | {r['jpeg_kb']:.1f} |"
        )


if __name__ == "__main__":
    main()
