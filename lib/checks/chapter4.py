"""Self-checks for the exercises of chapter 4."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from lib import backend, models
from lib.checks import (CheckFailed, passed, report, require_epochs, retraining_unanswered, run_answer,
                        say_unanswered, unanswered)
from lib.interpret.activations import activation_model, activations, blank_channels, mean_blank_fraction


def feature_map_size_at_book_size(answer: int | None) -> bool:
    """Exercise 4.1: the height (= width) of ``block3_pool``'s output for 180x180 inputs."""
    size = models.build_mini_xception((180, 180, 3)).get_layer("block3_pool").output.shape[1]
    return report(
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
    answer = run_answer("4.2", function, activation)
    if answer is None:
        return False
    expected = int(blank_channels(activation).sum())
    if int(answer) != expected:
        raise CheckFailed(
            f"Exercise 4.2: counted {answer}, expected {expected}. A channel is blank when it is zero "
            "everywhere: its largest absolute value over height and width (axes 0 and 1) is zero. A channel "
            "that is constant but not zero is not blank."
        )
    return passed("4.2", f"it found the {expected} blank channels of a made-up {activation.shape[-1]}-channel test "
                         "activation")


def block_inputs_model(extractor: keras.Model | None, model: keras.Model) -> bool:
    """Exercise 4.3: a model from ``model``'s input to every ``blockN_relu1`` output, in order."""
    if extractor is None:
        return say_unanswered("4.3", "Build the model with keras.Model(inputs, outputs).")
    names = models.block_layers(model, "relu1")
    images = np.random.default_rng().uniform(0, 255, (2, *model.input.shape[1:])).astype("float32")
    reference = keras.Model(model.input, [model.get_layer(n).output for n in names])(images, training=False)
    got = extractor(images, training=False)
    got = list(got.values()) if isinstance(got, dict) else list(got) if isinstance(got, (list, tuple)) else [got]
    if len(got) != len(names):
        raise CheckFailed(f"Exercise 4.3: the model returns {len(got)} outputs; there are {len(names)} block "
                          f"inputs: {', '.join(names)}. Collect model.get_layer(name).output for each.")
    for name, ours, theirs in zip(names, reference, got):
        ours, theirs = backend.to_numpy(ours), backend.to_numpy(theirs)
        if theirs.shape != ours.shape or not np.allclose(theirs, ours, atol=1e-3):
            raise CheckFailed(f"Exercise 4.3: output {names.index(name) + 1} is not {name}'s output. Start "
                              "from model.input and keep the layers' order in the model.")
    return passed("4.3", f"{len(names)} block inputs")


def grey_image_blank_share(answer: float | None, model: keras.Model) -> bool:
    """Exercise 4.4: the share of ``block1_relu1``'s channels that are blank for a flat grey image."""
    if unanswered(answer):
        return say_unanswered("4.4")
    layer = models.block_layers(model, "relu1")[0]
    grey = np.full((1, *model.input.shape[1:]), 128.0, dtype="float32")
    expected = float(blank_channels(activations(activation_model(model, [layer]), grey)[layer][0]).mean())
    if abs(float(answer) - expected) > 1e-6:
        raise CheckFailed(f"Exercise 4.4: {float(answer):.3f} is not what {layer} gives for a flat grey image. "
                          "Feed np.full((1, height, width, 3), 128.0) to an activation model and pass "
                          "activations.blank_channels(...).mean() of the one image's map.")
    return passed("4.4", f"{expected:.0%} of the channels are blank on a flat image")


def convolution_widths(model: keras.Model) -> list[tuple[str, int]]:
    """Each convolution's kind and width, in order: what two models changed in one other respect share."""
    return [(type(layer).__name__, layer.filters) for layer in model.layers
            if isinstance(layer, (keras.layers.Conv2D, keras.layers.SeparableConv2D))]


def blank_share(model: keras.Model, images: np.ndarray, layer: str) -> float:
    """The share of ``layer``'s channels blank on ``images``, averaged over the images: what exercise
    4.5 predicts, and what the chapter reports after it."""
    return mean_blank_fraction(activations(activation_model(model, [layer]), images), layer)


def blank_channels_without_batch_norm(prediction: float | None, model: keras.Model | None, history: dict | None,
                                      reference: keras.Model, images: np.ndarray, epochs: int,
                                      layer: str = "block4_relu1") -> bool:
    """Exercise 4.5: a prediction (the share of ``layer``'s channels blank on average over ``images``),
    then the mini Xception with batch norm taken out and nothing else, trained for ``epochs`` like
    ``reference`` (chapter 3's model), and its history. Reports the prediction against both models."""
    if retraining_unanswered("4.5", prediction, model, history,
                             "the share of the layer's channels blank without batch norm, as a fraction"):
        return False
    normalized = [layer_.name for layer_ in model.layers if isinstance(layer_, keras.layers.BatchNormalization)]
    if normalized:
        raise CheckFailed(f"Exercise 4.5: the model still has {len(normalized)} batch norms ({normalized[0]}, ...): "
                          "build it with batch_norm=False.")
    if convolution_widths(model) != convolution_widths(reference):
        raise CheckFailed("Exercise 4.5: apart from batch norm, the model differs from chapter 3's mini Xception "
                          "(its convolutions or their widths): change one thing only.")
    require_epochs("4.5", history, epochs, "chapter 3's model")
    shares = [blank_share(m, images, layer) for m in (model, reference)]
    return passed("4.5", f"you predicted {float(prediction):.0%} of {layer}'s channels blank; without batch norm "
                         f"{shares[0]:.0%} are, with it (chapter 3's model) {shares[1]:.0%}")
