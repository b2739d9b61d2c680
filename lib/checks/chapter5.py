"""Self-checks for the exercises of chapter 5."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lib.checks import CheckFailed, passed, run_answer


def whole_tensor_normalization(function: Callable[[Any], Any]) -> bool:
    """Exercise 5.1: divide one image's gradient (height, width, channels) by its L2 norm over the whole tensor."""
    gradient = np.random.default_rng().normal(size=(6, 5, 3)).astype("float32")
    answer = run_answer("5.1", function, gradient)
    if answer is None:
        return False
    answer = np.asarray(answer, dtype="float64")
    expected = gradient / np.sqrt((gradient.astype("float64") ** 2).sum())
    per_pixel = gradient / np.linalg.norm(gradient, axis=-1, keepdims=True)
    if answer.shape == expected.shape and np.allclose(answer, expected, atol=1e-5):
        return passed("5.1", "the whole gradient now has length 1")
    if answer.shape == per_pixel.shape and np.allclose(answer, per_pixel, atol=1e-5):
        raise CheckFailed("Exercise 5.1: that normalizes each pixel's 3 channels separately, as "
                          "keras.ops.normalize does along the last axis. Take the norm over all the numbers.")
    raise CheckFailed(f"Exercise 5.1: the result's length is {np.sqrt((answer ** 2).sum()):.3g}, expected 1, "
                      "with the same direction as the gradient: divide by the square root of the sum of squares.")
