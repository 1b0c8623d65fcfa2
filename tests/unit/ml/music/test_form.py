"""Form: sections by length and mood, kept steps, key regions, the ending, similarity (hand-checked)."""

from __future__ import annotations

import numpy as np
import pytest

from ml.mood import mood_named
from ml.music.form import (
    apply_key_regions,
    end_piece,
    kept_steps,
    plan_form,
    section_similarity,
)

CALM, EXCITED = mood_named("calm"), mood_named("excited")


def _layout(form):
    return [(s.letter, s.start_bar, s.bars) for s in form.sections]


def test_short_pieces_are_one_section_or_a_period():
    assert _layout(plan_form(8, CALM)) == [("A", 0, 8)]
    assert _layout(plan_form(3, CALM)) == [("A", 0, 3)]
    period = plan_form(12, CALM)
    assert _layout(period) == [("A", 0, 8), ("A", 8, 4)]
    assert [s.cadence for s in period.sections] == [0.0, 1.0]  # the first phrase leads on


def test_sixteen_bars_are_four_sections_song_form_when_calm_verse_chorus_when_excited():
    assert _layout(plan_form(16, CALM)) == [("A", 0, 4), ("A", 4, 4), ("B", 8, 4), ("A", 12, 4)]
    assert plan_form(16, EXCITED).name == "ABAB" and plan_form(16, EXCITED).kind == "verse-chorus"


def test_thirty_two_bars_are_aaba_of_eight_bars_each_closing_on_a_cadence():
    form = plan_form(32, CALM)
    assert _layout(form) == [("A", 0, 8), ("A", 8, 8), ("B", 16, 8), ("A", 24, 8)]
    assert all(s.cadence == 1.0 for s in form.sections)
    assert form.to_json()["form"] == "AABA"
    assert [s["start_bar"] for s in form.to_json()["sections"]] == [0, 8, 16, 24]


def test_sixty_four_bars_have_an_intro_a_bridge_and_an_outro():
    form = plan_form(64, CALM)
    assert form.name == "IAABACBAO"
    assert form.sections[0].bars == 4 and form.sections[-1].bars == 4 and form.sections[-1].start_bar == 60
    assert sum(s.bars for s in form.sections) == 64
    assert form.sections[0].cadence == 0.0 and form.sections[0].material == "A"  # intro: A's material
    assert plan_form(64, EXCITED).name == "IABABCBBO"


@pytest.mark.parametrize("bars", [1, 7, 15, 16, 23, 31, 47, 48, 100, 128])
def test_every_length_is_covered_exactly_by_sections_of_at_most_eight_bars(bars):
    form = plan_form(bars, CALM)
    starts = [s.start_bar for s in form.sections]
    assert starts[0] == 0 and sum(s.bars for s in form.sections) == bars
    assert all(1 <= s.bars <= 8 for s in form.sections)
    assert all(
        a.start_bar + a.bars == b.start_bar for a, b in zip(form.sections, form.sections[1:], strict=False)
    )
    assert len(kept_steps(form)) == bars * 8  # eighth-grid steps


def test_a_short_section_keeps_the_phrases_first_bars_and_its_cadence_bar():
    form = plan_form(16, CALM)  # four sections of 4 bars from four 8-bar phrases
    keep = kept_steps(form).reshape(-1, 8)[:, 0] // 8  # the bar of the phrase chain each kept bar is
    assert keep.tolist() == [0, 1, 2, 7, 8, 9, 10, 15, 16, 17, 18, 23, 24, 25, 26, 31]


def test_the_ritardando_is_for_calm_moods_only():
    assert plan_form(32, CALM).ritardando and not plan_form(32, EXCITED).ritardando


def test_new_sections_move_to_the_related_key_and_returns_stay_home():
    form = plan_form(16, CALM)  # A A B A, 4 bars each
    pitches = np.full((4, 16 * 16), 60, dtype=np.int16)
    moved, form = apply_key_regions(pitches, form, "major")
    assert [s.key_shift for s in form.sections] == [0, 0, -5, 0]  # B in the dominant, a fourth down
    assert set(moved[:, 8 * 16 : 12 * 16].ravel()) == {55}  # C -> G
    assert set(moved[:, : 8 * 16].ravel()) == {60} and set(moved[:, 12 * 16 :].ravel()) == {60}
    _, minor = apply_key_regions(pitches, plan_form(16, CALM), "minor")
    assert minor.sections[2].key_shift == 5  # minor: B in the subdominant
    _, chorus_last = apply_key_regions(pitches, plan_form(16, EXCITED), "major")  # A B A B
    assert [s.key_shift for s in chorus_last.sections] == [0, -5, 0, 0]  # the closing chorus is home


def test_the_ending_is_a_held_tonic_chord():
    pitches = np.full((4, 32), -1, dtype=np.int16)
    pitches[0, :] = 71  # B4
    pitches[1, :] = 67
    pitches[2, :] = 62
    pitches[3, :] = 43  # G2
    ended = end_piece(pitches, tonic=0, mode="major")  # C major
    last = ended[:, 16:]
    assert (last == last[:, :1]).all()  # every voice holds one note through the last bar
    assert last[0, 0] == 72 and last[3, 0] == 48  # the tonic nearest each outer voice
    assert last[1, 0] % 12 in (4, 7) and last[2, 0] % 12 in (0, 4, 7)
    assert last[0, 0] > last[1, 0] > last[2, 0] > last[3, 0]  # voices do not cross
    assert (ended[:, :16] == pitches[:, :16]).all()  # the bar before is untouched
    assert end_piece(pitches, tonic=9, mode="minor")[1, -1] % 12 in (0, 4)  # a minor: C or E


def test_returning_sections_are_more_alike_than_different_ones():
    form = plan_form(16, CALM)  # A A B A
    pitches = np.full((4, 16 * 16), -1, dtype=np.int16)
    a_bar = np.repeat([60, 62, 64, 65], 4)  # quarter notes
    b_bar = np.repeat([67, 69], 8)  # half notes
    for section in form.sections:
        bar = b_bar if section.letter == "B" else a_bar
        for b in range(section.bars):
            start = (section.start_bar + b) * 16
            pitches[0, start : start + 16] = bar
    similarity = section_similarity(pitches, form)
    assert similarity["return_pitch_class"] == pytest.approx(1.0)
    assert similarity["return_rhythm"] == pytest.approx(1.0)
    assert similarity["different_pitch_class"] == pytest.approx(0.0)
    assert similarity["different_rhythm"] < 0.8
