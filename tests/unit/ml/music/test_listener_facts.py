"""Listener facts (ml.music.metrics) on hand-made pieces whose answer is known by ear."""

from __future__ import annotations

import numpy as np
import pytest

from ml.music.metrics import (
    CopyIndex,
    all_voices_sounding_share,
    barline_tie_share,
    bass_moves_per_bar,
    bass_on_tonic_share,
    downbeat_onset_share,
    ends_on_tonic,
    leap_share,
    listener_facts,
    long_note_share,
    melody_notes_per_bar,
    music21_mode,
    parallel_perfects,
    rhythm_reuse,
    spacing_fault_share,
    stepwise_share,
    triadic_share,
    voice_crossing_share,
)
from ml.music.theory import find_key, find_key_aarden


def silence(tracks: int = 4, bars: int = 2) -> np.ndarray:
    return np.full((tracks, bars * 16), -1, dtype=np.int16)


def notes(row: np.ndarray, *spec: tuple[int, int, int]) -> None:
    """Write (start, length, pitch) notes into a row, leaving a rest after each one so that
    repeated pitches stay separate notes (as the product's MIDI writing would)."""
    for start, length, pitch in spec:
        row[start : start + length] = pitch


def test_downbeats_and_ties_over_the_barline():
    p = silence(1, 2)
    # bar 1: quarter notes from the downbeat; bar 2 is entered by a note held from bar 1
    notes(p[0], (0, 4, 60), (4, 4, 62), (8, 4, 64), (12, 8, 65), (20, 4, 67), (24, 8, 69))
    assert downbeat_onset_share(p) == 0.5
    assert barline_tie_share(p) == 1.0


def test_a_rest_bar_counts_for_neither():
    p = silence(1, 3)
    notes(p[0], (0, 16, 60), (32, 16, 62))  # bar 2 silent
    assert downbeat_onset_share(p) == 1.0
    assert barline_tie_share(p) == 0.0


def test_steps_leaps_and_long_notes_of_the_melody():
    p = silence(1, 2)
    # C D E (steps), leap up a sixth to C' (9), down a fifth to F (7), a held half note
    notes(p[0], (0, 4, 60), (4, 4, 62), (8, 4, 64), (12, 4, 73), (16, 8, 66), (24, 8, 65))
    assert stepwise_share(p) == pytest.approx(3 / 5)  # 2, 2, 9, 7, 1
    assert leap_share(p) == pytest.approx(2 / 5)
    assert long_note_share(p) == pytest.approx(2 / 6)
    assert melody_notes_per_bar(p) == 3.0


def test_a_repeated_note_is_a_step_once_separated_by_a_rest():
    p = silence(1, 1)
    notes(p[0], (0, 3, 60), (4, 4, 60))
    assert stepwise_share(p) == 1.0 and melody_notes_per_bar(p) == 2.0


def test_ending_on_the_tonic_melody_and_bass():
    p = silence(4, 2)
    notes(p[0], (0, 4, 72), (4, 4, 71), (8, 4, 74), (12, 4, 71), (16, 16, 72))  # ... B D B | C
    notes(p[3], (0, 16, 48), (16, 8, 43), (24, 8, 48))  # C | G C
    notes(p[1], (0, 32, 64))
    notes(p[2], (0, 32, 55))
    assert ends_on_tonic(p, 0) and ends_on_tonic(p, 3)
    p[3, 24:] = 43  # the bass stays on G: a half cadence
    assert not ends_on_tonic(p, 3)


QUARTERS_AND_HALF = [(0, 4), (4, 4), (8, 8)]
WHOLE = [(0, 16)]
EIGHTHS = [(i * 2, 2) for i in range(8)]
TWO_HALVES = [(0, 8), (8, 8)]
DOTTED = [(0, 6), (6, 2), (8, 8)]


def melody_of(bars: list[list[tuple[int, int]]]) -> np.ndarray:
    p = silence(1, len(bars))
    for b, pattern in enumerate(bars):
        # neighbouring notes (and bars) differ in pitch so that each stays its own note
        notes(p[0], *((b * 16 + s, n, 60 + 5 * (b % 2) + 2 * (i % 2)) for i, (s, n) in enumerate(pattern)))
    return p


