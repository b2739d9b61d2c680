"""Training the course's models with the settings of the current mode (chapter 3).

``python -m lib.train`` prepares the data of the mode (``COURSE_MODE``), trains a model
(``--model``, the mini Xception by default), evaluates its best checkpoint on validation and
test, and prints one JSON line last::

    {"model": "mini_xception", "mode": "tiny", "epochs": 6, "train_seconds": 71.2, ...}

``--record`` also writes that summary, with the per-epoch history and where it came from
(device, backend, precision, versions, data, date, commit), to ``results/{mode}/{model}.json``:
the recorded runs that chapter 3 shows beside its own. ``COURSE_EPOCHS`` (or ``--epochs``)
cuts the number of epochs.
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import keras

from lib import backend, config, data, models

RESULTS_DIR = config.REPO_ROOT / "results"


@dataclass
class TrainingRun:
    """What :func:`train` returns: the history and the wall time of ``fit``."""

    model: keras.Model
    history: dict[str, list[float]]
    train_seconds: float


def train(
    model: keras.Model,
    train_ds,
    validation_ds,
    epochs: int,
    checkpoint_path: str | Path | None = None,
    verbose: int = 2,
) -> TrainingRun:
    """Fit ``model``; with ``checkpoint_path``, keep the best ``val_loss`` model there as ``.keras``."""
    callbacks = []
    if checkpoint_path is not None:
        Path(checkpoint_path).parent.mkdir(parents=True, exist_ok=True)
        callbacks.append(keras.callbacks.ModelCheckpoint(str(checkpoint_path), save_best_only=True,
                                                         monitor="val_loss"))
    start = time.perf_counter()
    # shuffle=False: the datasets of lib.data reshuffle the training set themselves, every epoch.
    history = model.fit(train_ds, validation_data=validation_ds, epochs=epochs,
                        callbacks=callbacks, verbose=verbose, shuffle=False)
    return TrainingRun(model, history.history, time.perf_counter() - start)


def mini_xception_for(settings: config.Settings, **overrides) -> keras.Model:
    """The mini Xception with the mode's input size and batch-norm momentum, in the precision
    that trains fastest here (:func:`lib.backend.fast_precision_policy`), not compiled.

    ``overrides`` go to :func:`lib.models.build_mini_xception` and win over those values.
    """
    arguments = {"input_shape": settings.input_shape, "batch_norm_momentum": settings.batch_norm_momentum,
                 "dtype_policy": backend.fast_precision_policy()}
    return models.build_mini_xception(**{**arguments, **overrides})


def build_for(settings: config.Settings, **overrides) -> keras.Model:
    """:func:`mini_xception_for`, compiled with the mode's optimizer and learning rate."""
    return models.compile_model(mini_xception_for(settings, **overrides), settings.optimizer, settings.learning_rate)


def build_naive_for(settings: config.Settings, **overrides) -> keras.Model:
    """The naive convnet with the mode's input size and precision, compiled with the mode's
    optimizer and the naive convnet's own learning rate (see :class:`lib.config.Settings`)."""
    arguments = {"input_shape": settings.input_shape, "dtype_policy": backend.fast_precision_policy()}
    model = models.build_naive_convnet(**{**arguments, **overrides})
    return models.compile_model(model, settings.optimizer, settings.naive_learning_rate)


BUILDERS = {"mini_xception": build_for, "naive_convnet": build_naive_for}


def check_model_name(name: str) -> None:
    """Raise a clear error unless ``name`` is a key of :data:`BUILDERS`."""
    if name not in BUILDERS:
        raise ValueError(f"No model called {name!r}: choose one of {', '.join(BUILDERS)}.")


def train_model(settings: config.Settings, name: str = "mini_xception", seed: int = 0,
                verbose: int = 2) -> tuple[TrainingRun, tuple]:
    """Prepare the mode's data and train model ``name`` (a key of :data:`BUILDERS`), keeping the
    best one at :func:`lib.config.model_path`. Returns the run and the (train, validation, test) datasets."""
    check_model_name(name)
    config.set_seed(seed)
    datasets = data.load_datasets(data.prepare_data(settings), settings.image_size, settings.batch_size, seed)
    with backend.distribution_scope():
        model = BUILDERS[name](settings)
    run = train(model, datasets[0], datasets[1], settings.epochs, config.model_path(settings, name), verbose)
    return run, datasets


def load_trained_model(settings: config.Settings | None = None, name: str = "mini_xception") -> keras.Model:
    """The best model ``name`` of this mode from chapter 3, trained now (the same way, in the
    same precision) if it is not on disk."""
    settings = config.current_settings() if settings is None else settings
    check_model_name(name)
    path = config.model_path(settings, name)
    if not path.is_file():
        print(f"No trained model at {config.display_path(path)}: training one now "
              f"({settings.epochs} epochs, as chapter 3 does).")
        train_model(settings, name, verbose=0)
    return models.load_model(path)


def momentum_comparison(settings: config.Settings, train_ds, validation_ds, test_ds,
                        momenta: tuple[float, ...] = (0.99, 0.9), epochs: int = 3, seed: int = 0) -> dict[float, dict]:
    """Chapter 0's experiment: the mini Xception trained for ``epochs`` with each batch-norm
    momentum (same seed, data and budget). Per momentum: the last epoch's validation accuracy,
    the standard deviation of the validation predictions (near 0: one answer for every image),
    the test accuracy and the training seconds."""
    results = {}
    for momentum in momenta:
        config.set_seed(seed)
        run = train(build_for(settings, batch_norm_momentum=momentum), train_ds, validation_ds, epochs, verbose=0)
        results[momentum] = {
            "val_accuracy": float(run.history["val_accuracy"][-1]),
            "prediction_std": float(backend.to_numpy(run.model.predict(validation_ds, verbose=0)).std()),
            "test_accuracy": float(run.model.evaluate(test_ds, verbose=0)[1]),
            "seconds": run.train_seconds,
        }
    return results


