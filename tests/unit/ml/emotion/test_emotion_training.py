"""The expression CNN's data split and training helpers, on small made-up data."""

from __future__ import annotations

import numpy as np
import pytest

from ml.emotion.dataset import DatasetError, Faces, load_faces, split
from ml.emotion.train import class_weights, fit_temperature, macro_recall
from ml.mood import EMOTIONS


def _faces(per_class: int = 40) -> Faces:
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(len(EMOTIONS)), per_class)
    images = rng.integers(0, 256, (len(labels), 48, 48), dtype=np.uint8)
    images[1] = images[0]  # a duplicate pair (same class)
    images[per_class] = images[2]  # a duplicate carrying another label
    return Faces(images, labels)


def test_split_is_stratified_disjoint_and_keeps_duplicates_together():
    faces = _faces()
    train, val = split(faces, val_fraction=0.25)
    assert len(train) + len(val) == len(faces)
    assert all(8 <= n <= 12 for n in val.class_counts().values())
    train_set = {img.tobytes() for img in train.images}
    assert not any(img.tobytes() in train_set for img in val.images)
    assert split(faces, val_fraction=0.25)[1].labels.tolist() == val.labels.tolist()  # fixed seed


def test_a_file_that_is_not_fer2013_is_refused(tmp_path):
    path = tmp_path / "x.npz"
    np.savez(path, images=np.zeros((2, 32, 32), np.uint8), labels=np.zeros(2), label_names=np.array(EMOTIONS))
    with pytest.raises(DatasetError):
        load_faces(path)
    with pytest.raises(DatasetError):
        load_faces(tmp_path / "missing.npz")


def test_rare_classes_weigh_more_and_weights_average_one():
    labels = np.array([0] * 100 + [1] * 4 + [3] * 400)
    weights = class_weights(labels)
    assert weights[1] > weights[0] > weights[3]
    assert np.mean([weights[k] for k in labels]) == pytest.approx(1.0)


def test_temperature_fit_recovers_an_overconfident_model():
    rng = np.random.default_rng(1)
    true_logits = rng.normal(0, 1.5, (4000, 7))
    p = np.exp(true_logits) / np.exp(true_logits).sum(1, keepdims=True)
    labels = np.array([rng.choice(7, p=row) for row in p])
    assert fit_temperature(true_logits * 2.0, labels) == pytest.approx(2.0, rel=0.1)


def test_macro_recall_weighs_classes_equally():
    labels = np.array([0, 0, 0, 1])
    assert macro_recall(labels, np.array([0, 0, 0, 0])) == pytest.approx(0.5)


def test_wilson_interval_brackets_the_proportion():
    from ml.emotion.evaluate import wilson

    low, high = wilson(68, 100)
    assert low < 0.68 < high and high - low < 0.2


def test_mood_figures_count_valence_signs_and_neutral_moods():
    from ml.emotion.evaluate import mood_figures

    eye = np.eye(len(EMOTIONS))
    happy, sad, neutral = (EMOTIONS.index(e) for e in ("happy", "sad", "neutral"))
    labels = np.array([happy, sad, neutral, neutral])
    probs = np.stack([eye[happy], eye[happy], eye[neutral], eye[sad]])  # the sad face read happy
    figures = mood_figures(labels, probs)
    assert figures == {"valence_sign": (1, 2), "neutral_mood": (1, 2)}


@pytest.fixture()
def weights_folder(tmp_path, monkeypatch):
    """A copy of the shipped expression model that the model module reads instead."""
    import shutil

    import ml.emotion.model as model

    out = tmp_path / "weights"
    out.mkdir()
    for path in (*model.expression_members(), model.EXPRESSION_INFO):
        shutil.copy(path, out / path.name)
    monkeypatch.setattr(model, "WEIGHTS_DIR", out)
    monkeypatch.setattr(model, "EXPRESSION_TFLITE", out / model.EXPRESSION_TFLITE.name)
    monkeypatch.setattr(model, "EXPRESSION_INFO", out / model.EXPRESSION_INFO.name)
    model.expression_info.cache_clear()
    yield out
    model.expression_info.cache_clear()


