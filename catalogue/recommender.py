"""The mood-aware recommender: `recommend(*, user, mood, strategy, limit)`.

How a ranking is made (docs/catalogue.md has the long version):

1. Target. "match" aims at the listener's mood; "lift" is a journey (`lift_journey`): a
   playlist of LIFT_STEPS + 1 steps whose targets start at the mood and move toward a
   pleasant, gently active point (LIFT_TARGET), never lowering valence: the iso
   principle of music therapy (meet the mood, then lead it). No state: the same request
   gives the same playlist.
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
from django.utils import timezone

from accounts.languages import LANGUAGES
from accounts.models import Profile, User
from catalogue.caching import CatalogueVersion, candidate_rows, catalogue_version, songs_by_id
from catalogue.features import mood_to_song_space
from catalogue.language_rule import INSTRUMENTAL, UNKNOWN
from catalogue.models import ListeningEvent, Song
from catalogue.services import name_key
from ml.mood import Mood, label_for

STRATEGIES = ("match", "lift")
MAX_LIMIT = 100

# Lift: where the path leads (mood space) and how many steps it takes to get there.
LIFT_TARGET = (0.70, 0.20)
LIFT_STEPS = 4

# Prefilter windows (half-widths in song space) tried in order until enough candidates.
WINDOWS = (0.04, 0.08, 0.15, 0.25, 0.4, 1.0)
MIN_CANDIDATES = 150
MAX_CANDIDATES = 2000
JOURNEY_CANDIDATES, JOURNEY_MAX_CANDIDATES = 40, 400  # per step of a lift journey

# Favourite singers: the best song of each favourite singer within FAVOURITE_TOLERANCE
# (distance in valence/energy song space, 0..1 axes) of the target is on the first page,
# placed by its score; favourites guaranteed this way take at most FAVOURITE_SHARE of it.
FAVOURITE_TOLERANCE = 0.25
FAVOURITE_SHARE = 0.25

# History.
HISTORY_EVENTS = 500
RECENT_WINDOW = timedelta(hours=3)
# A liked song rests for LIKED_REST after its last event (not RECENT_WINDOW), then may come
# back, at most MAX_LIKED_SHARE of a page (2 of 20; at least 1).
LIKED_REST = timedelta(minutes=30)
MAX_LIKED_SHARE = 0.10
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
    stored_languages, favourites = preferences(user)
    if languages is None:
        languages = stored_languages

    if strategy == "match":
        return _ranked(
            user=user,
            mood=mood,
            target=(mood.valence, mood.arousal),
            step=None,
            languages=languages,
            favourites=favourites,
            history=_history(user),
            limit=limit,
            version=catalogue_version(),
        )
    return lift_journey(user=user, mood=mood, limit=limit, languages=languages, favourites=favourites)


def lift_journey(
    *,
    user: User,
    mood: Mood,
    limit: int = 20,
    languages: list[str] | None = None,
    favourites: dict[str, str] | None = None,
) -> list[Recommendation]:
    """ "Lift my mood" as a playlist: LIFT_STEPS + 1 steps from the mood toward LIFT_TARGET.

    Step 0 meets the mood (the iso principle), each later step aims at `lift_target(mood,
    step)`; each step gets about limit / steps songs, none twice. The listener's history
    is left out on purpose, so the same URL (mood + strategy=lift) gives the same playlist
    for the same profile and catalogue: a journey one can come back to, not a counter.
    """
    if languages is None or favourites is None:
        stored_languages, stored_favourites = preferences(user)
        languages = stored_languages if languages is None else languages
        favourites = stored_favourites if favourites is None else favourites
    steps = LIFT_STEPS + 1
    per_step = [limit // steps + (1 if n < limit % steps else 0) for n in range(steps)]
    quiet = _History(set(), {}, set(), {})
    version = catalogue_version()  # one read for the whole journey
    journey: list[Recommendation] = []
    for step, count in enumerate(per_step):
        if not count:
            continue
        journey += _ranked(
            user=user,
            mood=mood,
            target=lift_target(mood, step),
            step=step,
            languages=languages,
            favourites=favourites,
            history=_History({r.song.id for r in journey}, {}, set(), {}),
            limit=count,
            reason_history=quiet,
            version=version,
        )
    return journey


def journey_steps(results: list[Recommendation]) -> list[dict]:
    """The steps of a lift journey in order: {step, mood, valence, energy, results}."""
    steps: list[dict] = []
    for r in results:
        if not steps or steps[-1]["step"] != r.lift_step:
            steps.append(
                {
                    "step": r.lift_step,
                    "number": (r.lift_step or 0) + 1,
                    "mood": r.target_mood,
                    "valence": r.target_valence,
                    "energy": r.target_energy,
                    "results": [],
                }
            )
        steps[-1]["results"].append(r)
    return steps


def _ranked(
    *,
    user: User,
    mood: Mood,
    target: tuple[float, float],
    step: int | None,
    languages: list[str],
    favourites: dict[str, str],
    history: _History,
    limit: int,
    version: CatalogueVersion,
    reason_history: _History | None = None,
) -> list[Recommendation]:
    """One ranked page for a target point (mood space); see the module docstring."""
    strategy = "match" if step is None else "lift"
    target_v, target_a = target
    target_label = label_for(target_v, target_a)
    tv, te = mood_to_song_space(target_v, target_a)
    # A journey step needs a few songs, a page many: fewer candidates are enough for it.
    enough = MIN_CANDIDATES if step is None else JOURNEY_CANDIDATES
    # Nothing at all in the listener's languages: better other languages than nothing.
    for searched in [languages, []] if languages else [[]]:
        ids, valence, energy, singer_keys = _candidates(
            searched,
            tv,
            te,
            exclude=history.recent_song_ids,
            favourites=list(favourites),
            enough=enough,
            version=version,
        )
        if ids:
            break
    languages = searched
    if not ids:
        return []

    fit = np.clip(1.0 - np.hypot(valence - tv, energy - te) / FIT_SCALE, 0.0, 1.0)
    score = W_FIT * fit
    singer_bonus = {key: W_AFFINITY * math.tanh(a / 2.0) for key, a in history.singer_affinity.items()}
    for key in favourites:
        singer_bonus[key] = singer_bonus.get(key, 0.0) + W_FAVOURITE
    if singer_bonus or history.song_adjust:
        score = score + _bonuses(ids, singer_keys, singer_bonus, history.song_adjust)

    ranked = _diverse_top(score, singer_keys, min(len(ids), limit * 2 + 10))
    distance = np.hypot(valence - tv, energy - te)
    picked = _page(ranked, score, distance, ids, singer_keys, set(favourites), history.liked_song_ids, limit)
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
                    history=reason_history or history,
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


def preferences(user: User) -> tuple[list[str], dict[str, str]]:
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
    latest: dict[int, timedelta] = {}
    for song_id, kind, created_at, singers_key in rows:
        age = now - created_at
        latest.setdefault(song_id, age)
        decay = 0.5 ** (age.total_seconds() / 86400 / HISTORY_HALF_LIFE_DAYS)
        if kind == "skip":
            song_adjust[song_id] = max(-2 * W_SONG_SKIP, song_adjust[song_id] - W_SONG_SKIP * decay)
        elif kind == "like" and song_id not in liked:
            liked.add(song_id)
            song_adjust[song_id] += W_SONG_LIKE
        weight = SINGER_WEIGHTS[kind] * decay
        for key in singers_key.split("|"):
            affinity[key] += weight
    for song_id, age in latest.items():
        if age < (LIKED_REST if song_id in liked else RECENT_WINDOW):
            recent.add(song_id)
    return _History(recent, dict(song_adjust), liked, {k: v for k, v in affinity.items() if abs(v) > 1e-3})


def _page(
    ranked: list[int],
    score: np.ndarray,
    distance: np.ndarray,
    ids: list[int],
    singer_keys: list[str],
    favourites: set[str],
    liked: set[int],
    limit: int,
) -> list[int]:
    """The first page from the diverse ranking: liked songs capped, favourites guaranteed.

    Liked songs: at most MAX_LIKED_SHARE of the page (they may come back, not take over).
    Favourite singers: each one's best song within FAVOURITE_TOLERANCE of the target is put
    on the page at the place its score earns, replacing the lowest-ranked songs of other
    singers, for at most FAVOURITE_SHARE of the page; the rest stays ranked by score.
    """
    max_liked = max(1, int(limit * MAX_LIKED_SHARE))
    page: list[int] = []
    liked_count = 0
    for i in ranked:
        if ids[i] in liked:
            if liked_count >= max_liked:
                continue
            liked_count += 1
        page.append(i)
        if len(page) == limit:
            break
    if not favourites:
        return page

    def favourite_keys(i: int) -> set[str]:
        return set(singer_keys[i].split("|")) & favourites

    present = set().union(*(favourite_keys(i) for i in page)) if page else set()
    best: dict[str, int] = {}
    for i in np.argsort(-score, kind="stable"):
        i = int(i)
        if distance[i] > FAVOURITE_TOLERANCE or (ids[i] in liked and liked_count >= max_liked):
            continue
        for key in favourite_keys(i) - present:
            best.setdefault(key, i)
    # Only the songs put in by the guarantee count against the share: a favourite who
    # ranks on the page by score does not use up another favourite's place.
    slots = max(1, int(limit * FAVOURITE_SHARE))
    for key, i in sorted(best.items(), key=lambda item: -score[item[1]]):
        if slots <= 0 or key in present:
            continue
        if len(page) >= limit:
            # Drop the lowest-ranked song that is no favourite's.
            drop = next((j for j in reversed(page) if not favourite_keys(j)), None)
            if drop is None:
                break
            page.remove(drop)
        at = next((n for n, j in enumerate(page) if score[j] < score[i]), len(page))
        page.insert(at, i)
        present |= favourite_keys(i)
        slots -= 1
    return page


def _candidates(
    languages: list[str],
    tv: float,
    te: float,
    *,
    exclude: set[int],
    favourites: list[str] = (),
    enough: int = MIN_CANDIDATES,
    version: CatalogueVersion,
) -> tuple[list[int], np.ndarray, np.ndarray, list[str]]:
    # Instrumental songs have no words: they suit a listener of any language.
    wanted = [*languages, INSTRUMENTAL] if languages else []
    rows: list[tuple] = []
    most = MAX_CANDIDATES if enough >= MIN_CANDIDATES else JOURNEY_MAX_CANDIDATES
    for window in WINDOWS:
        # The same for every listener in this mood and these languages: cached per
        # process and catalogue version (catalogue.caching); the exclusions are theirs.
        candidates = candidate_rows(
            version=version, languages=wanted, tv=tv, te=te, window=window, limit=most
        )
        rows = [r for r in candidates if r[0] not in exclude]
        if len(rows) >= enough:
            break
    if favourites:
        # The favourite singers' songs within the tolerance, wherever the window stopped.
        have = {r[0] for r in rows}
        # A favourite's song of unknown language is no known mismatch: the listener asked
        # for that singer (Taylor Swift's tags name no language, so she is "und").
        near = (
            (Song.objects.filter(language__in=[*wanted, UNKNOWN]) if languages else Song.objects.all())
            .filter(
                singers__key__in=favourites,
                valence__gte=tv - FAVOURITE_TOLERANCE,
                valence__lte=tv + FAVOURITE_TOLERANCE,
                energy__gte=te - FAVOURITE_TOLERANCE,
                energy__lte=te + FAVOURITE_TOLERANCE,
            )
            .values_list("id", "valence", "energy", "singers_key")[:MAX_CANDIDATES]
        )
        rows += [r for r in near if r[0] not in exclude and r[0] not in have and not have.add(r[0])]
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
        if step == 0:
            parts = [f"meets your {mood.label} mood first (step 1 of {LIFT_STEPS + 1})"]
        else:
            parts = [f"step {step + 1} of {LIFT_STEPS + 1}: from {mood.label} toward {target_label}"]
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
