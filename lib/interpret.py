"""What a trained convnet learned: activations, filter patterns, Grad-CAM, and checks of them.

Section 9.4 of *Deep Learning with Python* in functions that chapters 4 and 5 call:

* :func:`activation_model` and :func:`activation_statistics`: every convolution's, pooling
  layer's and ReLU's output for an image, and how many of its channels are blank;
* :func:`generate_filter_patterns`: the input each filter responds to most, by gradient
  ascent (the book's 30 steps of size 10, with a whole-tensor L2-normalized gradient);
* :func:`grad_cam`: class activation heatmaps from the gradient of the logit, and
  :func:`occlusion_sensitivity`, Zeiler and Fergus' gradient-free second opinion;
* :func:`pointing_game` and :func:`cascading_randomization`: whether a heatmap points at
  the parts that define the class, and whether it depends on the trained weights at all
  (Adebayo et al., 2018).

Every function works on models built from ``keras.Input`` with the functional API, as
the course's are, and steps around augmentation by calling the model with
``training=False``, where augmentation layers pass images through untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers

FEATURE_LAYER_TYPES = (layers.Conv2D, layers.SeparableConv2D, layers.DepthwiseConv2D,
                       layers.MaxPooling2D, layers.AveragePooling2D)
XCEPTION_WEIGHTS_BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/xception"
XCEPTION_WEIGHTS_FILES = {True: "xception_weights_tf_dim_ordering_tf_kernels.h5",
                          False: "xception_weights_tf_dim_ordering_tf_kernels_notop.h5"}


def feature_layer_names(model: keras.Model) -> list[str]:
    """Names of the convolution, pooling and ReLU layers of ``model``, from input to output.

    ReLUs are included because in the mini Xception a convolution's output is not yet
    rectified: batch norm and ReLU come before the next convolution, so a ReLU's output is
    what that convolution sees (in the book's naive convnet the ReLU sits inside ``Conv2D``).
    """
    return [layer.name for layer in model.layers
            if isinstance(layer, FEATURE_LAYER_TYPES) or _is_relu(layer)]


def _is_relu(layer: keras.layers.Layer) -> bool:
    return isinstance(layer, layers.ReLU) or (
        isinstance(layer, layers.Activation) and layer.get_config().get("activation") == "relu")


def _input(model: keras.Model):
    """The model's input tensor (a list only for a model of several inputs)."""
    return model.inputs[0] if len(model.inputs) == 1 else model.inputs


def activation_model(model: keras.Model, layer_names: Sequence[str] | None = None) -> keras.Model:
    """A model from ``model``'s input to the outputs of ``layer_names`` (default:
    :func:`feature_layer_names`), returned as a dict keyed by layer name."""
    names = feature_layer_names(model) if layer_names is None else list(layer_names)
    outputs = {name: model.get_layer(name).output for name in names}
    return keras.Model(_input(model), outputs, name=f"{model.name}_activations")


def activations(extractor: keras.Model, images: np.ndarray) -> dict[str, np.ndarray]:
    """The outputs of :func:`activation_model` for a batch of images, as float32 arrays."""
    outputs = extractor(np.asarray(images, dtype="float32"), training=False)
    return {name: np.asarray(value, dtype="float32") for name, value in outputs.items()}


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


def summarize_depth(statistics: dict[str, list[LayerStatistics]]) -> list[str]:
    """One line per image: blank channels and positive values at the first and last layer."""
    lines = []
    for image_name, rows in statistics.items():
        first, last = rows[0], rows[-1]
        lines.append(f"{image_name:>16}: blank channels {first.blank_fraction:4.0%} -> {last.blank_fraction:4.0%},"
                     f" positive values {first.positive_fraction:4.0%} -> {last.positive_fraction:4.0%}"
                     f"  ({first.name} -> {last.name})")
    return lines


def statistics_by_image(outputs: dict[str, np.ndarray], image_names: Sequence[str]) -> dict[str, list[LayerStatistics]]:
    """:func:`activation_statistics` for every image of the batch, keyed by the images' names."""
    return {name: activation_statistics(outputs, index) for index, name in enumerate(image_names)}


# Filter patterns by gradient ascent.

def _pixel_scale(pixel_range: tuple[float, float]) -> tuple[float, float]:
    low, high = pixel_range
    return (high - low) / 2, (high + low) / 2


def filter_ascent_loss(activation: tf.Tensor, filter_indices: tf.Tensor) -> tf.Tensor:
    """Per image ``i``, the mean of filter ``filter_indices[i]`` over the map without a
    2-pixel border (the book's choice, which avoids border artifacts; narrower on small maps)."""
    height, width = activation.shape[1], activation.shape[2]
    border = max(0, min(2, (min(height, width) - 1) // 2))
    inner = activation[:, border:height - border, border:width - border, :]
    chosen = tf.gather(inner, filter_indices, axis=3, batch_dims=1)
    return tf.reduce_mean(tf.cast(chosen, tf.float32), axis=(1, 2))


def normalize_per_image(gradients: tf.Tensor) -> tf.Tensor:
    """Each image's gradient divided by its L2 norm over the whole tensor (height, width and channels).

    ``keras.ops.normalize`` would normalize along the last axis only, one pixel at a time.
    """
    norms = tf.sqrt(tf.reduce_sum(tf.square(gradients), axis=(1, 2, 3), keepdims=True))
    return gradients / (norms + 1e-12)


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

    Returns :class:`FilterPatterns`: deprocessed uint8 images (count, height, width, 3) and
    how strongly each filter responded before and after the ascent.
    """
    scale, offset = _pixel_scale(pixel_range)
    height, width, channels = extractor.inputs[0].shape[1:]
    if image_size is not None or height is None:
        if image_size is None:
            raise ValueError("This extractor takes images of any size: pass image_size.")
        height = width = image_size
    indices = tf.constant(list(filter_indices), dtype=tf.int32)
    generator = tf.random.Generator.from_seed(seed)
    image = tf.Variable(generator.uniform((len(filter_indices), height, width, channels), 0.4, 0.6))

    @tf.function
    def step(image: tf.Variable) -> None:
        with tf.GradientTape() as tape:
            tape.watch(image)
            loss = filter_ascent_loss(extractor(image * scale + offset, training=False), indices)
        gradients = tf.cast(tape.gradient(loss, image), tf.float32)
        image.assign_add(step_size * normalize_per_image(gradients))

    def response() -> np.ndarray:
        return filter_ascent_loss(extractor(image * scale + offset, training=False), indices).numpy()

    start = response()
    for _ in range(iterations):
        step(image)
    return FilterPatterns(np.stack([deprocess_image(picture) for picture in image.numpy()]), start, response())


@dataclass(frozen=True)
class FilterPatterns:
    """What :func:`generate_filter_patterns` found: viewable images, one per filter, and each
    filter's mean response (:func:`filter_ascent_loss`) to the starting noise and to its pattern."""

    images: np.ndarray
    start_response: np.ndarray
    final_response: np.ndarray


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


def feature_extractor(model: keras.Model, layer_name: str) -> keras.Model:
    """A model from ``model``'s input to one layer's output (for :func:`generate_filter_patterns`)."""
    return keras.Model(_input(model), model.get_layer(layer_name).output, name=f"{layer_name}_extractor")


# Grad-CAM.

def score_tensor(model: keras.Model) -> keras.KerasTensor:
    """What Grad-CAM differentiates: the logits. When the last layer is a separate sigmoid or
    softmax ``Activation`` (the course's ``dog_probability``), its input, since the probability
    saturates; otherwise the model's output (the book's softmax score for ImageNet Xception)."""
    last = model.layers[-1]
    if isinstance(last, layers.Activation) and last.get_config().get("activation") in ("sigmoid", "softmax"):
        return last.input
    return model.outputs[0]


def grad_cam(model: keras.Model, images: np.ndarray, layer_name: str, target: int) -> np.ndarray:
    """Grad-CAM heatmaps of ``target`` for a batch of images, at ``layer_name``'s spatial size.

    ``target`` is a class index for a model with several outputs (softmax). For a
    one-unit sigmoid model, 1 is the positive class (dog) and 0 the negative (cat),
    whose score is the negated logit. The score's gradient with respect to the layer's
    output, averaged over the map, weighs each channel; their weighted sum, passed
    through a ReLU and divided by its maximum, is the heatmap. Returns a float32 array
    (count, height, width) in [0, 1]; an image whose map is all zero stays zero.
    """
    grad_model = keras.Model(_input(model), [model.get_layer(layer_name).output, score_tensor(model)])
    images = tf.convert_to_tensor(np.asarray(images, dtype="float32"))
    with tf.GradientTape() as tape:
        feature_maps, logits = grad_model(images, training=False)
        logits = tf.cast(logits, tf.float32)
        score = _class_score(logits, target)
    gradients = tape.gradient(score, feature_maps)
    return heatmaps_from_gradients(np.asarray(feature_maps, "float32"), np.asarray(gradients, "float32"))


def heatmaps_from_gradients(feature_maps: np.ndarray, gradients: np.ndarray) -> np.ndarray:
    """Grad-CAM's arithmetic, for a batch (count, height, width, channels) of a layer's
    outputs and the class score's gradients with respect to them: each channel weighted by
    its mean gradient, summed, ReLU, divided by the maximum (an all-zero map stays zero)."""
    channel_weights = gradients.mean(axis=(1, 2), keepdims=True)
    return positive_part_scaled((feature_maps * channel_weights).sum(axis=-1))


def positive_part_scaled(maps: np.ndarray) -> np.ndarray:
    """Maps (count, h, w) with negatives set to zero and each divided by its maximum, so the
    strongest evidence is 1 (an all-zero map stays zero): float32."""
    maps = np.maximum(np.asarray(maps, dtype="float32"), 0)
    peaks = maps.max(axis=(1, 2), keepdims=True)
    return np.divide(maps, peaks, out=np.zeros_like(maps), where=peaks > 0)


def grad_cam_for_labels(model: keras.Model, images: np.ndarray, labels: Sequence[int], layer_name: str) -> np.ndarray:
    """:func:`grad_cam` of each image's own class (``labels[i]`` for image ``i``)."""
    labels = np.asarray(labels)
    heatmaps = np.zeros((len(images), *model.get_layer(layer_name).output.shape[1:3]), dtype="float32")
    for target in np.unique(labels):
        chosen = labels == target
        heatmaps[chosen] = grad_cam(model, np.asarray(images)[chosen], layer_name, int(target))
    return heatmaps


def _class_score(logits: tf.Tensor, target: int) -> tf.Tensor:
    if logits.shape[-1] == 1:
        if target not in (0, 1):
            raise ValueError(f"A one-unit model has classes 0 (negative) and 1 (positive); got target={target}.")
        return logits[:, 0] if target == 1 else -logits[:, 0]
    if not 0 <= target < logits.shape[-1]:
        raise ValueError(f"target must be a class index below {logits.shape[-1]}, got {target}.")
    return logits[:, target]


def class_scores(model: keras.Model, images: np.ndarray, target: int, batch_size: int = 64) -> np.ndarray:
    """The score Grad-CAM explains (:func:`score_tensor`: the logit, negated for class 0 of a
    one-unit model), for each image, in float32."""
    scorer = keras.Model(_input(model), score_tensor(model))
    logits = np.concatenate([np.asarray(scorer(np.asarray(images[i:i + batch_size], "float32"), training=False),
                                        dtype="float32")
                             for i in range(0, len(images), batch_size)])
    return np.asarray(_class_score(tf.constant(logits), target))


def occlusion_sensitivity(model: keras.Model, image: np.ndarray, target: int, patch: int = 16,
                          stride: int = 8, fill: float = 128.0) -> np.ndarray:
    """Zeiler and Fergus' occlusion map for one image (height, width, 3), pixel values 0-255.

    A grey square of side ``patch`` slides over the image in steps of ``stride``; each cell
    of the returned map (rows, columns) is how much the class score (:func:`class_scores`)
    drops when that square is hidden. Positive: the covered region was evidence for the
    class; negative: evidence against it. Unlike Grad-CAM it needs no gradients, only
    one forward pass per position.
    """
    height, width = image.shape[:2]
    if not 0 < patch <= min(height, width) or stride < 1:
        raise ValueError(f"Need 0 < patch <= {min(height, width)} and stride >= 1, got patch={patch}, "
                         f"stride={stride}.")
    rows, columns = range(0, height - patch + 1, stride), range(0, width - patch + 1, stride)
    occluded = np.repeat(np.asarray(image, "float32")[None], len(rows) * len(columns), axis=0)
    for index, (top, left) in enumerate((r, c) for r in rows for c in columns):
        occluded[index, top:top + patch, left:left + patch] = fill
    baseline = class_scores(model, image[None], target)[0]
    return (baseline - class_scores(model, occluded, target)).reshape(len(rows), len(columns))


def upsample(heatmaps: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """Heatmaps (count, h, w) resized bilinearly to (count, size, size), or to (count, *size)."""
    shape = (size, size) if isinstance(size, int) else tuple(size)
    resized = tf.image.resize(np.asarray(heatmaps, dtype="float32")[..., None], shape, method="bilinear")
    return resized.numpy()[..., 0]


def superimpose(image: np.ndarray, heatmap: np.ndarray, alpha: float = 0.4) -> np.ndarray:
    """``heatmap`` (any size, values in [0, 1]) coloured with the jet colormap and laid over
    ``image`` (height, width, 3) at opacity ``alpha``, as the book does: a uint8 image."""
    import matplotlib

    image = np.asarray(image, dtype="float32")
    heat = upsample(heatmap[None], image.shape[:2])[0] if heatmap.shape != image.shape[:2] else heatmap
    coloured = matplotlib.colormaps["jet"](np.clip(heat, 0, 1))[..., :3] * 255
    return np.clip(coloured * alpha + image * (1 - alpha), 0, 255).astype("uint8")


# Does a heatmap mean anything?

@dataclass(frozen=True)
class PointingScore:
    """How well heatmaps point at their images' part masks."""

    hits: float
    mass_inside: float
    area: float

    def __str__(self) -> str:
        return (f"pointing game {self.hits:.0%}, heatmap mass inside {self.mass_inside:.0%} "
                f"(the part covers {self.area:.0%} of the image)")


def pointing_game(heatmaps: np.ndarray, masks: np.ndarray) -> PointingScore:
    """Score heatmaps against boolean masks of the same images.

    ``hits``: share of images whose heatmap maximum (upsampled to the mask's size) falls
    inside the mask. ``mass_inside``: share of the heatmap's total inside the mask, averaged
    over images. ``area``: the masks' average share of the image, which is what a heatmap
    spread evenly would score on ``mass_inside``. Images whose heatmap is all zero count
    as misses and contribute no mass.
    """
    masks = np.asarray(masks, dtype=bool)
    if masks.ndim != 3 or len(masks) != len(heatmaps):
        raise ValueError(f"Need one mask (height, width) per heatmap: {len(heatmaps)} heatmaps, masks {masks.shape}.")
    upsampled = upsample(heatmaps, masks.shape[1:]) if heatmaps.shape[1:] != masks.shape[1:] else heatmaps
    hits, mass = [], []
    for heat, mask in zip(upsampled, masks):
        total = float(heat.sum())
        if total <= 0:
            hits.append(False)
            mass.append(0.0)
            continue
        hits.append(bool(mask.flat[int(np.argmax(heat))]))
        mass.append(float(heat[mask].sum()) / total)
    return PointingScore(float(np.mean(hits)), float(np.mean(mass)), float(masks.mean()))


def pointing_scores(
    models: dict[str, keras.Model], images: np.ndarray, labels: Sequence[int], masks: np.ndarray,
    layer_names: Sequence[str],
) -> dict[tuple[str, str], PointingScore]:
    """:func:`pointing_game` of each model's Grad-CAM (of each image's class) at each layer,
    keyed by (model name, layer name)."""
    return {(name, layer): pointing_game(grad_cam_for_labels(model, images, labels, layer), masks)
            for name, model in models.items() for layer in layer_names}


def reinitialized_copy(model: keras.Model, seed: int = 1) -> keras.Model:
    """A copy of ``model``'s architecture with fresh weights from its own initializers.

    ``seed`` must differ from the one training started from: the same seed redraws the
    trained model's own starting point, and a layer that moved little in training (the
    mini Xception's last Dense layer, in tiny mode) would then look hardly randomized.
    Like :func:`lib.config.set_seed`, this seeds Python, NumPy and Keras for the whole process.
    """
    keras.utils.set_random_seed(seed)
    return keras.models.clone_model(model)


def weighted_layer_names(model: keras.Model) -> list[str]:
    """Layers that hold weights, from the output back to the input: the order of cascading randomization."""
    return [layer.name for layer in reversed(model.layers) if layer.weights]


def cascading_randomization(
    model: keras.Model, images: np.ndarray, labels: Sequence[int], layer_name: str, steps: Sequence[int],
    seed: int = 1,
) -> tuple[np.ndarray, list[str]]:
    """Grad-CAM maps of each image's class as more and more layers, from the top, get fresh
    random weights (the cascading randomization of Adebayo et al., 2018).

    For each ``k`` in ``steps``, the top ``k`` layers of :func:`weighted_layer_names` take
    the weights of :func:`reinitialized_copy` and the rest keep the trained ones. Returns
    the maps, (len(steps), count, height, width), and for each ``k`` the name of the deepest
    randomized layer.
    """
    order = weighted_layer_names(model)
    fresh = reinitialized_copy(model, seed)
    randomized = keras.models.clone_model(model)
    randomized.set_weights(model.get_weights())
    maps, reached, done = [], [], 0
    for k in sorted(steps):
        if not 0 <= k <= len(order):
            raise ValueError(f"steps must lie in 0..{len(order)} (the layers with weights), got {k}.")
        for name in order[done:k]:
            randomized.get_layer(name).set_weights(fresh.get_layer(name).get_weights())
        done = k
        maps.append(grad_cam_for_labels(randomized, images, labels, layer_name))
        reached.append(order[k - 1] if k else "(none)")
    return np.stack(maps), reached


def rank_correlations(maps: np.ndarray) -> np.ndarray:
    """For maps (steps, count, h, w) from :func:`cascading_randomization`, each image's
    :func:`rank_correlation` with its first step's map: (count, steps)."""
    return np.array([[rank_correlation(maps[0][i], step[i]) for step in maps] for i in range(maps.shape[1])])


def rank_correlation(first: np.ndarray, second: np.ndarray) -> float:
    """Spearman's rank correlation of two heatmaps of the same shape (0 when either is constant)."""
    from scipy.stats import spearmanr

    a, b = np.ravel(first), np.ravel(second)
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return float(spearmanr(a, b).statistic)


# The book's ImageNet Xception, when its weights can be had.

def load_imagenet_xception(include_top: bool = True, base_url: str = XCEPTION_WEIGHTS_BASE_URL,
                           cache_dir: str | Path | None = None, timeout: float = 10.0) -> keras.Model | None:
    """Keras' Xception with ImageNet weights, as the book uses it, or None with the reason
    printed when the weights are neither in Keras' cache nor downloadable (no internet).

    ``include_top=False`` is the convolutional base (any image size) for filter patterns;
    ``True`` the whole classifier (299x299 inputs) for Grad-CAM.
    """
    import socket

    name = XCEPTION_WEIGHTS_FILES[include_top]
    if cache_dir is not None:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)  # else Keras silently falls back to /tmp/.keras
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        weights = keras.utils.get_file(name, origin=f"{base_url}/{name}", cache_dir=cache_dir,
                                       cache_subdir="models")
    except Exception as error:  # any failed download: no network, a proxy's refusal, a cut-off file
        reason = str(error).rsplit(" -- ", 1)[-1][:100]  # get_file's message ends with the cause
        print(f"Skipped: the ImageNet Xception weights could not be downloaded ({reason}). "
              "With internet access, this cell runs the book's example.")
        return None
    finally:
        socket.setdefaulttimeout(previous)
    return keras.applications.Xception(weights=weights, include_top=include_top)


def imagenet_grad_cam(xception: keras.Model, photo: np.ndarray,
                      layer_name: str = "block14_sepconv2_act") -> tuple[np.ndarray, np.ndarray]:
    """The book's Grad-CAM example: ``photo`` (any size, RGB 0-255) resized to 299x299 and
    preprocessed for Xception; returns its class probabilities (1, 1000) and the heatmap of
    the top class at ``layer_name`` (the last convolutional activation)."""
    from lib.data import resize_like_pipeline

    inputs = keras.applications.xception.preprocess_input(
        resize_like_pipeline(photo, 299)[None].astype("float32"))
    probabilities = np.asarray(xception.predict(inputs, verbose=0))
    return probabilities, grad_cam(xception, inputs, layer_name, int(probabilities[0].argmax()))[0]
