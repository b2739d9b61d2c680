"""Edit the evidence and watch the decision (chapter 6).

A heatmap claims that the model's decision rests on some pixels. Two ways to test the claim by
changing the input and measuring P(dog) again:

* :func:`edited_toy_pets`: redraw test images with one part swapped (a cat with a dog's ears,
  a cat without whiskers) and nothing else changed, since the toy pets know their scenes;
* :func:`deletion_test`: grey out the pixels a heatmap ranks highest, and, as a control, as many
  pixels elsewhere (Samek et al., 2017, in miniature).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, replace

import keras
import numpy as np
from PIL import Image

from lib import backend, toy_pets
from lib.images import decode, resize_like_pipeline
from lib.interpret.gradcam import upsample


def edited_toy_pets(label: str, indices: Sequence[int], seed: int, difficulty: str | toy_pets.Difficulty,
                    image_size: int, parts: toy_pets.Parts | None = None, cue: str | None = None,
                    drawn_size: int = 128) -> np.ndarray:
    """Toy pets ``label``.``i`` for ``i`` in ``indices``, drawn as :func:`lib.toy_pets.make_toy_pets`
    draws the dataset (same seed and difficulty: the same scenes), with ``parts`` instead of the
    class's own and a ``cue`` when given, saved as JPEG and resized exactly as the input pipeline
    does: (count, image_size, image_size, 3) uint8, ready for the model."""
    images = []
    for index in indices:
        picture, _ = toy_pets.draw_pet(label, index, seed, difficulty, drawn_size, parts=parts, cue=cue)
        encoded = io.BytesIO()
        picture.save(encoded, format="JPEG", quality=toy_pets.JPEG_QUALITY)
        images.append(resize_like_pipeline(decode(encoded.getvalue()), image_size))
    return np.stack(images)


# Chapter 6's edits: each swaps or removes one part of a test animal and keeps everything else.
EDITS = {
    ("cat", "floppy ears"): replace(toy_pets.CLASS_PARTS["cat"], ears="floppy"),
    ("cat", "snout and round nose"): replace(toy_pets.CLASS_PARTS["cat"], muzzle="snout", nose="round"),
    ("cat", "no whiskers"): replace(toy_pets.CLASS_PARTS["cat"], muzzle="none"),
    ("dog", "pointed ears"): replace(toy_pets.CLASS_PARTS["dog"], ears="pointed"),
    ("dog", "whiskers and triangle nose"): replace(toy_pets.CLASS_PARTS["dog"], muzzle="whiskers", nose="triangle"),
    ("dog", "no snout"): replace(toy_pets.CLASS_PARTS["dog"], muzzle="none"),
}


def probability_shifts(model: keras.Model, edits: dict[tuple[str, str], toy_pets.Parts], indices: Sequence[int],
                       difficulty: str | toy_pets.Difficulty, image_size: int,
                       seed: int = 0) -> dict[tuple[str, str], tuple[float, float]]:
    """For each (class, edit name) of ``edits``: the mean P(dog) of test animals ``indices`` of that
    class as drawn, and with the edit's parts (:func:`edited_toy_pets`)."""
    shifts = {}
    for (label, name), parts in edits.items():
        before = edited_toy_pets(label, indices, seed, difficulty, image_size)
        after = edited_toy_pets(label, indices, seed, difficulty, image_size, parts=parts)
        shifts[label, name] = (float(dog_probability(model, before).mean()),
                               float(dog_probability(model, after).mean()))
    return shifts


def cat_and_dog_pairs(count: int, difficulty: str | toy_pets.Difficulty, image_size: int,
                      seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``count`` images of a toy cat beside a toy dog (:func:`lib.toy_pets.draw_pair`), as the
    pipeline feeds them to the model, and their head masks (count, 2, size, size): cat, then dog."""
    images, masks = [], []
    for index in range(count):
        picture, heads = toy_pets.draw_pair(index, seed, difficulty)
        encoded = io.BytesIO()
        picture.save(encoded, format="JPEG", quality=toy_pets.JPEG_QUALITY)
        images.append(resize_like_pipeline(decode(encoded.getvalue()), image_size))
        masks.append([np.asarray(Image.fromarray(head).resize((image_size, image_size), Image.NEAREST))
                      for head in heads])
    return np.stack(images), np.asarray(masks, dtype=bool)


def dog_probability(model: keras.Model, images: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """P(dog) for each image, in float32."""
    return np.concatenate([backend.to_numpy(model(np.asarray(images[i:i + batch_size], "float32"),
                                                  training=False)).reshape(-1)
                           for i in range(0, len(images), batch_size)])


@dataclass(frozen=True)
class Deletion:
    """P(own class) of each image before any change, with the heatmap's top pixels greyed out, and
    with as many pixels greyed out elsewhere (chosen at random outside the top ones)."""

    original: np.ndarray
    top_removed: np.ndarray
    elsewhere_removed: np.ndarray

    @property
    def drop_at_top(self) -> float:
        return float(np.mean(self.original - self.top_removed))

    @property
    def drop_elsewhere(self) -> float:
        return float(np.mean(self.original - self.elsewhere_removed))

    @property
    def gap(self) -> float:
        """How much more the top pixels cost than as many elsewhere: the map's claim to point at evidence."""
        return self.drop_at_top - self.drop_elsewhere


def compare_drops(deletion: Deletion, margin: float = 0.05) -> str:
    """The deletion test's verdict in words: whether greying out the heatmap's top pixels hurt
    more than greying out as many elsewhere, by at least ``margin`` of mean P(own class)."""
    if deletion.drop_at_top >= deletion.drop_elsewhere + margin:
        return "more than the same number of pixels elsewhere"
    if deletion.drop_elsewhere >= deletion.drop_at_top + margin:
        return "less than the same number of pixels elsewhere"
    return f"about as much as the same number of pixels elsewhere (within {margin:.2f})"


def deletion_test(model: keras.Model, images: np.ndarray, labels: Sequence[int], heatmaps: np.ndarray,
                  fraction: float = 0.1, fill: float = 128.0, seed: int = 0) -> Deletion:
    """Grey out the ``fraction`` of each image's pixels that its heatmap ranks highest, and, for
    the control, as many pixels chosen at random among the others; P(own class) of all three."""
    images = np.asarray(images, dtype="float32")
    labels = np.asarray(labels)
    heat = upsample(heatmaps, images.shape[1:3]).reshape(len(images), -1)
    count = max(1, int(round(fraction * heat.shape[1])))
    rng = np.random.default_rng(seed)
    top, elsewhere = images.copy(), images.copy()
    for index, ranking in enumerate(np.argsort(-heat, axis=1)):
        chosen, rest = ranking[:count], ranking[count:]
        top[index].reshape(-1, 3)[chosen] = fill
        elsewhere[index].reshape(-1, 3)[rng.choice(rest, count, replace=False)] = fill

    def own_class(batch: np.ndarray) -> np.ndarray:
        p_dog = dog_probability(model, batch)
        return np.where(labels == 1, p_dog, 1 - p_dog)

    return Deletion(own_class(images), own_class(top), own_class(elsewhere))
