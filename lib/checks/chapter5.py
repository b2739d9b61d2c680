"""Self-checks for the exercises of chapter 5."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lib.checks import CheckFailed, answered, passed, run_answer, say_unanswered, unanswered
from lib.interpret.gradcam import positive_part_scaled
from lib.interpret.sanity import pointing_game


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


def position_weighted_by_hand(function: Callable[[Any, Any], Any]) -> bool:
    """Exercise 5.2: HiResCAM's heatmaps from a batch of feature maps and gradients (count, height,
    width, channels): each position's features weighed by the gradient at that same position,
    summed over channels, ReLU, each map divided by its maximum."""
    rng = np.random.default_rng()
    # Signed feature maps (a residual block's output can be negative), so the ReLU matters.
    feature_maps = rng.normal(size=(3, 5, 4, 8)).astype("float32")
    gradients = rng.normal(size=(3, 5, 4, 8)).astype("float32")
    answer = run_answer("5.2", function, feature_maps, gradients)
    if answer is None:
        return False
    expected = positive_part_scaled((feature_maps * gradients).sum(axis=-1))
    channel_weighted = positive_part_scaled((feature_maps * gradients.mean(axis=(1, 2), keepdims=True)).sum(axis=-1))
    answer = np.asarray(answer, dtype="float32")
    if answer.shape != expected.shape:
        raise CheckFailed(f"Exercise 5.2: the heatmaps have shape {answer.shape}, expected {expected.shape}: one "
                          "map per image, one value per position of the feature map.")
    if np.allclose(answer, channel_weighted, atol=1e-4):
        raise CheckFailed("Exercise 5.2: that is Grad-CAM, which averages each channel's gradient over the map "
                          "first. Here each position's features are multiplied by the gradient at that position.")
    if not np.allclose(answer, expected, atol=1e-4):
        raise CheckFailed("Exercise 5.2: the values differ. Multiply the feature maps by the gradients element by "
                          "element, sum over channels, keep the positive part, divide each map by its maximum.")
    return passed("5.2")


def pointing_by_hand(function: Callable[[Any, Any], Any]) -> bool:
    """Exercise 5.3: does a small heatmap's maximum, upsampled to the mask's size, fall inside the mask?"""
    rng = np.random.default_rng()
    for _ in range(20):
        heatmap = rng.uniform(size=(5, 5)).astype("float32")
        mask = np.zeros((40, 40), dtype=bool)
        top, left = rng.integers(0, 30, 2)
        mask[top:top + 12, left:left + 12] = True
        answer = run_answer("5.3", function, heatmap, mask)
        if answer is None:
            return False
        expected = pointing_game(heatmap[None], mask[None]).hits == 1.0
        if bool(answer) != expected:
            raise CheckFailed(f"Exercise 5.3: answered {bool(answer)} where the maximum is "
                              f"{'inside' if expected else 'outside'} the mask. Upsample the heatmap to the "
                              "mask's size first (interpret.upsample), then find its largest value's position.")
    return passed("5.3", "20 random heatmaps and masks")


def best_block_predicted(predicted: str | None, table: dict) -> bool:
    """Exercise 5.4: a prediction of the block where Grad-CAM puts most of its mass on the head,
    compared with the table of this run (:func:`lib.interpret.sanity.explanation_scores`)."""
    from lib.interpret.sanity import best_localizing

    if unanswered(predicted):
        return say_unanswered("5.4")
    layers = {method for (_, method) in table if method != "occlusion"}
    if predicted not in layers:
        raise CheckFailed(f"Exercise 5.4: {predicted!r} is not one of the blocks scored: {', '.join(sorted(layers))}.")
    best, lift = best_localizing(table, "trained")
    if predicted != best:
        return answered("5.4", f"you predicted {predicted}; the table says {best}, with {lift:.1f} times "
                        "a uniform map's head mass")
    return passed("5.4", f"you predicted {best}, right: {lift:.1f} times a uniform map's head mass")


def parts_without_ears(function: Callable[[str], Any]) -> bool:
    """Exercise 5.5: each class's parts with ``ears="none"`` and everything else kept."""
    from dataclasses import replace

    from lib.toy_pets import CLASS_PARTS

    for label, parts in CLASS_PARTS.items():
        answer = run_answer("5.5", function, label)
        if answer is None:
            return False
        if answer != replace(parts, ears="none"):
            raise CheckFailed(f"Exercise 5.5: for {label}s got {answer}; expected the {label}'s own parts "
                              f"({parts}) with ears='none': dataclasses.replace(toy_pets.CLASS_PARTS[label], "
                              "ears='none').")
    return passed("5.5", "cats and dogs without ears, all else kept")
