"""Piece -> pretty_midi: the piece's arrangement performed with expression, tempo and key written.

A piece from `generate` has a named arrangement (`ml.music.instrumentation`): its parts
become instruments (drums on channel 10, which pretty_midi gives every drum
instrument), their notes velocities and humanised times (`ml.music.expression`). A piece
made without one (training data, baselines) is written as before: one instrument per
voice with the mood's GM programs at fixed velocities.
"""

from __future__ import annotations

import io

import numpy as np
import pretty_midi

from ml.music.expression import FERMATA_BEATS, performed_notes, step_times
from ml.music.form import RITARDANDO_BARS
from ml.music.generate import Piece
from ml.music.instrumentation import arrange_parts
from ml.music.metrics import notes_of

VELOCITY = {"melody": 92, "alto": 70, "tenor": 68, "bass": 78}


def _header(piece: Piece) -> pretty_midi.PrettyMIDI:
    pm = pretty_midi.PrettyMIDI(initial_tempo=float(piece.tempo))
    pm.time_signature_changes.append(pretty_midi.TimeSignature(4, 4, 0.0))
    pm.key_signature_changes.append(
        pretty_midi.KeySignature(pretty_midi.key_name_to_key_number(piece.key), 0.0)
    )
    return pm


def to_midi(piece: Piece) -> pretty_midi.PrettyMIDI:
    """The piece as a PrettyMIDI object (tempo, 4/4, key signature, one instrument per part)."""
    if piece.arrangement is None:
        return _voices_midi(piece)
    pm = _header(piece)
    form = piece.form
    ritardando = RITARDANDO_BARS if form is not None and form.ritardando else 0
    n_steps = piece.pitches.shape[1]
    times = step_times(n_steps, piece.seconds_per_step, piece.steps_per_bar, ritardando)
    last_step = times[-1] - times[-2] if n_steps else piece.seconds_per_step
    fermata = FERMATA_BEATS * last_step * piece.steps_per_bar / 4
    spb = piece.steps_per_bar
    sections = (
        [(s.start_bar * spb, (s.start_bar + s.bars) * spb) for s in form.sections]
        if form is not None
        else [(0, n_steps)]
    )
    rng = np.random.default_rng(piece.seed)  # the same piece is always played the same way
    for part in arrange_parts(piece.pitches, piece.mood, piece.arrangement, form):
        instrument = pretty_midi.Instrument(program=part.program, is_drum=part.is_drum, name=part.name)
        for start, end, pitch, velocity in performed_notes(
            part, mood=piece.mood, times=times, sections=sections, steps_per_bar=spb, rng=rng, fermata=fermata
        ):
            instrument.notes.append(pretty_midi.Note(velocity=velocity, pitch=pitch, start=start, end=end))
        pm.instruments.append(instrument)
    return pm


def _voices_midi(piece: Piece) -> pretty_midi.PrettyMIDI:
    """One instrument per voice, the mood's programs, louder when aroused."""
    pm = _header(piece)
    step = piece.seconds_per_step
    gain = 1.0 + 0.2 * float(piece.mood.arousal)
    for index, name in enumerate(piece.tracks):
        program = piece.programs[index] if index < len(piece.programs) else 0
        instrument = pretty_midi.Instrument(program=program, name=name)
        velocity = int(np.clip(VELOCITY.get(name, 80) * gain, 30, 127))
        for start, end, pitch in notes_of(piece.pitches[index]):
            instrument.notes.append(
                pretty_midi.Note(velocity=velocity, pitch=pitch, start=start * step, end=end * step)
            )
        pm.instruments.append(instrument)
    return pm


def midi_bytes(piece: Piece) -> bytes:
    """The Standard MIDI File of a piece."""
    buffer = io.BytesIO()
    to_midi(piece).write(buffer)
    return buffer.getvalue()
