"""Self-checks for the exercises of chapter 6."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lib.checks import CheckFailed, answered, passed, run_answer, say_unanswered, unanswered
from lib.interpret.gradcam import positive_part_scaled
from lib.interpret.sanity import pointing_game


def position_weighted_by_hand(function: Callable[[Any, Any], Any]) -> bool:
    """Exercise 6.1: HiResCAM's heatmaps from a batch of feature maps and gradients (count, height,
    width, channels): each position's features weighed by the gradient at that same position,
    summed over channels, ReLU, each map divided by its maximum."""
    rng = np.random.default_rng()
    # Signed feature maps (a residual block's output can be negative), so the ReLU matters.
    feature_maps = rng.normal(size=(3, 5, 4, 8)).astype("float32")
    gradients = rng.normal(size=(3, 5, 4, 8)).astype("float32")
    answer = run_answer("6.1", function, feature_maps, gradients)
    if answer is None:
        return False
    expected = positive_part_scaled((feature_maps * gradients).sum(axis=-1))
    channel_weighted = positive_part_scaled((feature_maps * gradients.mean(axis=(1, 2), keepdims=True)).sum(axis=-1))
    answer = np.asarray(answer, dtype="float32")
    if answer.shape != expected.shape:
        raise CheckFailed(f"Exercise 6.1: the heatmaps have shape {answer.shape}, expected {expected.shape}: one "
                          "map per image, one value per position of the feature map.")
    if np.allclose(answer, channel_weighted, atol=1e-4):
        raise CheckFailed("Exercise 6.1: that is Grad-CAM, which averages each channel's gradient over the map "
                          "first. Here each position's features are multiplied by the gradient at that position.")
    if not np.allclose(answer, expected, atol=1e-4):
        raise CheckFailed("Exercise 6.1: the values differ. Multiply the feature maps by the gradients element by "
                          "element, sum over channels, keep the positive part, divide each map by its maximum.")
    return passed("6.1")


def pointing_by_hand(function: Callable[[Any, Any], Any]) -> bool:
    """Exercise 6.2: does a small heatmap's maximum, upsampled to the mask's size, fall inside the mask?"""
    rng = np.random.default_rng()
    for _ in range(20):
        heatmap = rng.uniform(size=(5, 5)).astype("float32")
        mask = np.zeros((40, 40), dtype=bool)
        top, left = rng.integers(0, 30, 2)
        mask[top:top + 12, left:left + 12] = True
        answer = run_answer("6.2", function, heatmap, mask)
        if answer is None:
            return False
        expected = pointing_game(heatmap[None], mask[None]).hits == 1.0
        if bool(answer) != expected:
            raise CheckFailed(f"Exercise 6.2: answered {bool(answer)} where the maximum is "
                              f"{'inside' if expected else 'outside'} the mask. Upsample the heatmap to the "
                              "mask's size first (interpret.upsample), then find its largest value's position.")
    return passed("6.2", "20 random heatmaps and masks")


def best_block_predicted(predicted: str | None, table: dict) -> bool:
    """Exercise 6.3: a prediction of the block where Grad-CAM puts most of its mass on the head,
    compared with the table of this run (:func:`lib.interpret.sanity.explanation_scores`)."""
    from lib.interpret.sanity import best_localizing

    if unanswered(predicted):
        return say_unanswered("6.3")
    layers = {method for (_, method) in table if method != "occlusion"}
    if predicted not in layers:
        raise CheckFailed(f"Exercise 6.3: {predicted!r} is not one of the blocks scored: {', '.join(sorted(layers))}.")
    best, lift = best_localizing(table, "trained")
    if predicted != best:
        return answered("6.3", f"you predicted {predicted}; the table says {best}, with {lift:.1f} times "
                        "a uniform map's head mass")
    return passed("6.3", f"you predicted {best}, right: {lift:.1f} times a uniform map's head mass")


def parts_without_ears(function: Callable[[str], Any]) -> bool:
    """Exercise 6.4: each class's parts with ``ears="none"`` and everything else kept."""
    from dataclasses import replace

    from lib.toy_pets import CLASS_PARTS

    for label, parts in CLASS_PARTS.items():
        answer = run_answer("6.4", function, label)
        if answer is None:
            return False
        if answer != replace(parts, ears="none"):
            raise CheckFailed(f"Exercise 6.4: for {label}s got {answer}; expected the {label}'s own parts "
                              f"({parts}) with ears='none': dataclasses.replace(toy_pets.CLASS_PARTS[label], "
                              "ears='none').")
    return passed("6.4", "cats and dogs without ears, all else kept")
