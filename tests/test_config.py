from pathlib import Path

import pytest

from lib import config


def make_real_train(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "cat.0.jpg").write_bytes(b"x")
    (folder / "dog.0.jpg").write_bytes(b"x")


def test_auto_is_tiny_without_real_data_and_says_why(tmp_path):
    mode, reason = config.resolve_mode("auto", tmp_path)
    assert mode == "tiny"
    assert "COURSE_MODE=full downloads" in reason and str(config.kaggle_train_dir(tmp_path)) in reason


def test_auto_is_full_with_kaggle_train_on_disk(tmp_path):
    make_real_train(config.kaggle_train_dir(tmp_path))
    assert config.resolve_mode("auto", tmp_path)[0] == "full"


def test_auto_is_full_with_prepared_petimages(tmp_path):
    make_real_train(config.petimages_train_dir(tmp_path))
    assert config.real_train_dir(tmp_path) == config.petimages_train_dir(tmp_path)
    assert config.resolve_mode("", tmp_path)[0] == "full"


@pytest.mark.parametrize("requested", ["tiny", "FULL", " full "])
def test_explicit_modes(requested, tmp_path):
    assert config.resolve_mode(requested, tmp_path)[0] == requested.strip().lower()


def test_unknown_mode_says_what_to_use(tmp_path):
    with pytest.raises(ValueError, match="COURSE_MODE='huge'.*tiny, full, auto"):
        config.resolve_mode("huge", tmp_path)


def test_current_settings_follow_the_environment(data_root, monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "full")
    config.current_settings.cache_clear()
    settings = config.current_settings()
    assert settings.mode == "full" and settings.data_dir == data_root.resolve()
    assert (settings.image_size, settings.batch_size, settings.epochs, settings.optimizer) == (180, 32, 100, "rmsprop")
    assert settings.split == config.BOOK_SPLIT
    monkeypatch.setenv("COURSE_MODE", "tiny")
    assert config.current_settings().mode == "full", "the switch is read once per process"


def test_book_split_is_the_books():
    assert config.BOOK_SPLIT.items() == [("train", (0, 1000)), ("validation", (1000, 1500)), ("test", (1500, 2500))]
    assert config.BOOK_SPLIT.images_per_class == 2500


def test_tiny_split_does_not_overlap():
    ranges = sorted(r for _, r in config.TINY_SPLIT.items())
    assert all(a[1] <= b[0] for a, b in zip(ranges, ranges[1:]))


def test_banner_names_mode_data_versions_and_device(data_root, monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "tiny")
    config.current_settings.cache_clear()
    line = config.banner()
    assert line.startswith("Mode: tiny (COURSE_MODE=tiny)")
    for part in (str(data_root.resolve()), "Keras 3.", "TensorFlow 2.", "CPU"):
        assert part in line
    assert "\n" not in line


def test_set_seed_makes_numpy_and_python_draws_repeatable():
    import random

    import numpy as np

    config.set_seed(3)
    first = (random.random(), np.random.rand())
    config.set_seed(3)
    assert (random.random(), np.random.rand()) == first
