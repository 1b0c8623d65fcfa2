"""Benchmark: recommendation latency on 100,000 songs (or the full Spotify import) and a user
with 5,000 events; import rows/s.

Run against a PostgreSQL database made for it (its name must contain "bench"; its catalogue
tables are emptied):

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE echoes_bench_catalogue"
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/echoes_bench_catalogue \
        .venv/bin/python bench/catalogue_recommend.py [--songs 100000] [--events 5000] [--calls 200]

With --full the catalogue is the one already in that database, loaded with
`manage.py load_catalogue` and `manage.py import_spotify <both files>` (about 147,000 songs;
the import prints its own rows/s); the listener prefers Hindi and English and likes
Arijit Singh and Taylor Swift.

Prints p50/p95/max latency of `catalogue.recommender.recommend` (service) and of
POST /api/v1/recommendations/ (in-process, through DRF with serialisation), and the
import throughput of `catalogue.importing.import_songs` (new rows and unchanged rows).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "echoes_site.settings")
os.environ.setdefault("THROTTLE_USER", "1000000/min")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from tqdm import tqdm  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.services import profile_update, token_obtain  # noqa: E402
from catalogue.importing import import_songs  # noqa: E402
from catalogue.models import ListeningEvent, Singer, Song  # noqa: E402
from catalogue.recommender import recommend  # noqa: E402
from ml.mood import MOOD_LABELS, mood_named  # noqa: E402

LANGUAGE_SHARE = {
    "en": 25,
    "hi": 18,
    "te": 10,
    "ta": 10,
    "es": 8,
    "pa": 5,
    "ko": 5,
    "ml": 5,
    "kn": 4,
    "bn": 4,
    "ja": 3,
    "fr": 3,
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def build_catalogue(n_songs: int, rng: random.Random) -> None:
    Song.objects.all().delete()
    Singer.objects.all().delete()
    singers = Singer.objects.bulk_create(
        [Singer(name=f"Bench Singer {i}", key=f"bench singer {i}") for i in range(max(100, n_songs // 20))],
        batch_size=5000,
    )
    languages = list(LANGUAGE_SHARE)
    weights = list(LANGUAGE_SHARE.values())
    links = []
    batch = []
    for i in tqdm(range(n_songs), desc="songs", unit="song"):
        cast = rng.sample(singers, rng.choice((1, 1, 1, 2)))
        batch.append(
            (
                Song(
                    title=f"Bench song {i}",
                    title_key=f"bench song {i}",
                    singers_key="|".join(sorted(s.key for s in cast)),
                    singers_display="; ".join(s.name for s in cast),
                    language=rng.choices(languages, weights)[0],
                    valence=round(rng.betavariate(2, 2), 3),
                    energy=round(rng.betavariate(2, 2), 3),
                    tempo=round(rng.uniform(60, 180), 1),
                    mode=rng.choice((0, 1)),
                    genre="bench",
                ),
                cast,
            )
        )
        if len(batch) == 5000 or i == n_songs - 1:
            created = Song.objects.bulk_create([song for song, _ in batch])
            links.extend(
                Song.singers.through(song_id=song.id, singer_id=s.id)
                for song, (_, cast) in zip(created, batch, strict=True)
                for s in cast
            )
            Song.singers.through.objects.bulk_create(links, batch_size=10000)
            links, batch = [], []
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE catalogue_song")  # autovacuum would; enables index-only scans


def build_listener(n_events: int, rng: random.Random, *, full: bool = False) -> User:
    User.objects.filter(username="bench-listener").delete()
    user = User.objects.create_user(username="bench-listener", email="bench@example.com", password="x")
    if full:
        favourites, languages = ["Arijit Singh", "Taylor Swift"], ["hi", "en"]
    else:
        favourites = list(Singer.objects.order_by("?").values_list("name", flat=True)[:5])
        languages = ["te", "hi"]
    profile_update(user=user, languages=languages, favourite_singers=favourites)
    song_ids = list(Song.objects.filter(language__in=[*languages, "en"]).values_list("id", flat=True))
    now = timezone.now()
    events = []
    for _ in range(n_events):
        kind = rng.choices(["play", "finish", "like", "skip"], [50, 25, 10, 15])[0]
        events.append(ListeningEvent(user=user, song_id=rng.choice(song_ids), kind=kind))
    created = ListeningEvent.objects.bulk_create(events, batch_size=5000)
    # Spread the events over 60 days, the newest 20 within the last hour ("just played").
    for i, event in enumerate(created):
        age = timedelta(minutes=rng.uniform(0, 60)) if i < 20 else timedelta(days=rng.uniform(0.1, 60))
        event.created_at = now - age
    ListeningEvent.objects.bulk_update(created, ["created_at"], batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE catalogue_listeningevent")
    return user


def _backend_cpu_seconds() -> float:
    """CPU time used so far by this connection's PostgreSQL backend (same machine only)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_calls(label: str, calls: int, fn) -> dict[str, float]:
    """Wall-clock percentiles, plus the CPU work per call (this process + its PostgreSQL
    backend): on a shared, overloaded machine the CPU work is what an idle machine's
    latency would be close to (everything is in memory, so there is no I/O wait)."""
    fn(0)  # warm-up (connection, caches)
    timings = []
    cpu_py, cpu_db = time.process_time(), _backend_cpu_seconds()
    for i in range(calls):
        started = time.perf_counter()
        fn(i)
        timings.append((time.perf_counter() - started) * 1000)
    cpu_py = (time.process_time() - cpu_py) * 1000 / calls
    cpu_db = (_backend_cpu_seconds() - cpu_db) * 1000 / calls
    figures = {"p50": statistics.median(timings), "p95": percentile(timings, 95), "max": max(timings)}
    print(
        f"{label:<50} p50 {figures['p50']:6.1f}  p95 {figures['p95']:6.1f}  max {figures['max']:6.1f} ms"
        f" | CPU/call {cpu_py + cpu_db:5.1f} ms (python {cpu_py:.1f} + postgres {cpu_db:.1f})"
    )
    return figures


