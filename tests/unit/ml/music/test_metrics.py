"""Each metric on hand-built pieces with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from ml.music.metrics import (
    CopyIndex,
    detected_mode,
    empty_bar_ratio,
    feature_avg_ioi,
    feature_avg_pitch_interval,
    feature_note_length_histogram,
    feature_pitch_class_histogram,
    feature_pitch_count,
    feature_pitch_range,
    mgeval_compare,
    musegan_metrics,
    note_density,
    overlap_and_kl,
    qualified_note_ratio,
    tonal_distance,
    used_pitch_classes,
)
from ml.music.theory import find_key


def rest(tracks: int = 4, bars: int = 2) -> np.ndarray:
    return np.full((tracks, bars * 16), -1, dtype=np.int16)


def c_major_scale_piece() -> np.ndarray:
    p = rest()
    p[0] = np.repeat([60, 62, 64, 65, 67, 69, 71, 72], 4)
    p[3, :16] = 48
    return p


def test_empty_bars_per_track():
    p = c_major_scale_piece()
    assert empty_bar_ratio(p).tolist() == [0.0, 1.0, 1.0, 0.5]


def test_used_pitch_classes_per_bar():
    p = c_major_scale_piece()
    upc = used_pitch_classes(p)
    assert upc[0] == 4.0  # C D E F, then G A B C
    assert np.isnan(upc[1]) and upc[3] == 1.0


def test_qualified_notes_are_those_of_two_sixteenths_or_more():
    p = rest(1, 1)
    p[0, :8] = [60, 62, 64, 64, 65, 65, 65, 65]
    assert qualified_note_ratio(p)[0] == pytest.approx(2 / 4)


def test_tonal_distance_is_zero_for_the_same_chord_and_positive_for_a_tritone():
    p = rest(2, 1)
    p[0, :] = 60
    p[1, :] = 48
    assert tonal_distance(p) == pytest.approx(0.0)
    p[1, :] = 54
    assert tonal_distance(p) > 0.5


def test_mgeval_features_of_a_scale():
    p = c_major_scale_piece()
    assert feature_pitch_count(p) == 9  # 8 scale notes + the low C
    assert feature_pitch_range(p) == 24
    assert feature_avg_pitch_interval(p) == pytest.approx(12 / 7)
    assert feature_avg_ioi(p) == pytest.approx(4.0)
    assert feature_pitch_class_histogram(p)[0] == pytest.approx(3 / 9)
    hist = feature_note_length_histogram(p)
    assert hist.sum() == pytest.approx(1.0) and hist[3] == pytest.approx(8 / 9)  # quarters


def test_overlap_is_one_for_the_same_sample_and_near_zero_for_disjoint_ones():
    rng = np.random.default_rng(0)
    a = rng.normal(0, 1, 400)
    oa, kl = overlap_and_kl(a, a)
    assert oa == pytest.approx(1.0, abs=1e-6) and kl == pytest.approx(0.0, abs=1e-6)
    oa, kl = overlap_and_kl(a, a + 20)
    assert oa < 0.01 and kl > 1.0


def test_mgeval_ranks_a_copy_above_random_noise():
    rng = np.random.default_rng(1)
    real = []
    for _ in range(30):
        p = rest()
        p[0] = np.repeat(rng.choice([60, 62, 64, 65, 67], 8), 4)
        real.append(p)
    noise = [rng.integers(30, 90, size=(4, 32)).astype(np.int16) for _ in range(30)]
    same = np.mean([v["oa"] for v in mgeval_compare(real[:15], real[15:]).values()])
    other = np.mean([v["oa"] for v in mgeval_compare(real[:15], noise).values()])
    assert same > other + 0.3


def test_musegan_metrics_of_a_set():
    m = musegan_metrics([c_major_scale_piece(), c_major_scale_piece()])
    assert m["EB"] == pytest.approx((0 + 1 + 1 + 0.5) / 4)
    assert set(m) == {"EB", "UPC", "QN", "TD"}


def test_key_finder_tells_major_from_minor():
    c_major = np.zeros(12)
    c_major[[0, 2, 4, 5, 7, 9, 11]] = [4, 1, 2, 1, 3, 1, 1]
    assert find_key(c_major)[:2] == (0, "major")
    a_minor = np.zeros(12)
    a_minor[[9, 11, 0, 2, 4, 5, 8]] = [4, 1, 2, 1, 3, 1, 1]
    assert find_key(a_minor)[:2] == (9, "minor")
    p = rest(1, 1)
    p[0] = np.repeat([57, 60, 64, 57], 4)
    assert detected_mode(p) == "minor"


def test_note_density_counts_notes_per_bar():
    assert note_density(c_major_scale_piece()) == pytest.approx((8 + 1) / 2)


def test_copy_index_finds_a_transposed_two_bar_copy_but_not_a_new_piece():
    training = rest(4, 4)
    training[0] = np.repeat([60, 64, 67, 72, 71, 67, 64, 62, 60, 59, 60, 62, 64, 65, 67, 69], 4)
    index = CopyIndex([training], max_bars=4)
    copied = rest(4, 3)
    copied[0, :32] = training[0, 16:48] + 5  # bars 2-3 up a fourth
    copied[0, 32:] = 40
    assert index.longest_copy(copied) == 2
    fresh = rest(4, 2)
    fresh[0] = np.repeat([61, 66, 70, 61, 63, 68, 73, 61], 4)
    assert index.longest_copy(fresh) == 0
