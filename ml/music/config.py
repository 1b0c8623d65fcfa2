"""Fixed shapes and vocabularies of the music (shared by data, model, generation, metrics).

A piece is 4 monophonic tracks on the product's grid of 16 steps per 4/4 bar, each step
one token: a pitch index 0..N_PITCHES-1 (MIDI PITCH_LOW + index) or REST. The network
writes on an eighth-note grid with onsets (`ml.music.phrase`).
"""

from __future__ import annotations

from pathlib import Path

TRACKS: tuple[str, ...] = ("melody", "alto", "tenor", "bass")
N_TRACKS = len(TRACKS)
STEPS_PER_BAR = 16
PITCH_LOW = 28  # E1; with N_PITCHES=64 the range is E1..G6, covering every voice here
N_PITCHES = 64
REST = N_PITCHES  # token of a silent step
N_TOKENS = N_PITCHES + 1

# The styles are the sub-corpora the dataset is built from (see ml.music.corpus).
STYLES: tuple[str, ...] = ("chorale", "renaissance", "folk")
# The Markov baseline's condition: valence, arousal, one-hot style.
COND_DIM = 2 + len(STYLES)

# 3 minutes at 170 bpm; every mood's own tempo (60..140 bpm) fits 3 minutes.
MIN_BARS, MAX_BARS = 1, 128
MIN_TEMPO, MAX_TEMPO = 40, 240

ROOT = Path(__file__).resolve().parents[2]
WEIGHTS_DIR = ROOT / "ml" / "weights"
DEFAULT_WEIGHTS = WEIGHTS_DIR / "music_phrase_generator.weights.h5"
CACHE_DIR = ROOT / ".cache" / "music"
DEFAULT_SOUNDFONT = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")
