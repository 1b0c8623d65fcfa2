"""Arrangement steps on hand-made eighth-grid voices with a known answer."""

from __future__ import annotations

import numpy as np
import pytest

from ml.music.arrangement import avoid_parallels, fill_rests, follow_chords, grid_notes, reharmonise
from ml.music.config import PITCH_LOW, REST
from ml.music.metrics import parallel_perfects
from ml.music.phrase import NO_CHORD
from ml.music.phrase_generate import bars_kept, form_plan, grid_to_tokens16


def _i(*midi: int) -> list[int]:
    return [m - PITCH_LOW for m in midi]


def test_grid_notes_split_on_onsets_and_pitch_changes():
    tokens = np.array(_i(60, 60, 60, 62) + [REST, REST], dtype=np.int8)
    onsets = np.array([1, 0, 1, 0, 0, 0])
    assert grid_notes(tokens, onsets) == [
        (0, 2, 60 - PITCH_LOW),
        (2, 3, 60 - PITCH_LOW),
        (3, 4, 62 - PITCH_LOW),
    ]


def test_a_held_tonic_bass_follows_the_chord_change_to_its_root():
    tokens = np.full((4, 8), REST, dtype=np.int8)
    tokens[0] = _i(72, 72, 72, 72, 71, 71, 71, 71)
    tokens[1] = _i(67) * 8
    tokens[2] = _i(64) * 8
    tokens[3] = _i(48) * 8  # a C drone under C major then G major
    onsets = np.zeros((4, 8), dtype=np.int8)
    onsets[:, 0] = 1
    onsets[0, 4] = 1
    out, ons = follow_chords(tokens, onsets, np.array([0, 7]))
    assert out[3, :4].tolist() == _i(48) * 4 and out[3, 4:].tolist() == _i(43) * 4  # C2..G: root of G
    assert ons[3, 4] == 1
    assert out[2, 4] + PITCH_LOW in (62, 67)  # the tenor's E is no tone of G major: to D or G
    assert out[1, 4] + PITCH_LOW == 67  # the alto's G is
    same, _ = follow_chords(tokens, onsets, np.array([NO_CHORD, NO_CHORD]))
    assert np.array_equal(same, tokens)  # no chord, nothing to follow


def test_parallel_fifths_between_tenor_and_bass_are_removed_and_the_melody_kept():
    tokens = np.full((4, 4), REST, dtype=np.int8)
    tokens[0] = _i(76, 76, 77, 77)  # E5 F5
    tokens[1] = _i(72, 72, 72, 72)
    tokens[2] = _i(55, 55, 57, 57)  # G3 -> A3 over C3 -> D3: parallel fifths
    tokens[3] = _i(48, 48, 50, 50)
    onsets = np.zeros((4, 4), dtype=np.int8)
    onsets[:, 0] = 1
    onsets[[0, 2, 3], 2] = 1
    before = parallel_perfects(
        np.where(grid_to_tokens16(tokens, onsets) == REST, -1, grid_to_tokens16(tokens, onsets) + PITCH_LOW)
    )
    out, _ = avoid_parallels(tokens, onsets, np.array([0]))
    pitches16 = grid_to_tokens16(out, onsets)
    after = parallel_perfects(np.where(pitches16 == REST, -1, pitches16 + PITCH_LOW))
    assert before == 1 and after == 0
    assert np.array_equal(out[0], tokens[0]) and np.array_equal(out[3], tokens[3])


def test_fill_rests_keeps_every_voice_sounding_under_the_melody():
    tokens = np.full((4, 6), REST, dtype=np.int8)
    tokens[0] = _i(72, 74, 76, 77, 79, 77)
    tokens[1, 2:4] = _i(67, 67)
    tokens[2, :3] = _i(64, 64, 64)
    tokens[3] = _i(48) * 6
    onsets = np.zeros((4, 6), dtype=np.int8)
    onsets[:, 0] = onsets[0] = 1
    onsets[1, 2] = 1
    out, ons = fill_rests(tokens, onsets)
    assert (out != REST).all()
    assert out[1].tolist() == _i(67) * 6 and ons[1].tolist() == [1, 0, 0, 0, 0, 0]  # anticipated, then held


