"""Arrangements: programs, channels (drums on 10), MIDI round trip, no new melody, ranges."""

from __future__ import annotations

import io

import mido
import numpy as np
import pretty_midi
import pytest

from ml.mood import mood_named
from ml.music import midi_bytes
from ml.music.form import plan_form
from ml.music.generate import piece_from_tokens
from ml.music.instrumentation import (
    ARRANGEMENT_NAMES,
    CLOSED_HAT,
    CRASH,
    INSTRUMENTS,
    KICK,
    PartNote,
    arpeggio,
    arrange_parts,
    drum_notes,
    fit_range,
    part_channels,
)

PROGRAMS = {
    "piano": [0, 0],
    "strings": [40, 48, 42, 43],
    "acoustic": [73, 24],
    "ambient": [4, 89, 89],
    "beat": [4, 4, 33],
}


def _hand_piece(arrangement: str, mood: str = "happy", bars: int = 4):
    """A C major cadence per bar in four voices (melody moves in quarters)."""
    tokens = np.full((4, bars * 16), 64, dtype=np.int8)
    melody = np.tile(np.repeat([72, 74, 76, 72], 4), bars)
    tokens[0] = melody - 28
    tokens[1] = 67 - 28
    tokens[2] = 64 - 28
    tokens[3] = np.tile(np.repeat([48, 43], 8), bars) - 28
    piece = piece_from_tokens(tokens, mood=mood_named(mood), style="folk", tempo=120, clean=False)
    piece.form = plan_form(bars, piece.mood)
    piece.arrangement = arrangement
    return piece


@pytest.mark.parametrize("arrangement", ARRANGEMENT_NAMES)
def test_every_arrangement_has_its_programs_and_survives_a_midi_round_trip(arrangement):
    piece = _hand_piece(arrangement, mood="excited")
    back = pretty_midi.PrettyMIDI(io.BytesIO(midi_bytes(piece)))
    melodic = [i for i in back.instruments if not i.is_drum]
    assert [i.program for i in melodic] == PROGRAMS[arrangement]
    assert any(i.is_drum for i in back.instruments) == (arrangement == "beat")
    parts = arrange_parts(piece.pitches, piece.mood, arrangement, piece.form)
    assert sum(len(i.notes) for i in back.instruments) == sum(len(p.notes) for p in parts)
    # no new melody: every pitched note is a pitch class of a voice sounding at that step
    voices_pcs = {int(p) % 12 for p in piece.pitches[piece.pitches >= 0]}
    assert {n.pitch % 12 for i in melodic for n in i.notes} <= voices_pcs
    top = max(melodic, key=lambda i: np.mean([n.pitch for n in i.notes]))
    assert [n.pitch % 12 for n in sorted(top.notes, key=lambda n: n.start)][:4] == [0, 2, 4, 0]


def test_drums_are_on_general_midi_channel_ten():
    piece = _hand_piece("beat", mood="angry")
    midi = mido.MidiFile(file=io.BytesIO(midi_bytes(piece)))
    channels: dict[str, set[int]] = {}
    for track in midi.tracks:
        name = next((m.name for m in track if m.type == "track_name"), "")
        channels[name] = {m.channel for m in track if m.type == "note_on"}
    assert channels["drums"] == {9}
    assert all(9 not in chans for name, chans in channels.items() if name != "drums")


def test_the_drum_pattern_follows_arousal():
    def hats_per_bar(arousal):
        notes = drum_notes(4, arousal, (0,))
        return sum(n.pitch == CLOSED_HAT for n in notes if n.start < 16)

    assert hats_per_bar(-0.5) == 4 < hats_per_bar(0.35) == 8 < hats_per_bar(0.8)
    notes = drum_notes(8, 0.35, (0, 4))
    crashes = [n.start for n in notes if n.pitch == CRASH]
    assert crashes == [4 * 16, 7 * 16]  # the second section's start and the final chord
    assert [n.pitch for n in notes if n.start >= 7 * 16] == [KICK, CRASH]  # the last bar: one hit


def test_drums_of_a_passage_that_goes_on_keep_their_pattern_to_the_last_bar():
    """A live phrase (`whole=False`): no final hit, and its first bar starts a section."""
    whole = drum_notes(2, 0.35, (0,))
    passage = drum_notes(2, 0.35, (0,), whole=False)
    last_bar = [n.pitch for n in passage if n.start >= 16]
    assert last_bar.count(CLOSED_HAT) == 8 and CRASH not in last_bar
    assert [n.pitch for n in whole if n.start >= 16] == [KICK, CRASH]
    assert [n.start for n in passage if n.pitch == CRASH] == [0]
    assert [n.start for n in whole if n.pitch == CRASH] == [16]


@pytest.mark.parametrize("arrangement", ARRANGEMENT_NAMES)
def test_part_channels_are_the_channels_the_midi_file_gives_the_parts(arrangement):
    piece = _hand_piece(arrangement, mood="excited")
    parts = arrange_parts(piece.pitches, piece.mood, arrangement, piece.form)
    midi = mido.MidiFile(file=io.BytesIO(midi_bytes(piece)))
    names = {}
    for track in midi.tracks:
        name = next((m.name for m in track if m.type == "track_name"), None)
        on = {m.channel for m in track if m.type == "note_on"}
        if name and on:
            names[name] = on
    assert {p.name: {c} for p, c in zip(parts, part_channels(parts), strict=True)} == names


def test_an_arpeggio_plays_only_the_sounding_voices_and_holds_to_the_half_bar():
    pitches = np.full((4, 16), -1, dtype=np.int16)
    pitches[1], pitches[2], pitches[3] = 67, 64, 48
    notes = arpeggio(pitches, (3, 2, 1))
    assert [n.pitch for n in notes] == [48, 67, 64, 48, 48, 67, 64, 48]  # low, high, middle
    assert [n.end for n in notes] == [8] * 4 + [16] * 4


def test_parts_are_moved_by_octaves_into_the_instruments_range():
    low, high = INSTRUMENTS["flute"][1:]
    notes = [PartNote(0, 4, 50, 0), PartNote(4, 8, 55, 0)]
    fitted = fit_range(notes, low, high)
    assert [n.pitch for n in fitted] == [62, 67]
    sad = _hand_piece("acoustic", mood="sad")
    flute = arrange_parts(sad.pitches - 24, sad.mood, "acoustic", sad.form)[0]
    assert all(low <= n.pitch <= high for n in flute.notes)