def test_bars_5_to_8_taking_up_the_rhythm_of_bars_1_to_4():
    first = [QUARTERS_AND_HALF, WHOLE, EIGHTHS, TWO_HALVES]
    # an answer that repeats the rhythm of bars 1 and 2, then cadences differently
    assert rhythm_reuse(melody_of(first + [QUARTERS_AND_HALF, WHOLE, DOTTED, EIGHTHS]))
    # only bar 5 repeats its bar: not yet a reused rhythm
    assert not rhythm_reuse(melody_of(first + [QUARTERS_AND_HALF, EIGHTHS, DOTTED, WHOLE]))
    # a 4-bar piece has no second half
    assert not rhythm_reuse(melody_of(first))


def test_triadic_sonorities_and_a_cluster():
    p = silence(4, 1)
    notes(p[0], (0, 8, 72), (8, 8, 74))
    notes(p[1], (0, 8, 67), (8, 8, 72))
    notes(p[2], (0, 8, 64), (8, 8, 71))
    notes(p[3], (0, 16, 48))
    # C E G C is a triad; C B C D is not
    assert triadic_share(p) == 0.5


def test_parallel_fifths_and_octaves_are_counted_contrary_motion_is_not():
    p = silence(2, 1)
    notes(p[0], (0, 4, 67), (4, 4, 69), (8, 4, 71))  # G A B over
    notes(p[1], (0, 4, 60), (4, 4, 62), (8, 4, 64))  # C D E: fifths in parallel twice
    assert parallel_perfects(p) == 2
    p[1, 4:12] = -1
    notes(p[1], (4, 4, 57), (8, 4, 52))  # contrary motion into a twelfth and an octave+fifth
    assert parallel_perfects(p) == 0
    q = silence(2, 1)
    notes(q[0], (0, 8, 72), (8, 8, 74))
    notes(q[1], (0, 8, 48), (8, 8, 50))  # octaves in parallel
    assert parallel_perfects(q) == 1


def test_all_voices_sounding():
    p = silence(4, 1)
    p[:, :8] = [[72], [67], [64], [48]]
    p[0, 8:] = 74  # only the melody goes on
    assert all_voices_sounding_share(p) == 0.5


def test_a_re_attacks_breath_is_heard_as_a_repeated_note_a_rest_is_not():
    p = silence(2, 1)
    p[0] = 72
    notes(p[1], (0, 3, 60), (4, 4, 60))  # C re-attacked: the product's one-sixteenth breath
    notes(p[1], (8, 3, 60), (11, 1, -1), (12, 4, 62))  # a sixteenth rest before another pitch
    assert all_voices_sounding_share(p, breaths_sound=False) == 14 / 16
    assert all_voices_sounding_share(p) == 15 / 16  # the breath sounds, the rest before D does not
    p[1, 4] = -1  # two silent sixteenths are a rest even between equal pitches
    assert all_voices_sounding_share(p) == 13 / 16


def test_key_finders_agree_with_music21_on_clear_scales():
    # tunes that outline their triad and cadence on the tonic
    c_major = silence(1, 2)
    notes(c_major[0], *((i * 4, 4, p) for i, p in enumerate([60, 64, 67, 65, 64, 62, 59, 60])))
    a_minor = silence(1, 2)
    notes(a_minor[0], *((i * 4, 4, p) for i, p in enumerate([57, 60, 64, 62, 60, 59, 56, 57])))
    for piece, mode, tonic in ((c_major, "major", 0), (a_minor, "minor", 9)):
        assert music21_mode(piece, "aarden") == mode
        assert music21_mode(piece, "krumhansl") == mode
        hist = np.bincount(piece[piece >= 0] % 12, minlength=12).astype(float)
        assert find_key(hist)[:2] == (tonic, mode)
        assert find_key_aarden(hist)[:2] == (tonic, mode)


def test_our_aarden_key_finder_gives_music21s_mode_on_random_pieces():
    rng = np.random.default_rng(0)
    for _ in range(20):
        p = silence(2, 2)
        for row in p:
            notes(row, *((i * 4, 3, int(rng.integers(55, 80))) for i in range(8)))
        hist = np.bincount(p[p >= 0] % 12, minlength=12).astype(float)
        assert find_key_aarden(hist)[1] == music21_mode(p, "aarden")
        assert find_key(hist)[1] == music21_mode(p, "krumhansl")


