"""Expression: how loud and when each note of an arrangement is played, and how loud the piece is.

- **Velocity** follows arousal (calm pieces are played softer) and the phrase shape: in
  each section the line swells towards its middle and relaxes at its cadence; downbeats
  are leaned on a little; the melody sings over the accompaniment; hi-hats sit under
  the kick and snare.
- **Timing**: each note starts up to about 15 ms early or late (a seeded Gaussian of
  6 ms, a player's spread, not a sloppy one; drums half of it); the first note is on
  time. A piece whose form asks for a ritardando slows to 70 % of its tempo across its
  last two bars; the final chord is held a beat longer (a fermata).
- **Loudness** (`loudness_db`): the RMS level the audio is rendered at follows arousal
  (-23.5 dBFS for the calmest prototype, -17 for the most aroused), instead of every
  piece being normalised to one peak. `ml.music.audio` reaches it without clipping.
"""

from __future__ import annotations

import math

import numpy as np

from ml.mood import Mood
from ml.music.instrumentation import CLOSED_HAT, KICK, OPEN_HAT, SIDE_STICK, SNARE, Part, PartNote

HUMANISE_SD, HUMANISE_MAX = 0.006, 0.015  # seconds
RITARDANDO_SLOWEST = 0.7  # tempo factor reached on the last step
FERMATA_BEATS = 1.0
ROLE_OFFSET = {"melody": 8, "harmony": -10, "bass": -4, "drums": 0}
DRUM_OFFSET = {KICK: 6, SNARE: 2, SIDE_STICK: -4, CLOSED_HAT: -14, OPEN_HAT: -10}
LOUDNESS_DB_AT_NEUTRAL, LOUDNESS_DB_PER_AROUSAL = -21.0, 5.0


def loudness_db(mood: Mood) -> float:
    """RMS level (dBFS) the piece is rendered at: louder for higher arousal."""
    return LOUDNESS_DB_AT_NEUTRAL + LOUDNESS_DB_PER_AROUSAL * float(mood.arousal)


def base_velocity(mood: Mood) -> float:
    return 72.0 + 22.0 * float(mood.arousal)


def step_times(
    n_steps: int, seconds_per_step: float, steps_per_bar: int, ritardando_bars: int = 0
) -> np.ndarray:
    """Seconds at every step boundary (n_steps + 1 values); the last `ritardando_bars`
    slow down linearly to RITARDANDO_SLOWEST of the tempo."""
    durations = np.full(n_steps, seconds_per_step)
    slow = min(n_steps, ritardando_bars * steps_per_bar)
    if slow:
        factor = np.linspace(1.0, RITARDANDO_SLOWEST, slow)
        durations[-slow:] = seconds_per_step / factor
    return np.concatenate([[0.0], np.cumsum(durations)])


def phrase_shape(step: int, sections: list[tuple[int, int]]) -> float:
    """-1..1 swell of the phrase a step is in: rises to the section's middle, falls to its end."""
    for start, end in sections:
        if start <= step < end:
            x = (step - start) / max(end - start, 1)
            return math.sin(math.pi * x) * 2 - 1
    return 0.0


def note_velocity(
    note: PartNote, part: Part, mood: Mood, sections: list[tuple[int, int]], steps_per_bar: int
) -> int:
    velocity = base_velocity(mood) + ROLE_OFFSET.get(part.role, 0)
    if part.is_drum:
        velocity += DRUM_OFFSET.get(note.pitch, 0)
    else:
        velocity += 6 * phrase_shape(note.start, sections)
    if note.start % steps_per_bar == 0:
        velocity += 4
    return int(np.clip(round(velocity), 20, 120))


def performed_notes(
    part: Part,
    *,
    mood: Mood,
    times: np.ndarray,
    sections: list[tuple[int, int]],
    steps_per_bar: int,
    rng: np.random.Generator,
    fermata: float,
) -> list[tuple[float, float, int, int]]:
    """(start s, end s, pitch, velocity) of a part's notes, humanised, the final chord held."""
    n_steps = len(times) - 1
    sd = HUMANISE_SD / (2 if part.is_drum else 1)
    out = []
    for note in part.notes:
        start, end = float(times[note.start]), float(times[min(note.end, n_steps)])
        if note.start > 0:
            start += float(np.clip(rng.normal(0.0, sd), -HUMANISE_MAX, HUMANISE_MAX))
        if note.end >= n_steps and not part.is_drum:
            end += fermata
        end = max(end, start + 0.03)
        out.append(
            (max(start, 0.0), end, note.pitch, note_velocity(note, part, mood, sections, steps_per_bar))
        )
    return _no_overlaps(out)


def _no_overlaps(notes: list[tuple[float, float, int, int]]) -> list[tuple[float, float, int, int]]:
    """A note ends before the next note of the same pitch starts (humanised starts may
    cross): MIDI cannot hold one key down twice."""
    notes = sorted(notes, key=lambda n: (n[2], n[0]))
    out = []
    for i, (start, end, pitch, velocity) in enumerate(notes):
        if i + 1 < len(notes) and notes[i + 1][2] == pitch:
            end = min(end, notes[i + 1][0] - 0.001)
        out.append((start, max(end, start + 0.005), pitch, velocity))
    return sorted(out, key=lambda n: (n[0], n[2]))
