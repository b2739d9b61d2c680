import functools
import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import replace

import keras
import numpy as np
import pytest
from PIL import Image

from lib import backend, config, data, hardware, models, train

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
    assert summary["precision"] == hardware.fast_precision_policy()
    assert keras.mixed_precision.dtype_policy().name == "float32", "training leaves Keras' global policy alone"


def test_best_epoch_is_the_lowest_validation_loss():
    assert train.best_epoch({"val_loss": [0.9, 0.4, 0.5]}) == 2


def test_load_trained_model_trains_when_missing_then_loads(data_root, capsys):
    settings = replace(config.settings_for("tiny", root=data_root), image_size=32, epochs=1, split=SMALL_SPLIT)
    assert not config.model_path(settings).exists()
    model = train.load_trained_model(settings)
    assert "training one now" in capsys.readouterr().out and model.count_params() == models.BOOK_PARAMETERS
    assert model.get_layer(models.STEM).dtype_policy.name == hardware.fast_precision_policy(), "as chapter 3 trains"
    assert config.model_path(settings).is_file()
    train.load_trained_model(settings)
    assert "training one now" not in capsys.readouterr().out


def test_train_model_reuses_only_the_same_run(data_root, capsys):
    """Chapter 3 shows the run chapter 1 made when it is the same run, and trains when anything differs."""
    settings = replace(config.settings_for("tiny", root=data_root), image_size=32, epochs=1, split=SMALL_SPLIT)
    small = functools.partial(models.build_mini_xception, block_sizes=(8, 16))
    first, _ = train.train_model(settings, build=small, verbose=0)
    assert not first.reused
    again, _ = train.train_model(settings, build=small, verbose=0, reuse=True)
    assert again.reused and "instead of training again" in capsys.readouterr().out
    assert again.history == first.history and again.train_seconds == first.train_seconds
    assert all(np.array_equal(a, b) for a, b in zip(again.model.get_weights(), first.model.get_weights())), \
        "the last weights of the run, not fresh ones"
    wider = functools.partial(models.build_mini_xception, block_sizes=(8, 24))
    other_seed = replace(settings, seed=settings.seed + 1)
    more_epochs = replace(settings, epochs=2)
    for changed, build in ((settings, wider), (other_seed, small), (more_epochs, small)):
        assert not train.train_model(changed, build=build, verbose=0, reuse=True)[0].reused
    train.train_model(settings, build=small, verbose=0)
    assert train.train_model(settings, build=small, verbose=0, reuse=True)[0].reused
    cat = next((data.prepare_data(settings) / "train" / "cat").iterdir())
    Image.open(cat).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(cat)
    assert not train.train_model(settings, build=small, verbose=0, reuse=True)[0].reused, "one changed image"
    assert not train.train_model(settings, build=small, verbose=0)[0].reused, "reuse is asked for, never assumed"
    with pytest.raises(ValueError, match="naive_convnet"):
        train.train_model(settings, "naive_convnet", build=small)


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
    monkeypatch.setattr(hardware, "fast_precision_policy", lambda: "mixed_bfloat16")
    model = train.mini_xception_for(config.settings_for("tiny"))
    assert model.get_layer(models.STEM).dtype_policy.name == "mixed_bfloat16"
    assert keras.config.dtype_policy().name == "float32", "the global dtype policy stays the caller's"


def test_records_table_names_recipe_epochs_and_the_books_figure_per_run(monkeypatch, tmp_path):
    record = {"model": "mini_xception", "mode": "full", "epochs": 100, "best_epoch": 79, "val_accuracy": 0.897,
              "test_accuracy": 0.8875, "precision": "float32", "train_seconds": 255.1,
              "recipe_fields": config.settings_for("full").recipe_fields(),
              "provenance": {"device": "GPU (NVIDIA H200)", "backend": "JAX 0.11.2"}}
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "mini_xception.json").write_text(json.dumps(record))
    monkeypatch.setattr(train, "RESULTS_DIR", tmp_path)
    lines = train.records_table(("mini_xception", "naive_convnet")).splitlines()
    assert lines[0].split()[:9] == ["model", "recipe", "epochs", "best", "validation", "test", "the", "book", "minutes"]
    assert lines[1].split() == ["mini", "xception", "book", "100", "79", "89.70%", "88.75%", "90.8%", "4", "GPU",
                                "(NVIDIA", "H200),", "JAX", "0.11.2,", "float32"]
    assert lines[2] == "naive_convnet: not recorded"


def test_recipe_differences_and_the_first_epoch_reaching_a_value():
    book = config.settings_for("full")
    lines = train.recipe_differences(book, config.with_recipe(book, "fast"))
    assert [line.split(":")[0].strip() for line in lines] == [
        "epochs", "schedule", "warmup_epochs", "batch_norm_momentum", "batch_size"]
    assert train.first_epoch_reaching({"val_accuracy": [0.5, 0.7, 0.9]}, 0.7) == 2
    assert train.first_epoch_reaching({"val_accuracy": [0.5]}, 0.7) is None


