"""Build songs.csv (Spotify audio-features layout) from the hand-curated songs_curated.psv.

Run from the repository root:  .venv/bin/python catalogue/data/build_catalogue.py

The curated file holds real songs (title, singers, language, album/film, year, genre)
and ONE hand-assigned mood label per song from the product's vocabulary. No audio was
analysed: valence, energy, tempo and mode are DERIVED from that label as follows (see
docs/catalogue.md):

- valence, energy: the label's prototype on the mood plane (ml.mood.MOOD_PROTOTYPES),
  mapped to song space by catalogue.features.mood_to_song_space, plus a deterministic
  jitter of at most +/-0.12 per axis from a SHA-256 of "title|artists" so songs of one
  label spread over the label's region instead of sitting on one point;
- tempo: a typical BPM for the label (TEMPO_BY_MOOD) +/- 15 BPM from the same hash;
- mode: major for happy/excited/calm/neutral, minor for sad/angry/anxious (a coarse
  convention, not the song's real key).
"""

from __future__ import annotations

import csv
import hashlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from catalogue.features import mood_to_song_space  # noqa: E402
from ml.mood import MOOD_PROTOTYPES  # noqa: E402

TEMPO_BY_MOOD = {
    "calm": 80,
    "sad": 74,
    "neutral": 100,
    "happy": 112,
    "excited": 126,
    "angry": 132,
    "anxious": 118,
}
MAJOR_MOODS = {"happy", "excited", "calm", "neutral"}
JITTER = 0.12
COLUMNS = [
    "track_name",
    "artists",
    "album_name",
    "year",
    "language",
    "track_genre",
    "valence",
    "energy",
    "tempo",
    "mode",
    "tags",
]


def _unit_pair(text: str) -> tuple[float, float, float]:
    """Three deterministic numbers in -1..1 from a string."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return tuple((int.from_bytes(digest[i : i + 4], "big") / 0xFFFFFFFF) * 2 - 1 for i in (0, 4, 8))


def derive(row: dict[str, str]) -> dict[str, str]:
    mood = row["mood"].strip()
    if mood not in MOOD_PROTOTYPES:
        raise SystemExit(f"unknown mood {mood!r} for {row['title']!r}")
    base_valence, base_energy = mood_to_song_space(*MOOD_PROTOTYPES[mood])
    jv, je, jt = _unit_pair(f"{row['title']}|{row['artists']}")
    valence = min(0.98, max(0.02, base_valence + JITTER * jv))
    energy = min(0.98, max(0.02, base_energy + JITTER * je))
    tempo = TEMPO_BY_MOOD[mood] + 15 * jt
    return {
        "track_name": row["title"],
        "artists": row["artists"],
        "album_name": row["album"],
        "year": row["year"],
        "language": row["language"],
        "track_genre": row["genre"],
        "valence": f"{valence:.3f}",
        "energy": f"{energy:.3f}",
        "tempo": f"{tempo:.1f}",
        "mode": "1" if mood in MAJOR_MOODS else "0",
        "tags": f"{mood};mood-by-hand",
    }


def main() -> None:
    with (HERE / "songs_curated.psv").open(encoding="utf-8", newline="") as source:
        rows = [derive(row) for row in csv.DictReader(source, delimiter="|", quoting=csv.QUOTE_NONE)]
    with (HERE / "songs.csv").open("w", encoding="utf-8", newline="") as target:
        writer = csv.DictWriter(target, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} songs to {HERE / 'songs.csv'}")


if __name__ == "__main__":
    main()
