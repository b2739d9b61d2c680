"""Self-checks for the exercises of chapter 5."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import keras
import numpy as np

from lib.checks import CheckFailed, passed, require_epochs, retraining_unanswered, run_answer
from lib.checks.chapter4 import convolution_widths

if TYPE_CHECKING:
    from lib.interpret.counterfactuals import Deletion


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


def grad_cam_deletion(network: keras.Model, images: np.ndarray, labels: np.ndarray, layer: str,
                      seed: int) -> Deletion:
    """The deletion test of ``network``'s Grad-CAM maps at ``layer`` for each image's own class: what
    exercise 5.2 predicts, and what the chapter reports after it."""
    from lib.interpret import counterfactuals, gradcam

    maps = gradcam.grad_cam_for_labels(network, images, labels, layer, explain=gradcam.grad_cam)
    return counterfactuals.deletion_test(network, images, labels, maps, seed=seed)


def one_epoch_heatmaps(prediction: float | None, model: keras.Model | None, history: dict | None,
                       reference: keras.Model, images: np.ndarray, labels: np.ndarray, layer: str,
                       seed: int = 0) -> bool:
    """Exercise 5.2: a prediction (the one-epoch model's deletion gap: P(own class) lost when the top
    tenth of its Grad-CAM map at ``layer`` is greyed out, minus what a tenth elsewhere costs), then
    chapter 3's mini Xception trained for one epoch only, and its history. Reports the prediction
    against both models' gaps on ``images``."""
    if retraining_unanswered("5.2", prediction, model, history,
                             "the one-epoch model's gap, in probability (negative if the top tenth matters less)"):
        return False
    if convolution_widths(model) != convolution_widths(reference) or \
            len(model.layers) != len(reference.layers):
        raise CheckFailed("Exercise 5.2: the model is not built like chapter 3's mini Xception: build it with "
                          "train.build_for(settings) and change the training budget only.")
    require_epochs("5.2", history, 1, "the exercise's model")

    gaps = [grad_cam_deletion(network, images, labels, layer, seed).gap for network in (model, reference)]
    return passed("5.2", f"you predicted a gap of {float(prediction):+.2f}; after one epoch it is "
                         f"{gaps[0]:+.2f}, after chapter 3's training {gaps[1]:+.2f}")
