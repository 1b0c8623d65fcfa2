"""Dataset building on a handful of real corpus pieces: shapes, labels, split by piece."""

from __future__ import annotations

import numpy as np

from ml.music.config import COND_DIM, N_TRACKS, REST, SEGMENT_STEPS, STEPS_PER_BAR, STYLES
from ml.music.corpus import harmonise
from ml.music.dataset import normalise_key, note_density, pitch_class_histogram
from ml.music.theory import find_key


def test_every_style_parses_into_four_tracks_of_whole_bars(tiny_pieces):
    assert {p.style for p in tiny_pieces} == set(STYLES)
    for piece in tiny_pieces:
        assert piece.tokens.shape[0] == N_TRACKS
        assert piece.tokens.shape[1] % STEPS_PER_BAR == 0
        assert (piece.tokens[0] != REST).any(), piece.piece_id


def test_folk_tunes_get_a_harmonised_bass_under_the_melody(tiny_pieces):
    folk = [p for p in tiny_pieces if p.style == "folk"]
    assert len(folk) == 5
    for piece in folk:
        melody, bass = piece.tokens[0].astype(int), piece.tokens[3].astype(int)
        both = (melody != REST) & (bass != REST)
        assert both.mean() > 0.5
        assert (bass[both] < melody[both]).all()


def test_harmonise_puts_the_tonic_triad_under_a_c_major_arpeggio():
    melody = [(0.0, 0.5, 72), (0.5, 0.5, 76), (1.0, 0.5, 79), (1.5, 0.5, 84)]
    alto, tenor, bass = harmonise(melody, 2.0)
    assert bass[0][2] % 12 == 0
    assert {alto[0][2] % 12, tenor[0][2] % 12} <= {0, 4, 7}


def test_segments_have_model_shapes_and_labels_in_range(tiny_arrays):
    tokens, cond = tiny_arrays["train_tokens"], tiny_arrays["train_cond"]
    assert tokens.shape[1:] == (N_TRACKS, SEGMENT_STEPS)
    assert cond.shape == (len(tokens), COND_DIM)
    assert set(np.unique(cond[:, 0])) <= {-1.0, 1.0}  # valence: mode
    assert cond[:, 1].min() >= -1 and cond[:, 1].max() <= 1  # arousal: density rank
    assert np.allclose(cond[:, 2:].sum(axis=1), 1.0)  # one-hot style
    assert len(tiny_arrays["val_tokens"]) > 0


def test_train_and_validation_never_share_a_piece(tiny_arrays):
    train_pieces = set(tiny_arrays["train_piece"].tolist())
    val_pieces = set(tiny_arrays["val_piece"].tolist())
    assert train_pieces and val_pieces
    assert not train_pieces & val_pieces
    assert set(np.flatnonzero(tiny_arrays["piece_is_val"]).tolist()) >= val_pieces


def test_augmentation_adds_transposed_copies_to_training_only(tiny_arrays):
    assert set(np.unique(tiny_arrays["train_shift"]).tolist()) == {-1, 0, 1}
    assert set(np.unique(tiny_arrays["val_shift"]).tolist()) == {0}
    base = tiny_arrays["train_tokens"][tiny_arrays["train_shift"] == 0][0].astype(int)
    up = tiny_arrays["train_tokens"][tiny_arrays["train_shift"] == 1][0].astype(int)
    sounding = base != REST
    assert (up[sounding] == base[sounding] + 1).all()


def test_unaugmented_segments_are_in_c(tiny_arrays):
    for tokens in tiny_arrays["train_tokens"][tiny_arrays["train_shift"] == 0]:
        assert find_key(pitch_class_histogram(tokens))[0] == 0


def test_arousal_follows_note_density_within_a_style(tiny_arrays):
    cond, density = tiny_arrays["train_cond"], tiny_arrays["train_density"]
    for k in range(len(STYLES)):
        sel = cond[:, 2 + k] == 1
        if sel.sum() > 2:
            order = np.argsort(density[sel])
            assert cond[sel, 1][order][0] <= cond[sel, 1][order][-1]


def test_normalise_key_moves_a_g_major_scale_to_c():
    g_major = np.array([43, 45, 47, 48, 50, 52, 54, 55]) - 28  # G2..G3 as token indices
    tokens = np.full((4, 64), REST, dtype=np.int8)
    tokens[0, :64] = np.repeat(g_major, 8)
    moved, shift, mode = normalise_key(tokens)
    assert (shift, mode) == (5, "major") or (shift, mode) == (-7, "major")
    assert find_key(pitch_class_histogram(moved))[0] == 0


def test_note_density_counts_onsets_per_bar():
    tokens = np.full((4, 32), REST, dtype=np.int8)
    tokens[0, :16] = 29  # one whole note
    tokens[0, 16:] = np.repeat([30, 32, 34, 35], 4)  # four quarter notes
    assert note_density(tokens) == 2.5
