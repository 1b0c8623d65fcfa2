"""Piece -> pretty_midi: one instrument per track, mood-chosen programs, tempo and key written."""

from __future__ import annotations

import io

import numpy as np
import pretty_midi

from ml.music.generate import Piece
from ml.music.metrics import notes_of

VELOCITY = {"melody": 92, "alto": 70, "tenor": 68, "bass": 78}


def to_midi(piece: Piece) -> pretty_midi.PrettyMIDI:
    """The piece as a PrettyMIDI object (tempo, 4/4, key signature, one instrument per track)."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=float(piece.tempo))
    pm.time_signature_changes.append(pretty_midi.TimeSignature(4, 4, 0.0))
    pm.key_signature_changes.append(
        pretty_midi.KeySignature(pretty_midi.key_name_to_key_number(piece.key), 0.0)
    )
    step = piece.seconds_per_step
    # a little louder when aroused, softer when calm
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
