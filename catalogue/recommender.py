"""The mood-aware recommender: `recommend(*, user, mood, strategy, limit)`.

How a ranking is made (docs/catalogue.md has the long version):

1. Target. "match" aims at the listener's mood; "lift" starts there and moves the target
   step by step toward a pleasant, gently active point (LIFT_TARGET), never lowering
   valence: the iso principle of music therapy (meet the mood, then lead it). The step
   counter lives in the database (MoodLift): each lift request advances it; it restarts
   when the starting mood changes or after LIFT_IDLE without a lift request.
2. Prefilter in SQL: the listener's languages (none set = every language) and a
   valence/energy window around the target that widens until there are enough
   candidates (index song_lang_mood_idx), at most MAX_CANDIDATES rows, values only; the
   rows (and the ranked Song objects) are cached per process and catalogue version
   (catalogue.caching), so a mood and languages already seen cost no song query.
3. Score in numpy: mood fit (distance in valence/energy space) + favourite singers
   (profile) + history (singers of liked/finished songs up, skipped songs down, songs
   with any event in the last RECENT_WINDOW left out).
4. Diversity: greedy pick with a penalty for every song already picked from the same
   singer, and at most MAX_PER_SINGER per singer while other songs remain.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.languages import LANGUAGES
from accounts.models import Profile, User
from catalogue.caching import CatalogueVersion, candidate_rows, catalogue_version, songs_by_id
from catalogue.features import mood_to_song_space
from catalogue.models import ListeningEvent, MoodLift, Song
from catalogue.services import name_key
from ml.mood import Mood, label_for

STRATEGIES = ("match", "lift")
MAX_LIMIT = 100

# Lift: where the path leads (mood space) and how many steps it takes to get there.
LIFT_TARGET = (0.70, 0.20)
LIFT_STEPS = 4
LIFT_IDLE = timedelta(minutes=30)

# Prefilter windows (half-widths in song space) tried in order until enough candidates.
WINDOWS = (0.04, 0.08, 0.15, 0.25, 0.4, 1.0)
MIN_CANDIDATES = 150
MAX_CANDIDATES = 2000

# History.
HISTORY_EVENTS = 500
RECENT_WINDOW = timedelta(hours=3)
HISTORY_HALF_LIFE_DAYS = 14.0
SINGER_WEIGHTS = {"like": 1.0, "finish": 0.5, "play": 0.1, "skip": -0.6}

# Score weights.
W_FIT = 1.0
FIT_SCALE = 0.6  # distance at which mood fit reaches zero
W_FAVOURITE = 0.30
W_AFFINITY = 0.25
W_SONG_LIKE = 0.15
W_SONG_SKIP = 0.40
DIVERSITY_PENALTY = 0.15
MAX_PER_SINGER = 3


@dataclass(frozen=True)
class Recommendation:
    """One ranked song with why it was chosen."""

    song: Song
    score: float
    reason: str
    mood_fit: float
    strategy: str
    target_mood: str
    target_valence: float  # song space, 0..1
    target_energy: float  # song space, 0..1
    lift_step: int | None = None


@dataclass(frozen=True)
class _History:
    recent_song_ids: set[int]
    song_adjust: dict[int, float]
    liked_song_ids: set[int]
    singer_affinity: dict[str, float]


def recommend(
    *,
    user: User,
    mood: Mood,
    strategy: str = "match",
    limit: int = 20,
    languages: list[str] | None = None,
) -> list[Recommendation]:
    """Ranked songs for `user` in `mood`; every result carries a short reason.

    `languages` overrides the profile's languages (an empty profile means every
    language). ValidationError for an unknown strategy or a bad limit.
    """
    if strategy not in STRATEGIES:
        raise ValidationError(
            {"strategy": [f"Unknown strategy {strategy!r}; use one of: {', '.join(STRATEGIES)}."]}
        )
    if not 1 <= int(limit) <= MAX_LIMIT:
        raise ValidationError({"limit": [f"limit must be between 1 and {MAX_LIMIT}."]})
    stored_languages, favourites = _preferences(user)
    if languages is None:
        languages = stored_languages

    step: int | None = None
    if strategy == "lift":
        step = _lift_advance(user=user, mood=mood)
        target_v, target_a = lift_target(mood, step)
    else:
        target_v, target_a = mood.valence, mood.arousal
    target_label = label_for(target_v, target_a)
    tv, te = mood_to_song_space(target_v, target_a)

    history = _history(user)
    version = catalogue_version()
    ids, valence, energy, singer_keys = _candidates(
        languages, tv, te, exclude=history.recent_song_ids, version=version
    )
    if not ids and languages:
        # Nothing at all in the listener's languages: better other languages than nothing.
        languages = []
        ids, valence, energy, singer_keys = _candidates(
            languages, tv, te, exclude=history.recent_song_ids, version=version
        )
    if not ids:
        return []

    fit = np.clip(1.0 - np.hypot(valence - tv, energy - te) / FIT_SCALE, 0.0, 1.0)
    score = W_FIT * fit
    singer_bonus = {key: W_AFFINITY * math.tanh(a / 2.0) for key, a in history.singer_affinity.items()}
    for key in favourites:
        singer_bonus[key] = singer_bonus.get(key, 0.0) + W_FAVOURITE
    if singer_bonus or history.song_adjust:
        score = score + _bonuses(ids, singer_keys, singer_bonus, history.song_adjust)

    picked = _diverse_top(score, singer_keys, limit)
    songs = songs_by_id(version=version, ids=[ids[i] for i in picked])
    results: list[Recommendation] = []
    for i in picked:
        song = songs.get(ids[i])
        if song is None:  # deleted since the prefilter ran
            continue
        results.append(
            Recommendation(
                song=song,
                score=round(float(score[i]), 4),
                reason=_reason(
                    song=song,
                    mood=mood,
                    strategy=strategy,
                    step=step,
                    target_label=target_label,
                    favourites=favourites,
                    history=history,
                    languages=languages,
                ),
                mood_fit=round(float(fit[i]), 4),
                strategy=strategy,
                target_mood=target_label,
                target_valence=round(tv, 4),
                target_energy=round(te, 4),
                lift_step=step,
            )
        )
    return results


def lift_target(mood: Mood, step: int) -> tuple[float, float]:
    """The (valence, arousal) that step `step` of a lift from `mood` aims at (mood space)."""
    fraction = min(1.0, step / LIFT_STEPS)
    goal_v, goal_a = LIFT_TARGET
    valence = mood.valence + (goal_v - mood.valence) * fraction if goal_v > mood.valence else mood.valence
    arousal = mood.arousal + (goal_a - mood.arousal) * fraction
    return valence, arousal


@transaction.atomic
def _lift_advance(*, user: User, mood: Mood) -> int:
    """Advance (or restart) the user's lift path from `mood`; the step to use now (1..)."""
    lift, created = MoodLift.objects.select_for_update().get_or_create(
        user=user,
        defaults={
            "start_mood": mood.label,
            "start_valence": mood.valence,
            "start_arousal": mood.arousal,
            "step": 1,
        },
    )
    if created:
        return 1
    fresh = timezone.now() - lift.updated_at < LIFT_IDLE
    if fresh and lift.start_mood == mood.label:
        lift.step += 1
    else:
        lift.start_mood, lift.start_valence, lift.start_arousal = mood.label, mood.valence, mood.arousal
        lift.step = 1
    lift.save()
    return lift.step


