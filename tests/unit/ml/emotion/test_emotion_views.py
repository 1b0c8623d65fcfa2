"""Test-time views: which crops of a face the expression CNN averages."""

from __future__ import annotations

import numpy as np
import pytest

from ml.emotion.views import check_views, view_of


def _disc_face(radius: int) -> np.ndarray:
    yy, xx = np.mgrid[:48, :48]
    face = np.full((48, 48), 40, np.uint8)
    face[(yy - 23.5) ** 2 + (xx - 23.5) ** 2 <= radius**2] = 220
    face[10:14, 5:9] = 0  # an off-centre mark, to see the mirror
    return face[None]


def test_mirror_swaps_left_and_right_and_twice_is_the_face():
    face = _disc_face(12)
    mirrored = view_of(face, "mirror")
    assert mirrored[0, 12, 40] == 0 and mirrored[0, 12, 6] != 0
    np.testing.assert_array_equal(view_of(mirrored, "mirror"), face)


def test_zoom_in_enlarges_the_face_and_zoom_out_shrinks_it():
    face = _disc_face(12)
    bright = lambda view: int((view_of(face, view) > 128).sum())  # noqa: E731
    assert bright("zoom_out") < bright("face") < bright("zoom_in")
    assert view_of(face, "zoom_in").shape == face.shape


def test_unknown_or_no_views_are_refused_by_name():
    with pytest.raises(ValueError, match="sideways"):
        check_views(["face", "sideways"])
    with pytest.raises(ValueError):
        check_views([])
    assert check_views(["face", "mirror"]) == ("face", "mirror")


def test_the_cnn_averages_its_views_and_reads_the_mirror_like_the_face():
    from ml.emotion.model import ExpressionCNN

    rng = np.random.default_rng(3)
    faces = rng.integers(0, 256, (2, 48, 48), dtype=np.uint8)
    face_only = ExpressionCNN(views=("face",))
    mirror_only = ExpressionCNN(views=("mirror",))
    both = ExpressionCNN(views=("face", "mirror"))
    expected = (face_only.logits(faces) + mirror_only.logits(faces)) / 2
    np.testing.assert_allclose(both.logits(faces), expected, rtol=1e-4, atol=1e-4)
    mirrored_input = mirror_only.logits(faces[:, :, ::-1])
    np.testing.assert_allclose(mirrored_input, face_only.logits(faces), rtol=1e-4, atol=1e-4)


def test_a_stream_reads_one_group_of_views_per_face_and_the_groups_cover_them_all():
    from ml.emotion.model import ExpressionCNN

    full = ExpressionCNN()
    stream = ExpressionCNN(views_per_call=2)
    assert len(full.passes) % 2 == 0 and len(stream._groups) == len(full.passes) // 2
    rng = np.random.default_rng(5)
    faces = rng.integers(0, 256, (40, 48, 48), dtype=np.uint8)
    groups = {int(face.sum(dtype=np.int64)) % len(stream._groups) for face in faces}
    assert groups == set(range(len(stream._groups)))  # frames spread over every group
    # The same crop always reads the same; the mean over the groups is the full reading.
    np.testing.assert_array_equal(stream.logits(faces[:1]), stream.logits(faces[:1]))
    per_group = [stream.group_logits(faces[:1], group) / stream.temperature for group in stream._groups]
    np.testing.assert_allclose(np.mean(per_group, axis=0), full.logits(faces[:1])[0], rtol=1e-4, atol=1e-4)
    assert sorted(p for group in stream._groups for p in group) == sorted(full.passes)
    with pytest.raises(ValueError, match="divide"):
        ExpressionCNN(views_per_call=5)


def test_a_light_reading_is_one_pass_and_the_passes_average_to_the_full_reading():
    from ml.emotion.model import ExpressionCNN

    full = ExpressionCNN()
    stream = ExpressionCNN(views_per_call=2)
    rng = np.random.default_rng(11)
    faces = rng.integers(0, 256, (240, 48, 48), dtype=np.uint8)
    chosen = {int(face.sum(dtype=np.int64)) % len(full.passes) for face in faces}
    assert chosen == set(range(len(full.passes)))  # consecutive frames spread over every pass
    face = faces[:1]
    light = stream.logits(face, light=True)[0]
    index = int(face[0].sum(dtype=np.int64)) % len(stream.passes)
    one_pass = stream.group_logits(face, [stream.passes[index]]) / stream.temperature
    np.testing.assert_allclose(light, one_pass, rtol=1e-5, atol=1e-5)
    assert not np.allclose(light, stream.logits(face)[0], atol=1e-3)  # not the two-pass reading
    per_pass = [stream.group_logits(face, [one]) / stream.temperature for one in stream.passes]
    np.testing.assert_allclose(np.mean(per_pass, axis=0), full.logits(face)[0], rtol=1e-4, atol=1e-4)
