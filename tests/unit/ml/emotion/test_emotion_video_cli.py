"""analyze_video and the `python -m ml.emotion` CLI on files made from real photos."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from ml.emotion import VideoError, analyze_video
from ml.emotion.cli import main

from .conftest import encode, webcam_frame

REPO = Path(__file__).resolve().parents[4]


@pytest.fixture(scope="module")
def video(tmp_path_factory, astronaut, no_face_photos) -> Path:
    """A 12-frame 320x240 MJPEG clip: 8 frames of the astronaut, then 4 of coffee."""
    path = tmp_path_factory.mktemp("video") / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (320, 240))
    assert writer.isOpened()
    frames = [webcam_frame(astronaut)] * 8 + [webcam_frame(no_face_photos["coffee"])] * 4
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def test_every_frame_of_a_video_is_analysed_in_order(video):
    results = list(analyze_video(video))
    assert [r.frame_index for r in results] == list(range(12))
    assert results[3].timestamp_ms == pytest.approx(300.0)
    assert all(r.emotion == "happy" for r in results[:8])
    assert all(r.emotions is None for r in results[8:])


def test_every_and_max_frames_thin_the_video(video):
    assert [r.frame_index for r in analyze_video(video, every=3)] == [0, 3, 6, 9]
    assert len(list(analyze_video(video, max_frames=5))) == 5


def test_missing_empty_and_non_video_files_raise_video_error(tmp_path):
    with pytest.raises(VideoError, match="does not exist"):
        analyze_video(tmp_path / "nope.mp4")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(VideoError, match="empty"):
        analyze_video(empty)
    text = tmp_path / "notes.mp4"
    text.write_text("this is a shopping list, not a video\n" * 50)
    with pytest.raises(VideoError):
        analyze_video(text)
    with pytest.raises(VideoError):
        analyze_video(tmp_path)


def test_a_truncated_video_raises_or_stops_cleanly(video, tmp_path):
    cut = tmp_path / "cut.avi"
    cut.write_bytes(video.read_bytes()[:2000])
    try:
        results = list(analyze_video(cut))
    except VideoError:
        return
    assert len(results) < 12


def test_cli_prints_the_image_result(tmp_path, astronaut, capsys):
    image = tmp_path / "astronaut.jpg"
    image.write_bytes(encode(astronaut, "JPEG"))
    assert main([str(image)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("image: face") and "happy" in out[0]
    assert out[-1].startswith("summary: 1 frame(s), 1 with a face; dominant mood happy")


def test_cli_json_on_a_video(video, capsys):
    assert main([str(video), "--json", "--every", "2"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["kind"] == "video"
    assert len(document["frames"]) == 6
    assert document["frames"][0]["emotion"] == "happy"
    assert document["frames"][0]["mood"]["label"] == "happy"
    assert document["summary"]["frames_without_face"] == 2
    assert document["summary"]["dominant_mood"]["label"] == "happy"


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "does not exist"),
        (b"", "empty"),
        (b"GIF89a" + b"\x00" * 100, ""),
        (b"just some text, neither image nor video\n" * 20, "not a video"),
    ],
)
def test_cli_bad_input_exits_non_zero_with_one_line(tmp_path, capsys, content, words):
    path = tmp_path / "input.bin"
    if content is not None:
        path.write_bytes(content)
    assert main([str(path)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0]
    assert captured.out == ""


def test_python_dash_m_runs_the_cli(tmp_path, astronaut):
    image = tmp_path / "face.png"
    image.write_bytes(encode(astronaut, "PNG"))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "ml.emotion", str(image), "--json"],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=REPO,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["frames"][0]["emotion"] == "happy"
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 truncated")
    done = subprocess.run(
        [sys.executable, "-m", "ml.emotion", str(bad)],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=REPO,
        env=env,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().splitlines()[-1].startswith("error: ")