def bench_import(n_rows: int, rng: random.Random) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spotify_layout.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                [
                    "track_id",
                    "artists",
                    "album_name",
                    "track_name",
                    "valence",
                    "energy",
                    "tempo",
                    "mode",
                    "track_genre",
                ]
            )
            for i in range(n_rows):
                artists = ";".join(
                    f"Import Singer {rng.randrange(2000)}" for _ in range(rng.choice((1, 1, 2)))
                )
                writer.writerow(
                    [
                        f"t{i}",
                        artists,
                        f"Album {i // 10}",
                        f"Imported song {i}",
                        round(rng.random(), 3),
                        round(rng.random(), 3),
                        round(rng.uniform(60, 180), 1),
                        rng.choice((0, 1)),
                        "pop",
                    ]
                )
        size_mb = path.stat().st_size / 1024 / 1024
        Song.objects.filter(title__startswith="Imported song ").delete()
        first = import_songs(path, default_language="en")
        second = import_songs(path, default_language="en")
        print(
            f"import {n_rows:,} new rows ({size_mb:.1f} MB CSV): {first.rows_per_second:,.0f} rows/s "
            f"({first.seconds:.1f} s, {first.created:,} created)"
        )
        print(
            f"re-import the same file (all unchanged):        {second.rows_per_second:,.0f} rows/s "
            f"({second.seconds:.1f} s, {second.unchanged:,} unchanged)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--songs", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=5_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--import-rows", type=int, default=20_000)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the songs and listener of the previous run"
    )
    parser.add_argument(
        "--full", action="store_true", help="use the catalogue already imported (import_spotify), unchanged"
    )
    args = parser.parse_args()
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql" or "bench" not in db["NAME"]:
        raise SystemExit(
            "Point DATABASE_URL at a PostgreSQL database whose name contains 'bench' (it is emptied)."
        )
    rng = random.Random(7)
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    if args.full:
        if Song.objects.count() < 100_000:
            raise SystemExit(
                "--full needs the Spotify import in this database (manage.py import_spotify ...)"
            )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE catalogue_song")
        print("the full catalogue as imported")
    elif args.reuse and Song.objects.filter(genre="bench").count() == args.songs:
        Song.objects.exclude(genre="bench").delete()  # rows of an earlier import benchmark
        print("reusing the songs of the previous run")
    else:
        build_catalogue(args.songs, rng)
        print(f"bulk-created the songs in {time.perf_counter() - started:.1f} s")
    print(f"catalogue: {Song.objects.count():,} songs, {Singer.objects.count():,} singers")
    user = User.objects.filter(username="bench-listener").first()
    if not (args.reuse and user and ListeningEvent.objects.filter(user=user).count() == args.events):
        user = build_listener(args.events, rng, full=args.full)
    print(
        f"listener with {ListeningEvent.objects.filter(user=user).count():,} events, "
        + (
            "languages hi+en, favourites Arijit Singh, Taylor Swift"
            if args.full
            else "languages te+hi, 5 favourite singers"
        )
    )
    print(
        f"PostgreSQL {connection.pg_version}, {args.calls} calls each, limit 20, "
        f"load average {os.getloadavg()[0]:.1f}\n"
    )

    moods = [mood_named(label) for label in MOOD_LABELS]
    time_calls(
        "recommend(match), profile languages",
        args.calls,
        lambda i: recommend(user=user, mood=moods[i % len(moods)], strategy="match"),
    )
    time_calls(
        "recommend(lift journey, 5 steps)",
        args.calls,
        lambda i: recommend(user=user, mood=moods[i % len(moods)], strategy="lift"),
    )
    time_calls(
        "recommend(match), every language (empty profile)",
        args.calls,
        lambda i: recommend(user=user, mood=moods[i % len(moods)], strategy="match", languages=[]),
    )

    if args.full:
        # Where the favourite singers land on a first page of 10 (the complaint).
        for label in MOOD_LABELS:
            page = recommend(user=user, mood=mood_named(label), limit=10)
            places = [
                f"{n}:{name}"
                for n, r in enumerate(page, start=1)
                for name in ("Arijit Singh", "Taylor Swift")
                if name in r.song.singer_names
            ]
            print(f"  first page of 10 for {label:<8} favourites at {', '.join(places) or 'none'}")
        print()

    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_obtain(user=user).key}")

    def api_call(i: int) -> None:
        response = client.post(
            "/api/v1/recommendations/", {"mood": MOOD_LABELS[i % len(MOOD_LABELS)]}, format="json"
        )
        assert response.status_code == 200, response.content[:300]

    time_calls("POST /api/v1/recommendations/ (in-process, DRF)", args.calls, api_call)
    print(f"load average after: {os.getloadavg()[0]:.1f}\n")
    if args.import_rows:
        bench_import(args.import_rows, rng)


if __name__ == "__main__":
    main()
