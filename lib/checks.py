"""Self-checks for the exercises: each says what is wrong, or that the answer passed.

Every check follows the same contract, so a notebook can be run top to bottom
before any exercise is done:

* no answer yet (``None`` or ``...``): prints what to do and returns False;
* a wrong answer: raises :class:`CheckFailed` whose message says what is off;
* a right answer: prints that it passed and returns True.

The expected values are computed from the course's own code, never typed in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras

from lib import config, models


class CheckFailed(AssertionError):
    """An exercise answer that is not right yet; the message says why."""


def _unanswered(answer: Any) -> bool:
    return answer is None or answer is Ellipsis


def _report(exercise: str, answer: Any, expected: Any, hint: str) -> bool:
    if _unanswered(answer):
        print(f"Exercise {exercise}: not answered yet. Replace the ... with your answer and run the cell again.")
        return False
    if answer != expected:
        raise CheckFailed(f"Exercise {exercise}: {answer!r} is not right yet. {hint}")
    print(f"Exercise {exercise}: passed ({answer!r} is right).")
    return True


def _parameters_at_tiny_size(build: Callable[..., keras.Model]) -> int:
    return build(input_shape=config.settings_for("tiny").input_shape).count_params()


def parameters_at_tiny_size(answer: int | None) -> bool:
    """Exercise 0.1: the parameter count of the mini Xception at tiny mode's image size."""
    return _report(
        "0.1", answer, _parameters_at_tiny_size(models.build_mini_xception),
        "Which weight shapes depend on the image's height and width? Convolution kernels "
        "do not, and global average pooling hands the Dense layer one number per channel "
        "whatever the map size.",
    )


def naive_convnet_parameters_at_tiny_size(answer: int | None) -> bool:
    """Exercise 0.2: the naive convnet's parameter count at tiny mode's image size."""
    return _report(
        "0.2", answer, _parameters_at_tiny_size(models.build_naive_convnet),
        "Flatten makes the Dense layer's weights depend on the last feature map's area: "
        "follow the spatial size through each 3x3 'valid' convolution (minus 2) and each "
        "2x2 pooling (halved, rounded down).",
    )


def separable_parameters_by_hand(answer: int | None) -> bool:
    """Exercise 1.1: parameters of SeparableConv2D(128, 5, depth_multiplier=2) on 64 channels, with bias."""
    layer = keras.layers.SeparableConv2D(128, 5, depth_multiplier=2, use_bias=True)
    layer.build((None, 32, 32, 64))
    return _report(
        "1.1", answer, layer.count_params(),
        "Count three groups: the depthwise kernels (5 x 5 for each of the 64 x 2 channel copies), "
        "the pointwise kernel (a 1 x 1 weight from each of the 128 depthwise outputs to each of the "
        "128 filters), and one bias per filter.",
    )


def depthwise_with_loops(function: Callable[[Any, Any], Any]) -> bool:
    """Exercise 1.2: a loop version of depthwise convolution ("valid" padding, stride 1)."""
    import numpy as np

    from lib.separable import depthwise_conv2d

    rng = np.random.default_rng()
    x = rng.normal(size=(2, 7, 6, 3)).astype("float32")
    kernel = rng.normal(size=(3, 3, 3, 2)).astype("float32")
    try:
        got = np.asarray(function(x, kernel))
    except NotImplementedError:
        print("Exercise 1.2: not answered yet. Write the loops in place of `raise NotImplementedError`.")
        return False
    expected = depthwise_conv2d(x, kernel)
    if got.shape != expected.shape:
        raise CheckFailed(f"Exercise 1.2: the output has shape {got.shape}, expected {expected.shape}: "
                          "(batch, height - kh + 1, width - kw + 1, channels * depth_multiplier).")
    error = float(np.abs(got - expected).max())
    if error > 1e-4:
        raise CheckFailed(f"Exercise 1.2: the values differ by up to {error:.3g}. Is output channel c * m + j "
                          "input channel c under filter j, and does each output pixel sum over the kh x kw window?")
    print(f"Exercise 1.2: passed (largest difference {error:.1e}).")
    return True


def channels_for_cost_ratio(answer: int | None) -> bool:
    """Exercise 1.3: the fewest output channels for which a 3x3 separable layer costs under 15%."""
    from lib.separable import cost_ratio

    expected = next(n for n in range(1, 10_000) if cost_ratio(3, n) < 0.15)
    return _report(
        "1.3", answer, expected,
        "Solve 1/N + 1/9 < 0.15 for the smallest whole N, or try N = 1, 2, 3, ... with separable.cost_ratio.",
    )


def parameters_for_block_sizes(answer: int | None) -> bool:
    """Exercise 3.1: the mini Xception's parameter count with block sizes (16, 32, 64)."""
    return _report(
        "3.1", answer, models.build_mini_xception(block_sizes=(16, 32, 64)).count_params(),
        "Per block of size s after c channels: two batch norms (4 numbers per channel each, on c "
        "then s channels), a separable conv c -> s (9c + cs), one s -> s (9s + ss), and the 1x1 "
        "shortcut c -> s (cs). Add the stem (5*5*3*32), and the Dense layer (last size + 1).",
    )


def parameters_with_flatten(answer: int | None) -> bool:
    """Exercise 3.2: the mini Xception's parameters at tiny size with Flatten instead of pooling."""
    tiny = config.settings_for("tiny").input_shape
    return _report(
        "3.2", answer, models.build_mini_xception(tiny, pooling="flatten").count_params(),
        "Only the Dense layer changes: it now gets height x width x 512 inputs instead of 512. Find "
        "the last block's output size with model.get_layer('block5_add').output.shape.",
    )


def trained_without_augmentation(model: keras.Model | None, history: dict | None) -> bool:
    """Exercise 3.3: a mini Xception without augmentation layers, trained, with its history."""
    if model is None or history is None:
        print("Exercise 3.3: not answered yet. Build and train the model, then pass it and its history.")
        return False
    augmenting = [layer.name for layer in model.layers if layer.name.startswith("augment_")]
    if augmenting:
        raise CheckFailed(f"Exercise 3.3: the model still augments ({', '.join(augmenting)}). "
                          "Build it with augmentation=False.")
    if not history.get("val_accuracy"):
        raise CheckFailed("Exercise 3.3: the history has no validation accuracy: pass validation_data to fit.")
    gap = history["accuracy"][-1] - history["val_accuracy"][-1]
    print(f"Exercise 3.3: passed. Last epoch: training accuracy {history['accuracy'][-1]:.1%}, "
          f"validation {history['val_accuracy'][-1]:.1%}, gap {gap:+.1%}.")
    return True
