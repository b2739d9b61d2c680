"""The recorded runs in results/ that chapter 3 shows: well formed, of the models and recipes the course
builds today, and complete."""

import json
from pathlib import Path

import pytest

from lib import config, train

RECORDS = train.record_files()
KEYS = {"model", "mode", "recipe", "parameters", "precision", "epochs", "train_seconds", "best_epoch", "val_accuracy",
        "test_accuracy", "seconds_per_epoch", "recipe_fields", "history", "provenance"}
PROVENANCE = {"device", "backend", "keras", "data", "images", "image_size", "batch_size", "optimizer",
              "epochs_planned", "date", "commit", "note"}


def test_records_exist_for_the_books_table_and_the_fast_recipe():
    assert {p.stem for p in (train.RESULTS_DIR / "full").glob("*.json")} >= {*train.BUILDERS, "mini_xception_fast"}, \
        "chapter 3 shows a recorded full-mode run of each model and recipe: python -m lib.train --model NAME --record"


@pytest.mark.parametrize("path", RECORDS, ids=[str(p.relative_to(train.RESULTS_DIR)) for p in RECORDS])
def test_a_record_is_well_formed_and_matches_todays_model_and_recipe(path: Path):
    record = json.loads(path.read_text())
    assert set(record) - {"sessions"} == KEYS and set(record["provenance"]) == PROVENANCE
    mode = path.relative_to(train.RESULTS_DIR).parts[0]
    assert record["mode"] == mode
    recipe = train.recipe_of(record)
    settings = config.settings_for(mode)
    settings = config.with_overrides(config.with_recipe(settings, recipe) if recipe in config.RECIPES else settings,
                                     [f"{k}={v}" for k, v in record["recipe_fields"].items()])
    assert path.stem == train.run_name(config.with_overrides(settings, [f"recipe={recipe}"]), record["model"]), \
        "a record is named after its model and the recipe it ran"
    history = record["history"]
    assert record["epochs"] == settings.epochs, "a finished run: every epoch of its recipe"
    assert all(len(values) == record["epochs"] for values in history.values())
    assert record["best_epoch"] == train.best_epoch(history), "the checkpoint keeps the lowest validation loss"
    assert record["val_accuracy"] == pytest.approx(history["val_accuracy"][record["best_epoch"] - 1], abs=1e-3), \
        "the validation accuracy of the record is its best checkpoint's, as the history measured it"
    assert record["seconds_per_epoch"] == pytest.approx(record["train_seconds"] / record["epochs"], abs=0.051)
    assert 0.5 <= record["test_accuracy"] <= 1 and 0.5 <= record["val_accuracy"] <= 1
    model = train.BUILDERS[record["model"]](settings)
    assert record["parameters"] == model.count_params(), "recorded with the model the course builds today"
    assert record["provenance"]["image_size"] == settings.image_size
    assert sum(record["provenance"]["images"].values()) == 2 * sum(e - s for _, (s, e) in settings.split.items())


def test_the_fast_recipe_is_the_trial_with_the_best_validation_accuracy():
    trials = [json.loads(p.read_text()) for p in (train.RESULTS_DIR / "full").rglob("mini_xception*.json")]
    trials = [r for r in trials if r["epochs"] <= 40]
    fast = train.load_record("full", "mini_xception_fast")
    assert len(trials) >= 2 and fast["val_accuracy"] == max(r["val_accuracy"] for r in trials)