def test_the_aarden_profiles_are_music21s():
    from music21.analysis.discrete import AardenEssen

    from ml.music.theory import AARDEN_MAJOR, AARDEN_MINOR

    assert AARDEN_MAJOR.tolist() == AardenEssen().getWeights("major")
    assert AARDEN_MINOR.tolist() == AardenEssen().getWeights("minor")


def test_a_two_bar_copy_is_found_in_any_transposition():
    tune = silence(1, 4)
    notes(tune[0], (0, 8, 60), (8, 8, 62), (16, 8, 64), (24, 8, 65), (32, 32, 67))
    index = CopyIndex([tune], max_bars=4)
    copied = silence(1, 4)
    copied[0, :32] = tune[0, :32] + 5  # bars 1-2, a fourth higher
    notes(copied[0], (32, 32, 50))
    assert index.longest_copy(copied) == 2


def test_listener_facts_is_the_mean_over_pieces():
    a, b = silence(1, 1), silence(1, 1)
    notes(a[0], (0, 16, 60))
    notes(b[0], (4, 12, 60))
    facts = listener_facts([a, b])
    assert facts["downbeat_onsets"] == 0.5 and facts["melody_notes_per_bar"] == 1.0


def test_a_tonic_drone_against_a_bass_that_moves_with_the_chords():
    drone, moving = silence(2, 2), silence(2, 2)
    for p in (drone, moving):
        notes(p[0], (0, 8, 72), (8, 8, 76), (16, 8, 79), (24, 8, 72))  # C E G C: C major
    notes(drone[1], (0, 32, 48))
    notes(moving[1], (0, 8, 48), (8, 8, 53), (16, 8, 55), (24, 8, 48))  # C F G C: I IV V I
    assert bass_on_tonic_share(drone) == 1.0 and bass_moves_per_bar(drone) == 0.0
    assert bass_on_tonic_share(moving) == 0.5 and bass_moves_per_bar(moving) == 1.5


def test_a_melody_that_dips_under_the_alto_is_out_of_order_for_those_steps():
    p = silence(4, 1)
    notes(p[0], (0, 8, 72), (8, 8, 62))  # C, then down to D under the alto's G
    notes(p[1], (0, 16, 67))
    notes(p[2], (0, 16, 64))
    notes(p[3], (0, 16, 48))
    assert voice_crossing_share(p) == 0.5
    p[0, 8:] = 67  # a unison with the alto is in order
    assert voice_crossing_share(p) == 0.0


def test_only_steps_where_a_pair_sounds_count_for_the_order():
    p = silence(4, 1)
    notes(p[0], (0, 4, 72))  # the melody rests from step 4: the tenor over the alto counts alone
    notes(p[1], (0, 16, 60))
    notes(p[2], (0, 4, 55), (4, 12, 64))
    notes(p[3], (0, 16, 48))
    assert voice_crossing_share(p) == 0.75
    assert np.isnan(voice_crossing_share(silence(4, 1)))


def test_a_chord_spread_over_an_octave_between_upper_voices_is_a_spacing_fault():
    p = silence(4, 1)
    notes(p[0], (0, 4, 72), (4, 4, 76), (8, 4, 79), (12, 4, 72))
    notes(p[1], (0, 16, 60))  # C4: an octave under C5 (close enough), a tenth under E5, G5
    notes(p[2], (0, 16, 55))
    notes(p[3], (0, 8, 36), (8, 8, 43))  # C2 a twelfth (19) under G3: still close enough
    # 72/60/55/36 fine, 76/60 (S-A 16) a fault, 79/60 (19) a fault, 72/60/55/43 fine
    assert spacing_fault_share(p) == 0.5
    p[3, :8] = 35  # B1: a twentieth under the tenor
    assert spacing_fault_share(p) == 0.75


def test_spacing_counts_only_chords_of_all_four_voices():
    p = silence(4, 1)
    notes(p[0], (0, 16, 84))
    notes(p[1], (0, 8, 60))  # two octaves under the melody, but the tenor is silent then
    notes(p[2], (8, 8, 55))
    notes(p[3], (0, 16, 48))
    assert np.isnan(spacing_fault_share(p))
