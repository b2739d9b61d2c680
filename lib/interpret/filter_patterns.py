"""Filter patterns by gradient ascent (chapter 5): the input each filter responds to most.

The book's recipe: start from a grey image with a little noise, take 30 steps of size 10
along the gradient of the filter's mean response, normalized over the whole image, then
centre, scale and crop the result to be seen (:func:`deprocess_image`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import keras
import numpy as np
from keras import ops

from lib import backend
from lib.interpret.activations import model_input


def feature_extractor(model: keras.Model, layer_name: str, image_size: int | None = None) -> keras.Model:
    """A model from ``model``'s input to one layer's output (for :func:`generate_filter_patterns`).

    With ``image_size``, the extractor takes images of that size instead of the model's own: the
    model is rebuilt from its configuration at that size with the same weights, which works for
    any model whose layers do not fix the image size (the mini Xception pools globally). A pattern
    found by gradient ascent is a texture that fills whatever canvas it is given, so a smaller
    canvas finds it at a fraction of the cost."""
    if image_size is not None and tuple(model_input(model).shape[1:3]) != (image_size, image_size):
        config = model.get_config()
        for layer in config["layers"]:
            if layer["class_name"] == "InputLayer":
                shape = layer["config"]["batch_shape"]
                layer["config"]["batch_shape"] = [shape[0], image_size, image_size, *shape[3:]]
        resized = keras.Model.from_config(config)
        resized.set_weights(model.get_weights())
        model = resized
    return keras.Model(model_input(model), model.get_layer(layer_name).output, name=f"{layer_name}_extractor")


def filter_ascent_loss(activation, filter_indices):
    """Per image ``i``, the mean of filter ``filter_indices[i]`` over the map without a
    2-pixel border (the book's choice, which avoids border artifacts; narrower on small maps)."""
    height, width = activation.shape[1], activation.shape[2]
    border = max(0, min(2, (min(height, width) - 1) // 2))
    inner = ops.cast(activation[:, border:height - border, border:width - border, :], "float32")
    chosen = ops.take_along_axis(inner, ops.reshape(filter_indices, (-1, 1, 1, 1)), axis=3)
    return ops.mean(chosen, axis=(1, 2, 3))


def normalize_per_image(gradients):
    """Each image's gradient divided by its L2 norm over the whole tensor (height, width and channels).

    ``keras.ops.normalize(x, axis=-1)`` would normalize along the last axis only, one pixel at a
    time; flattening each image first makes it the whole-tensor norm the book's recipe needs.
    """
    flat = ops.reshape(gradients, (ops.shape(gradients)[0], -1))
    return ops.reshape(ops.normalize(flat, axis=-1, epsilon=1e-12), ops.shape(gradients))


@dataclass(frozen=True)
class FilterPatterns:
    """What :func:`generate_filter_patterns` found: viewable images, one per filter, and each
    filter's mean response (:func:`filter_ascent_loss`) to the starting noise and to its pattern."""

    images: np.ndarray
    start_response: np.ndarray
    final_response: np.ndarray


def generate_filter_patterns(
    extractor: keras.Model,
    filter_indices: Sequence[int],
    iterations: int = 30,
    step_size: float = 10.0,
    pixel_range: tuple[float, float] = (0.0, 255.0),
    seed: int = 0,
    image_size: int | None = None,
) -> FilterPatterns:
    """The input patterns that maximize each filter of ``extractor``'s output, by gradient ascent.

    The book's recipe: start from a grey image with a little noise (0.4 to 0.6 on a
    [-1, 1] scale), take ``iterations`` steps of ``step_size`` along the gradient of
    :func:`filter_ascent_loss`, normalized over the whole image. Step size and start are
    on that [-1, 1] scale; ``pixel_range`` is what the model takes as input ((0, 255)
    for the course's models, which rescale inside; (-1, 1) for Keras' Xception after
    ``preprocess_input``). All filters ascend together as one batch, one image each:
    every image's loss depends on that image alone, so this is the book's loop, faster.
    ``image_size`` is needed only when the extractor takes images of any size.
    """
    low, high = pixel_range
    scale, offset = (high - low) / 2, (high + low) / 2
    height, width, channels = extractor.inputs[0].shape[1:]
    if image_size is not None or height is None:
        if image_size is None:
            raise ValueError("This extractor takes images of any size: pass image_size.")
        height = width = image_size
    indices = ops.convert_to_tensor(np.asarray(list(filter_indices), dtype="int32"))
    start = np.random.default_rng(seed).uniform(0.4, 0.6, (len(filter_indices), height, width, channels))

    def response(image):
        return filter_ascent_loss(extractor(image * scale + offset, training=False), indices)

    ascent = backend.gradient_function(response, compile=True)
    image = ops.convert_to_tensor(start.astype("float32"))
    first = None
    for _ in range(iterations):
        values, gradients = ascent(image)
        first = backend.to_numpy(values) if first is None else first
        image = image + step_size * normalize_per_image(ops.cast(gradients, "float32"))
    final = backend.to_numpy(response(image))
    first = final if first is None else first
    return FilterPatterns(np.stack([deprocess_image(picture) for picture in backend.to_numpy(image)]), first, final)


def ascent_gains(found: Iterable[FilterPatterns]) -> dict[str, float]:
    """What chapter 5 checks of gradient ascent on several layers (one :class:`FilterPatterns` each):
    ``share_raised``, the share of all their filters whose response to the pattern is above their
    response to the starting noise, and ``smallest_mean_gain``, the smallest rise of a layer's mean
    response. A fixed step can overshoot, so a filter may end below where it started."""
    gains = [patterns.final_response - patterns.start_response for patterns in found]
    return {"share_raised": float(np.mean(np.concatenate(gains) > 0)),
            "smallest_mean_gain": float(min(gain.mean() for gain in gains))}


def deprocess_image(image: np.ndarray, crop: int | None = None) -> np.ndarray:
    """The book's way of making a gradient-ascent result viewable: centre, scale to a standard
    deviation of 64 around grey 128, clip to [0, 255], and crop the border (default: 1/8 of the
    side, the book's 25 pixels of 200) where the pattern is least constrained."""
    image = np.asarray(image, dtype="float64")
    image = (image - image.mean()) / (image.std() + 1e-5) * 64 + 128
    crop = image.shape[0] // 8 if crop is None else crop
    if crop:
        image = image[crop:-crop, crop:-crop, :]
    return np.clip(image, 0, 255).astype("uint8")