def test_reharmonise_accompanies_a_c_major_melody_with_its_triads():
    tokens = np.full((4, 16), REST, dtype=np.int8)
    tokens[0] = _i(72, 72, 76, 76, 79, 79, 76, 76, 74, 74, 77, 77, 71, 71, 74, 74)  # C E G E | D F B D
    onsets = np.zeros((4, 16), dtype=np.int8)
    onsets[0, ::2] = 1
    out, _ = reharmonise(tokens, onsets)
    for half in range(4):  # each half bar: a root-position triad holding most of the melody
        window = out[:, half * 4 : (half + 1) * 4] + PITCH_LOW
        root = int(window[3, 0]) % 12
        triads = [{root, (root + third) % 12, (root + 7) % 12} for third in (3, 4)]
        chord = next(t for t in triads if {int(p) % 12 for p in window[1:].ravel()} <= t)
        assert np.mean([int(p) % 12 in chord for p in window[0]]) >= 0.5
    assert (out[1:] != REST).all() and (out[1] > out[2]).all() and (out[2] > out[3]).all()


def test_the_form_of_longer_pieces_and_the_kept_cadence_bar():
    assert form_plan(1) == [("A", 1.0)]
    assert form_plan(2) == [("A", 0.0), ("A", 1.0)]
    assert [n for n, _ in form_plan(4)] == list("AABA") and [c for _, c in form_plan(4)] == [0, 1, 0, 1]
    assert form_plan(3)[-1] == ("B", 1.0)  # the last phrase closes
    keep = bars_kept(12, 2)  # one phrase, then bars 1-3 and the cadence bar 8 of the second
    assert keep.size == 12 * 8 and keep[-8] == 15 * 8 and keep[8 * 8 + 3 * 8 - 1] == 8 * 8 + 3 * 8 - 1


def _pitches16(tokens: np.ndarray, onsets: np.ndarray) -> np.ndarray:
    rows = grid_to_tokens16(tokens, onsets)
    return np.where(rows == REST, -1, rows.astype(np.int16) + PITCH_LOW)


def test_fill_rests_sings_through_a_chord_change_on_the_new_chords_tones():
    # C major then F major (half bars of 4 eighths); the tenor stops after one eighth and
    # the bass after two, while melody and alto go on
    tokens = np.full((4, 8), REST, dtype=np.int8)
    tokens[0] = _i(72, 72, 72, 72, 72, 72, 72, 72)
    tokens[1] = _i(67, 67, 67, 67, 69, 69, 69, 69)
    tokens[2, :1] = _i(64)
    tokens[3, :2] = _i(48, 48)
    onsets = np.zeros((4, 8), dtype=np.int8)
    onsets[:, 0] = 1
    onsets[1, 4] = 1
    out, ons = fill_rests(tokens, onsets, np.array([0, 5]))  # C major, F major
    assert (out != REST).all()
    assert np.array_equal(out[:2], tokens[:2]) and np.array_equal(ons[:2], onsets[:2])  # untouched
    assert out[2, :4].tolist() == _i(64) * 4  # E is a tone of C major: held
    assert out[2, 4] + PITCH_LOW == 65 and ons[2, 4] == 1  # ... and moves to F (nearest tone of F major)
    assert out[3, :4].tolist() == _i(48) * 4 and out[3, 4] + PITCH_LOW in (41, 53)  # bass: C, then F
    assert ons[3, 4] == 1 and ons[3, 1:4].tolist() == [0, 0, 0]