def test_a_second_run_joins_the_shipped_network_as_an_ensemble_member(tmp_path, weights_folder):
    import json

    from ml.emotion.model import ExpressionCNN, expression_info, expression_members, tflite_logits
    from ml.emotion.network import build_expression_cnn
    from ml.emotion.train import add_member

    run = tmp_path / "run"
    run.mkdir()
    build_expression_cnn().save_weights(run / "best.weights.h5")  # an untrained network: other errors
    history = [{"epoch": 1, "loss": 1.9, "val_accuracy": 0.2, "val_macro_recall": 0.2, "seconds": 1.0}]
    (run / "state.json").write_text(
        json.dumps({"epoch": 1, "best_epoch": 1, "seconds": 60, "history": history})
    )
    faces = _faces(per_class=12)
    data = tmp_path / "faces.npz"
    np.savez(data, images=faces.images, labels=faces.labels, label_names=np.array(EMOTIONS))

    shipped = [path.name for path in expression_members()]
    info = add_member(data=data, folder=run, out=weights_folder)
    expression_info.cache_clear()  # the description on disk changed

    files = [m["file"] for m in info["members"]]
    assert files == [*shipped, f"expression_cnn_{len(shipped) + 1}.tflite"]
    assert info["members"][-1]["train_minutes"] == 1.0 and "epochs" not in info
    ensemble = ExpressionCNN()
    assert ensemble.temperature == pytest.approx(info["temperature"], abs=1e-4)
    assert len(ensemble.passes) == len(files) * len(ensemble.views)
    probe = faces.images[:3]
    members = [
        tflite_logits(weights_folder / m["file"], probe, views=ensemble.views) for m in info["members"]
    ]
    assert not np.allclose(members[0], members[-1], atol=1e-2)  # different networks
    expected = np.mean(members, axis=0) / ensemble.temperature
    np.testing.assert_allclose(ensemble.logits(probe), expected, rtol=1e-4, atol=1e-4)
    # A live stream reading as many passes as there are networks reads one view through each.
    stream = ExpressionCNN(views_per_call=len(files))
    for group in stream._groups:
        assert sorted(m for m, _ in group) == list(range(len(files))) and len({v for _, v in group}) == 1


def test_bfloat16_is_native_only_on_cpus_that_say_so(tmp_path):
    from ml.emotion.train import native_bfloat16

    avx2 = tmp_path / "avx2"
    avx2.write_text("flags\t\t: fpu sse2 avx2 fma\n")
    amx = tmp_path / "amx"
    amx.write_text("flags\t\t: fpu avx2 avx512f avx512_bf16 amx_bf16\n")
    assert not native_bfloat16(avx2)
    assert native_bfloat16(amx)
    assert native_bfloat16(tmp_path / "missing")  # unknown: no warning


def test_training_refuses_to_start_without_saying_what_happens_to_a_shipped_ensemble(capsys):
    from ml.emotion.train import main, shipped_member_count

    assert shipped_member_count() > 1  # the repository ships an ensemble
    with pytest.raises(SystemExit) as refused:
        main(["--epochs", "1", "--checkpoints", "/nonexistent/run"])
    assert refused.value.code == 2
    message = capsys.readouterr().err
    assert "--add-member" in message and "--replace-ensemble" in message
    with pytest.raises(SystemExit):
        main(["--add-member", "--replace-ensemble", "--export-only"])
    assert "exclude each other" in capsys.readouterr().err


def test_the_shipped_member_count_reads_the_description(tmp_path):
    import json

    from ml.emotion.train import INFO_NAME, shipped_member_count

    assert shipped_member_count(tmp_path) == 0
    (tmp_path / INFO_NAME).write_text(json.dumps({"temperature": 1.0}))
    assert shipped_member_count(tmp_path) == 1
    (tmp_path / INFO_NAME).write_text(json.dumps({"members": [{"file": "a"}, {"file": "b"}]}))
    assert shipped_member_count(tmp_path) == 2