# `python -m lib.train --resume` on 16 training images per class at 32x32, killed (SIGKILL, nothing
# cleaned up) during its third epoch when KILL_IN_EPOCH is set, as a machine taken away would be.
RESUMABLE_RUN = """
import functools, os, signal, sys
from dataclasses import replace
from pathlib import Path
from lib import config, train

train.RESULTS_DIR = Path(os.environ["RESULTS_DIR"])

small = replace(config.current_settings(), split=config.Split((0, 16), (16, 24), (24, 32)), image_size=32,
                batch_size=8)
config.current_settings = functools.cache(lambda: small)
if os.environ.get("KILL_IN_EPOCH"):
    def kill(self, batch, logs=None):
        if len(self.history.get("loss", [])) + 1 == int(os.environ["KILL_IN_EPOCH"]) and batch == 1:
            os.kill(os.getpid(), signal.SIGKILL)
    train.RunState.on_train_batch_end = kill
train.main(sys.argv[1:])
"""


def test_a_killed_run_resumes_from_its_state_file_and_records_every_epoch(tmp_path):
    state_file = tmp_path / "committed" / "run.zip"
    environment = {**os.environ, "COURSE_MODE": "tiny", "COURSE_DATA_DIR": str(tmp_path / "data"),
                   "COURSE_RUNS_DIR": str(tmp_path / "runs"), "COURSE_EPOCHS": "",
                   "RESULTS_DIR": str(tmp_path / "results")}
    arguments = [sys.executable, "-c", RESUMABLE_RUN, "--epochs", "4", "--resume", "--state-file", str(state_file),
                 "--record", "--set", "recipe=resumed"]
    killed = subprocess.run(arguments, env={**environment, "KILL_IN_EPOCH": "3"}, cwd=tmp_path,
                            capture_output=True, text=True, timeout=600)
    assert killed.returncode == -signal.SIGKILL, f"the run was not killed in epoch 3:\n{killed.stderr[-3000:]}"
    folder = tmp_path / "runs" / "tiny" / "mini_xception_resumed_4_epochs"
    before = json.loads((folder / "history.json").read_text())
    assert len(before["history"]["val_loss"]) == 2 and state_file.is_file()
    shutil.rmtree(folder)  # a new machine: only the committed state file is left
    resumed = subprocess.run(arguments, env=environment, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "Restored the run's state" in resumed.stdout and "Epoch 3/4" in resumed.stdout
    assert "Epoch 1/4" not in resumed.stdout + resumed.stderr, "the resumed run trained its first epochs again"
    assert not state_file.exists(), "a finished run deletes its state file"
    record = json.loads((tmp_path / "results" / "tiny" / "mini_xception_resumed.json").read_text())
    losses = record["history"]["val_loss"]
    assert record["epochs"] == 4 and len(losses) == 4
    assert losses[:2] == pytest.approx(before["history"]["val_loss"], abs=1e-4), "the epochs before the kill"
    assert record["best_epoch"] == 1 + int(np.argmin(losses))
    assert [s["from_epoch"] for s in record["sessions"]] == [0, 2]
    best = keras.models.load_model(tmp_path / "data" / "models" / "mini_xception_resumed_tiny_4_epochs.keras")
    small = config.subsets_dir(config.toy_train_dir(tmp_path / "data"))
    validation = data.load_datasets(small, 32, 8)[1]
    assert best.evaluate(validation, verbose=0)[0] == pytest.approx(min(losses), abs=2e-3), \
        "the checkpoint is the best epoch of both sessions"


def test_the_cosine_recipe_warms_up_to_its_rate_then_decays_to_zero():
    settings = config.with_overrides(config.settings_for("full"), ["schedule=cosine", "warmup_epochs=2", "epochs=4"])
    schedule = train.learning_rate_for(settings, 1e-3)
    steps = settings.steps_per_epoch
    rates = [float(schedule(step)) for step in (0, steps, 2 * steps, 3 * steps, 4 * steps)]
    assert rates[0] == 0 and rates[1] == pytest.approx(5e-4) and rates[2] == pytest.approx(1e-3)
    assert rates[3] == pytest.approx(5e-4) and rates[4] == pytest.approx(0, abs=1e-9)
    assert float(train.optimizer_for(config.settings_for("full"), 1e-3).learning_rate) == pytest.approx(1e-3)
    with pytest.raises(ValueError, match="schedule"):
        train.learning_rate_for(config.with_overrides(settings, ["schedule=linear"]), 1e-3)
    adamw = train.optimizer_for(config.with_overrides(settings, ["optimizer=adamw", "weight_decay=0.05"]), 1e-3)
    assert isinstance(adamw, keras.optimizers.AdamW) and adamw.weight_decay == pytest.approx(0.05)


def test_recipe_comparison_reads_two_histories_as_chapter_3_does():
    book = {"val_accuracy": [0.5, 0.5, 0.62, 0.7, 0.9, 0.6], "val_loss": [1, 1, 1, 1, 0.3, 1]}
    fast = {"val_accuracy": [0.61, 0.75, 0.74], "val_loss": [0.9, 0.5, 0.6]}
    compared = train.recipe_comparison(book, fast, last=2)
    assert compared == pytest.approx({"book_first_60": 3, "fast_first_60": 1, "fast_best": 0.75,
                                      "book_best_in_40": 0.62, "book_reaches_fast_at": 5, "book_last_swing": 0.3,
                                      "fast_last_swing": 0.01})


def test_trials_table_lists_every_recorded_trial_best_validation_first():
    lines = train.trials_table(config.settings_for("full"))
    accuracies = [float(line.split("validation ")[1].split("%")[0]) for line in lines]
    assert len(lines) == len(train.trial_records()) >= 2 and accuracies == sorted(accuracies, reverse=True)
    assert all("epochs 40" in line for line in lines)