def test_fill_rests_brings_a_late_voice_in_early_on_a_chord_tone():
    tokens = np.full((4, 4), REST, dtype=np.int8)
    tokens[0] = _i(76, 76, 77, 77)
    tokens[1] = _i(72, 72, 72, 72)
    tokens[2, 2:] = _i(65, 65)  # the tenor comes in on F, a tone of no C major
    tokens[3] = _i(48) * 4
    onsets = np.zeros((4, 4), dtype=np.int8)
    onsets[:, 0] = 1
    onsets[0, 2] = onsets[2, 2] = 1
    out, ons = fill_rests(tokens, onsets, np.array([0]))
    assert out[2, :2].tolist() == _i(64, 64) and ons[2, :3].tolist() == [1, 0, 1]  # E, then its F
    plain, plain_ons = fill_rests(tokens, onsets)  # without chords: the F itself comes early
    assert plain[2].tolist() == _i(65) * 4 and plain_ons[2].tolist() == [1, 0, 0, 0]


def test_a_fifth_between_alto_and_the_tenor_below_it_moves_the_tenor_not_the_alto():
    tokens = np.full((4, 4), REST, dtype=np.int8)
    tokens[0] = _i(76, 76, 77, 77)  # E5 F5
    tokens[1] = _i(72, 72, 74, 74)  # C5 -> D5 over
    tokens[2] = _i(65, 65, 67, 67)  # F4 -> G4: fifths in parallel, the tenor below the alto
    tokens[3] = _i(50, 50, 47, 47)  # D3 -> B2
    onsets = np.zeros((4, 4), dtype=np.int8)
    onsets[:, 0] = onsets[:, 2] = 1
    assert parallel_perfects(_pitches16(tokens, onsets)) == 1
    out, _ = avoid_parallels(tokens, onsets, np.array([NO_CHORD]))
    assert parallel_perfects(_pitches16(out, onsets)) == 0
    assert np.array_equal(out[:2], tokens[:2]) and np.array_equal(out[3], tokens[3])  # the tenor gave way
    assert out[2, 2] != tokens[2, 2]


def test_a_parallel_across_a_rest_is_seen_as_the_metric_hears_it():
    # alto and bass in octaves C -> D; the alto rests while the tenor moves in between
    tokens = np.full((4, 4), REST, dtype=np.int8)
    tokens[0] = _i(76, 76, 77, 77)
    tokens[1] = [60 - PITCH_LOW, REST, 62 - PITCH_LOW, 62 - PITCH_LOW]
    tokens[2] = _i(55, 57, 57, 57)
    tokens[3] = _i(48, 48, 50, 50)
    onsets = np.zeros((4, 4), dtype=np.int8)
    onsets[:, 0] = 1
    onsets[[0, 1, 3], 2] = 1
    onsets[2, 1] = 1
    assert parallel_perfects(_pitches16(tokens, onsets)) == 1
    out, _ = avoid_parallels(tokens, onsets, np.array([NO_CHORD]))
    assert parallel_perfects(_pitches16(out, onsets)) == 0
    assert np.array_equal(out[0], tokens[0]) and np.array_equal(out[3], tokens[3])


def test_hold_repeats_ties_inner_repeated_notes_inside_a_half_bar_only():
    from ml.music.arrangement import hold_repeats

    tokens = np.full((4, 8), REST, dtype=np.int8)
    tokens[0] = _i(72, 72, 74, 74, 76, 76, 77, 77)
    tokens[1] = _i(67) * 8
    tokens[2] = _i(64) * 8
    tokens[3] = _i(48) * 8
    onsets = np.ones((4, 8), dtype=np.int8)  # every voice strikes every eighth
    _, ons = hold_repeats(tokens, onsets)
    # held, struck again at the half bar; melody and bass keep their re-attacks
    assert ons[1].tolist() == ons[2].tolist() == [1, 0, 0, 0, 1, 0, 0, 0]
    assert np.array_equal(ons[0], onsets[0]) and np.array_equal(ons[3], onsets[3])


