"""Self-checks for the exercises of chapter 0."""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np

from lib import config, models
from lib.checks import CheckFailed, passed, report, run_answer


def _parameters_at_tiny_size(build: Callable[..., keras.Model]) -> int:
    return build(input_shape=config.settings_for("tiny").input_shape).count_params()


def parameters_at_tiny_size(answer: int | None) -> bool:
    """Exercise 1: the parameter count of the mini Xception at tiny mode's image size."""
    return report(
        "1", answer, _parameters_at_tiny_size(models.build_mini_xception),
        "Which weight shapes depend on the image's height and width? Convolution kernels "
        "do not, and global average pooling hands the Dense layer one number per channel "
        "whatever the map size.",
    )


def naive_convnet_parameters_at_tiny_size(answer: int | None) -> bool:
    """Exercise 2: the naive convnet's parameter count at tiny mode's image size."""
    return report(
        "2", answer, _parameters_at_tiny_size(models.build_naive_convnet),
        "Flatten makes the Dense layer's weights depend on the last feature map's area: "
        "follow the spatial size through each 3x3 'valid' convolution (minus 2) and each "
        "2x2 pooling (halved, rounded down).",
    )


def tinted_cats(function: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> bool:
    """Exercise 3: redden every cat (label 0) by 60 on the red channel, capped at 255; dogs unchanged."""
    rng = np.random.default_rng()
    images = rng.integers(0, 256, (6, 4, 4, 3), dtype=np.uint8)
    images[0, 0, 0] = [250, 10, 10]  # a red that must stop at 255
    labels = np.array([0, 1, 0, 1, 1, 0])
    original = images.copy()
    answer = run_answer("3", function, images, labels)
    if answer is None:
        return False
    answer = np.asarray(answer)
    if not np.array_equal(images, original):
        raise CheckFailed("Exercise 3: the images passed in were changed. Work on a copy (images.astype(int)).")
    expected = original.astype(int)
    expected[labels == 0, ..., 0] += 60
    expected = np.clip(expected, 0, 255)
    if answer.shape != original.shape or answer.dtype != np.uint8:
        raise CheckFailed(f"Exercise 3: got shape {answer.shape} and dtype {answer.dtype}; expected "
                          f"{original.shape} and uint8, like the images (np.clip(...).astype(np.uint8)).")
    if not np.array_equal(answer[labels == 1], original[labels == 1]):
        raise CheckFailed("Exercise 3: the dogs changed. Only images whose label is 0 are tinted.")
    if not np.array_equal(answer, expected):
        raise CheckFailed("Exercise 3: the cats are not right. Add 60 to channel 0 (red) only, and cap at 255 "
                          "before converting back to uint8 (250 + 60 must become 255, not 54).")
    return passed("3", "cats are 60 levels redder, dogs unchanged")
