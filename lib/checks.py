"""Self-checks for the exercises: each says what is wrong, or that the answer passed.

Every check follows the same contract, so a notebook can be run top to bottom
before any exercise is done:

* no answer yet (``None`` or ``...``): prints what to do and returns False;
* a wrong answer: raises :class:`CheckFailed` whose message says what is off;
* a right answer: prints that it passed and returns True.

The expected values are computed from the course's own code, never typed in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
from keras import layers

from lib import config, models
from lib.architecture import layer_costs, receptive_fields
from lib.interpret import blank_channels, heatmaps_from_gradients, pointing_game
from lib.separable import cost_ratio, depthwise_conv2d


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


def _run_answer(exercise: str, function: Callable[..., Any], *arguments: Any) -> Any:
    """The student's function applied to ``arguments``, or None (saying what to do) while it
    still raises ``NotImplementedError``."""
    try:
        return function(*arguments)
    except NotImplementedError:
        print(f"Exercise {exercise}: not answered yet. Write your code in place of `raise NotImplementedError`.")
        return None


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
    rng = np.random.default_rng()
    x = rng.normal(size=(2, 7, 6, 3)).astype("float32")
    kernel = rng.normal(size=(3, 3, 3, 2)).astype("float32")
    got = _run_answer("1.2", function, x, kernel)
    if got is None:
        return False
    got = np.asarray(got)
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


def feature_map_size_at_book_size(answer: int | None) -> bool:
    """Exercise 4.1: the height (= width) of ``block3_pool``'s output for 180x180 inputs."""
    size = models.build_mini_xception((180, 180, 3)).get_layer("block3_pool").output.shape[1]
    return _report(
        "4.1", answer, size,
        "Follow the size from the input: the 5x5 stem has no padding (it loses 4 pixels), and each "
        "block's max pooling (stride 2, padding 'same') halves the size, rounding up.",
    )


def count_blank_channels(function: Callable[[Any], Any]) -> bool:
    """Exercise 4.2: count the blank (all-zero) channels of one activation (height, width, channels)."""
    rng = np.random.default_rng()
    activation = np.maximum(rng.normal(size=(9, 7, 12)), 0).astype("float32")
    activation[..., [1, 4, 5]] = 0.0  # what a ReLU leaves of a channel that never fires
    activation[..., 8] = 0.7  # constant but not zero: it found something, everywhere
    answer = _run_answer("4.2", function, activation)
    if answer is None:
        return False
    expected = int(blank_channels(activation).sum())
    if int(answer) != expected:
        raise CheckFailed(
            f"Exercise 4.2: counted {answer}, expected {expected}. A channel is blank when it is zero "
            "everywhere: its largest absolute value over height and width (axes 0 and 1) is zero. A channel "
            "that is constant but not zero is not blank."
        )
    print(f"Exercise 4.2: passed ({expected} blank channels of {activation.shape[-1]}).")
    return True


def block_inputs_model(extractor: keras.Model | None, model: keras.Model) -> bool:
    """Exercise 4.3: a model from ``model``'s input to every ``blockN_relu1`` output, in order."""
    if extractor is None:
        print("Exercise 4.3: not answered yet. Build the model with keras.Model(inputs, outputs).")
        return False
    names = [layer.name for layer in model.layers if re.fullmatch(r"block\d+_relu1", layer.name)]
    images = np.random.default_rng().uniform(0, 255, (2, *model.input.shape[1:])).astype("float32")
    reference = keras.Model(model.input, [model.get_layer(n).output for n in names])(images, training=False)
    got = extractor(images, training=False)
    got = list(got.values()) if isinstance(got, dict) else list(got) if isinstance(got, (list, tuple)) else [got]
    if len(got) != len(names):
        raise CheckFailed(f"Exercise 4.3: the model returns {len(got)} outputs; there are {len(names)} block "
                          f"inputs: {', '.join(names)}. Collect model.get_layer(name).output for each.")
    for name, ours, theirs in zip(names, reference, got):
        if tuple(np.shape(theirs)) != tuple(ours.shape) or not np.allclose(theirs, ours, atol=1e-3):
            raise CheckFailed(f"Exercise 4.3: output {names.index(name) + 1} is not {name}'s output. Start "
                              "from model.input and keep the layers' order in the model.")
    print(f"Exercise 4.3: passed ({len(names)} block inputs).")
    return True