def test_answer_rhythm_retimes_two_consequent_bars_keeping_pitches_and_the_cadence():
    from ml.music.arrangement import answer_rhythm
    from ml.music.metrics import rhythm_reuse

    bar = 8
    tokens = np.full((4, 8 * bar), REST, dtype=np.int8)
    onsets = np.zeros((4, 8 * bar), dtype=np.int8)
    # antecedent bars: quarter, quarter, half (attacks 0, 2, 4)
    for b in range(4):
        tokens[0, b * bar : (b + 1) * bar] = _i(72, 72, 74, 74, 76, 76, 76, 76)
        onsets[0, [b * bar, b * bar + 2, b * bar + 4]] = 1
    # consequent bars: half, quarter, quarter (attacks 0, 4, 6), other pitches
    for b in range(4, 8):
        tokens[0, b * bar : (b + 1) * bar] = _i(79, 79, 79, 79, 77, 77, 76, 76)
        onsets[0, [b * bar, b * bar + 4, b * bar + 6]] = 1
    tokens[1:] = _i(60)[0]
    onsets[1:, ::bar] = 1
    out, ons = answer_rhythm(tokens, onsets)
    assert rhythm_reuse(_pitches16(out, ons)) and not rhythm_reuse(_pitches16(tokens, onsets))
    # bars 5 and 6 take the antecedent's rhythm with their own pitches in order
    assert out[0, 4 * bar : 5 * bar].tolist() == _i(79, 79, 77, 77, 76, 76, 76, 76)
    assert ons[0, 4 * bar : 5 * bar].tolist() == [1, 0, 1, 0, 1, 0, 0, 0]
    # bars 7 and 8 (the cadence) and the other voices are untouched
    assert np.array_equal(out[0, 6 * bar :], tokens[0, 6 * bar :])
    assert np.array_equal(out[1:], tokens[1:]) and np.array_equal(ons[1:], onsets[1:])


def test_answer_rhythm_takes_the_sounding_pitch_at_each_attack_and_skips_a_bar_held_over():
    # one note more or fewer than the antecedent bar: re-timed; a note over the barline: left
    from ml.music.arrangement import answer_rhythm

    bar = 8
    tokens = np.full((4, 8 * bar), REST, dtype=np.int8)
    onsets = np.zeros((4, 8 * bar), dtype=np.int8)
    tokens[0, : 4 * bar] = _i(72)[0]
    onsets[0, : 4 * bar : 2] = 1  # antecedent: quarters
    tokens[0, 4 * bar : 5 * bar] = _i(74, 74, 74, 74, 76, 76, 77, 77)  # bar 5: half, 2 quarters
    onsets[0, [4 * bar, 4 * bar + 4, 4 * bar + 6]] = 1
    tokens[0, 5 * bar : 6 * bar + 4] = _i(77)[0]  # bar 6 held over into bar 7
    tokens[0, 6 * bar + 2 : 7 * bar] = _i(79, 79, 79, 79, 81, 81)
    onsets[0, [5 * bar, 6 * bar + 2, 6 * bar + 6]] = 1
    tokens[0, 7 * bar :] = _i(72)[0]  # the cadence bar
    onsets[0, 7 * bar] = 1
    out, ons = answer_rhythm(tokens, onsets)
    assert out[0, 4 * bar : 5 * bar].tolist() == _i(74, 74, 74, 74, 76, 76, 77, 77)
    assert ons[0, 4 * bar : 5 * bar].tolist() == [1, 0, 1, 0, 1, 0, 1, 0]
    assert np.array_equal(out[0, 5 * bar : 6 * bar], tokens[0, 5 * bar : 6 * bar])  # runs over: left
    assert np.array_equal(ons[0, 5 * bar : 6 * bar], onsets[0, 5 * bar : 6 * bar])
    assert out[0, 6 * bar : 7 * bar].tolist() == _i(77, 77, 79, 79, 79, 79, 81, 81)
    assert ons[0, 6 * bar : 7 * bar].tolist() == [1, 0, 1, 0, 1, 0, 1, 0]
    assert np.array_equal(out[0, 7 * bar :], tokens[0, 7 * bar :])


