"""Self-checks for the exercises of chapter 2."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
from keras import layers

from lib import config, models
from lib.architecture import receptive_fields, total_multiply_adds
from lib.checks import (CheckFailed, passed, report, require_epochs, retraining_unanswered, run_answer,
                        say_unanswered, unanswered)


def multiply_adds_with_shrinking_filters(factor: float | None) -> bool:
    """Exercise 2.1: how many times the mini Xception's multiply-adds per image (at tiny size) the
    same model with its block sizes reversed, (512, 256, 128, 64, 32), needs; within 2% (one decimal will do)."""
    if unanswered(factor):
        return say_unanswered("2.1")
    tiny = config.settings_for("tiny").input_shape
    totals = [total_multiply_adds(models.build_mini_xception(tiny, block_sizes=sizes))
              for sizes in ((512, 256, 128, 64, 32), models.BOOK_BLOCK_SIZES)]
    measured = totals[0] / totals[1]
    if not abs(factor / measured - 1) <= 0.02:
        raise CheckFailed(f"Exercise 2.1: a factor of {factor:.2f} is not within 2% of what the two models "
                          "need. Compare architecture.total_multiply_adds(model) of the two: which blocks now run 512 "
                          "filters on the largest maps?")
    return passed("2.1", f"{factor:.2f}, against {measured:.2f} measured")


def residual_block_with_projection(function: Callable[..., Any]) -> bool:
    """Exercise 2.2: a block whose shortcut matches the pooled, widened main path."""
    inputs = keras.Input((16, 16, 8))
    answer = run_answer("2.2", function, inputs, 24)
    if answer is None:
        return False
    if tuple(answer.shape[1:]) != (8, 8, 24):
        raise CheckFailed(f"Exercise 2.2: the block's output has shape {tuple(answer.shape[1:])}, expected "
                          "(8, 8, 24): half the size, 24 filters.")
    block = keras.Model(inputs, answer)
    projections = [layer for layer in block.layers if isinstance(layer, layers.Conv2D)
                   and layer.kernel_size == (1, 1) and layer.strides == (2, 2)]
    if not projections:
        raise CheckFailed("Exercise 2.2: the shapes fit, but not with a strided 1x1 convolution on the shortcut. "
                          "Project the shortcut: Conv2D(filters, 1, strides=2, padding='same').")
    return passed("2.2", "the shortcut is projected to (8, 8, 24) by a strided 1x1 convolution")


def receptive_field_of_block3(answer: int | None) -> bool:
    """Exercise 2.3: the receptive field (in input pixels) of the mini Xception's ``block3_pool`` output."""
    return report(
        "2.3", answer, receptive_fields(models.build_mini_xception())["block3_pool"],
        "Walk from the input: each layer adds (kernel - 1) x jump, where jump (the input pixels "
        "between neighbouring values) starts at 1 and doubles after each stride-2 pooling.",
    )


def shallow_plain_stack(prediction: float | None, model: keras.Model | None, history: dict | None,
                        deep_accuracy: float, epochs: int) -> bool:
    """Exercise 2.4: a prediction (the best validation accuracy of a plain stack of 10 units), then
    that stack (batch norm, no shortcuts) trained for ``epochs`` like the 40-layer plain stack
    (which reached ``deep_accuracy``), and its history."""
    if retraining_unanswered("2.4", prediction, model, history,
                             "the best validation accuracy you expect of 10 plain units, as a fraction"):
        return False
    units = [layer.name for layer in model.layers if layer.name.startswith("conv") and layer.name != "conv0"]
    shortcuts = [layer.name for layer in model.layers if isinstance(layer, layers.Add)]
    normalized = [layer.name for layer in model.layers if isinstance(layer, layers.BatchNormalization)]
    if len(units) != 10 or shortcuts or len(normalized) != 10:
        raise CheckFailed(f"Exercise 2.4: the stack has {len(units)} units, {len(shortcuts)} shortcuts and "
                          f"{len(normalized)} batch norms; build it with depth=10, batch_norm=True and no residual, "
                          "like the plain 40-unit stack.")
    require_epochs("2.4", history, epochs, "the 40-unit stacks")
    return passed("2.4", f"you predicted {float(prediction):.1%}; 10 plain units reached "
                         f"{max(history['val_accuracy']):.1%}, against {deep_accuracy:.1%} for 40")


def mini_xception_without_residuals(prediction: float | None, model: keras.Model | None, history: dict | None,
                                    reference: keras.Model, reference_accuracy: float, epochs: int) -> bool:
    """Exercise 2.5: a prediction (points of best validation accuracy lost without residual connections),
    then the chapter's mini Xception with only its residual connections taken out, trained for ``epochs``
    like ``reference`` (which reached ``reference_accuracy``), and its history."""
    if retraining_unanswered("2.5", prediction, model, history,
                             "the points of best validation accuracy lost without residuals (negative for a gain)"):
        return False
    adds = [layer.name for layer in model.layers if isinstance(layer, layers.Add)]
    if adds:
        raise CheckFailed(f"Exercise 2.5: the model still adds {len(adds)} shortcuts ({adds[0]}, ...): build it "
                          "with residual=False.")

    def body(m: keras.Model) -> list[tuple[str, int]]:
        return [(type(layer).__name__, layer.count_params()) for layer in m.layers
                if isinstance(layer, (layers.SeparableConv2D, layers.BatchNormalization, layers.Dense))]

    if body(model) != body(reference):
        raise CheckFailed("Exercise 2.5: apart from the shortcuts, the model differs from the chapter's mini "
                          "Xception (its separable convolutions, batch norms or head): change one thing only.")
    require_epochs("2.5", history, epochs, "the full model")
    lost = 100 * (reference_accuracy - max(history["val_accuracy"]))
    return passed("2.5", f"you predicted {float(prediction):+.1f} points lost; this run lost {lost:+.1f}")
