"""Where the evidence is (chapter 5): Grad-CAM heatmaps and occlusion sensitivity.

* :func:`grad_cam`: the gradient of a class score with respect to a block's output
  (:func:`layer_gradients`), averaged over the map, weighs that block's channels (Selvaraju
  et al., 2017). Chapter 5 writes both in its cells; these are the copies the tests and chapter 6 use,
  compared with the cells by ``tests/test_chapter_code.py``, and the functions here that apply
  Grad-CAM take the chapter's as ``explain``;
* :func:`occlusion_sensitivity`: how much the class score drops when a square hides each
  part of the image (Zeiler and Fergus, 2014), with no gradients at all (:func:`occlusion_maps`
  for several images at once);
* :func:`upsample` and :func:`superimpose`: heatmaps at the image's size, and laid over it.

The class score is the logit (:func:`score_tensor`), never the probability: a sigmoid or a
softmax saturates, and an image the model is sure of would give no gradient. With one logit
for "dog", the score of "cat" is the negated logit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras
import numpy as np
from keras import layers, ops

from lib import backend
from lib.interpret.activations import model_input


def score_tensor(model: keras.Model) -> keras.KerasTensor:
    """What Grad-CAM differentiates: the logits. When the last layer is a separate sigmoid or
    softmax ``Activation`` (the course's ``dog_probability``), its input; otherwise the model's
    output, which must then be logits (build Keras' Xception with ``classifier_activation=None``)."""
    last = model.layers[-1]
    if isinstance(last, layers.Activation) and last.get_config().get("activation") in ("sigmoid", "softmax"):
        return last.input
    return model.outputs[0]


def class_score(logits, target: int):
    """The score of class ``target`` for each row of ``logits``. A one-unit model has classes 0
    (negative, scored by the negated logit) and 1 (positive, the logit itself)."""
    if logits.shape[-1] == 1:
        if target not in (0, 1):
            raise ValueError(f"A one-unit model has classes 0 (negative) and 1 (positive); got target={target}.")
        return logits[:, 0] if target == 1 else -logits[:, 0]
    if not 0 <= target < logits.shape[-1]:
        raise ValueError(f"target must be a class index below {logits.shape[-1]}, got {target}.")
    return logits[:, target]


def head_model(model: keras.Model, layer_name: str) -> keras.Model:
    """The part of ``model`` from ``layer_name``'s output to the logits, as a model of its own.

    It exists only when everything after that layer depends on it alone: a block's output
    (``blockN_add``), not a layer inside a block, which a residual shortcut steps around.
    """
    try:
        return keras.Model(model.get_layer(layer_name).output, score_tensor(model), name=f"{layer_name}_head")
    except ValueError as error:
        raise ValueError(
            f"Grad-CAM needs a layer that everything after it depends on, and a shortcut bypasses "
            f"{layer_name!r}. Explain a block's output instead (lib.models.block_outputs(model))."
        ) from error


def layer_gradients(model: keras.Model, images: np.ndarray, layer_name: str,
                    target: int) -> tuple[np.ndarray, np.ndarray]:
    """Grad-CAM's first two steps, for a batch of images: ``layer_name``'s outputs (the
    feature maps) and the gradient of the class score (:func:`class_score` of the logits)
    with respect to them, both (count, height, width, channels) float32 arrays.

    ``target`` is a class index for a model with several outputs (softmax). For a one-unit
    sigmoid model, 1 is the positive class (dog) and 0 the negative (cat), whose score is the
    negated logit.
    """
    features = keras.Model(model_input(model), model.get_layer(layer_name).output)
    head = head_model(model, layer_name)  # from the layer's output to the logit
    feature_maps = features(np.asarray(images, dtype="float32"), training=False)
    _, gradients = backend.input_gradients(
        lambda maps: class_score(head(maps, training=False), target), feature_maps)
    return backend.to_numpy(feature_maps), gradients


def grad_cam(model: keras.Model, images: np.ndarray, layer_name: str, target: int) -> np.ndarray:
    """Grad-CAM heatmaps of ``target`` for a batch of images, at ``layer_name``'s spatial size:
    each channel of the layer's output weighted by its gradient averaged over the map, summed,
    passed through a ReLU and divided by its maximum. A float32 array (count, height, width)
    in [0, 1]; an image whose map is all zero stays zero."""
    feature_maps, gradients = layer_gradients(model, images, layer_name, target)
    channel_weights = gradients.mean(axis=(1, 2), keepdims=True)  # one per channel
    weighted = (feature_maps * channel_weights).sum(axis=-1)
    heatmaps = np.maximum(weighted, 0)  # the ReLU
    peaks = heatmaps.max(axis=(1, 2), keepdims=True)
    return np.divide(heatmaps, peaks, out=np.zeros_like(heatmaps), where=peaks > 0)


def positive_part_scaled(maps: np.ndarray) -> np.ndarray:
    """Maps (count, h, w) with negatives set to zero and each divided by its maximum, so the
    strongest evidence is 1 (an all-zero map stays zero): float32."""
    maps = np.maximum(np.asarray(maps, dtype="float32"), 0)
    peaks = maps.max(axis=(1, 2), keepdims=True)
    return np.divide(maps, peaks, out=np.zeros_like(maps), where=peaks > 0)


Explainer = Callable[[keras.Model, np.ndarray, str, int], np.ndarray]
"""A function with :func:`grad_cam`'s arguments and result: the chapter hands in its own."""


def grad_cam_for_labels(model: keras.Model, images: np.ndarray, labels: Sequence[int], layer_name: str, *,
                        explain: Explainer) -> np.ndarray:
    """``explain`` (:func:`grad_cam` or a chapter's own) of each image's own class (``labels[i]``
    for image ``i``)."""
    labels = np.asarray(labels)
    heatmaps = np.zeros((len(images), *model.get_layer(layer_name).output.shape[1:3]), dtype="float32")
    for target in np.unique(labels):
        chosen = labels == target
        heatmaps[chosen] = explain(model, np.asarray(images)[chosen], layer_name, int(target))
    return heatmaps


def class_scores(model: keras.Model, images: np.ndarray, target: int | Sequence[int],
                 batch_size: int = 64) -> np.ndarray:
    """The score Grad-CAM explains (:func:`score_tensor`: the logit, negated for class 0 of a
    one-unit model), for each image, in float32: of class ``target``, or of ``target[i]`` for image ``i``.

    Through ``predict``, which compiles the model once for the batch size (on JAX, calling it
    op by op took several times longer for the occlusion maps of a few images)."""
    scorer = keras.Model(model_input(model), score_tensor(model))
    logits = scorer.predict(np.asarray(images, "float32"), batch_size=batch_size, verbose=0)
    targets = np.broadcast_to(target, len(logits))
    scores = np.zeros(len(logits), dtype="float32")
    for chosen in np.unique(targets):
        rows = targets == chosen
        scores[rows] = class_score(logits[rows], int(chosen))
    return scores


def occlusion_sensitivity(model: keras.Model, image: np.ndarray, target: int, patch: int = 16,
                          stride: int = 8, fill: float = 128.0) -> np.ndarray:
    """Zeiler and Fergus' occlusion map for one image (height, width, 3), pixel values 0-255.

    A grey square of side ``patch`` slides over the image in steps of ``stride``; each cell
    of the returned map (rows, columns) is how much the class score (:func:`class_scores`)
    drops when that square is hidden. Positive: the covered region was evidence for the
    class; negative: evidence against it. Unlike Grad-CAM it needs no gradients, only
    one forward pass per position.
    """
    return occlusion_maps(model, np.asarray(image)[None], [target], patch, stride, fill)[0]


def occlusion_maps(model: keras.Model, images: np.ndarray, targets: Sequence[int], patch: int = 16,
                   stride: int = 8, fill: float = 128.0) -> np.ndarray:
    """:func:`occlusion_sensitivity` of each image (count, height, width, 3) for its own class
    ``targets[i]``, with every occluded copy of every image scored in one :func:`class_scores`."""
    images = np.asarray(images, "float32")
    height, width = images.shape[1:3]
    if not 0 < patch <= min(height, width) or stride < 1:
        raise ValueError(f"Need 0 < patch <= {min(height, width)} and stride >= 1, got patch={patch}, "
                         f"stride={stride}.")
    rows, columns = range(0, height - patch + 1, stride), range(0, width - patch + 1, stride)
    positions = [(top, left) for top in rows for left in columns]
    occluded = np.repeat(images, len(positions), axis=0)  # each image's copies together
    for index, (top, left) in enumerate(positions):
        occluded[index::len(positions), top:top + patch, left:left + patch] = fill
    targets = np.asarray(targets)
    baseline = class_scores(model, images, targets)
    scores = class_scores(model, occluded, np.repeat(targets, len(positions)))
    return (baseline[:, None] - scores.reshape(len(images), -1)).reshape(len(images), len(rows), len(columns))


def upsample(heatmaps: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """Heatmaps (count, h, w) resized bilinearly to (count, size, size), or to (count, *size)."""
    shape = (size, size) if isinstance(size, int) else tuple(size)
    resized = ops.image.resize(np.asarray(heatmaps, dtype="float32")[..., None], shape, interpolation="bilinear")
    return backend.to_numpy(resized)[..., 0]


def superimpose(image: np.ndarray, heatmap: np.ndarray, alpha: float = 0.75) -> np.ndarray:
    """``heatmap`` (any size, values in [0, 1]) coloured and laid over ``image`` (height, width, 3):
    a uint8 image. The book lays jet over the whole image at opacity 0.4; here the colour is viridis,
    a steady climb from dark to bright for every kind of colour vision, and its opacity grows with
    the heat up to ``alpha``, so the photograph shows unchanged where the map is 0."""
    import matplotlib

    image = np.asarray(image, dtype="float32")
    heat = upsample(heatmap[None], image.shape[:2])[0] if heatmap.shape != image.shape[:2] else heatmap
    heat = np.clip(heat, 0, 1)
    coloured = matplotlib.colormaps["viridis"](heat)[..., :3] * 255
    weight = alpha * heat[..., None]
    return np.clip(coloured * weight + image * (1 - weight), 0, 255).astype("uint8")
