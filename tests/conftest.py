"""Fixtures shared by the tests: a private data folder and small generated datasets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from lib import config  # noqa: E402
from lib.data import make_subset, make_toy_pets  # noqa: E402


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
    base = toy_train_dir.parent / "cats_vs_dogs_small"
    for name, (start, end) in (("train", (0, 8)), ("validation", (8, 10)), ("test", (10, 12))):
        make_subset(name, start, end, toy_train_dir, base)
    return base
