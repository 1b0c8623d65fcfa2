"""The live soundtrack's bar stream with the shipped generator: it follows a moving mood."""

from __future__ import annotations

import numpy as np
import pytest

from ml.mood import mood_named
from ml.music.config import STEPS_PER_BAR
from ml.music.metrics import note_density
from ml.music.stream import (
    LIFT_BARS,
    MAX_MOOD_STEP,
    TEMPO_GLIDE_BPM,
    BarStream,
    InvalidArrangement,
    InvalidMode,
    bars_pitches,
    bars_to_midi,
)

pytestmark = pytest.mark.usefixtures("shipped_weights")


def play(stream: BarStream, mood: str, bars: int, gesture: str | None = None) -> list:
    target = mood_named(mood)
    return [stream.next_bar(target=target, gesture=gesture) for _ in range(bars)]


def test_a_scripted_happy_sad_calm_excited_run_is_followed_by_mode_tempo_and_density():
    """Every mood held for 16 bars; its last 8 bars (the music has arrived) are measured."""
    stream = BarStream(style="chorale", seed=5)
    script = ("happy", "sad", "calm", "excited")
    measured = {}
    for mood in script:
        bars = play(stream, mood, 16)
        settled = bars[8:]
        measured[mood] = {
            "modes": {bar.mode for bar in settled},
            "tempo": float(np.mean([bar.tempo for bar in settled])),
            "density": note_density(bars_pitches(settled)),
        }
    assert measured["happy"]["modes"] == {"major"} and measured["sad"]["modes"] == {"minor"}
    assert measured["calm"]["modes"] == {"major"} and measured["excited"]["modes"] == {"major"}
    # tempo follows arousal: excited > happy > calm, sad slowest of the sad/happy pair
    assert measured["excited"]["tempo"] > measured["happy"]["tempo"] > measured["calm"]["tempo"]
    assert measured["sad"]["tempo"] < measured["happy"]["tempo"]
    # note density follows arousal too (the network's condition)
    assert measured["excited"]["density"] > measured["calm"]["density"]
    assert measured["happy"]["density"] > measured["sad"]["density"]


def test_the_mood_glides_tempo_glides_and_bars_are_contiguous():
    stream = BarStream(seed=1)
    bars = play(stream, "happy", 4) + play(stream, "sad", 8)
    for before, after in zip(bars, bars[1:], strict=False):
        assert after.start == pytest.approx(before.end)
        assert after.index == before.index + 1
        assert abs(after.tempo - before.tempo) <= TEMPO_GLIDE_BPM + 1e-6
        assert abs(after.mood.valence - before.mood.valence) <= MAX_MOOD_STEP + 1e-6
    # the change is heard in the first bar after it (not at the next phrase)...
    assert bars[4].mood.valence < bars[3].mood.valence and bars[4].tempo < bars[3].tempo
    # ... and the target is reached gradually, not at once
    assert bars[4].mood.label != "sad" or bars[4].mood.valence > mood_named("sad").valence
    assert bars[-1].mood.label == "sad"


def test_the_key_is_kept_until_valence_changes_sign_then_moves_to_the_relative_key():
    stream = BarStream(seed=9)
    happy = play(stream, "happy", 8)
    calm = play(stream, "calm", 8)  # still positive valence
    sad = play(stream, "sad", 12)
    assert len({bar.key for bar in happy + calm}) == 1
    major_key, minor_key = happy[0].key, sad[-1].key
    assert minor_key.endswith("minor")
    names = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
    minor_names = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "Bb", "B")
    tonic_major = names.index(major_key.split()[0])
    tonic_minor = minor_names.index(minor_key.split()[0])
    assert (tonic_major - tonic_minor) % 12 == 3  # C major <-> A minor: same key signature