def best_epoch(history: dict[str, list[float]]) -> int:
    """The epoch (counted from 1) with the lowest validation loss: the one the checkpoint keeps."""
    return 1 + min(range(len(history["val_loss"])), key=history["val_loss"].__getitem__)


def summarize(settings: config.Settings, name: str, run: TrainingRun, validation_ds, test_ds) -> dict:
    """The JSON summary of a run: the best checkpoint (lowest validation loss, as the book keeps)
    evaluated on validation and test."""
    best = models.load_model(config.model_path(settings, name))
    return {
        "model": name,
        "mode": settings.mode,
        "parameters": best.count_params(),
        "precision": best.get_layer(models.LOGIT).dtype_policy.name,
        "epochs": len(run.history["loss"]),
        "train_seconds": round(run.train_seconds, 1),
        "best_epoch": best_epoch(run.history),
        "val_accuracy": round(float(best.evaluate(validation_ds, verbose=0)[1]), 4),
        "test_accuracy": round(float(best.evaluate(test_ds, verbose=0)[1]), 4),
    }


def provenance(settings: config.Settings, base_dir: Path) -> dict:
    """Where a recorded run came from: machine, software, data, date and commit."""
    counts = {subset: sum(1 for _ in (base_dir / subset).rglob("*.jpg")) for subset, _ in settings.split.items()}
    try:
        # "-dirty" when the checkout had uncommitted changes: the code that ran is then not the commit's alone.
        commit = subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=40"], cwd=config.REPO_ROOT,
                                capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return {
        "device": backend.device_description(),
        "backend": backend.version(),
        "keras": keras.__version__,
        "data": config.display_path(base_dir.parent / "train"),
        "images": counts,
        "image_size": settings.image_size,
        "batch_size": settings.batch_size,
        "optimizer": f"{settings.optimizer}, learning rate {settings.learning_rate}",
        "epochs_planned": settings.epochs,
        "date": datetime.date.today().isoformat(),
        "commit": commit,
    }


def record_path(mode: str, name: str) -> Path:
    """Where ``--record`` writes the run of model ``name`` in ``mode``."""
    return RESULTS_DIR / mode / f"{name}.json"


def results_table(this_run: dict[str, float], settings: config.Settings) -> str:
    """Chapter 3's table: test accuracy per model in this run, in the recorded full-mode runs
    (``results/full/``, with their epochs and where they ran), and in the book, each column
    labelled; the command that reproduces the records last."""
    records = {name: load_record("full", name) for name in this_run}
    header = f"{'model':<15} {'this run (' + settings.mode + ')':>17} {'recorded (full)':>16} {'the book':>9}"
    lines = [header]
    for name, accuracy in this_run.items():
        record = records[name]
        recorded = f"{record['test_accuracy']:.1%}" if record else "not recorded"
        lines.append(f"{name.replace('_', ' '):<15} {accuracy:>17.1%} {recorded:>16} "
                     f"{models.BOOK_TEST_ACCURACY[name]:>9.1%}")
    for name, record in records.items():
        if record:
            origin = record["provenance"]
            planned = config.settings_for("full").epochs
            lines.append(f"recorded {name}: {record['epochs']} of full mode's {planned} epochs "
                         f"(best {record['best_epoch']}), {origin['device']}, {origin['backend']}, "
                         f"{record['precision']}, {origin['date']}")
    lines.append("reproduce: COURSE_MODE=full python -m lib.train --model NAME --record [--epochs N]")
    return "\n".join(lines)


def load_record(mode: str, name: str) -> dict | None:
    """The recorded run of model ``name`` in ``mode`` (``results/{mode}/{name}.json``), or None."""
    path = record_path(mode, name)
    return json.loads(path.read_text()) if path.is_file() else None


def main(argv: list[str] | None = None) -> dict:
    """Prepare data, train and evaluate in the current mode; print and return the JSON summary."""
    parser = argparse.ArgumentParser(prog="python -m lib.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="mini_xception", choices=sorted(BUILDERS))
    parser.add_argument("--epochs", type=int, help="cut the mode's epochs to this many (as COURSE_EPOCHS does)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--record", action="store_true", help="write the run to results/{mode}/{model}.json")
    parser.add_argument("--note", default="", help="what the record should say about this run (data source, machine)")
    arguments = parser.parse_args(argv)
    settings = config.current_settings()
    if arguments.epochs is not None:
        settings = config.cut_epochs(settings, arguments.epochs)
    print(config.banner(settings, "--epochs" if arguments.epochs is not None else "COURSE_EPOCHS"))
    # Where the run comes from is read before it starts, so a later commit cannot creep in.
    origin = {**provenance(settings, data.prepare_data(settings)), "note": arguments.note} if arguments.record else None
    run, (_, validation_ds, test_ds) = train_model(settings, arguments.model, arguments.seed)
    summary = summarize(settings, arguments.model, run, validation_ds, test_ds)
    if arguments.record:
        path = record_path(settings.mode, arguments.model)
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {**summary, "seconds_per_epoch": round(run.train_seconds / summary["epochs"], 1),
                  "history": {k: [round(float(v), 4) for v in values] for k, values in run.history.items()},
                  "provenance": origin}
        path.write_text(json.dumps(record, indent=1) + "\n")
        print(f"Recorded in {config.display_path(path)}")
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
