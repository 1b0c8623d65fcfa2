"""CPU per request of the library and recommendation endpoints, in process (no server).

Django's test Client through the whole middleware stack, with a token, DEBUG off, the
production settings of bench/api_load.py (PostgreSQL, Redis cache and throttles) and its
seeded listener. Prints process CPU-ms per request (this process only: PostgreSQL's and
Redis's CPU are not in it) and, with --profile, the top functions by cumulative time.

    DATABASE_URL=postgres://.../<name with bench> REDIS_URL=... CELERY_BROKER_URL=... \\
        nice -n 15 python bench/api_cpu.py [--requests 300] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def cpu_ms_per_request(client, path: str, headers: dict, requests: int) -> float:
    for _ in range(20):  # warm: URL resolver, caches, the connection
        assert client.get(path, **headers).status_code == 200
    started = time.process_time()
    for _ in range(requests):
        client.get(path, **headers)
    return (time.process_time() - started) * 1000 / requests


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profile", action="store_true", help="print the top 25 functions per endpoint")
    args = parser.parse_args()
    # Importing api_load sets the production environment up and Django with it.
    from api_load import ENDPOINTS, seed
    from django.test import Client

    headers = {"HTTP_AUTHORIZATION": f"Token {seed()}", "HTTP_HOST": "127.0.0.1"}
    client = Client()
    print(
        f"load average {os.getloadavg()[0]:.1f} (1 min), {os.cpu_count()} CPUs; {args.requests} requests each"
    )
    for name, path in ENDPOINTS.items():
        print(f"{name:16} {cpu_ms_per_request(client, path, headers, args.requests):6.2f} CPU-ms per request")
        if args.profile:
            profile = cProfile.Profile()
            profile.runcall(cpu_ms_per_request, client, path, headers, 100)
            pstats.Stats(profile).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
