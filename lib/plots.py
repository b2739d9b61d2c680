"""Figures the chapters share."""

from __future__ import annotations

import math

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from PIL import Image

from lib.data import CLASS_NAMES
from lib.toy_pets import PART_LABELS

PART_COLOURS = {"background": (0, 0, 0), "face": (90, 90, 200), "ears": (230, 160, 40), "muzzle": (240, 240, 240)}


def load_image(path: str | Path) -> Image.Image:
    """An image file as RGB."""
    return Image.open(path).convert("RGB")


def colour_parts(mask: np.ndarray) -> np.ndarray:
    """A part mask (values of ``PART_LABELS``) as an RGB picture, one colour per part."""
    picture = np.zeros((*mask.shape, 3), dtype=np.uint8)
    for part, value in PART_LABELS.items():
        picture[mask == value] = PART_COLOURS[part]
    return picture


def show_images(images: np.ndarray, titles: list[str], columns: int = 8, size: float = 1.6,
                suptitle: str | None = None) -> plt.Figure:
    """A grid of images (uint8 or float in [0, 255]) with one title each."""
    rows = math.ceil(len(images) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(columns * size, rows * size * 1.1), squeeze=False)
    for axis in axes.flat:
        axis.axis("off")
    for axis, image, title in zip(axes.flat, images, titles):
        axis.imshow(np.asarray(image).astype("uint8"))
        axis.set_title(title, fontsize=9)
    if suptitle:
        figure.suptitle(suptitle)
    figure.tight_layout()
    return figure


def show_batch(dataset, count: int = 16, columns: int = 8, suptitle: str | None = None) -> plt.Figure:
    """The first ``count`` images of a labelled, batched dataset, titled with their class names."""
    images, labels = [], []
    for batch_images, batch_labels in dataset:
        images.extend(batch_images.numpy())
        labels.extend(int(label) for label in batch_labels.numpy().reshape(-1))
        if len(images) >= count:
            break
    return show_images(np.stack(images[:count]), [CLASS_NAMES[label] for label in labels[:count]],
                       columns=columns, suptitle=suptitle)
