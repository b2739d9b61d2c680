"""Self-checks for the exercises of chapter 3."""

from __future__ import annotations

import keras

from lib import config, models
from lib.checks import CheckFailed, passed, report, say_unanswered, unanswered


def parameters_for_block_sizes(answer: int | None) -> bool:
    """Exercise 3.1: the mini Xception's parameter count with block sizes (16, 32, 64)."""
    return report(
        "3.1", answer, models.build_mini_xception(block_sizes=(16, 32, 64)).count_params(),
        "Per block of size s after c channels: two batch norms (4 numbers per channel each, on c "
        "then s channels), a separable conv c -> s (9c + cs), one s -> s (9s + ss), and the 1x1 "
        "shortcut c -> s (cs). Add the stem (5*5*3*32), and the Dense layer (last size + 1).",
    )


def parameters_with_flatten(answer: int | None) -> bool:
    """Exercise 3.2: the mini Xception's parameters at tiny size with Flatten instead of pooling."""
    tiny = config.settings_for("tiny").input_shape
    return report(
        "3.2", answer, models.build_mini_xception(tiny, pooling="flatten").count_params(),
        "Only the Dense layer changes: it now gets height x width x 512 inputs instead of 512. Find "
        "the last block's output size with model.get_layer(models.block_outputs(model)[-1]).output.shape.",
    )


def trained_without_augmentation(model: keras.Model | None, history: dict | None) -> bool:
    """Exercise 3.3: a mini Xception without augmentation layers, trained, with its history."""
    if model is None or history is None:
        return say_unanswered("3.3", "Build and train the model, then pass it and its history.")
    augmenting = [layer.name for layer in model.layers if layer.name in models.AUGMENTATION_LAYERS]
    if augmenting:
        raise CheckFailed(f"Exercise 3.3: the model still augments ({', '.join(augmenting)}). "
                          "Build it with augmentation=False.")
    if not history.get("val_accuracy"):
        raise CheckFailed("Exercise 3.3: the history has no validation accuracy: pass validation_data to fit.")
    gap = history["accuracy"][-1] - history["val_accuracy"][-1]
    print(f"Exercise 3.3: passed. Last epoch: training accuracy {history['accuracy'][-1]:.1%}, "
          f"validation {history['val_accuracy'][-1]:.1%}, gap {gap:+.1%}.")
    return True


def learning_rates_tried(rates: tuple[float, ...] | None) -> bool:
    """Exercise 3.4: the learning rates tried on the naive convnet include the mini Xception's and a higher one."""
    if unanswered(rates):
        return say_unanswered("3.4")
    tiny = config.settings_for("tiny")
    rates = tuple(float(r) for r in rates)
    if tiny.learning_rate not in rates or not any(r > tiny.learning_rate for r in rates):
        raise CheckFailed(f"Exercise 3.4: {rates} should include the mini Xception's rate ({tiny.learning_rate}) "
                          "and at least one higher rate, to see what each does to the naive convnet.")
    return passed("3.4", f"{len(rates)} rates to compare")
