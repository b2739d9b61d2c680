"""Self-checks for the exercises of chapter 5."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lib.checks import CheckFailed, answered, passed, run_answer, say_unanswered, unanswered
from lib.interpret.gradcam import heatmaps_from_gradients
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


def grad_cam_by_hand(function: Callable[[Any, Any], Any]) -> bool:
    """Exercise 5.2: a Grad-CAM heatmap from one image's feature maps and gradients (height, width, channels)."""
    rng = np.random.default_rng()
    # Signed feature maps (a residual block's output can be negative), so the ReLU matters.
    feature_maps = rng.normal(size=(5, 4, 8)).astype("float32")
    gradients = rng.normal(size=(5, 4, 8)).astype("float32")
    answer = run_answer("5.2", function, feature_maps, gradients)
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


def best_block_predicted(predicted: str | None, table: dict | None) -> bool:
    """Exercise 5.4: a prediction of the block where Grad-CAM puts most of its mass on the head,
    compared with the table of this run (``None`` outside tiny mode, where there are no masks)."""
    from lib.interpret.sanity import best_localizing

    if unanswered(predicted):
        return say_unanswered("5.4")
    if table is None:
        return passed("5.4", "no part masks in this mode, so only the prediction is recorded")
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
