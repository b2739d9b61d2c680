"""Intermediate activations (chapter 4): every layer's output for an image, and what it holds.

* :func:`activation_model` and :func:`activations`: every convolution's, pooling layer's and
  ReLU's output for a batch of images, by name;
* :func:`blank_channels` and :func:`activation_statistics`: how many channels of a layer are
  blank for an image, and how many of its values are positive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import keras
import numpy as np
from keras import layers

from lib import backend

# Layers whose output is a stack of feature maps with a spatial extent (chapter 2 follows
# them for receptive fields; chapter 4 looks at their outputs).
SPATIAL_LAYER_TYPES = (layers.Conv2D, layers.SeparableConv2D, layers.DepthwiseConv2D,
                       layers.MaxPooling2D, layers.AveragePooling2D)


def feature_layer_names(model: keras.Model) -> list[str]:
    """Names of the convolution, pooling and ReLU layers of ``model``, from input to output.

    ReLUs are included because in the mini Xception a convolution's output is not yet
    rectified: batch norm and ReLU come before the next convolution, so a ReLU's output is
    what that convolution sees (in the book's naive convnet the ReLU sits inside ``Conv2D``).
    """
    return [layer.name for layer in model.layers
            if isinstance(layer, SPATIAL_LAYER_TYPES) or is_relu(layer)]


def is_relu(layer: keras.layers.Layer) -> bool:
    """Whether ``layer`` is a ReLU, as a ``ReLU`` layer or an ``Activation("relu")``."""
    return isinstance(layer, layers.ReLU) or (
        isinstance(layer, layers.Activation) and layer.get_config().get("activation") == "relu")


def model_input(model: keras.Model):
    """The model's input tensor (a list only for a model of several inputs)."""
    return model.inputs[0] if len(model.inputs) == 1 else model.inputs


def activation_model(model: keras.Model, layer_names: Sequence[str] | None = None) -> keras.Model:
    """A model from ``model``'s input to the outputs of ``layer_names`` (default:
    :func:`feature_layer_names`), returned as a dict keyed by layer name.

    Chapter 4 writes this function in a cell and uses its own; chapters 1 and 2 and the checks use
    this copy, which tests/test_chapter_code.py keeps the same as the chapter's."""
    if layer_names is None:
        layer_names = feature_layer_names(model)
    outputs = {name: model.get_layer(name).output for name in layer_names}
    return keras.Model(model.inputs[0], outputs,
                       name=f"{model.name}_activations")


def activations(extractor: keras.Model, images: np.ndarray, training: bool = False) -> dict[str, np.ndarray]:
    """The outputs of :func:`activation_model` for a batch of images, as float32 arrays.
    ``training=True`` runs batch norm on the batch's own statistics, as in a training step."""
    outputs = extractor(np.asarray(images, dtype="float32"), training=training)
    # In the order the extractor was built with: PyTorch's Keras returns a dict sorted by key.
    return {name: backend.to_numpy(outputs[name]) for name in extractor.output}


def blank_channels(activation: np.ndarray, tolerance: float = 1e-6) -> np.ndarray:
    """Which channels of one activation (height, width, channels) are blank.

    Blank means zero everywhere, up to ``tolerance`` times the layer's largest absolute
    value: after a ReLU, a filter that found nothing it looks for in this image. The book's
    figures show such channels as empty squares.
    """
    activation = np.asarray(activation, dtype="float64")
    if activation.ndim != 3:
        raise ValueError(f"Expected one activation of shape (height, width, channels), got {activation.shape}.")
    scale = max(float(np.abs(activation).max()), 1e-12)
    return np.abs(activation).max(axis=(0, 1)) <= tolerance * scale


@dataclass(frozen=True)
class LayerStatistics:
    """One layer's activation for one image, summarized."""

    name: str
    shape: tuple[int, int, int]
    blank_fraction: float
    mean_activation: float
    positive_fraction: float


def activation_statistics(outputs: dict[str, np.ndarray], index: int = 0) -> list[LayerStatistics]:
    """Per layer, for image ``index`` of a batch: share of blank channels, mean value, and
    share of positive values (the ones a following ReLU lets through)."""
    rows = []
    for name, batch in outputs.items():
        activation = batch[index]
        rows.append(LayerStatistics(
            name=name, shape=tuple(int(s) for s in activation.shape),
            blank_fraction=float(blank_channels(activation).mean()),
            mean_activation=float(activation.mean()),
            positive_fraction=float((activation > 0).mean()),
        ))
    return rows


def statistics_by_image(outputs: dict[str, np.ndarray], image_names: Sequence[str]) -> dict[str, list[LayerStatistics]]:
    """:func:`activation_statistics` for every image of the batch, keyed by the images' names."""
    return {name: activation_statistics(outputs, index) for index, name in enumerate(image_names)}


def summarize_depth(statistics: dict[str, list[LayerStatistics]]) -> list[str]:
    """One line per image: blank channels and positive values at the first and last layer."""
    lines = []
    for image_name, rows in statistics.items():
        first, last = rows[0], rows[-1]
        lines.append(f"{image_name:>16}: blank channels {first.blank_fraction:4.0%} -> {last.blank_fraction:4.0%},"
                     f" positive values {first.positive_fraction:4.0%} -> {last.positive_fraction:4.0%}"
                     f"  ({first.name} -> {last.name})")
    return lines


def mean_blank_fraction(outputs: dict[str, np.ndarray], layer_name: str) -> float:
    """The share of ``layer_name``'s channels that are blank, averaged over a batch of images."""
    return float(np.mean([blank_channels(activation).mean() for activation in outputs[layer_name]]))


def image_maps(image: np.ndarray, size: tuple[int, int]) -> dict[str, np.ndarray]:
    """Two plain descriptions of an image (height, width, 3) at a layer's ``size``: its brightness
    and the strength of its edges (Sobel), each scaled to mean 0 and standard deviation 1."""
    from scipy import ndimage

    grey = np.asarray(image, dtype="float64").mean(axis=-1)
    edges = np.hypot(ndimage.sobel(grey, axis=0), ndimage.sobel(grey, axis=1))
    maps = {}
    for name, values in (("brightness", grey), ("edges", edges)):
        # Averaged over each output pixel (antialias), so a thin edge is not skipped by the sampling.
        resized = keras.ops.image.resize(values[..., None], size, antialias=True)
        resized = backend.to_numpy(resized)[..., 0]
        maps[name] = (resized - resized.mean()) / (resized.std() + 1e-12)
    return maps


def channel_alignment(activation: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """For one activation (height, width, channels), each channel's absolute correlation with a
    reference map of the same height and width (0 for a constant channel): how much the channel
    just copies that aspect of the image (chapter 4)."""
    flat = np.asarray(activation, dtype="float64").reshape(-1, activation.shape[-1])
    spread = flat.std(axis=0)
    centred = (flat - flat.mean(axis=0)) / np.where(spread > 0, spread, 1)
    reference = np.asarray(reference, dtype="float64").ravel()
    reference = (reference - reference.mean()) / (reference.std() + 1e-12)
    return np.where(spread > 0, np.abs(centred.T @ reference) / len(reference), 0.0)


COPYING_CORRELATION = 0.3  # chapter 4: a channel this correlated with the image's brightness or edges copies it


def share_copying(activation: np.ndarray, maps: dict[str, np.ndarray],
                  threshold: float = COPYING_CORRELATION) -> float:
    """The share of one activation's channels that copy the image (chapter 4): whose
    :func:`channel_alignment` with its brightness or its edges (:func:`image_maps`) is at least
    ``threshold``."""
    aligned = np.maximum(channel_alignment(activation, maps["edges"]),
                         channel_alignment(activation, maps["brightness"]))
    return float((aligned >= threshold).mean())
