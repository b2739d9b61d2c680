"""A generated stand-in for Kaggle's dogs-vs-cats ``train/`` folder.

Cats have pointed ears and whiskers; dogs have floppy ears and a snout. Everything
else (fur colour, size, position, rotation, background clutter, decoy shapes,
occluders, noise) is drawn from the same distribution for both classes, so the
only way to tell them apart is to find the head and look at its parts.

Each image comes with a part mask (see :data:`PART_LABELS`) so that chapter 5
can measure whether an explanation points at the parts that define the class.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from lib.config import display_path
from lib.files import build_directories

PART_LABELS = {"background": 0, "face": 1, "ears": 2, "muzzle": 3}
CLASSES = ("cat", "dog")
SUPERSAMPLING = 2


@dataclass(frozen=True)
class Difficulty:
    """How hard the toy task is; every knob applies to both classes alike."""

    clutter_shapes: int
    decoy_probability: float
    occlusion_probability: float
    head_scale: tuple[float, float]
    max_rotation_degrees: float
    noise_std: float


DIFFICULTIES = {
    "easy": Difficulty(4, 0.2, 0.0, (0.22, 0.30), 10.0, 4.0),
    "medium": Difficulty(10, 0.6, 0.3, (0.14, 0.28), 30.0, 8.0),
    "hard": Difficulty(18, 0.9, 0.5, (0.10, 0.24), 45.0, 14.0),
}


def mask_directory_for(directory: Path) -> Path:
    """Where :func:`make_toy_pets` writes the part masks of ``directory``'s images."""
    directory = Path(directory)
    return directory.parent / f"{directory.name}_masks"


def make_toy_pets(
    directory: str | Path,
    n_per_class: int,
    seed: int = 0,
    difficulty: str | Difficulty = "medium",
    image_size: int = 128,
) -> Path:
    """Write ``cat.{i}.jpg`` and ``dog.{i}.jpg`` (i < n_per_class) into ``directory``.

    The layout is exactly Kaggle's ``train/``. Part masks go to
    :func:`mask_directory_for` ``(directory)`` as ``cat.{i}.png``. The same arguments
    always give byte-identical files; re-running with the same arguments reuses
    what is there, and a folder the course did not make is never touched.
    """
    if n_per_class < 1:
        raise ValueError(f"n_per_class must be at least 1, got {n_per_class}.")
    level = DIFFICULTIES[difficulty] if isinstance(difficulty, str) else difficulty
    directory = Path(directory)
    spec = {"generator": "toy_pets/1", "n_per_class": n_per_class, "seed": seed,
            "difficulty": asdict(level), "image_size": image_size}
    names = [f"{label}.{i}" for label in CLASSES for i in range(n_per_class)]

    def render_all(stages: list[Path]) -> list[list[str]]:
        from tqdm import tqdm

        images_dir, masks_dir = stages
        for name in tqdm(names, desc=f"Drawing toy pets into {display_path(directory)}", unit="img"):
            label, index = name.split(".")
            image, mask = draw_pet(label, int(index), seed, level, image_size)
            image.save(images_dir / f"{name}.jpg", quality=90)
            mask.save(masks_dir / f"{name}.png")
        return [[f"{n}.jpg" for n in names], [f"{n}.png" for n in names]]

    build_directories([directory, mask_directory_for(directory)], spec, render_all)
    return directory


def load_part_mask(mask_dir: str | Path, image_name: str) -> np.ndarray:
    """The part mask (values from :data:`PART_LABELS`) of the image named ``image_name``."""
    stem = Path(image_name).name.rsplit(".", 1)[0]
    path = Path(mask_dir) / f"{stem}.png"
    if not path.is_file():
        raise FileNotFoundError(
            f"No part mask {path}. Part masks exist only for generated toy pets; "
            "run lib.data.prepare_data() in tiny mode to create them."
        )
    return np.asarray(Image.open(path))


