"""Training the course's models with the settings of the current mode (chapter 3).

``python -m lib.train`` prepares the data of the mode (``COURSE_MODE``), trains a model
(``--model``, the mini Xception by default), evaluates its best checkpoint on validation and
test, and prints one JSON line last::

    {"model": "mini_xception", "mode": "tiny", "epochs": 6, "train_seconds": 71.2, ...}

``--record`` also writes that summary, with the per-epoch history, the recipe and where it came
from (device, backend, precision, versions, data, date, commit), to ``results/{mode}/{run}.json``:
the recorded runs that chapter 3 shows beside its own. ``COURSE_EPOCHS`` (or ``--epochs``)
cuts the number of epochs; ``--recipe`` picks one of full mode's recipes (:data:`lib.config.RECIPES`)
and ``--set field=value`` changes one field of it (a recipe trial).

Long runs are resumable: ``--resume`` keeps the run's state in a folder outside the course
checkout (:func:`run_dir`) at every epoch's end (Keras' ``BackupAndRestore``, the history so far
and the best checkpoint), and the same command continues an interrupted run from its last
finished epoch. ``--state-file FILE`` also packs that state into one file after every epoch
(commit it when a session must end before the run does), restored from when the folder is
missing, and deleted when the run is done.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import keras
import numpy as np

from lib import backend, config, data, hardware, models
from lib import provenance as lib_provenance

RESULTS_DIR = config.REPO_ROOT / "results"


@dataclass
class TrainingRun:
    """What :func:`train` returns: the history, the wall time of ``fit`` (of every epoch, for a
    resumable run) and, for a resumable run, which machine trained which epochs. ``reused``:
    :func:`train_model` loaded an earlier run that was the same run instead of training."""

    model: keras.Model
    history: dict[str, list[float]]
    train_seconds: float
    sessions: list[dict] | None = None
    reused: bool = False


def train(
    model: keras.Model,
    train_ds,
    validation_ds,
    epochs: int,
    checkpoint_path: str | Path | None = None,
    verbose: int = 2,
    resume_dir: str | Path | None = None,
    state_file: Path | None = None,
) -> TrainingRun:
    """Fit ``model``; with ``checkpoint_path``, keep the best ``val_loss`` model there as ``.keras``.

    With ``resume_dir``, the run keeps its state there after every epoch (:class:`RunState`) and
    continues from it when called again: the history returned then holds every epoch, the ones
    before the interruption too, and the checkpoint is the best of them all. With ``state_file``
    too, that state is also packed into one file after every epoch (:func:`pack_state`)."""
    state = None if resume_dir is None else RunState(Path(resume_dir))
    callbacks = []
    if checkpoint_path is not None:
        Path(checkpoint_path).parent.mkdir(parents=True, exist_ok=True)
        best = state.checkpoint if state else checkpoint_path
        # Keras' ModelCheckpoint starts over on every fit: the best loss before an interruption is its bar.
        callbacks.append(keras.callbacks.ModelCheckpoint(str(best), save_best_only=True, monitor="val_loss",
                                                         initial_value_threshold=state.best_loss() if state else None))
    if state is not None:
        callbacks += [state, keras.callbacks.BackupAndRestore(str(state.backup))]
        if state_file is not None:
            callbacks.append(PackState(state.folder, state_file))
    start = time.perf_counter()
    # shuffle=False: the datasets of lib.data reshuffle the training set themselves, every epoch.
    history = model.fit(train_ds, validation_data=validation_ds, epochs=epochs,
                        callbacks=callbacks, verbose=verbose, shuffle=False)
    if state is None:
        return TrainingRun(model, history.history, time.perf_counter() - start)
    if checkpoint_path is not None and state.checkpoint.is_file():
        shutil.copyfile(state.checkpoint, checkpoint_path)
    return TrainingRun(model, state.history, sum(state.seconds), state.sessions)


class RunState(keras.callbacks.Callback):
    """A resumable run's folder: ``backup/`` (Keras' ``BackupAndRestore``), ``history.json`` (every
    finished epoch's logs and seconds) and ``best.keras`` (the best checkpoint so far).

    Keras' ``History`` starts over when ``fit`` resumes: this keeps the epochs before. It is
    read when made, cut to the epochs the backup holds (an epoch logged after its backup was
    written is trained again), and written after every epoch, before the backup."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder
        self.backup, self.checkpoint, self.log = folder / "backup", folder / "best.keras", folder / "history.json"
        saved = (json.loads(self.log.read_text()) if self.log.is_file()
                 else {"history": {}, "seconds": [], "sessions": []})
        finished = self.finished_epochs()
        self.history = {key: values[:finished] for key, values in saved["history"].items()}
        self.seconds = saved["seconds"][:finished]
        # Which machine trained which epochs: a resumed run may have moved.
        self.sessions = [s for s in saved["sessions"] if s["from_epoch"] < finished] + [
            {"from_epoch": finished, "device": hardware.device_description(), "backend": backend.version(),
             "date": datetime.date.today().isoformat()}]
        if finished == 0 and self.checkpoint.is_file():
            self.checkpoint.unlink()  # a run that starts over keeps nothing of an earlier one

    def finished_epochs(self) -> int:
        """How many epochs the backup holds (0 when there is none: the run starts from the beginning)."""
        metadata = self.backup / "training_metadata.json"
        return json.loads(metadata.read_text())["epoch"] if metadata.is_file() else 0

    def best_loss(self) -> float | None:
        """The lowest validation loss of the epochs before this ``fit``, or None."""
        return min(self.history["val_loss"]) if self.history.get("val_loss") else None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        self.seconds.append(round(time.perf_counter() - self.epoch_start, 2))
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = self.log.with_suffix(".tmp")
        temporary.write_text(json.dumps({"history": self.history, "seconds": self.seconds, "sessions": self.sessions}))
        os.replace(temporary, self.log)


def runs_root() -> Path:
    """Where resumable runs keep their state: ``$COURSE_RUNS_DIR``, else a cache folder outside
    the checkout (a machine handed back as it was keeps it; a fresh work tree would not)."""
    configured = os.environ.get("COURSE_RUNS_DIR", "").strip()
    cache = Path(os.environ.get("XDG_CACHE_HOME", "").strip() or Path.home() / ".cache")
    return Path(configured).expanduser() if configured else cache / "modern-convnets" / "runs"


def run_name(settings: config.Settings, model: str) -> str:
    """The name of a run, its record and its checkpoint: the model's, with the recipe's when the
    recipe is not the mode's own (``mini_xception_fast``)."""
    default = config.MODES_SETTINGS[settings.mode].recipe
    return model if settings.recipe == default else f"{model}_{settings.recipe}"


def run_dir(settings: config.Settings, name: str) -> Path:
    """The folder of resumable run ``name`` (:class:`RunState`) in the mode of ``settings``."""
    cut = "" if settings.epochs_cut_to is None else f"_{settings.epochs}_epochs"
    return runs_root() / settings.mode / f"{name}{cut}"


def pack_state(folder: Path, state_file: Path) -> None:
    """A resumable run's folder as one zip file (written whole, then renamed into place)."""
    state_file.parent.mkdir(parents=True, exist_ok=True)
    partial = shutil.make_archive(str(state_file) + ".partial", "zip", folder)
    os.replace(partial, state_file)


def unpack_state(state_file: Path, folder: Path) -> None:
    """Restore a run's folder from :func:`pack_state`'s file, unless the folder already holds a backup."""
    if (folder / "backup").is_dir() or not state_file.is_file():
        return
    folder.mkdir(parents=True, exist_ok=True)
    shutil.unpack_archive(state_file, folder, "zip")
    print(f"Restored the run's state from {config.display_path(state_file)}.")


class PackState(keras.callbacks.Callback):
    """After each epoch's backup, pack the run's folder into ``state_file`` (:func:`pack_state`)."""

    def __init__(self, folder: Path, state_file: Path) -> None:
        super().__init__()
        self.folder, self.state_file = folder, state_file

    def on_epoch_end(self, epoch, logs=None):
        pack_state(self.folder, self.state_file)


def mini_xception_for(settings: config.Settings, build: Callable[..., keras.Model] = models.build_mini_xception,
                      **overrides) -> keras.Model:
    """The mini Xception with the mode's input size, batch-norm momentum and precision (by default
    the one that trains fastest here, :func:`lib.hardware.fast_precision_policy`), not compiled.

    ``build`` is :func:`lib.models.build_mini_xception` or chapter 3's copy of it, written in a
    cell; ``overrides`` go to it and win over those values.
    """
    arguments = {"input_shape": settings.input_shape, "batch_norm_momentum": settings.batch_norm_momentum,
                 "dtype_policy": settings.precision or hardware.fast_precision_policy()}
    return build(**{**arguments, **overrides})


def learning_rate_for(settings: config.Settings, learning_rate: float):
    """The learning rate of the recipe in ``settings`` at peak ``learning_rate``: the rate itself
    (``schedule="constant"``), or (``"cosine"``) a schedule that rises linearly from 0 over
    ``warmup_epochs``, then falls along a cosine to 0 at the last step."""
    if settings.schedule == "constant":
        return learning_rate
    if settings.schedule != "cosine":
        raise ValueError(f'schedule must be "constant" or "cosine", got {settings.schedule!r}.')
    total = settings.epochs * settings.steps_per_epoch
    warmup = min(settings.warmup_epochs * settings.steps_per_epoch, total - 1)
    return keras.optimizers.schedules.CosineDecay(0.0 if warmup else learning_rate, total - warmup,
                                                  warmup_target=learning_rate if warmup else None,
                                                  warmup_steps=warmup)


def optimizer_for(settings: config.Settings, learning_rate: float) -> keras.optimizers.Optimizer:
    """The optimizer of the recipe in ``settings``, with :func:`learning_rate_for` and the
    recipe's weight decay where it has one."""
    options = {"learning_rate": learning_rate_for(settings, learning_rate),
               **({"weight_decay": settings.weight_decay} if settings.weight_decay else {})}
    return keras.optimizers.get({"class_name": settings.optimizer, "config": options})


def build_for(settings: config.Settings, build: Callable[..., keras.Model] = models.build_mini_xception,
              **overrides) -> keras.Model:
    """:func:`mini_xception_for`, compiled with the recipe of ``settings`` (:func:`optimizer_for`)."""
    return models.compile_model(mini_xception_for(settings, build, **overrides),
                                optimizer_for(settings, settings.learning_rate),
                                label_smoothing=settings.label_smoothing)


def build_naive_for(settings: config.Settings, **overrides) -> keras.Model:
    """The naive convnet with the mode's input size and precision, compiled with the mode's
    recipe at the naive convnet's own learning rate (see :class:`lib.config.Settings`)."""
    arguments = {"input_shape": settings.input_shape,
                 "dtype_policy": settings.precision or hardware.fast_precision_policy()}
    model = models.build_naive_convnet(**{**arguments, **overrides})
    return models.compile_model(model, optimizer_for(settings, settings.naive_learning_rate),
                                label_smoothing=settings.label_smoothing)


BUILDERS = {"mini_xception": build_for, "naive_convnet": build_naive_for}


def check_model_name(name: str) -> None:
    """Raise a clear error unless ``name`` is a key of :data:`BUILDERS`."""
    if name not in BUILDERS:
        raise ValueError(f"No model called {name!r}: choose one of {', '.join(BUILDERS)}.")


def train_model(settings: config.Settings, name: str = "mini_xception", verbose: int = 2, resume: bool = False,
                state_file: Path | None = None, build: Callable[..., keras.Model] | None = None,
                reuse: bool = False) -> tuple[TrainingRun, tuple]:
    """Prepare the mode's data and train model ``name`` (a key of :data:`BUILDERS`) from the settings'
    seed, keeping the best one at :func:`lib.config.model_path` of its :func:`run_name`; ``resume``
    makes the run resumable (:func:`train`). ``build`` is chapter 3's ``build_mini_xception``
    (the mini Xception only; :func:`lib.models.build_mini_xception` by default).

    The datasets are loaded afresh, so the run does not depend on what iterated over other copies
    of them (each pass reshuffles the training set). After training, the run's
    :func:`run_fingerprint`, history, seconds and last weights are kept beside the checkpoint.
    With ``reuse``, when those files hold a finished run with the same fingerprint, it is loaded
    instead of trained again (chapter 1 trains chapter 3's models when it runs first).

    Returns the run and the (train, validation, test) datasets."""
    check_model_name(name)
    if build is not None and name != "mini_xception":
        raise ValueError(f"build= replaces the mini Xception's builder; {name!r} has its own.")
    config.set_seed(settings.seed)
    base_dir = data.prepare_data(settings)
    datasets = data.load_datasets(base_dir, settings.image_size, settings.batch_size, settings.seed)
    with hardware.distribution_scope():
        model = BUILDERS[name](settings) if build is None else build_for(settings, build)
    run = run_name(settings, name)
    checkpoint = config.model_path(settings, run)
    fingerprint = run_fingerprint(model, settings, base_dir)
    if reuse:
        earlier = load_finished_run(model, checkpoint, fingerprint)
        if earlier is not None:
            return earlier, datasets
    folder = run_dir(settings, run) if resume else None
    if folder is not None and state_file is not None:
        unpack_state(state_file, folder)
    training = train(model, datasets[0], datasets[1], settings.epochs, checkpoint, verbose, folder, state_file)
    save_finished_run(training, checkpoint, fingerprint)
    return training, datasets


def run_fingerprint(model: keras.Model, settings: config.Settings, base_dir: Path) -> str:
    """What makes two runs the same run (a SHA-256): the model's architecture, compiled recipe and
    initial weights; the bytes and names of the training and validation images; image size,
    batch size, shuffling seed and epochs; the backend and Keras versions. Two runs with the same
    fingerprint differ at most by the nondeterminism of the machine's kernels."""
    digest = hashlib.sha256()
    compiled = model.get_compile_config()
    optimizer = compiled.get("optimizer")
    if isinstance(optimizer, dict):  # Keras numbers optimizers' names (adam, adam_1, ...) as they are made
        compiled["optimizer"] = {**optimizer, "config": {key: value for key, value in optimizer["config"].items()
                                                         if key != "name"}}
    described = {"architecture": model.get_config(), "compiled": compiled,
                 "image_size": settings.image_size, "batch_size": settings.batch_size, "seed": settings.seed,
                 "epochs": settings.epochs, "backend": backend.version(), "keras": keras.__version__}
    digest.update(json.dumps(described, sort_keys=True, default=str).encode())
    for weight in model.weights:
        digest.update(np.ascontiguousarray(keras.ops.convert_to_numpy(weight)).tobytes())
    for subset in ("train", "validation"):
        for path in sorted((base_dir / subset).rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(base_dir)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def finished_run_paths(checkpoint: Path) -> tuple[Path, Path]:
    """Where a finished run's fingerprint and history, and its last weights, are kept beside ``checkpoint``."""
    return checkpoint.with_suffix(".run.json"), checkpoint.with_suffix(".last.weights.h5")


def save_finished_run(run: TrainingRun, checkpoint: Path, fingerprint: str) -> None:
    """Keep what :func:`load_finished_run` needs to stand in for ``run``."""
    about, last = finished_run_paths(checkpoint)
    run.model.save_weights(last)
    about.write_text(json.dumps({"fingerprint": fingerprint, "history": run.history,
                                 "train_seconds": run.train_seconds, "sessions": run.sessions,
                                 "date": datetime.datetime.now().isoformat(timespec="seconds")}))


def load_finished_run(model: keras.Model, checkpoint: Path, fingerprint: str) -> TrainingRun | None:
    """The finished run kept beside ``checkpoint`` with ``model`` at its last weights, if it has
    ``fingerprint`` and its files are all there; else None."""
    about, last = finished_run_paths(checkpoint)
    if not (about.is_file() and last.is_file() and checkpoint.is_file()):
        return None
    kept = json.loads(about.read_text())
    if kept["fingerprint"] != fingerprint:
        return None
    model.load_weights(last)
    print(f"{model.name}: this run (same architecture, recipe, initial weights, data and epochs) "
          f"finished at {kept['date']} in {kept['train_seconds']:.0f} s, in this data folder: "
          "loaded it, its history and its best checkpoint instead of training again.")
    return TrainingRun(model, kept["history"], kept["train_seconds"], kept["sessions"], reused=True)


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
                        momenta: tuple[float, ...] = (0.99, 0.9), epochs: int = 3) -> dict[float, dict]:
    """Chapter 0's experiment: the mini Xception trained for ``epochs`` with each batch-norm
    momentum (same seed, data and budget). Per momentum: the last epoch's validation accuracy,
    the standard deviation of the validation predictions (near 0: one answer for every image),
    the test accuracy and the training seconds."""
    results = {}
    for momentum in momenta:
        config.set_seed(settings.seed)
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
    """The JSON summary of a run of model ``name``: the best checkpoint (lowest validation loss,
    as the book keeps) evaluated on validation and test."""
    best = models.load_model(config.model_path(settings, run_name(settings, name)))
    return {
        "model": name,
        "mode": settings.mode,
        "recipe": settings.recipe,
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
    where = lib_provenance.environment()
    return {
        "device": where["device"],
        "backend": where["backend"],
        "keras": where["keras"],
        "data": config.display_path(base_dir.parent / "train"),
        "images": counts,
        "image_size": settings.image_size,
        "batch_size": settings.batch_size,
        "optimizer": f"{settings.optimizer}, learning rate {settings.learning_rate}",
        "epochs_planned": settings.epochs,
        "date": where["date"],
        "commit": where["commit"],
    }


def record_path(mode: str, name: str) -> Path:
    """Where ``--record`` writes run ``name`` (:func:`run_name`) in ``mode``."""
    return RESULTS_DIR / mode / f"{name}.json"


BOOK_TABLE_RUNS = ("mini_xception", "naive_convnet", "mini_xception_fast")  # chapter 3's table of records


def records_table(runs: tuple[str, ...] = BOOK_TABLE_RUNS) -> str:
    """Chapter 3's table of the recorded full-mode runs (``results/full/``): per run its model,
    recipe, epochs, best epoch, validation and test accuracy of the best checkpoint (to the one
    image in 2,000 that a test accuracy can resolve), the book's figure for the model at its 100
    epochs, the training time and where it trained; the command that reproduces it last."""
    header = (f"{'model':<14} {'recipe':<6} {'epochs':>6} {'best':>4} {'validation':>10} {'test':>7} "
              f"{'the book':>8} {'minutes':>7}  trained on")
    lines = [header]
    for name in runs:
        record = load_record("full", name)
        if record is None:
            lines.append(f"{name}: not recorded")
            continue
        book = models.BOOK_TEST_ACCURACY[record["model"]] if recipe_of(record) == "book" else None
        origin = record["provenance"]
        lines.append(f"{record['model'].replace('_', ' '):<14} {recipe_of(record):<6} {record['epochs']:>6} "
                     f"{record['best_epoch']:>4} {record['val_accuracy']:>10.2%} {record['test_accuracy']:>7.2%} "
                     f"{'' if book is None else f'{book:.1%}':>8} {record['train_seconds'] / 60:>7.0f}  "
                     f"{origin['device']}, {origin['backend']}, {record['precision']}")
    lines.append("reproduce: COURSE_MODE=full python -m lib.train --model NAME [--recipe fast] --record")
    return "\n".join(lines)


def differing_fields(reference: config.Settings, other: config.Settings) -> list[str]:
    """The recipe fields (but its name) in which ``other`` differs from ``reference``, in order."""
    return [field for field in config.RECIPE_FIELDS
            if field != "recipe" and getattr(other, field) != getattr(reference, field)]


def recipe_differences(reference: config.Settings, other: config.Settings) -> list[str]:
    """One line per recipe field in which ``other`` differs from ``reference`` (chapter 3)."""
    return [f"{field:>20}: {getattr(reference, field)!s:>9} -> {getattr(other, field)!s}"
            for field in differing_fields(reference, other)]


def record_files(mode: str | None = None) -> list[Path]:
    """Every recorded run of ``mode`` (of every mode when None): ``results/{mode}/``, trials included."""
    modes = [mode] if mode else sorted(config.MODES_SETTINGS)
    return sorted(path for m in modes for path in (RESULTS_DIR / m).rglob("*.json"))


def trial_records() -> list[dict]:
    """Every recorded full-mode run of the mini Xception in at most 40 epochs (the faster recipe's
    trials, ``results/full/trials/`` and the one chosen), best validation accuracy first."""
    found = [json.loads(p.read_text()) for p in record_files("full") if p.name.startswith("mini_xception")]
    return sorted((r for r in found if r["epochs"] <= 40), key=lambda r: -r["val_accuracy"])


def settings_of(record: dict) -> config.Settings:
    """The settings a recorded run trained with: its mode's, with the recipe fields it recorded."""
    return config.with_overrides(config.settings_for(record["mode"]),
                                 [f"{k}={v}" for k, v in record["recipe_fields"].items()])


def changes(reference: config.Settings, other: config.Settings) -> str:
    """The recipe fields of ``other`` that differ from ``reference``, as "field value, ..."."""
    return ", ".join(f"{field} {getattr(other, field)}" for field in differing_fields(reference, other))


def trials_table(reference: config.Settings) -> list[str]:
    """One line per recorded trial of :func:`trial_records`, best validation accuracy first: its
    validation and test accuracy and how its recipe differs from ``reference`` (chapter 3)."""
    return [f"validation {trial['val_accuracy']:.1%}, test {trial['test_accuracy']:.1%}: "
            f"{changes(reference, settings_of(trial))}" for trial in trial_records()]


# From the book's recipe to the faster one, one group of changes at a time (chapter 3): each a recorded run.
RECIPE_LADDER = ("mini_xception", "trials/mini_xception_trial_rmsprop_constant",
                 "trials/mini_xception_trial_rmsprop_cosine", "mini_xception_fast")


def swing(history: dict[str, list[float]], last: int = 10) -> float:
    """How far validation accuracy moves (largest minus smallest) over a run's ``last`` epochs."""
    return float(np.ptp(history["val_accuracy"][-last:]))


def recipe_ladder(runs: tuple[str, ...] = RECIPE_LADDER) -> list[dict]:
    """For each recorded run of ``runs`` (full mode), what it changed in the run before it, its epochs,
    the validation accuracy of its best checkpoint and its :func:`swing`."""
    steps, previous = [], None
    for name in runs:
        record = load_record("full", name)
        ran = settings_of(record)
        steps.append({"run": name, "changes": "the book's recipe" if previous is None else changes(previous, ran),
                      "epochs": record["epochs"], "val_accuracy": record["val_accuracy"],
                      "swing": swing(record["history"])})
        previous = ran
    return steps


RECIPE_MILESTONE = 0.6  # the validation accuracy whose first epoch chapter 3 compares between recipes


def recipe_comparison(book: dict[str, list[float]], fast: dict[str, list[float]], last: int = 10) -> dict[str, float]:
    """What chapter 3 says of two recorded histories, the book's recipe and the faster one: the first
    epoch each passes :data:`RECIPE_MILESTONE` validation accuracy, the faster recipe's best checkpoint (lowest validation
    loss) and the book's best epoch within as many epochs, the epoch at which the book's recipe first
    reaches that accuracy (one past its last when never), and how far validation accuracy swings
    (largest minus smallest) over each run's ``last`` epochs."""
    never = len(book["val_accuracy"]) + 1
    fast_best = fast["val_accuracy"][best_epoch(fast) - 1]
    return {"book_first_60": first_epoch_reaching(book, RECIPE_MILESTONE) or never,
            "fast_first_60": first_epoch_reaching(fast, RECIPE_MILESTONE) or never,
            "fast_best": fast_best,
            "book_best_in_40": max(book["val_accuracy"][:len(fast["val_accuracy"])]),
            "book_reaches_fast_at": first_epoch_reaching(book, fast_best) or never,
            "book_last_swing": swing(book, last), "fast_last_swing": swing(fast, last)}


def first_epoch_reaching(history: dict[str, list[float]], value: float, key: str = "val_accuracy") -> int | None:
    """The first epoch (counted from 1) at which ``history[key]`` reaches ``value``, or None."""
    return next((epoch for epoch, v in enumerate(history[key], start=1) if v >= value), None)


def recipe_of(record: dict) -> str:
    """The name of the recipe a record ran: the one of :data:`lib.config.RECIPES` (or the mode's own)
    whose fields it ran with, else the name the run gave itself (a trial's)."""
    ran = {k: v for k, v in record["recipe_fields"].items() if k != "recipe"}
    settings = config.settings_for(record["mode"])
    recipes = config.RECIPES if record["mode"] == "full" else {}
    named = {**{name: config.with_recipe(settings, name) for name in recipes}, settings.recipe: settings}
    for name, candidate in named.items():
        if {k: v for k, v in candidate.recipe_fields().items() if k != "recipe"} == ran:
            return name
    return record["recipe_fields"]["recipe"]


def load_record(mode: str, name: str) -> dict | None:
    """The recorded run ``name`` in ``mode`` (``results/{mode}/{name}.json``), or None."""
    path = record_path(mode, name)
    return json.loads(path.read_text()) if path.is_file() else None


def main(argv: list[str] | None = None) -> dict:
    """Prepare data, train and evaluate in the current mode; print and return the JSON summary."""
    parser = argparse.ArgumentParser(prog="python -m lib.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="mini_xception", choices=sorted(BUILDERS))
    parser.add_argument("--recipe", choices=sorted(config.RECIPES), help="one of full mode's recipes (default: book)")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="change one field of the recipe (repeatable): learning_rate=2e-3, recipe=my_trial, ...")
    parser.add_argument("--epochs", type=int, help="cut the mode's epochs to this many (as COURSE_EPOCHS does)")
    parser.add_argument("--seed", type=int, help="start from this seed instead of COURSE_SEED's")
    parser.add_argument("--resume", action="store_true",
                        help="keep the run's state after every epoch and continue an interrupted run from it")
    parser.add_argument("--state-file", type=Path,
                        help="with --resume: also pack the state into this file (restored from when needed)")
    parser.add_argument("--record", action="store_true", help="write the run to results/{mode}/{run}.json")
    parser.add_argument("--note", default="", help="what the record should say about this run (data source, machine)")
    arguments = parser.parse_args(argv)
    if arguments.state_file is not None and not arguments.resume:
        parser.error("--state-file keeps a resumable run's state: add --resume.")
    settings = config.current_settings()
    if arguments.recipe is not None:
        settings = config.with_recipe(settings, arguments.recipe)
    settings = config.with_overrides(settings, arguments.set)
    if arguments.epochs is not None:
        settings = config.cut_epochs(settings, arguments.epochs)
    if arguments.seed is not None:
        settings = replace(settings, seed=arguments.seed)
    print(config.banner(settings, "--epochs" if arguments.epochs is not None else "COURSE_EPOCHS"))
    print(f"Recipe {settings.recipe}: " + ", ".join(f"{k} {v}" for k, v in settings.recipe_fields().items()
                                                   if k != "recipe"))
    # Where the run comes from is read before it starts, so a later commit cannot creep in.
    origin = {**provenance(settings, data.prepare_data(settings)), "note": arguments.note} if arguments.record else None
    run, (_, validation_ds, test_ds) = train_model(settings, arguments.model, resume=arguments.resume,
                                                   state_file=arguments.state_file)
    summary = summarize(settings, arguments.model, run, validation_ds, test_ds)
    if arguments.record:
        path = record_path(settings.mode, run_name(settings, arguments.model))
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {**summary, "seconds_per_epoch": round(run.train_seconds / summary["epochs"], 1),
                  "recipe_fields": settings.recipe_fields(),
                  "history": {k: [round(float(v), 4) for v in values] for k, values in run.history.items()},
                  "provenance": origin, **({"sessions": run.sessions} if run.sessions else {})}
        path.write_text(json.dumps(record, indent=1) + "\n")
        print(f"Recorded in {config.display_path(path)}")
    if arguments.state_file is not None and arguments.state_file.is_file():
        arguments.state_file.unlink()
        print(f"The run is done: deleted its state file {config.display_path(arguments.state_file)}.")
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