def lift_reset(*, user: User) -> None:
    """Forget the user's lift path (the next lift request starts at step 1)."""
    MoodLift.objects.filter(user=user).delete()


def _preferences(user: User) -> tuple[list[str], dict[str, str]]:
    """The profile's languages and favourite singers (key -> name) in one query.

    Plain values, not accounts.selectors.profile_get(): this is the hot path and needs
    no model objects; a user without a profile simply has no preferences.
    """
    rows = list(
        Profile.objects.filter(user=user).values_list(
            "languages", "favourite_singers__key", "favourite_singers__name"
        )
    )
    if not rows:
        return [], {}
    languages = [code for code in (rows[0][0] or []) if code in LANGUAGES]
    return languages, {key: name for _, key, name in rows if key}


def _history(user: User) -> _History:
    now = timezone.now()
    rows = (
        ListeningEvent.objects.filter(user=user)
        .order_by("-created_at", "-id")
        .values_list("song_id", "kind", "created_at", "song__singers_key")[:HISTORY_EVENTS]
    )
    recent: set[int] = set()
    song_adjust: dict[int, float] = defaultdict(float)
    liked: set[int] = set()
    affinity: dict[str, float] = defaultdict(float)
    for song_id, kind, created_at, singers_key in rows:
        age = now - created_at
        if age < RECENT_WINDOW:
            recent.add(song_id)
        decay = 0.5 ** (age.total_seconds() / 86400 / HISTORY_HALF_LIFE_DAYS)
        if kind == "skip":
            song_adjust[song_id] = max(-2 * W_SONG_SKIP, song_adjust[song_id] - W_SONG_SKIP * decay)
        elif kind == "like" and song_id not in liked:
            liked.add(song_id)
            song_adjust[song_id] += W_SONG_LIKE
        weight = SINGER_WEIGHTS[kind] * decay
        for key in singers_key.split("|"):
            affinity[key] += weight
    return _History(recent, dict(song_adjust), liked, {k: v for k, v in affinity.items() if abs(v) > 1e-3})