def draw_pet(
    label: str, index: int, seed: int, level: Difficulty, image_size: int = 128
) -> tuple[Image.Image, Image.Image]:
    """One toy image and its part mask, determined by (label, index, seed, level)."""
    if label not in CLASSES:
        raise ValueError(f"label must be one of {CLASSES}, got {label!r}.")
    rng = np.random.default_rng([seed, CLASSES.index(label), index])
    canvas = image_size * SUPERSAMPLING
    image = _background(rng, canvas, level)
    head_layer = Image.new("RGBA", (canvas, canvas), (0, 0, 0, 0))
    mask = Image.new("L", (canvas, canvas), 0)
    radius = rng.uniform(*level.head_scale) * canvas
    margin = radius * 1.6
    centre = (rng.uniform(margin, canvas - margin), rng.uniform(margin, canvas - margin))
    _draw_head(ImageDraw.Draw(head_layer), ImageDraw.Draw(mask), label, centre, radius, rng)
    angle = rng.uniform(-level.max_rotation_degrees, level.max_rotation_degrees)
    head_layer = head_layer.rotate(angle, resample=Image.BICUBIC, center=centre)
    mask = mask.rotate(angle, resample=Image.NEAREST, center=centre)
    image.alpha_composite(head_layer)
    if rng.random() < level.occlusion_probability:
        _occlude(image, mask, centre, radius, rng)
    image = image.convert("RGB").resize((image_size, image_size), Image.LANCZOS)
    mask = mask.resize((image_size, image_size), Image.NEAREST)
    noisy = np.asarray(image, dtype=np.float32) + rng.normal(0, level.noise_std, (image_size, image_size, 3))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)), mask


def _colour(rng: np.random.Generator, low: int = 0, high: int = 256) -> tuple[int, int, int]:
    return tuple(int(c) for c in rng.integers(low, high, 3))


def _ellipse(cx: float, cy: float, rx: float, ry: float, angle: float = 0.0, n: int = 40) -> list[tuple[float, float]]:
    """Points of an ellipse rotated by ``angle`` radians, as a polygon."""
    cos, sin = math.cos(angle), math.sin(angle)
    return [
        (cx + rx * math.cos(t) * cos - ry * math.sin(t) * sin, cy + rx * math.cos(t) * sin + ry * math.sin(t) * cos)
        for t in np.linspace(0, 2 * math.pi, n, endpoint=False)
    ]


def _background(rng: np.random.Generator, canvas: int, level: Difficulty) -> Image.Image:
    top, bottom = np.array(_colour(rng)), np.array(_colour(rng))
    ramp = np.linspace(0, 1, canvas)[:, None, None]
    gradient = (top * (1 - ramp) + bottom * ramp) * np.ones((1, canvas, 1))
    image = Image.fromarray(gradient.astype(np.uint8)).convert("RGBA")
    draw = ImageDraw.Draw(image)
    for _ in range(level.clutter_shapes):
        x, y = rng.uniform(0, canvas, 2)
        size = rng.uniform(0.04, 0.2) * canvas
        kind = rng.integers(3)
        if kind == 0:
            draw.polygon(_ellipse(x, y, size, size * rng.uniform(0.3, 1), rng.uniform(0, math.pi)), fill=_colour(rng))
        elif kind == 1:
            draw.rectangle([x, y, x + size, y + size * rng.uniform(0.3, 1.5)], fill=_colour(rng))
        else:
            draw.line([x, y, *rng.uniform(0, canvas, 2)], fill=_colour(rng), width=int(rng.integers(2, 8)))
    if rng.random() < level.decoy_probability:
        _draw_decoys(draw, rng, canvas)
    return image


def _draw_decoys(draw: ImageDraw.ImageDraw, rng: np.random.Generator, canvas: int) -> None:
    """Loose ear shapes of both kinds, so an ear alone does not give the class away."""
    for _ in range(int(rng.integers(1, 4))):
        x, y = rng.uniform(0.1, 0.9, 2) * canvas
        size = rng.uniform(0.05, 0.1) * canvas
        if rng.random() < 0.5:
            draw.polygon([(x - size, y + size), (x + size, y + size), (x + rng.uniform(-0.5, 0.5) * size, y - size * 1.3)],
                         fill=_colour(rng))
        else:
            draw.polygon(_ellipse(x, y, size * 0.5, size * 1.2, rng.uniform(-0.4, 0.4)), fill=_colour(rng))


