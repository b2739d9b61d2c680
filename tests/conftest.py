"""Fixtures shared by the tests: a private data folder and small generated datasets."""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import layers

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from lib import config, models  # noqa: E402
from lib.data import make_subset  # noqa: E402
from lib.toy_pets import make_toy_pets  # noqa: E402


@pytest.fixture
def data_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty COURSE_DATA_DIR, with the once-per-process settings re-read."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    config.current_settings.cache_clear()
    yield tmp_path / "data"
    config.current_settings.cache_clear()


@pytest.fixture(scope="session")
def toy_train_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated Kaggle-style train/ folder (12 images per class), made once."""
    return make_toy_pets(tmp_path_factory.mktemp("toy") / "train", n_per_class=12)


@pytest.fixture(scope="session")
def toy_subsets(toy_train_dir: Path) -> Path:
    """cats_vs_dogs_small/{train,validation,test} from the small toy folder."""
    base = config.subsets_dir(toy_train_dir)
    for name, (start, end) in (("train", (0, 8)), ("validation", (8, 10)), ("test", (10, 12))):
        make_subset(name, start, end, toy_train_dir, base)
    return base


TINY_SHAPE = (32, 32, 3)


@pytest.fixture(scope="module", params=["float32", "mixed_bfloat16"])
def mini_xception(request):
    """A small mini Xception, in float32 and under mixed precision: interpretation must work in both
    (chapter 3 trains in the fastest precision of the machine, chapters 4 and 5 explain that model)."""
    keras.utils.set_random_seed(0)
    return models.build_mini_xception(TINY_SHAPE, block_sizes=(8, 16), dtype_policy=request.param)


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).uniform(0, 255, (4, *TINY_SHAPE)).astype("float32")


def identity_classifier(units: int = 1, final_activation: str = "sigmoid") -> keras.Model:
    """Input -> 1x1 convolution with weight 1 ('features') -> mean -> Dense with weights 1 -> activation.

    The logit is the image's mean, so its gradient with respect to every feature value is equal
    and positive: Grad-CAM of the positive class is the image itself, scaled to a maximum of 1.
    """
    inputs = keras.Input((6, 6, 1))
    features = layers.Conv2D(1, 1, use_bias=False, kernel_initializer="ones", name="features")(inputs)
    pooled = layers.GlobalAveragePooling2D()(features)
    logits = layers.Dense(units, kernel_initializer="ones", name="logit")(pooled)
    return keras.Model(inputs, layers.Activation(final_activation, name="probability")(logits))