def _candidates(
    languages: list[str], tv: float, te: float, *, exclude: set[int], version: CatalogueVersion
) -> tuple[list[int], np.ndarray, np.ndarray, list[str]]:
    rows: list[tuple] = []
    for window in WINDOWS:
        # The same for every listener in this mood and these languages: cached per
        # process and catalogue version (catalogue.caching); the exclusions are theirs.
        candidates = candidate_rows(
            version=version, languages=languages, tv=tv, te=te, window=window, limit=MAX_CANDIDATES
        )
        rows = [r for r in candidates if r[0] not in exclude]
        if len(rows) >= MIN_CANDIDATES:
            break
    ids = [r[0] for r in rows]
    valence = np.fromiter((r[1] for r in rows), dtype=float, count=len(rows))
    energy = np.fromiter((r[2] for r in rows), dtype=float, count=len(rows))
    return ids, valence, energy, [r[3] for r in rows]


def _bonuses(
    ids: list[int], singer_keys: list[str], singer_bonus: dict[str, float], song_adjust: dict[int, float]
) -> np.ndarray:
    """Preference and history bonus per candidate (the strongest singer bonus of a song counts)."""
    bonus = np.zeros(len(ids))
    for i, (song_id, keys) in enumerate(zip(ids, singer_keys, strict=True)):
        if "|" in keys:
            b = max((singer_bonus.get(k, 0.0) for k in keys.split("|")), key=abs)
        else:
            b = singer_bonus.get(keys, 0.0)
        if song_adjust:
            b += song_adjust.get(song_id, 0.0)
        bonus[i] = b
    return bonus


def _diverse_top(score: np.ndarray, singer_keys: list[str], limit: int) -> list[int]:
    """Indices of the best `limit` candidates, spread across singers.

    Greedy with lazy re-evaluation: a song's value can only drop as more songs by its
    singers are picked, so a popped song whose recomputed value still beats the next
    stored value is the true best.
    """
    pool_size = min(len(score), max(limit * 10, 50))
    pool = (
        np.argpartition(-score, pool_size - 1)[:pool_size]
        if pool_size < len(score)
        else np.arange(len(score))
    )
    keys_of = {int(i): singer_keys[i].split("|") for i in pool}
    counts: dict[str, int] = defaultdict(int)
    picked: list[int] = []
    for capped in (True, False):
        heap = [(-float(score[i]), int(i)) for i in pool if int(i) not in picked]
        heapq.heapify(heap)
        while heap and len(picked) < limit:
            stored, i = heapq.heappop(heap)
            seen = max(counts[k] for k in keys_of[i])
            if capped and seen >= MAX_PER_SINGER:
                continue
            value = float(score[i]) - DIVERSITY_PENALTY * seen
            if heap and -value > heap[0][0] + 1e-12:
                heapq.heappush(heap, (-value, i))  # it dropped: look again later
                continue
            picked.append(i)
            for k in keys_of[i]:
                counts[k] += 1
        if len(picked) >= limit:
            break
    return picked


def _reason(
    *,
    song: Song,
    mood: Mood,
    strategy: str,
    step: int | None,
    target_label: str,
    favourites: dict[str, str],
    history: _History,
    languages: list[str],
) -> str:
    if strategy == "lift":
        if target_label == mood.label:
            parts = [f"meets your {mood.label} mood first (lift step {step})"]
        else:
            parts = [f"lifts {mood.label} toward {target_label} (step {step})"]
    else:
        parts = [f"matches {mood.label}"]
    singers = [(name_key(name), name) for name in song.singer_names]
    favourite = next((name for key, name in singers if key in favourites), None)
    liked_key, liked_name = max(
        singers, key=lambda s: history.singer_affinity.get(s[0], 0.0), default=("", "")
    )
    if favourite:
        parts.append(f"you like {favourite}")
    elif song.id in history.liked_song_ids:
        parts.append("you liked this song")
    elif history.singer_affinity.get(liked_key, 0.0) > 0.3:
        parts.append(f"you enjoyed songs by {liked_name}")
    elif languages:
        parts.append(f"in {LANGUAGES.get(song.language, song.language)}")
    return "; ".join(parts)
