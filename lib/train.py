"""Training the course's models with the settings of the current mode.

``python -m lib.train`` prepares the data of the mode (``COURSE_MODE``), trains the
mini Xception, evaluates it on validation and test, and prints one JSON line last::

    {"mode": "tiny", "epochs": 12, "train_seconds": 71.2, "val_accuracy": 0.86, "test_accuracy": 0.84}
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import keras

from lib import config, data, models


def precision_policy_for(has_gpu: bool, cpu_flags: str) -> str:
    """The mixed-precision policy that runs faster on this hardware, or "float32".

    GPUs: ``mixed_float16``. CPUs with bfloat16 instructions (AVX512-BF16 or AMX):
    ``mixed_bfloat16``. Anything else stays in float32, where mixed precision is slower.
    """
    if has_gpu:
        return "mixed_float16"
    return "mixed_bfloat16" if ("avx512_bf16" in cpu_flags or "amx_bf16" in cpu_flags) else "float32"


def fast_precision_policy() -> str:
    """:func:`precision_policy_for` this machine (CPU flags from ``/proc/cpuinfo`` where there is one)."""
    import tensorflow as tf

    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        flags = ""
    return precision_policy_for(bool(tf.config.list_physical_devices("GPU")), flags)


def use_fast_precision() -> str:
    """Set Keras' global dtype policy to :func:`fast_precision_policy` and return its name."""
    policy = fast_precision_policy()
    keras.mixed_precision.set_dtype_policy(policy)
    return policy


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
    # shuffle=False: load_datasets reshuffles the training set itself, every epoch.
    history = model.fit(train_ds, validation_data=validation_ds, epochs=epochs,
                        callbacks=callbacks, verbose=verbose, shuffle=False)
    return TrainingRun(model, history.history, time.perf_counter() - start)


def distribution_strategy():
    """``MirroredStrategy`` over all GPUs when there are several, else TensorFlow's default."""
    import tensorflow as tf

    if len(tf.config.list_physical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def mini_xception_for(settings: config.Settings, **overrides) -> keras.Model:
    """The mini Xception with the mode's input size and batch-norm momentum, not compiled.

    ``overrides`` go to :func:`lib.models.build_mini_xception` and win over the mode's values.
    """
    arguments = {"input_shape": settings.input_shape, "batch_norm_momentum": settings.batch_norm_momentum}
    return models.build_mini_xception(**{**arguments, **overrides})


def build_for(settings: config.Settings, **overrides) -> keras.Model:
    """:func:`mini_xception_for`, compiled with the mode's optimizer and learning rate."""
    return models.compile_model(mini_xception_for(settings, **overrides), settings.optimizer, settings.learning_rate)


def build_naive_for(settings: config.Settings) -> keras.Model:
    """The naive convnet with the mode's input size, compiled with the mode's optimizer."""
    return models.compile_model(models.build_naive_convnet(settings.input_shape),
                                settings.optimizer, settings.learning_rate)


BUILDERS = {"mini_xception": build_for, "naive_convnet": build_naive_for}


def train_model(settings: config.Settings, name: str = "mini_xception",
                verbose: int = 2) -> tuple[TrainingRun, tuple]:
    """Prepare the mode's data and train model ``name`` (a key of :data:`BUILDERS`), keeping the
    best one at :func:`lib.config.model_path`. Returns the run and the (train, validation, test) datasets."""
    if name not in BUILDERS:
        raise ValueError(f"No model called {name!r}: choose one of {', '.join(BUILDERS)}.")
    config.set_seed(0)
    datasets = data.load_datasets(data.prepare_data(settings), settings.image_size, settings.batch_size)
    with distribution_strategy().scope():
        model = BUILDERS[name](settings)
    run = train(model, datasets[0], datasets[1], settings.epochs, config.model_path(settings, name), verbose)
    return run, datasets


def load_trained_model(settings: config.Settings | None = None, name: str = "mini_xception") -> keras.Model:
    """The best model ``name`` of this mode from chapter 3, trained now if it is not on disk."""
    settings = config.current_settings() if settings is None else settings
    path = config.model_path(settings, name)
    if not path.is_file():
        print(f"No trained model at {config.display_path(path)}: training one now "
              f"({settings.epochs} epochs, as chapter 3 does).")
        train_model(settings, name, verbose=0)
    return keras.models.load_model(path)


def main() -> dict[str, float | int | str]:
    """Prepare data, train and evaluate in the current mode; print and return the JSON summary."""
    settings = config.current_settings()
    print(config.banner(settings))
    policy = use_fast_precision()
    run, (_, validation_ds, test_ds) = train_model(settings)
    # As the book does: evaluate the checkpoint with the lowest validation loss, not the last epoch.
    best = keras.models.load_model(config.model_path(settings))
    summary = {
        "mode": settings.mode,
        "precision": policy,
        "epochs": settings.epochs,
        "train_seconds": round(run.train_seconds, 1),
        "best_epoch": best_epoch(run.history),
        "val_accuracy": round(float(best.evaluate(validation_ds, verbose=0)[1]), 4),
        "test_accuracy": round(float(best.evaluate(test_ds, verbose=0)[1]), 4),
    }
    print(json.dumps(summary))
    return summary


def best_epoch(history: dict[str, list[float]]) -> int:
    """The epoch (counted from 1) with the lowest validation loss: the one the checkpoint keeps."""
    return 1 + min(range(len(history["val_loss"])), key=history["val_loss"].__getitem__)


if __name__ == "__main__":
    main()