def test_follow_chords_keeps_an_off_beat_passing_tone_and_moves_other_non_chord_tones():
    tokens = np.full((4, 8), REST, dtype=np.int8)
    tokens[0] = _i(76, 76, 76, 76, 79, 79, 79, 79)
    tokens[1] = _i(72, 69, 67, 67, 67, 67, 67, 67)  # C - A (a third away, off the beat) - G
    tokens[2] = _i(64, 65, 67, 67, 65, 65, 64, 64)  # E - F (passing, off the beat) - G, then F on the beat
    tokens[3] = _i(48) * 8
    onsets = np.zeros((4, 8), dtype=np.int8)
    onsets[:, 0] = 1
    onsets[1:3, [1, 2]] = 1
    onsets[0, 4] = onsets[2, 4] = onsets[2, 6] = 1
    out, ons = follow_chords(tokens, onsets, np.array([0, 0]))  # C major throughout
    assert out[2, 1] + PITCH_LOW == 65 and ons[2, 1] == 1  # E-F-G: the passing F is sung
    assert out[2, 4] + PITCH_LOW == 64  # an F on the beat is no passing tone: to E
    assert out[1, 1] + PITCH_LOW == 67  # A between C and G leaps in: to the nearest chord tone


def _repeats_piece() -> tuple[np.ndarray, np.ndarray]:
    """Two bars of C major in which alto, tenor and bass strike a note again on the first off-beat."""
    tokens = np.full((4, 16), REST, dtype=np.int8)
    onsets = np.zeros((4, 16), dtype=np.int8)
    tokens[0] = _i(72, 72, 74, 74, 76, 76, 77, 77, 79, 79, 81, 81, 83, 83, 84, 84)
    onsets[0, ::2] = 1
    onsets[0, 5] = 1  # the melody's own off-beat repeat
    tokens[1] = _i(67, 67, *[64] * 6, *[67] * 8)  # G G (off-beat) then E: a third down
    tokens[2] = _i(60, 60, *[62] * 6, *[59] * 8)  # C C then D: a step
    tokens[3] = _i(48, 48, *[48] * 6, *[43] * 8)  # C C then C again
    onsets[1:, [0, 1, 2, 8]] = 1
    onsets[2, 10] = 1  # the tenor's B struck again on the beat
    return tokens, onsets


def test_smooth_repeats_moves_by_step_or_holds_instead_of_striking_again_off_the_beat():
    from ml.music.arrangement import smooth_repeats

    tokens, onsets = _repeats_piece()
    out, ons = smooth_repeats(tokens, onsets)
    assert out[1, 1] + PITCH_LOW == 65 and ons[1, 1] == 1  # G-F-E: the passing F (the scale's, not F#)
    assert out[3, 1] + PITCH_LOW == 47 and ons[3, 1] == 1  # C-B-C: the lower neighbour
    assert np.array_equal(out[2], tokens[2]) and ons[2, 1] == 0  # C held into the D a step away
    assert ons[2, 10] == 1  # a repeat on the beat stays
    assert np.array_equal(out[0], tokens[0]) and np.array_equal(ons[0], onsets[0])  # the melody as written
    before, after = _pitches16(tokens, onsets), _pitches16(out, ons)
    assert (before[1:, 1] == -1).all() and (after[1:, 1] >= 0).all()  # no voice breaks off for the repeat


def test_smooth_repeats_holds_a_note_whose_passing_tone_would_move_in_octaves_with_the_melody():
    from ml.music.arrangement import smooth_repeats

    tokens, onsets = _repeats_piece()
    tokens[0, :3] = _i(79, 77, 76)  # G5 F5 E5 over the alto's G4 G4 E4: a passing F4 moves in octaves
    onsets[0, 1] = 1
    out, ons = smooth_repeats(tokens, onsets)
    assert out[1, 1] + PITCH_LOW == 67 and ons[1, 1] == 0  # held; F#4 (out of the scale) is no option
    assert parallel_perfects(_pitches16(out, ons)) <= parallel_perfects(_pitches16(tokens, onsets))


