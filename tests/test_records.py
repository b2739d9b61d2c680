"""The recorded runs in results/ that chapter 3 shows: well formed, and of the models the course builds today."""

import json
from pathlib import Path

import pytest

from lib import config, train

RECORDS = sorted(train.RESULTS_DIR.glob("*/*.json"))
KEYS = {"model", "mode", "parameters", "precision", "epochs", "train_seconds", "best_epoch", "val_accuracy",
        "test_accuracy", "seconds_per_epoch", "history", "provenance"}
PROVENANCE = {"device", "backend", "keras", "data", "images", "image_size", "batch_size", "optimizer",
              "epochs_planned", "date", "commit", "note"}


def test_records_exist_for_the_books_table():
    assert {p.stem for p in RECORDS if p.parent.name == "full"} >= set(train.BUILDERS), \
        "chapter 3 shows a recorded full-mode run of each model: python -m lib.train --model NAME --record"


@pytest.mark.parametrize("path", RECORDS, ids=[f"{p.parent.name}/{p.stem}" for p in RECORDS])
def test_a_record_is_well_formed_and_matches_todays_model(path: Path):
    record = json.loads(path.read_text())
    assert set(record) == KEYS and set(record["provenance"]) == PROVENANCE
    assert (record["model"], record["mode"]) == (path.stem, path.parent.name)
    history = record["history"]
    assert all(len(values) == record["epochs"] for values in history.values())
    assert record["best_epoch"] == train.best_epoch(history), "the checkpoint keeps the lowest validation loss"
    assert 0.5 <= record["test_accuracy"] <= 1 and 0.5 <= record["val_accuracy"] <= 1
    settings = config.settings_for(record["mode"])
    model = train.BUILDERS[record["model"]](settings)
    assert record["parameters"] == model.count_params(), "recorded with the model the course builds today"
    assert record["provenance"]["image_size"] == settings.image_size
    assert sum(record["provenance"]["images"].values()) == 2 * sum(e - s for _, (s, e) in settings.split.items())
