"""The committed real-photo mini Xception (lib/trained/): the file the record names, loadable on
every backend, reproducing what was stored beside it, and scoring what its record says where the
photographs are."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from lib import backend, config, data, models, real_model, train

SHARED_PHOTOS = Path(__file__).resolve().parent.parent.parent / "shared" / "real_photos" / "dogs-vs-cats" / "train"


def test_the_committed_model_is_the_best_real_photo_run_by_validation():
    info = real_model.info()
    assert real_model.sha256(real_model.MODEL_FILE) == info["sha256"]
    record = real_model.record()
    assert (record["model"], record["mode"], record["epochs"]) == ("mini_xception", "full", 100)
    runs = [json.loads(p.read_text()) for p in sorted((train.RESULTS_DIR / "full").rglob("mini_xception*.json"))]
    assert record["val_accuracy"] == max(r["val_accuracy"] for r in runs), \
        "the committed model is the run with the best validation accuracy (never chosen on test)"
    model = real_model.load_committed()
    assert model.count_params() == models.BOOK_PARAMETERS == record["parameters"]
    assert {layer.dtype_policy.name for layer in model.layers} == {"float32"}, "float32 weights load everywhere"
    assert real_model.MODEL_FILE.stat().st_size < 4e6, "the model without its optimizer's state"


def test_the_committed_model_reproduces_chelseas_logit_on_this_backend():
    logit = real_model.chelsea_logit(real_model.load_committed())
    assert logit == pytest.approx(real_model.info()["chelsea_logit"], abs=1e-3), f"on {backend.version()}"


def test_a_changed_model_file_is_refused_with_what_to_do(tmp_path, monkeypatch):
    changed = tmp_path / "model.keras"
    shutil.copyfile(real_model.MODEL_FILE, changed)
    with changed.open("ab") as file:
        file.write(b"\0")
    monkeypatch.setattr(real_model, "MODEL_FILE", changed)
    with pytest.raises(RuntimeError, match="not the model the course committed.*git checkout"):
        real_model.load_committed()


def test_the_chapters_take_the_students_own_full_mode_model_first(data_root):
    settings = config.settings_for("tiny", root=data_root)
    model, about = real_model.load_real_photo_model(settings)
    assert about.startswith("the course's model: 100 epochs") and model.count_params() == models.BOOK_PARAMETERS
    own = real_model.own_model_path(settings)
    own.parent.mkdir(parents=True)
    models.build_mini_xception((32, 32, 3), block_sizes=(8,)).save(own)
    model, about = real_model.load_real_photo_model(settings)
    assert about.startswith("your full-mode model") and model.input.shape[1] == 32


@pytest.mark.skipif(not (SHARED_PHOTOS / "cat.0.jpg").is_file(),
                    reason=f"the real photographs are not here ({SHARED_PHOTOS} is absent): the committed model's "
                           "test accuracy is scored again where ../shared/real_photos exists")
def test_the_committed_model_scores_its_records_test_accuracy_again(tmp_path):
    start, end = config.BOOK_SPLIT.test
    base = tmp_path / config.SUBSETS_FOLDER
    for subset in ("train", "validation", "test"):  # load_datasets wants all three; only test is scored
        data.make_subset(subset, start, start + 1 if subset != "test" else end, SHARED_PHOTOS, base)
    test_ds = data.load_datasets(base, 180, 32)[2]
    accuracy = real_model.load_committed().evaluate(test_ds, verbose=0)[1]
    assert accuracy == pytest.approx(real_model.record()["test_accuracy"], abs=0.005)


def test_offline_the_real_photographs_are_chelsea_alone_at_the_models_size():
    images, labels, names = real_model.real_photographs(config.settings_for("tiny"))
    assert images.shape == (1, 180, 180, 3) and images.dtype == np.uint8
    assert list(labels) == [0] and names == ["Chelsea"]
