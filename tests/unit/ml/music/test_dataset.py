"""The folk accompaniment rule and the by-piece split."""

from __future__ import annotations

from types import SimpleNamespace

from ml.music.corpus import harmonise
from ml.music.dataset import split_pieces


def test_harmonise_puts_the_tonic_triad_under_a_c_major_arpeggio():
    melody = [(0.0, 0.5, 72), (0.5, 0.5, 76), (1.0, 0.5, 79), (1.5, 0.5, 84)]
    alto, tenor, bass = harmonise(melody, 2.0)
    assert bass[0][2] % 12 == 0
    assert {alto[0][2] % 12, tenor[0][2] % 12} <= {0, 4, 7}


def test_the_split_takes_a_tenth_of_each_styles_pieces_and_is_fixed():
    pieces = [SimpleNamespace(style="folk") for _ in range(50)] + [
        SimpleNamespace(style="chorale") for _ in range(20)
    ]
    first, again = (
        split_pieces(pieces, styles=("chorale", "folk")),
        split_pieces(pieces, styles=("chorale", "folk")),
    )
    assert (first == again).all()
    assert first[:50].sum() == 5 and first[50:].sum() == 2


def test_a_folk_subset_keeps_every_chorale_and_only_the_matching_folk_files():
    from ml.music.notes import source_files

    full = source_files()
    subset = source_files(only=["oneills1850/1176-*", "miscFolk/*"])
    folk = [path for style, _, path in subset if style == "folk"]
    assert folk and all("/oneills1850/1176-" in p or "/miscFolk/" in p for p in folk)
    assert len(folk) < sum(style == "folk" for style, _, _ in full)
    assert [t for t in subset if t[0] == "chorale"] == [t for t in full if t[0] == "chorale"]
