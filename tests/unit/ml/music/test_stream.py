"""The live soundtrack's bar stream with the shipped generator: it follows a moving mood."""

from __future__ import annotations

import io
from collections import Counter

import numpy as np
import pretty_midi
import pytest

from ml.mood import mood_named
from ml.music.config import STEPS_PER_BAR
from ml.music.instrumentation import (
    ARRANGEMENT_NAMES,
    CRASH,
    DRUM_CHANNEL,
    INSTRUMENTS,
    KICK,
    arrange_parts,
    arrangement_for_mood,
)
from ml.music.metrics import note_density
from ml.music.stream import (
    LIFT_BARS,
    LIVE_ARRANGEMENTS,
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
                n.continues and n.channel == note.channel and n.pitch == note.pitch for n in following.notes
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


def test_the_live_arrangements_are_the_compositions_named_ones_and_mood():
    assert ("mood", *ARRANGEMENT_NAMES) == LIVE_ARRANGEMENTS
    with pytest.raises(InvalidArrangement) as error:
        BarStream(arrangement="woodwinds")  # the old fixed ensembles are gone
    assert all(name in str(error.value) for name in LIVE_ARRANGEMENTS)
    with pytest.raises(InvalidMode, match="follow or lift"):
        BarStream(mode="sideways")


@pytest.mark.parametrize("arrangement", LIVE_ARRANGEMENTS)
def test_every_arrangement_plays_bars_on_valid_channels_with_drums_on_channel_10(arrangement):
    stream = BarStream(seed=11, arrangement=arrangement)
    bars = play(stream, "excited", 9) + play(stream, "sad", 7)  # a phrase line, a mood change
    for bar in bars:
        expected = arrangement_for_mood(bar.mood) if arrangement == "mood" else arrangement
        assert bar.arrangement == expected
        channels = [part.channel for part in bar.parts]
        assert len(set(channels)) == len(channels) and 2 <= len(channels) <= 4
        for part in bar.parts:
            assert 0 <= part.channel < 16 and 0 <= part.program < 128
            assert (part.channel == DRUM_CHANNEL) == part.is_drum
        melodic = [part.program for part in bar.parts if not part.is_drum]
        # the composition's instruments for that arrangement, in the composition's order
        assert melodic == [p.program for p in arrange_parts(bar.pitches, bar.mood, expected) if not p.is_drum]
        assert bar.notes and {n.channel for n in bar.notes} <= set(channels)
        for note in bar.notes:
            assert 0 <= note.pitch < 128 and 20 <= note.velocity <= 127
            assert note.duration > 0 and note.start + note.duration <= bar.duration + 1e-3
        drums = [n for n in bar.notes if n.channel == DRUM_CHANNEL]
        if bar.arrangement == "beat":
            # a live phrase keeps its pattern to its last bar: the stream goes on
            assert {n.pitch for n in drums} - {KICK, CRASH}, f"bar {bar.index} has no groove"
        else:
            assert not drums
    if arrangement == "mood":
        assert {bar.arrangement for bar in bars} >= {"beat", "strings"}


def test_a_live_phrase_is_its_arrangement_as_a_composition_would_play_it_cut_at_bar_lines():
    bars = play(BarStream(seed=3, arrangement="ambient"), "calm", 8)  # one phrase, written once
    assert len({bar.phrase for bar in bars}) == 1
    parts = arrange_parts(bars_pitches(bars), bars[0].mood, "ambient", whole=False)
    expected = {(p.name, n.pitch, n.start) for p in parts for n in p.notes}
    midi = bars_to_midi(bars)
    step = bars[0].duration / STEPS_PER_BAR  # one tempo: the mood did not move
    played = {(i.name, n.pitch, round(n.start / step)) for i in midi.instruments for n in i.notes}
    assert played == expected
    # the pads hold chords over bar lines: one MIDI note each, not one per bar
    crossing = [n for p in parts for n in p.notes if n.start // 16 != (n.end - 1) // 16]
    assert crossing
    ends = {
        (i.name, n.pitch, round(n.start / step)): round(n.end / step)
        for i in midi.instruments
        for n in i.notes
    }
    assert all(ends[(p.name, n.pitch, n.start)] >= n.end - 1 for p in parts for n in p.notes if n in crossing)


def test_ties_are_kept_per_channel_and_pitch_so_a_held_chord_goes_on_across_the_bar_line():
    # the ambient pad holds a chord over a bar line where the harmony stays: the first
    # seed whose calm phrase does so (which seed depends on the shipped weights)
    for seed in range(10):
        bars = play(BarStream(seed=seed, arrangement="ambient"), "calm", 8)
        held_chords = [
            (bar, channel)
            for bar in bars[:-1]
            for channel, count in Counter(n.channel for n in bar.notes if n.tie).items()
            if count >= 2
        ]
        if held_chords:
            break
    assert held_chords, "a pad holds two notes of one channel over a bar line"
    for bar, channel in held_chords:
        tied = {n.pitch for n in bar.notes if n.tie and n.channel == channel}
        following = bars[bar.index + 1]
        continued = {n.pitch for n in following.notes if n.continues and n.channel == channel}
        assert continued == tied  # every held note goes on, none cuts another
    # on one channel a key is down once at a time
    for bar in bars:
        by_key = sorted((n.channel, n.pitch, n.start, n.start + n.duration) for n in bar.notes)
        for a, b in zip(by_key, by_key[1:], strict=False):
            assert a[:2] != b[:2] or b[2] >= a[3] - 1e-3


def test_the_arrangement_can_change_while_playing_and_no_tie_crosses_the_change():
    stream = BarStream(seed=5, arrangement="ambient")
    before = play(stream, "calm", 1)
    while not any(n.tie for n in before[-1].notes):  # up to a bar that holds a note over its line
        assert len(before) < 7, "the pads hold a chord over some bar line of the phrase"
        before += play(stream, "calm", 1)
    stream.set_arrangement("beat")
    after = play(stream, "calm", 2)
    assert after[0].arrangement == "beat" and not any(n.continues for n in after[0].notes)
    assert [p.name for p in after[0].parts] == ["keys", "keys chords", "electric bass", "drums"]
    with pytest.raises(InvalidArrangement, match="choose one of"):
        stream.set_arrangement("dubstep")


def test_what_played_is_written_as_one_instrument_per_part_drums_on_channel_10():
    stream = BarStream(seed=5, arrangement="mood")
    bars = play(stream, "excited", 4) + play(stream, "sad", 8)
    played = {(p.name, p.program, p.is_drum) for bar in bars for p in bar.parts}
    buffer = io.BytesIO()
    bars_to_midi(bars).write(buffer)
    back = pretty_midi.PrettyMIDI(io.BytesIO(buffer.getvalue()))
    assert {(i.name, i.program, i.is_drum) for i in back.instruments} == played
    assert [i.is_drum for i in back.instruments].count(True) == 1  # read back from channel 10
    assert INSTRUMENTS["cello"][0] in {i.program for i in back.instruments}  # strings for sad


def test_nothing_played_cannot_be_written():
    from ml.music.errors import MusicError

    with pytest.raises(MusicError, match="nothing to write"):
        bars_to_midi([])
