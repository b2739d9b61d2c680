import functools
import json
from dataclasses import replace

import keras
import numpy as np
import pytest

from lib import backend, config, data, models, train

SMALL_SPLIT = config.Split((0, 8), (8, 10), (10, 12))


def test_train_keeps_the_best_checkpoint(toy_subsets, tmp_path):
    datasets = data.load_datasets(toy_subsets, 48, 8)
    settings = replace(config.settings_for("tiny"), image_size=48)
    run = train.train(train.build_for(settings), datasets[0], datasets[1], epochs=2,
                      checkpoint_path=tmp_path / "best.keras", verbose=0)
    assert set(run.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"} and len(run.history["loss"]) == 2
    best = int(np.argmin(run.history["val_loss"]))
    reloaded = keras.models.load_model(tmp_path / "best.keras")
    assert reloaded.count_params() == models.BOOK_PARAMETERS
    validation_loss = reloaded.evaluate(datasets[1], verbose=0)[0]
    assert validation_loss == pytest.approx(run.history["val_loss"][best], rel=1e-3), "the best epoch, not the last"


def test_a_seeded_training_repeats_exactly_on_one_machine(toy_subsets):
    """Two runs with one seed give the same weights: what makes the claims' seeds meaningful."""
    settings = replace(config.settings_for("tiny"), image_size=32)
    weights = []
    for _ in range(2):
        config.set_seed(7)
        train_ds, validation_ds, _ = data.load_datasets(toy_subsets, 32, 4, seed=7)
        run = train.train(train.build_for(settings, block_sizes=(8, 16)), train_ds, validation_ds, 2, verbose=0)
        weights.append(run.model.get_weights())
    assert all(np.array_equal(a, b) for a, b in zip(*weights))


@pytest.mark.slow
def test_tiny_mode_learns(data_root, monkeypatch, capsys):
    """The promise of tiny mode: the course's mini Xception reaches 80% validation accuracy.

    Its training time is printed (the JSON line), not asserted: timings belong in benchmarks.
    """
    monkeypatch.setenv("COURSE_MODE", "tiny")
    monkeypatch.delenv("COURSE_EPOCHS", raising=False)  # the full budget, whatever make test sets
    config.current_settings.cache_clear()
    summary = train.main([])
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed == summary and summary["mode"] == "tiny" and summary["parameters"] == models.BOOK_PARAMETERS
    assert summary["val_accuracy"] >= 0.8 and summary["test_accuracy"] >= 0.8
    assert summary["precision"] == backend.fast_precision_policy()
    assert keras.mixed_precision.dtype_policy().name == "float32", "training leaves Keras' global policy alone"


def test_best_epoch_is_the_lowest_validation_loss():
    assert train.best_epoch({"val_loss": [0.9, 0.4, 0.5]}) == 2


def test_load_trained_model_trains_when_missing_then_loads(data_root, capsys):
    settings = replace(config.settings_for("tiny", root=data_root), image_size=32, epochs=1, split=SMALL_SPLIT)
    assert not config.model_path(settings).exists()
    model = train.load_trained_model(settings)
    assert "training one now" in capsys.readouterr().out and model.count_params() == models.BOOK_PARAMETERS
    assert model.get_layer(models.STEM).dtype_policy.name == backend.fast_precision_policy(), "as chapter 3 trains"
    assert config.model_path(settings).is_file()
    train.load_trained_model(settings)
    assert "training one now" not in capsys.readouterr().out


def test_load_trained_model_knows_the_naive_convnet_and_names_the_choices(data_root):
    settings = replace(config.settings_for("tiny", root=data_root), epochs=1, split=SMALL_SPLIT)
    naive = train.load_trained_model(settings, "naive_convnet")
    assert naive.name == "naive_convnet" and config.model_path(settings, "naive_convnet").is_file()
    with pytest.raises(ValueError, match="mini_xception, naive_convnet"):
        train.load_trained_model(settings, "resnet")


def test_the_naive_convnet_trains_with_its_own_learning_rate():
    settings = replace(config.settings_for("tiny"), learning_rate=1e-3, naive_learning_rate=2e-4)
    assert float(train.build_naive_for(settings).optimizer.learning_rate) == pytest.approx(2e-4)
    assert float(train.build_for(settings, block_sizes=(8,)).optimizer.learning_rate) == pytest.approx(1e-3)


def test_mini_xception_for_takes_the_modes_size_and_momentum_and_build_for_compiles_it():
    tiny = config.settings_for("tiny")
    model = train.mini_xception_for(tiny, block_sizes=(8,))
    assert tuple(model.input.shape[1:]) == tiny.input_shape and not model.compiled
    assert model.get_layer("block1_bn1").momentum == tiny.batch_norm_momentum
    compiled = train.build_for(tiny, block_sizes=(8,))
    assert compiled.count_params() == model.count_params() and compiled.compiled


def test_record_writes_the_run_and_where_it_came_from(data_root, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("COURSE_MODE", "tiny")
    monkeypatch.setattr(train, "RESULTS_DIR", tmp_path / "results")
    config.current_settings.cache_clear()
    small = replace(config.settings_for("tiny", "test", data_root), image_size=32, split=SMALL_SPLIT)
    monkeypatch.setattr(config, "current_settings", functools.cache(lambda: small))
    summary = train.main(["--model", "mini_xception", "--epochs", "2", "--record"])
    assert "epochs cut to 2 (--epochs)" in capsys.readouterr().out, "the banner names the flag that cut"
    record = json.loads((tmp_path / "results" / "tiny" / "mini_xception.json").read_text())
    assert {k: record[k] for k in summary} == summary and summary["epochs"] == 2
    assert len(record["history"]["val_accuracy"]) == 2 and record["best_epoch"] in (1, 2)
    provenance = record["provenance"]
    assert provenance["images"] == {"train": 16, "validation": 4, "test": 4}
    assert provenance["backend"] == backend.version() and provenance["device"].startswith(("CPU", "GPU"))
    assert len(provenance["commit"].removesuffix("-dirty")) in (40, len("unknown"))
    assert provenance["epochs_planned"] == 2


def test_the_fast_precision_stays_in_the_model_it_builds(monkeypatch):
    monkeypatch.setattr(backend, "fast_precision_policy", lambda: "mixed_bfloat16")
    model = train.mini_xception_for(config.settings_for("tiny"))
    assert model.get_layer(models.STEM).dtype_policy.name == "mixed_bfloat16"
    assert keras.config.dtype_policy().name == "float32", "the global dtype policy stays the caller's"


def test_results_table_labels_each_column_and_says_how_short_a_record_is(monkeypatch, tmp_path):
    record = {"test_accuracy": 0.6, "epochs": 6, "best_epoch": 5, "precision": "float32",
              "provenance": {"device": "CPU (X, 2 cores)", "backend": "TensorFlow 2.20.0", "date": "2026-11-26"}}
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "mini_xception.json").write_text(json.dumps(record))
    monkeypatch.setattr(train, "RESULTS_DIR", tmp_path)
    this_run = {"mini_xception": 0.89, "naive_convnet": 0.815}
    lines = train.results_table(this_run, config.settings_for("tiny")).splitlines()
    assert lines[0].split() == ["model", "this", "run", "(tiny)", "recorded", "(full)", "the", "book"]
    assert lines[1].split() == ["mini", "xception", "89.0%", "60.0%", "90.8%"]
    assert lines[2].split() == ["naive", "convnet", "81.5%", "not", "recorded", "83.5%"]
    assert lines[3].startswith("recorded mini_xception: 6 of full mode's 100 epochs (best 5), CPU (X, 2 cores)")
