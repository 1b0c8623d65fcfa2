"""The command line: files written, and bad input as one line with a non-zero status."""

from __future__ import annotations

import json

import pretty_midi
import pytest

from ml.music.cli import main


def test_generate_writes_midi_audio_and_png(tmp_path, capsys, shipped_weights):
    out = tmp_path / "piece.mid"
    audio = tmp_path / "piece.ogg"
    png = tmp_path / "piece.png"
    code = main(
        ["generate", "--mood", "calm", "--style", "folk", "--bars", "4", "--seed", "7"]
        + ["--out", str(out), "--audio", str(audio), "--png", str(png)]
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["bars"] == 4 and summary["mood"] == "calm"
    assert summary["arrangement"] == "ambient" and summary["form"]["form"] == "A"
    names = [i.name for i in pretty_midi.PrettyMIDI(str(out)).instruments]
    assert names == ["electric piano", "warm pad", "low pad"]  # the calm mood's arrangement
    assert audio.read_bytes()[:4] == b"OggS"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--mood", "ecstatic", "--style", "folk"], "Unknown mood"),
        (["--mood", "calm", "--style", "techno"], "Unknown style"),
        (["--mood", "calm", "--style", "folk", "--bars", "0"], "bars"),
        (["--mood", "calm", "--style", "folk", "--tempo", "300"], "Tempo"),
        (["--mood", "calm", "--style", "folk", "--weights", "/nonexistent/w.h5"], "not found"),
        (["--mood", "calm", "--style", "folk", "--seed", "-1"], "seed"),
        (["--mood", "calm", "--style", "folk", "--seed", str(2**32)], "seed"),
    ],
)
def test_bad_input_prints_one_line_and_exits_non_zero(args, words, capsys):
    code = main(["generate", *args])
    err = capsys.readouterr().err.strip()
    assert code != 0
    assert len(err.splitlines()) == 1 and words in err and "Traceback" not in err


def test_missing_dataset_is_one_line(tmp_path, capsys):
    code = main(["evaluate", "--phrases", str(tmp_path / "none.npz"), "--json", "", "--markdown", ""])
    assert code != 0 and "build-phrases" in capsys.readouterr().err
