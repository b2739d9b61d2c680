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
    monkeypatch.delenv("COURSE_EPOCHS", raising=False)  # `make test` sets it
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


def test_banner_names_mode_data_backend_and_device(data_root, monkeypatch):
    from lib import backend

    monkeypatch.delenv("COURSE_EPOCHS", raising=False)  # `make test` sets it
    monkeypatch.setenv("COURSE_MODE", "tiny")
    config.current_settings.cache_clear()
    line = config.banner()
    assert line.startswith("Mode: tiny (COURSE_MODE=tiny)")
    for part in (str(data_root.resolve()), "Keras 3.", f" on {backend.version()}", "CPU ("):
        assert part in line
    assert "\n" not in line and "epochs cut" not in line


def test_course_epochs_cuts_every_budget_and_the_banner_says_so(data_root, monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "full")
    monkeypatch.setenv("COURSE_EPOCHS", "3")
    config.current_settings.cache_clear()
    settings = config.current_settings()
    assert (settings.epochs, settings.ablation_epochs, settings.epochs_cut_to) == (3, 3, 3)
    assert not settings.calibrated and "epochs cut to 3 (COURSE_EPOCHS)" in config.banner()
    assert config.settings_for("tiny", epochs=1000).epochs == config.settings_for("tiny").epochs, "a cap, never more"


def test_a_chapters_own_budget_is_cut_by_course_epochs_too():
    assert config.settings_for("tiny").budget(4) == 4
    assert config.settings_for("tiny", epochs=1).budget(4) == 1, "chapter 6's shortcut trained past COURSE_EPOCHS"
    assert config.settings_for("tiny", epochs=9).budget(4) == 4, "a cap, never more"


def test_a_run_with_epochs_cut_keeps_its_model_apart(tmp_path):
    full_budget = config.model_path(config.settings_for("tiny", root=tmp_path))
    cut = config.model_path(config.settings_for("tiny", root=tmp_path, epochs=1))
    assert full_budget.name == "mini_xception_tiny.keras" and cut != full_budget, \
        "chapter 5 at the full budget would analyse a model trained one epoch"


@pytest.mark.parametrize("value", ["0", "three", "-2", "1.5"])
def test_a_course_epochs_that_is_not_a_count_says_what_to_write(monkeypatch, value):
    monkeypatch.setenv("COURSE_EPOCHS", value)
    with pytest.raises(ValueError, match="whole number such as 3"):
        config.epochs_override()


def test_only_tiny_mode_with_its_whole_budget_is_calibrated():
    assert config.settings_for("tiny").calibrated
    assert not config.settings_for("full").calibrated and not config.settings_for("tiny", epochs=2).calibrated


def test_the_data_layout_has_one_home(tmp_path):
    assert config.subsets_dir(config.toy_train_dir(tmp_path)) == tmp_path / "toy_pets" / config.SUBSETS_FOLDER
    assert config.real_train_dirs(tmp_path)[0] == config.kaggle_train_dir(tmp_path), "the book's route comes first"
    make_real_train(config.oxford_pets_train_dir(tmp_path))
    make_real_train(config.own_photos_train_dir(tmp_path))
    assert config.real_train_dir(tmp_path) == config.own_photos_train_dir(tmp_path)


def test_course_seed_sets_the_seed_and_seed_0_is_the_books(data_root, monkeypatch):
    assert config.settings_for("tiny") == config.settings_for("tiny", seed=0)
    assert [config.settings_for("tiny", seed=seed).seed for seed in range(4)] == [0, 1, 2, 3]
    monkeypatch.setenv("COURSE_SEED", "2")
    config.current_settings.cache_clear()
    assert config.current_settings().seed == 2 and "seed 2 (COURSE_SEED)" in config.banner()


@pytest.mark.parametrize("value", ["-1", "one", "1.5"])
def test_a_course_seed_that_is_not_a_whole_number_says_what_to_write(monkeypatch, value):
    monkeypatch.setenv("COURSE_SEED", value)
    with pytest.raises(ValueError, match="whole number such as 1"):
        config.seed_override()


def test_set_seed_makes_numpy_and_python_draws_repeatable():
    import random

    import numpy as np

    config.set_seed(3)
    first = (random.random(), np.random.rand())
    config.set_seed(3)
    assert (random.random(), np.random.rand()) == first


def test_a_recipe_changes_only_its_fields_and_course_epochs_still_cuts_it():
    book = config.settings_for("full")
    fast = config.with_recipe(book, "fast")
    assert fast.recipe == "fast" and fast.epochs == config.RECIPES["fast"]["epochs"] and fast.split == book.split
    assert config.with_recipe(config.cut_epochs(book, 2), "fast").epochs == 2
    with pytest.raises(ValueError, match="full mode's"):
        config.with_recipe(config.settings_for("tiny"), "fast")
    with pytest.raises(ValueError, match="No recipe called 'slow'"):
        config.with_recipe(book, "slow")


def test_overrides_take_the_fields_type_and_refuse_what_is_not_a_recipe_field():
    changed = config.with_overrides(config.settings_for("full"), ["learning_rate=2e-3", "batch_size=16",
                                                                  "schedule=cosine", "precision=float32"])
    assert (changed.learning_rate, changed.batch_size, changed.schedule, changed.precision) == (
        0.002, 16, "cosine", "float32")
    assert changed.steps_per_epoch == 125
    for wrong in ("split=1", "colour=red", "learning_rate"):
        with pytest.raises(ValueError, match="field=value"):
            config.with_overrides(config.settings_for("full"), [wrong])
    with pytest.raises(ValueError, match="batch_size takes a int"):
        config.with_overrides(config.settings_for("full"), ["batch_size=big"])


def test_toy_pets_settings_are_tiny_modes_with_the_runs_folder_seed_and_epoch_cap(tmp_path):
    tiny = config.settings_for("tiny", root=tmp_path, seed=2)
    assert config.toy_pets_settings(tiny) is tiny
    full = config.settings_for("full", root=tmp_path, epochs=3, seed=2)
    toy = config.toy_pets_settings(full)
    assert (toy.mode, toy.data_dir, toy.seed, toy.epochs_cut_to) == ("tiny", tmp_path, 2, 3)
    assert toy.image_size == config.TINY.image_size and toy.epochs == 3
