"""Self-checks for the exercises of chapter 1."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from lib.checks import CheckFailed, passed, report, run_answer, say_unanswered, unanswered
from lib.separable import cost_ratio, depthwise_conv2d


def separable_parameters_by_hand(answer: int | None) -> bool:
    """Exercise 1.1: parameters of SeparableConv2D(128, 5, depth_multiplier=2) on 64 channels, with bias."""
    layer = keras.layers.SeparableConv2D(128, 5, depth_multiplier=2, use_bias=True)
    layer.build((None, 32, 32, 64))
    return report(
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
    got = run_answer("1.2", function, x, kernel)
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
    return passed("1.2", f"largest difference {error:.1e}")


def channels_for_cost_ratio(answer: int | None) -> bool:
    """Exercise 1.3: the fewest output channels for which a 3x3 separable layer costs under 15%."""
    expected = next(n for n in range(1, 10_000) if cost_ratio(3, n) < 0.15)
    return report(
        "1.3", answer, expected,
        "Solve 1/N + 1/9 < 0.15 for the smallest whole N, or try N = 1, 2, 3, ... with separable.cost_ratio.",
    )


def recovered_by_multiplier(shares: dict[int, float] | None) -> bool:
    """Exercise 1.4: the share of a trained 3x3 kernel recovered by separable pairs with depth
    multipliers 1, 2, 4 and 9."""
    if unanswered(shares):
        return say_unanswered("1.4")
    if sorted(shares) != [1, 2, 4, 9]:
        raise CheckFailed(f"Exercise 1.4: expected the shares for depth multipliers 1, 2, 4 and 9, "
                          f"got {sorted(shares)}.")
    values = [float(shares[m]) for m in (1, 2, 4, 9)]
    if any(b < a for a, b in zip(values, values[1:])) or not 0 < values[0] <= 1:
        raise CheckFailed(f"Exercise 1.4: the shares {values} should grow with the multiplier and stay within (0, 1]: "
                          "did you pass the multiplier to separable_approximation?")
    if abs(values[-1] - 1) > 1e-6:
        raise CheckFailed(f"Exercise 1.4: with 9 spatial filters per channel a 3x3 kernel is recovered whole, "
                          f"got {values[-1]:.4f}. Is the kernel 3x3?")
    return passed("1.4", " -> ".join(f"{v:.0%}" for v in values))