def test_phrases_are_eight_bars_in_song_form_with_a_cadence_before_a_change_of_section():
    stream = BarStream(seed=2)
    bars = play(stream, "neutral", 32)
    assert [bars[i].section for i in range(0, 32, 8)] == ["A", "A", "B", "A"]
    assert [bars[i].bar_in_phrase for i in range(8)] == list(range(8))
    cadences = {bar.phrase: bar.cadence for bar in bars if bar.bar_in_phrase == 7}
    # A -> A is a repeat (open), A -> B and B -> A change section (cadence)
    assert cadences == {0: False, 1: True, 2: True, 3: False}


def test_a_new_mood_region_closes_the_phrase_with_a_cadence_and_starts_a_new_song():
    stream = BarStream(seed=4)
    play(stream, "happy", 2)
    bars = play(stream, "sad", 14)
    first_phrase_end = next(bar for bar in bars if bar.phrase == 0 and bar.bar_in_phrase == 7)
    assert first_phrase_end.cadence
    assert next(bar for bar in bars if bar.index == 8).section == "A"


def test_an_unchanged_mood_plays_the_networks_phrase_with_ties_across_bar_lines():
    stream = BarStream(seed=3)
    bars = play(stream, "calm", 8)
    pitches = bars_pitches(bars)
    assert pitches.shape == (4, 8 * STEPS_PER_BAR)
    tied = [(bar.index, n) for bar in bars for n in bar.notes if n.tie]
    assert tied, "a held note over a bar line is tied, not attacked again"
    for index, note in tied:
        following = bars[index + 1] if index + 1 < len(bars) else None
        if following is not None:
            assert any(
                n.continues and n.track == note.track and n.pitch == note.pitch for n in following.notes
            )
    midi = bars_to_midi(bars)
    # the MIDI holds each tied note once: fewer notes than the bars' note events
    assert sum(len(i.notes) for i in midi.instruments) < sum(len(bar.notes) for bar in bars)
    assert midi.get_end_time() == pytest.approx(bars[-1].end - bars[0].start, abs=0.01)


def test_lift_leads_a_sad_listener_toward_calm_and_pleasant_without_lowering_valence():
    stream = BarStream(seed=6, mode="lift")
    bars = play(stream, "sad", LIFT_BARS + 8)
    valences = [bar.mood.valence for bar in bars]
    assert valences[-1] > 0.3 and bars[-1].mode == "major"
    assert all(b >= a - 1e-9 for a, b in zip(valences[2:], valences[3:], strict=False))
    follow = play(BarStream(seed=6), "sad", LIFT_BARS + 8)
    assert follow[-1].mode == "minor"


def test_gestures_steer_the_music_as_they_mean():
    calm_hand = play(BarStream(seed=7), "neutral", 6, gesture="open_palm")
    plain = play(BarStream(seed=7), "neutral", 6)
    pumped = play(BarStream(seed=7), "neutral", 6, gesture="fist")
    velocity = [np.mean([n.velocity for bar in run for n in bar.notes]) for run in (calm_hand, plain, pumped)]
    assert velocity[0] < velocity[1] < velocity[2]
    assert calm_hand[-1].tempo < plain[-1].tempo < pumped[-1].tempo
    assert calm_hand[0].gesture == "open_palm"
    # pointing holds the mood where it is
    stream = BarStream(seed=7)
    held = play(stream, "happy", 3) + play(stream, "sad", 4, gesture="pointing")
    assert held[-1].mood == held[2].mood


def test_the_arrangement_is_a_name_passed_through_and_can_change_while_playing():
    stream = BarStream(seed=8, arrangement="piano")
    assert play(stream, "sad", 1)[0].programs == (0, 0, 0, 0)
    stream.set_arrangement("strings")
    assert play(stream, "happy", 1)[0].programs == (40, 41, 42, 43)
    stream.set_arrangement("mood")
    assert play(stream, "happy", 1)[0].programs != (40, 41, 42, 43)
    with pytest.raises(InvalidArrangement, match="choose one of"):
        stream.set_arrangement("dubstep")
    with pytest.raises(InvalidMode, match="follow or lift"):
        BarStream(mode="sideways")


def test_nothing_played_cannot_be_written():
    from ml.music.errors import MusicError

    with pytest.raises(MusicError, match="nothing to write"):
        bars_to_midi([])
