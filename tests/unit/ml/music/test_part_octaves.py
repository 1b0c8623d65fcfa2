"""Octave moves for range keep the written voicing: the parts move together, in order."""

from __future__ import annotations

import numpy as np

from ml.mood import mood_named
from ml.music.instrumentation import ARRANGEMENT_BUILDERS, arrange_parts, fit_range
from ml.music.metrics import spacing_fault_share, voice_crossing_share
from ml.music.part_octaves import sounding_pitches

SAD = mood_named("sad")
F1, F2, C3, F3, C4, F4 = 29, 41, 48, 53, 60, 65


def _chords(*chords: tuple[int, int, int, int], steps: int = 8) -> np.ndarray:
    """Four voices (soprano first) holding each chord `steps` sixteenths."""
    return np.repeat(np.array(chords, dtype=np.int16).T, steps, axis=1)


def _sounding(pitches: np.ndarray, arrangement: str = "strings") -> np.ndarray:
    return sounding_pitches(arrange_parts(pitches, SAD, arrangement), pitches.shape[1])


def _one_part_at_a_time(pitches: np.ndarray, arrangement: str):
    """The rule before: each part moved into its range on its own."""
    parts = ARRANGEMENT_BUILDERS[arrangement](pitches, SAD, None, True)
    for part in parts:
        part.notes = fit_range(part.notes, *part.range)
    return parts


def test_a_melody_under_the_violin_moves_the_whole_ensemble_up_an_octave():
    # issue 12 (chorale, sad, seed 7) in two chords: the tune ends on F3, under the violin's G3
    pitches = _chords((70, 65, 58, 46), (F3, C3, F2, F1))
    before = sounding_pitches(_one_part_at_a_time(pitches, "strings"), pitches.shape[1])
    assert [int(p) for p in before[:, -1]] == [F4, C3, F2, F2]  # a hole under the tune, cello on the tenor
    sounding = _sounding(pitches)
    np.testing.assert_array_equal(sounding, pitches + 12)  # the written voicing, an octave up
    double_bass = arrange_parts(pitches, SAD, "strings")[3]
    assert [n.pitch for n in double_bass.notes][-1] == F1  # still an octave under the cello


def test_parts_that_cannot_all_move_keep_their_order_and_spacing_under_the_part_above():
    # the tune needs an octave up; the cello cannot follow (its top note would leave its range)
    pitches = _chords((F3, C3, F2, 36), (79, 76, 72, 65))
    sounding = _sounding(pitches)
    assert [int(p) for p in sounding[:, 0]] == [F4, C4, F3, 36]  # violin and ensemble up, cello stays
    assert voice_crossing_share(sounding) == 0.0 and spacing_fault_share(sounding) == 0.0
    before = sounding_pitches(_one_part_at_a_time(pitches, "strings"), pitches.shape[1])
    assert spacing_fault_share(before) == 1.0  # the ensemble left over an octave under the violin


def test_parts_in_their_instruments_ranges_are_left_as_written():
    pitches = _chords((72, 67, 64, 48), (74, 65, 59, 43), (72, 64, 55, 48))
    for arrangement in ARRANGEMENT_BUILDERS:
        parts = arrange_parts(pitches, SAD, arrangement)
        written = ARRANGEMENT_BUILDERS[arrangement](pitches, SAD, None, True)
        assert [p.notes for p in parts] == [p.notes for p in written]


def test_a_part_no_octave_fits_is_folded_into_range_as_before():
    # a tune spanning three octaves and a half does not fit the flute (C4-C7) at any octave
    pitches = _chords((48, 43, 36, 24), (60, 55, 48, 36), (90, 52, 48, 36), (72, 55, 48, 36))
    parts = arrange_parts(pitches, SAD, "acoustic")
    written = ARRANGEMENT_BUILDERS["acoustic"](pitches, SAD, None, True)
    assert parts[0].notes == fit_range(written[0].notes, 60, 96)
    assert [n.pitch for n in parts[0].notes][:2] == [60, 60]  # the C3 folded up, the rest as written
    assert all(40 <= n.pitch <= 84 for n in parts[1].notes)  # the guitar still in its range


def test_a_bass_under_the_cello_takes_only_its_low_notes_up_while_the_double_bass_keeps_them():
    # only the A1 is under the cello's C2; the whole cello part an octave up would cross the tenor
    pitches = _chords((67, 60, 52, 43), (65, 60, 48, 33), (64, 55, 48, 36))
    before = sounding_pitches(_one_part_at_a_time(pitches, "strings"), pitches.shape[1])
    assert voice_crossing_share(before) > 0  # G3 over the tenor's E3
    parts = arrange_parts(pitches, SAD, "strings")
    sounding = sounding_pitches(parts, pitches.shape[1])
    assert [int(p) for p in sounding[3, ::8]] == [43, 45, 36]  # the cello: G2 A2 C2
    assert voice_crossing_share(sounding) == 0.0
    assert [n.pitch for n in parts[3].notes] == [43, 33, 36]  # the double bass: the written line
    np.testing.assert_array_equal(sounding[:3], pitches[:3])  # the upper voices as written