def _voices(*rows: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Eighth-grid voices from MIDI pitches per step, a note attacked wherever the pitch changes."""
    tokens = np.array([_i(*row) for row in rows], dtype=np.int8)
    onsets = np.ones_like(tokens)
    onsets[:, 1:] = tokens[:, 1:] != tokens[:, :-1]
    return tokens, onsets


ALTO_OVER_THE_MELODY = (
    [72, 72, 71, 71, 69, 69, 67, 67],  # C5 B4 A4 G4
    [67, 67, 67, 67, 76, 76, 74, 74],  # G4, then E5 D5 over the melody
    [60, 60, 60, 60, 60, 60, 59, 59],
    [48, 48, 48, 48, 53, 53, 55, 55],
)
TENOR_FAR_UNDER_THE_ALTO = (
    [76, 76, 77, 77, 79, 79, 77, 77],
    [72, 72, 72, 72, 71, 71, 72, 72],
    [48, 48, 48, 48, 50, 50, 48, 48],  # C3 D3 C3: two octaves under the alto's C5
    [48, 48, 48, 48, 43, 43, 48, 48],
)


@pytest.mark.parametrize(
    ("rows", "voice", "expected", "fault"),
    [
        # the alto goes down to E4 D4, a step from its G4, under the melody
        (ALTO_OVER_THE_MELODY, 1, [67, 67, 67, 67, 64, 64, 62, 62], "voice_crossing_share"),
        # the tenor comes up an octave, within an octave of the alto
        (TENOR_FAR_UNDER_THE_ALTO, 2, [60, 60, 60, 60, 62, 62, 60, 60], "spacing_fault_share"),
    ],
)
def test_order_voices_moves_the_faulty_voice_by_an_octave_and_nothing_else(rows, voice, expected, fault):
    from ml.music import metrics
    from ml.music.arrangement import order_voices

    tokens, onsets = _voices(*rows)
    out, _ = order_voices(tokens, onsets)
    share = getattr(metrics, fault)
    assert share(_pitches16(tokens, onsets)) > 0 and share(_pitches16(out, onsets)) == 0
    assert (out[voice] + PITCH_LOW).tolist() == expected
    others = [k for k in range(4) if k != voice]
    assert np.array_equal(out[others], tokens[others])


def test_voices_in_order_and_close_together_are_left_as_they_are():
    from ml.music.arrangement import order_voices

    tokens, onsets = _voices(
        [72, 72, 74, 74, 76, 76, 72, 72],
        [67, 67, 67, 67, 67, 67, 64, 64],
        [64, 64, 59, 59, 60, 60, 55, 55],
        [48, 48, 43, 43, 48, 48, 36, 36],  # a leap down to C2: an octave under, still in range
    )
    onsets[1, 2] = 1  # the alto's G struck again
    out, ons = order_voices(tokens, onsets)
    assert np.array_equal(out, tokens) and np.array_equal(ons, onsets)


def test_an_octave_move_that_would_make_parallel_octaves_is_not_taken():
    from ml.music.arrangement import order_voices

    tokens, onsets = _voices(
        [76, 76, 76, 76],
        [67, 67, 57, 57],  # G4 down to A3, a twelfth under the melody's E5
        [55, 55, 57, 57],  # G3 up to A3: an octave (unison) reached by contrary motion
        [48, 48, 41, 41],
    )
    out, ons = order_voices(tokens, onsets)
    # A4 would close the gap but move in octaves with the tenor (G4-A4 over G3-A3)
    assert np.array_equal(out, tokens)
    assert parallel_perfects(_pitches16(out, ons)) == parallel_perfects(_pitches16(tokens, onsets)) == 0
    tokens[2] = _i(55, 55, 52, 52)  # the tenor goes down to E3 instead: now the alto may go up
    out, ons = order_voices(tokens, onsets)
    assert (out[1] + PITCH_LOW).tolist() == [67, 67, 69, 69]
    assert parallel_perfects(_pitches16(out, ons)) == 0
