"""MIDI round trip (pretty_midi and mido), rendered audio, piano-roll PNG."""

from __future__ import annotations

import io

import mido
import numpy as np
import pretty_midi
import pytest
import soundfile as sf

from ml.mood import mood_named
from ml.music import (
    InvalidAudioFormat,
    SoundFontMissing,
    audio_duration,
    generate,
    midi_bytes,
    piano_roll_png,
    render_audio,
    to_midi,
)
from ml.music.generate import MOOD_PROGRAMS, piece_from_tokens


def _hand_piece(tempo: int = 120):
    """Two bars: a C major scale in quarter notes over a held C in the bass."""
    tokens = np.full((4, 32), 64, dtype=np.int8)
    tokens[0] = np.repeat(np.array([60, 62, 64, 65, 67, 69, 71, 72]) - 28, 4)
    tokens[3] = 48 - 28
    return piece_from_tokens(tokens, mood=mood_named("happy"), style="folk", tempo=tempo, clean=False)


def test_midi_round_trip_keeps_notes_tempo_key_and_programs():
    piece = _hand_piece()
    data = midi_bytes(piece)
    back = pretty_midi.PrettyMIDI(io.BytesIO(data))
    melody = back.instruments[0]
    assert [n.pitch for n in melody.notes] == [60, 62, 64, 65, 67, 69, 71, 72]
    assert [round(n.start, 3) for n in melody.notes] == [0.5 * i for i in range(8)]
    bass = next(i for i in back.instruments if i.name == "bass")
    assert [round(n.end - n.start, 3) for n in bass.notes] == [4.0]  # 32 steps merged into one held note
    assert back.get_tempo_changes()[1][0] == pytest.approx(120)
    assert back.key_signature_changes[0].key_number == pretty_midi.key_name_to_key_number(piece.key)
    # pretty_midi reads back only instruments with notes: melody and bass here
    assert [i.program for i in back.instruments] == [MOOD_PROGRAMS["happy"][0], MOOD_PROGRAMS["happy"][3]]


def test_mido_reads_the_same_notes():
    piece = _hand_piece()
    midi = mido.MidiFile(file=io.BytesIO(midi_bytes(piece)))
    note_ons = [m.note for track in midi.tracks for m in track if m.type == "note_on" and m.velocity > 0]
    assert sorted(note_ons) == sorted([60, 62, 64, 65, 67, 69, 71, 72, 48])
    assert any(m.type == "set_tempo" for m in midi.tracks[0])


def test_generated_piece_is_played_by_its_moods_arrangement(shipped_weights):
    piece = generate(mood="sad", style="chorale", bars=4, seed=1)
    pm = to_midi(piece)
    assert [i.name for i in pm.instruments] == ["violin", "strings", "cello", "double bass"]
    # the ritardando and the held last chord add at most two bars' worth
    assert piece.duration_seconds < pm.get_end_time() <= piece.duration_seconds + 2 * 240 / piece.tempo


@pytest.mark.parametrize("fmt", ["wav", "ogg"])
def test_rendered_audio_is_audible_and_as_long_as_the_music(fmt):
    piece = _hand_piece()
    audio, rate = sf.read(io.BytesIO(render_audio(to_midi(piece), fmt)))
    seconds = len(audio) / rate
    assert piece.duration_seconds <= seconds <= piece.duration_seconds + 3.0  # plus the release tail
    assert np.sqrt(np.mean(np.square(audio))) > 0.01
    # What the page shows is the file's own length, release tail included.
    assert audio_duration(render_audio(to_midi(piece), fmt)) == pytest.approx(seconds, abs=1e-6)


def test_missing_soundfont_names_the_debian_package(tmp_path):
    with pytest.raises(SoundFontMissing, match="timgm6mb-soundfont"):
        render_audio(to_midi(_hand_piece()), "wav", soundfont=tmp_path / "none.sf2")


def test_unknown_audio_format_is_refused():
    with pytest.raises(InvalidAudioFormat):
        render_audio(to_midi(_hand_piece()), "aiff")


def test_piano_roll_png_is_a_picture():
    from PIL import Image

    png = piano_roll_png(_hand_piece())
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width >= 400 and image.height >= 300
    pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
    assert len({tuple(p) for p in pixels[::7]}) > 5  # coloured notes, not a blank canvas


def test_the_legend_does_not_cover_the_top_notes():
    from ml.music.plot import piano_roll_figure

    fig = piano_roll_figure(_hand_piece())
    fig.canvas.draw()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent()
    plot_area = ax.get_window_extent()
    assert legend.y0 >= plot_area.y1 - 1  # above the plot area, where no note is drawn


def test_training_losses_png_draws_a_run_log(tmp_path):
    log = tmp_path / "losses.csv"
    log.write_text(
        "step,wall_seconds,c_loss,w_dist,gp,g_loss,mode_loss\n1,0.5,-1,2,0.1,0.3,0.6\n2,1.0,-1,1.5,0.1,0.2,0.5\n"
    )
    from ml.music.plot import training_losses_png

    assert training_losses_png(log)[:8] == b"\x89PNG\r\n\x1a\n"