def _draw_head(draw: ImageDraw.ImageDraw, mask: ImageDraw.ImageDraw, label: str,
               centre: tuple[float, float], r: float, rng: np.random.Generator) -> None:
    cx, cy = centre
    fur, ear_colour = _colour(rng, 40, 240), _colour(rng, 20, 220)
    face = _ellipse(cx, cy, r, r * rng.uniform(0.82, 1.0))
    if label == "dog":
        # Floppy ears hang beside the head, drawn first so the face overlaps their roots.
        for side in (-1, 1):
            ear = _ellipse(cx + side * r * 0.95, cy + r * 0.15, r * 0.32, r * rng.uniform(0.75, 0.95), side * -0.25)
            draw.polygon(ear, fill=ear_colour)
            mask.polygon(ear, fill=PART_LABELS["ears"])
    else:
        for side in (-1, 1):
            tip = (cx + side * r * rng.uniform(0.55, 0.8), cy - r * rng.uniform(1.35, 1.6))
            ear = [(cx + side * r * 0.92, cy - r * 0.25), (cx + side * r * 0.15, cy - r * 0.9), tip]
            draw.polygon(ear, fill=ear_colour)
            inner = [(cx + side * r * 0.75, cy - r * 0.45), (cx + side * r * 0.3, cy - r * 0.85),
                     ((tip[0] + cx + side * r * 0.5) / 2, (tip[1] + cy - r * 0.6) / 2)]
            draw.polygon(inner, fill=(235, 160, 170))
            mask.polygon(ear, fill=PART_LABELS["ears"])
    draw.polygon(face, fill=fur)
    mask.polygon(face, fill=PART_LABELS["face"])
    for side in (-1, 1):
        eye = _ellipse(cx + side * r * 0.38, cy - r * 0.15, r * 0.13, r * 0.13)
        draw.polygon(eye, fill=(250, 250, 240))
        draw.polygon(_ellipse(cx + side * r * 0.38, cy - r * 0.15, r * 0.06, r * 0.1), fill=(15, 15, 15))
    if label == "dog":
        snout = _ellipse(cx, cy + r * 0.42, r * 0.45, r * 0.33)
        draw.polygon(snout, fill=tuple(min(255, c + 60) for c in fur))
        draw.polygon(_ellipse(cx, cy + r * 0.28, r * 0.2, r * 0.13), fill=(20, 20, 20))
        draw.line([cx, cy + r * 0.4, cx, cy + r * 0.62], fill=(20, 20, 20), width=max(1, int(r * 0.05)))
        mask.polygon(snout, fill=PART_LABELS["muzzle"])
    else:
        draw.polygon([(cx - r * 0.1, cy + r * 0.15), (cx + r * 0.1, cy + r * 0.15), (cx, cy + r * 0.28)],
                     fill=(235, 140, 150))
        whisker_colour = _colour(rng, 200, 256) if sum(fur) < 380 else _colour(rng, 0, 60)
        for side in (-1, 1):
            for k in (-1, 0, 1):
                start = (cx + side * r * 0.18, cy + r * 0.32)
                end = (cx + side * r * 1.25, cy + r * (0.22 + 0.16 * k))
                draw.line([start, end], fill=whisker_colour, width=max(1, int(r * 0.035)))
                mask.line([start, end], fill=PART_LABELS["muzzle"], width=max(3, int(r * 0.1)))


def _occlude(image: Image.Image, mask: Image.Image, centre: tuple[float, float], r: float,
             rng: np.random.Generator) -> None:
    """Cover part of the head with a block, and remove the covered parts from the mask."""
    angle = rng.uniform(0, 2 * math.pi)
    x = centre[0] + math.cos(angle) * r * rng.uniform(0.6, 1.3)
    y = centre[1] + math.sin(angle) * r * rng.uniform(0.6, 1.3)
    half = r * rng.uniform(0.3, 0.55)
    box = [x - half, y - half, x + half, y + half]
    ImageDraw.Draw(image).rectangle(box, fill=_colour(rng))
    ImageDraw.Draw(mask).rectangle(box, fill=PART_LABELS["background"])


def sample(count_per_class: int, seed: int = 0, difficulty: str | Difficulty = "hard",
           image_size: int = 128) -> np.ndarray:
    """``count_per_class`` cats then as many dogs, drawn in memory: (2 * count, size, size, 3) uint8."""
    level = DIFFICULTIES[difficulty] if isinstance(difficulty, str) else difficulty
    return np.stack([np.asarray(draw_pet(label, i, seed, level, image_size)[0])
                     for label in CLASSES for i in range(count_per_class)])
