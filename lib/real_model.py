"""The mini Xception trained on real photographs, which chapters 3-5 open up (section 9.4).

The course commits one trained model, ``lib/trained/mini_xception_real_photos.keras``: the book's
recipe, 100 epochs on the book's 2,000 real dogs-vs-cats photographs, float32 weights (it loads on
every backend and device). Beside it, ``mini_xception_real_photos.json`` names the record it comes
from (``results/full/``), its SHA-256, and the logit it gives scikit-image's Chelsea, which every
backend reproduces (``tests/test_real_model.py``).

:func:`load_real_photo_model` is what the chapters call: the student's own full-mode model from
chapter 3 when there is one, else the committed one, with a line that says which.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import keras
import numpy as np

from lib import config, data, models
from lib.images import resize_like_pipeline

TRAINED_DIR = Path(__file__).resolve().parent / "trained"
MODEL_FILE = TRAINED_DIR / "mini_xception_real_photos.keras"
INFO_FILE = MODEL_FILE.with_suffix(".json")


def info() -> dict:
    """What ``INFO_FILE`` says of the committed model: record, SHA-256, Chelsea's logit."""
    return json.loads(INFO_FILE.read_text())


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_committed() -> keras.Model:
    """The committed real-photo mini Xception, compiled as the book compiles it (for ``evaluate``).

    Raises a clear error when the file is not the one the course committed (a Git LFS pointer,
    a partial download, an edit)."""
    expected = info()["sha256"]
    if not MODEL_FILE.is_file() or sha256(MODEL_FILE) != expected:
        raise RuntimeError(f"{MODEL_FILE} is missing or is not the model the course committed (SHA-256 "
                           f"{expected[:12]}...): restore it with `git checkout -- {config.display_path(MODEL_FILE)}` "
                           "or a fresh clone of the course.")
    return models.compile_model(models.load_model(MODEL_FILE))


def record() -> dict | None:
    """The record of the run that trained the committed model (None where ``results/`` is not
    installed beside ``lib``)."""
    path = config.REPO_ROOT / info()["record"]
    return json.loads(path.read_text()) if path.is_file() else None


def own_model_path(settings: config.Settings) -> Path:
    """Where chapter 3 keeps a full-mode mini Xception trained by the student (full budget)."""
    return config.model_path(config.settings_for("full", root=settings.data_dir))


def load_real_photo_model(settings: config.Settings) -> tuple[keras.Model, str]:
    """The mini Xception of real photographs for chapters 3-5, and a short description of it.

    The student's own, trained by chapter 3 in full mode at the full budget, when it is on disk;
    else the committed one."""
    own = own_model_path(settings)
    if own.is_file():
        return models.load_model(own), f"your full-mode model ({config.display_path(own)})"
    trained = record()
    about = "" if trained is None else (f": {trained['epochs']} epochs on the book's real photographs, "
                                        f"{trained['test_accuracy']:.1%} test accuracy")
    return load_committed(), "the course's model" + about


def chelsea(image_size: int = 180) -> np.ndarray:
    """scikit-image's photograph of Chelsea the cat, resized as the input pipeline resizes."""
    import skimage.data

    return resize_like_pipeline(skimage.data.chelsea(), image_size)


def chelsea_logit(model: keras.Model) -> float:
    """The model's logit ("dog" positive) for Chelsea: what ``INFO_FILE`` stores for the committed model."""
    size = model.input.shape[1]
    logit_model = keras.Model(model.inputs, model.get_layer(models.LOGIT).output)
    return float(keras.ops.convert_to_numpy(logit_model([chelsea(size)[None].astype("float32")], training=False))[0, 0])


def real_photographs(settings: config.Settings, per_class: int = 4) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Real photographs for the chapters' figures, resized like the pipeline, with their labels
    (0 cat, 1 dog) and names: Chelsea always (she ships with scikit-image), then in full mode the
    first ``per_class`` cats and dogs of the real test split, which no model trained on."""
    images, labels, names = [chelsea(180 if settings.mode != "full" else settings.image_size)], [0], ["Chelsea"]
    if settings.mode == "full":
        paths, found = data.subset_files(data.prepare_data(settings), "test", per_class)
        images += list(data.load_images(paths, settings.image_size))
        labels += list(found)
        names += [f"test {config.CLASS_NAMES[label]}" for label in found]
    return np.stack(images), np.asarray(labels), names