def whole_tensor_normalization(function: Callable[[Any], Any]) -> bool:
    """Exercise 5.1: divide one image's gradient (height, width, channels) by its L2 norm over the whole tensor."""
    gradient = np.random.default_rng().normal(size=(6, 5, 3)).astype("float32")
    answer = _run_answer("5.1", function, gradient)
    if answer is None:
        return False
    answer = np.asarray(answer, dtype="float64")
    expected = gradient / np.sqrt((gradient.astype("float64") ** 2).sum())
    per_pixel = gradient / np.linalg.norm(gradient, axis=-1, keepdims=True)
    if answer.shape == expected.shape and np.allclose(answer, expected, atol=1e-5):
        print("Exercise 5.1: passed (the whole gradient now has length 1).")
        return True
    if answer.shape == per_pixel.shape and np.allclose(answer, per_pixel, atol=1e-5):
        raise CheckFailed("Exercise 5.1: that normalizes each pixel's 3 channels separately, as "
                          "keras.ops.normalize does along the last axis. Take the norm over all the numbers.")
    raise CheckFailed(f"Exercise 5.1: the result's length is {np.sqrt((answer ** 2).sum()):.3g}, expected 1, "
                      "with the same direction as the gradient: divide by the square root of the sum of squares.")


def grad_cam_by_hand(function: Callable[[Any, Any], Any]) -> bool:
    """Exercise 5.2: a Grad-CAM heatmap from one image's feature maps and gradients (height, width, channels)."""
    rng = np.random.default_rng()
    # Signed feature maps (a residual block's output can be negative), so the ReLU matters.
    feature_maps = rng.normal(size=(5, 4, 8)).astype("float32")
    gradients = rng.normal(size=(5, 4, 8)).astype("float32")
    answer = _run_answer("5.2", function, feature_maps, gradients)
    if answer is None:
        return False
    expected = heatmaps_from_gradients(feature_maps[None], gradients[None])[0]
    answer = np.asarray(answer, dtype="float32")
    if answer.shape != expected.shape:
        raise CheckFailed(f"Exercise 5.2: the heatmap has shape {answer.shape}, expected {expected.shape}: one "
                          "value per position of the feature map.")
    if not np.allclose(answer, expected, atol=1e-4):
        raise CheckFailed("Exercise 5.2: the values differ. Weigh each channel by its gradient averaged over "
                          "height and width, sum over channels, keep the positive part, divide by the maximum.")
    print("Exercise 5.2: passed.")
    return True


def pointing_by_hand(function: Callable[[Any, Any], Any]) -> bool:
    """Exercise 5.3: does a small heatmap's maximum, upsampled to the mask's size, fall inside the mask?"""
    rng = np.random.default_rng()
    for _ in range(20):
        heatmap = rng.uniform(size=(5, 5)).astype("float32")
        mask = np.zeros((40, 40), dtype=bool)
        top, left = rng.integers(0, 30, 2)
        mask[top:top + 12, left:left + 12] = True
        answer = _run_answer("5.3", function, heatmap, mask)
        if answer is None:
            return False
        expected = pointing_game(heatmap[None], mask[None]).hits == 1.0
        if bool(answer) != expected:
            raise CheckFailed(f"Exercise 5.3: answered {bool(answer)} where the maximum is "
                              f"{'inside' if expected else 'outside'} the mask. Upsample the heatmap to the "
                              "mask's size first (interpret.upsample), then find its largest value's position.")
    print("Exercise 5.3: passed (20 random heatmaps and masks).")
    return True


def multiply_adds_with_shrinking_filters(answer: int | None) -> bool:
    """Exercise 2.1: multiply-adds per image of the mini Xception at tiny size with the block
    sizes reversed, (512, 256, 128, 64, 32)."""
    tiny = config.settings_for("tiny").input_shape
    reversed_model = models.build_mini_xception(tiny, block_sizes=(512, 256, 128, 64, 32))
    return _report(
        "2.1", answer, sum(row.multiply_adds for row in layer_costs(reversed_model)),
        "Add up architecture.layer_costs(model): which blocks now run 512 filters on the largest maps?",
    )


def residual_block_with_projection(function: Callable[..., Any]) -> bool:
    """Exercise 2.2: a block whose shortcut matches the pooled, widened main path."""
    inputs = keras.Input((16, 16, 8))
    answer = _run_answer("2.2", function, inputs, 24)
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
    print("Exercise 2.2: passed (the shortcut is projected to (8, 8, 24) by a strided 1x1 convolution).")
    return True


def receptive_field_of_block3(answer: int | None) -> bool:
    """Exercise 2.3: the receptive field (in input pixels) of the mini Xception's ``block3_pool`` output."""
    return _report(
        "2.3", answer, receptive_fields(models.build_mini_xception())["block3_pool"],
        "Walk from the input: each layer adds (kernel - 1) x jump, where jump (the input pixels "
        "between neighbouring values) starts at 1 and doubles after each stride-2 pooling.",
    )
