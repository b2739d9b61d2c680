"""Toy pets: a generated stand-in for Kaggle's dogs-vs-cats ``train/`` folder, with ground truth.

Chapter 0 introduces the data; chapters 4 and 5 measure explanations against its part masks.

A cat and a dog differ in **shape only**: a cat has pointed ears, a triangular nose and
whiskers on two small pads; a dog has floppy ears, a round nose and a snout with a mouth.
Every colour (fur, ears and their insides, eyes, nose, whisker pads or snout, whiskers or
mouth), every size, position and rotation, the background clutter, the loose ear-shaped
decoys, the occluding blocks and the noise are drawn from one distribution shared by both
classes, so no colour tells the classes apart: chapter 0 measures that with a colour-only
classifier. The evidence is geometry, and the model must find the head to see it.

Each image comes with a part mask (:data:`PART_LABELS`): ears, eyes, nose, muzzle (whiskers
and their pads, or the snout and mouth), the rest of the face, and the background. Scenes are
drawn in two steps, :func:`sample_scene` (every random number) and :func:`render_scene`
(pixels), so a scene can be drawn again with one part swapped (:func:`draw_pet`'s ``parts``):
the same cat with a dog's ears and nothing else changed. :func:`draw_pair` puts a cat and a
dog in one image, and ``cue`` adds a mark that is not the animal, for chapter 6's shortcut.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from lib.config import CLASS_NAMES, display_path
from lib.files import build_directories
from lib.report import progress

PART_LABELS = {"background": 0, "face": 1, "ears": 2, "eyes": 3, "nose": 4, "muzzle": 5, "cue": 6}
HEAD_PARTS = ("face", "ears", "eyes", "nose", "muzzle")
SUPERSAMPLING = 2
GENERATOR_VERSION = "toy_pets/2"
JPEG_QUALITY = 90


@dataclass(frozen=True)
class Parts:
    """Which shape each class-defining part takes. :data:`CLASS_PARTS` holds the two animals;
    mixing them (``replace(CLASS_PARTS["cat"], ears="floppy")``) makes a counterfactual."""

    ears: str  # "pointed" | "floppy" | "none"
    nose: str  # "triangle" | "round" | "none"
    muzzle: str  # "whiskers" | "snout" | "none"


CLASS_PARTS = {
    "cat": Parts(ears="pointed", nose="triangle", muzzle="whiskers"),
    "dog": Parts(ears="floppy", nose="round", muzzle="snout"),
}


@dataclass(frozen=True)
class Difficulty:
    """How hard the toy task is; every knob applies to both classes alike."""

    clutter_shapes: int
    decoy_probability: float
    occlusion_probability: float
    head_scale: tuple[float, float]
    max_rotation_degrees: float
    noise_std: float


# Tiny mode draws "medium": hard enough that the mini Xception's depth pays off within its budget,
# easy enough that the naive convnet learns too (both measured over seeds by benchmarks/claims.py).
DIFFICULTIES = {
    "easy": Difficulty(4, 0.2, 0.0, (0.22, 0.30), 10.0, 4.0),
    "medium": Difficulty(8, 0.5, 0.2, (0.18, 0.28), 20.0, 6.0),
    "hard": Difficulty(18, 0.9, 0.5, (0.10, 0.24), 45.0, 14.0),
}


def difficulty_named(difficulty: str | Difficulty) -> Difficulty:
    """A :class:`Difficulty`, given one or its name in :data:`DIFFICULTIES`."""
    if isinstance(difficulty, Difficulty):
        return difficulty
    if difficulty not in DIFFICULTIES:
        raise ValueError(f"difficulty must be one of {', '.join(DIFFICULTIES)} or a Difficulty, got {difficulty!r}.")
    return DIFFICULTIES[difficulty]


@dataclass(frozen=True)
class Scene:
    """Every random choice behind one image, in canvas pixels (the image size times
    :data:`SUPERSAMPLING`). :func:`render_scene` turns it into pixels and a part mask."""

    canvas: int
    background: dict
    centre: tuple[float, float]
    radius: float
    face_aspect: float
    angle: float
    colours: dict[str, tuple[int, int, int]]
    jitter: dict[str, float]
    occluder: dict | None
    noise_seed: int
    noise_std: float
    parts: Parts = field(default=CLASS_PARTS["cat"])


def _colour(rng: np.random.Generator, low: int = 0, high: int = 256) -> tuple[int, int, int]:
    return tuple(int(c) for c in rng.integers(low, high, 3))


def sample_scene(label: str, index: int, seed: int, level: Difficulty, image_size: int = 128) -> Scene:
    """The random choices of toy pet ``label``.``index`` (same arguments, same scene).

    Both classes draw the same random numbers in the same order, from the same
    distributions: the label decides only which :class:`Parts` are drawn.
    """
    if label not in CLASS_NAMES:
        raise ValueError(f"label must be one of {CLASS_NAMES}, got {label!r}.")
    rng = np.random.default_rng([seed, CLASS_NAMES.index(label), index])
    canvas = image_size * SUPERSAMPLING
    background = _sample_background(rng, canvas, level)
    radius = rng.uniform(*level.head_scale) * canvas
    margin = radius * 1.6
    centre = (float(rng.uniform(margin, canvas - margin)), float(rng.uniform(margin, canvas - margin)))
    colours = {part: _colour(rng) for part in
               ("fur", "ears", "inner_ears", "eye_whites", "pupils", "nose", "muzzle", "lines")}
    jitter = {
        "face_aspect": rng.uniform(0.82, 1.0),
        "pointed_tip_x": rng.uniform(0.55, 0.8), "pointed_tip_y": rng.uniform(1.35, 1.6),
        "floppy_length": rng.uniform(0.6, 0.78),
        "eye_size": rng.uniform(0.11, 0.15),
        "whisker_spread": rng.uniform(0.13, 0.19),
    }
    angle = float(rng.uniform(-level.max_rotation_degrees, level.max_rotation_degrees))
    occluder = None
    if rng.random() < level.occlusion_probability:
        direction = rng.uniform(0, 2 * math.pi)
        distance, half = rng.uniform(0.6, 1.3) * radius, rng.uniform(0.3, 0.55) * radius
        occluder = {"centre": (centre[0] + math.cos(direction) * distance, centre[1] + math.sin(direction) * distance),
                    "half": half, "colour": _colour(rng)}
    return Scene(canvas=canvas, background=background, centre=centre, radius=float(radius),
                 face_aspect=float(jitter["face_aspect"]), angle=angle, colours=colours, jitter=jitter,
                 occluder=occluder, noise_seed=int(rng.integers(2**31)), noise_std=level.noise_std,
                 parts=CLASS_PARTS[label])


def _sample_background(rng: np.random.Generator, canvas: int, level: Difficulty) -> dict:
    shapes = []
    for _ in range(level.clutter_shapes):
        x, y = rng.uniform(0, canvas, 2)
        size = rng.uniform(0.04, 0.2) * canvas
        kind = int(rng.integers(3))
        if kind == 0:
            shapes.append(("polygon", _ellipse(x, y, size, size * rng.uniform(0.3, 1), rng.uniform(0, math.pi)),
                           _colour(rng)))
        elif kind == 1:
            shapes.append(("rectangle", [x, y, x + size, y + size * rng.uniform(0.3, 1.5)], _colour(rng)))
        else:
            shapes.append(("line", [x, y, *rng.uniform(0, canvas, 2)], _colour(rng), int(rng.integers(2, 8))))
    if rng.random() < level.decoy_probability:
        shapes.extend(_sample_decoys(rng, canvas))
    return {"top": _colour(rng), "bottom": _colour(rng), "shapes": shapes}


def _sample_decoys(rng: np.random.Generator, canvas: int) -> list:
    """Loose parts of both kinds (pointed and floppy ears), so that a part alone, away from a
    head, does not give the class away."""
    decoys = []
    for _ in range(int(rng.integers(1, 4))):
        x, y = rng.uniform(0.1, 0.9, 2) * canvas
        size = rng.uniform(0.05, 0.1) * canvas
        if rng.random() < 0.5:
            tip = x + rng.uniform(-0.5, 0.5) * size
            decoys.append(("polygon", [(x - size, y + size), (x + size, y + size), (tip, y - size * 1.3)],
                           _colour(rng)))
        else:
            decoys.append(("polygon", _ellipse(x, y, size * 0.5, size * 1.2, rng.uniform(-0.4, 0.4)), _colour(rng)))
    return decoys


def _ellipse(cx: float, cy: float, rx: float, ry: float, angle: float = 0.0, n: int = 40) -> list[tuple[float, float]]:
    """Points of an ellipse rotated by ``angle`` radians, as a polygon."""
    cos, sin = math.cos(angle), math.sin(angle)
    return [
        (cx + rx * math.cos(t) * cos - ry * math.sin(t) * sin, cy + rx * math.cos(t) * sin + ry * math.sin(t) * cos)
        for t in np.linspace(0, 2 * math.pi, n, endpoint=False)
    ]


def render_scene(scene: Scene, image_size: int, cue: str | None = None) -> tuple[Image.Image, Image.Image]:
    """The image (RGB) and part mask (values of :data:`PART_LABELS`) of ``scene``, at ``image_size``.

    ``cue``: None, or the name of a mark in :data:`CUES` drawn in the top-left corner and
    labelled ``cue`` in the mask (chapter 6's shortcut).
    """
    canvas = scene.canvas
    image = _render_background(scene.background, canvas)
    head = Image.new("RGBA", (canvas, canvas), (0, 0, 0, 0))
    mask = Image.new("L", (canvas, canvas), 0)
    _draw_head(ImageDraw.Draw(head), ImageDraw.Draw(mask), scene)
    head = head.rotate(scene.angle, resample=Image.BICUBIC, center=scene.centre)
    mask = mask.rotate(scene.angle, resample=Image.NEAREST, center=scene.centre)
    image.alpha_composite(head)
    if scene.occluder is not None:
        (x, y), half = scene.occluder["centre"], scene.occluder["half"]
        box = [x - half, y - half, x + half, y + half]
        ImageDraw.Draw(image).rectangle(box, fill=scene.occluder["colour"])
        ImageDraw.Draw(mask).rectangle(box, fill=PART_LABELS["background"])
    if cue is not None:
        CUES[cue](ImageDraw.Draw(image), ImageDraw.Draw(mask), canvas)
    image = image.convert("RGB").resize((image_size, image_size), Image.LANCZOS)
    mask = mask.resize((image_size, image_size), Image.NEAREST)
    noise = np.random.default_rng(scene.noise_seed).normal(0, scene.noise_std, (image_size, image_size, 3))
    noisy = np.asarray(image, dtype=np.float32) + noise
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)), mask


def _render_background(background: dict, canvas: int) -> Image.Image:
    top, bottom = np.array(background["top"]), np.array(background["bottom"])
    ramp = np.linspace(0, 1, canvas)[:, None, None]
    gradient = (top * (1 - ramp) + bottom * ramp) * np.ones((1, canvas, 1))
    image = Image.fromarray(gradient.astype(np.uint8)).convert("RGBA")
    draw = ImageDraw.Draw(image)
    for kind, geometry, colour, *width in background["shapes"]:
        if kind == "polygon":
            draw.polygon(geometry, fill=colour)
        elif kind == "rectangle":
            draw.rectangle(geometry, fill=colour)
        else:
            draw.line(geometry, fill=colour, width=width[0])
    return image


def _draw_head(draw: ImageDraw.ImageDraw, mask: ImageDraw.ImageDraw, scene: Scene) -> None:
    (cx, cy), r, colours, jitter = scene.centre, scene.radius, scene.colours, scene.jitter

    def paint(shape: list, colour_name: str, part: str, line_width: int = 0) -> None:
        if line_width:
            draw.line(shape, fill=colours[colour_name], width=line_width)
            mask.line(shape, fill=PART_LABELS[part], width=max(3, 3 * line_width))
        else:
            draw.polygon(shape, fill=colours[colour_name])
            mask.polygon(shape, fill=PART_LABELS[part])

    if scene.parts.ears == "floppy":
        # Floppy ears hang beside the head, drawn first so the face overlaps their roots.
        for side in (-1, 1):
            length = r * jitter["floppy_length"]
            paint(_ellipse(cx + side * r * 0.92, cy + r * 0.1, r * 0.27, length, side * -0.25), "ears", "ears")
            draw.polygon(_ellipse(cx + side * r * 0.97, cy + r * 0.2, r * 0.13, length * 0.6, side * -0.25),
                         fill=colours["inner_ears"])
    elif scene.parts.ears == "pointed":
        for side in (-1, 1):
            tip = (cx + side * r * jitter["pointed_tip_x"], cy - r * jitter["pointed_tip_y"])
            paint([(cx + side * r * 0.92, cy - r * 0.25), (cx + side * r * 0.15, cy - r * 0.9), tip], "ears", "ears")
            draw.polygon([(cx + side * r * 0.75, cy - r * 0.45), (cx + side * r * 0.3, cy - r * 0.85),
                          ((tip[0] + cx + side * r * 0.5) / 2, (tip[1] + cy - r * 0.6) / 2)],
                         fill=colours["inner_ears"])
    paint(_ellipse(cx, cy, r, r * scene.face_aspect), "fur", "face")
    eye = r * jitter["eye_size"]
    for side in (-1, 1):
        paint(_ellipse(cx + side * r * 0.38, cy - r * 0.15, eye, eye), "eye_whites", "eyes")
        draw.polygon(_ellipse(cx + side * r * 0.38, cy - r * 0.15, eye * 0.45, eye * 0.75), fill=colours["pupils"])
    # Line and patch areas are matched between whiskers and snout, so that how much of the
    # picture takes the "lines" or "muzzle" colour does not give the class away.
    if scene.parts.muzzle == "snout":
        paint(_ellipse(cx, cy + r * 0.42, r * 0.4, r * 0.3), "muzzle", "muzzle")
        width = max(1, int(r * 0.07))
        paint([cx, cy + r * 0.36, cx, cy + r * 0.58], "lines", "muzzle", width)
        paint([cx - r * 0.26, cy + r * 0.55, cx, cy + r * 0.6, cx + r * 0.26, cy + r * 0.55], "lines", "muzzle", width)
    elif scene.parts.muzzle == "whiskers":
        width = max(1, int(r * 0.022))
        for side in (-1, 1):
            paint(_ellipse(cx + side * r * 0.18, cy + r * 0.42, r * 0.24, r * 0.2), "muzzle", "muzzle")
            for k in (-1, 0, 1):
                start = (cx + side * r * 0.25, cy + r * 0.38)
                end = (cx + side * r * 1.25, cy + r * (0.28 + jitter["whisker_spread"] * k))
                paint([start, end], "lines", "muzzle", width)
    if scene.parts.nose == "triangle":
        paint([(cx - r * 0.14, cy + r * 0.12), (cx + r * 0.14, cy + r * 0.12), (cx, cy + r * 0.3)], "nose", "nose")
    elif scene.parts.nose == "round":
        paint(_ellipse(cx, cy + r * 0.22, r * 0.12, r * 0.08), "nose", "nose")


def _corner_mark(draw: ImageDraw.ImageDraw, mask: ImageDraw.ImageDraw, canvas: int) -> None:
    """A small white square with a black dot, in the top-left corner: a watermark, not an animal."""
    side = canvas * 0.12
    box = [canvas * 0.03, canvas * 0.03, canvas * 0.03 + side, canvas * 0.03 + side]
    draw.rectangle(box, fill=(255, 255, 255))
    draw.ellipse([box[0] + side * 0.3, box[1] + side * 0.3, box[2] - side * 0.3, box[3] - side * 0.3], fill=(0, 0, 0))
    mask.rectangle(box, fill=PART_LABELS["cue"])


CUES = {"corner_mark": _corner_mark}


def draw_pet(
    label: str, index: int, seed: int, level: Difficulty | str, image_size: int = 128,
    parts: Parts | None = None, cue: str | None = None,
) -> tuple[Image.Image, Image.Image]:
    """One toy image and its part mask, determined by (label, index, seed, level).

    ``parts`` replaces the class's own :data:`CLASS_PARTS` (a counterfactual: the same scene,
    every colour and position kept, with other ears, say); ``cue`` adds a mark (see
    :func:`render_scene`).
    """
    scene = sample_scene(label, index, seed, difficulty_named(level), image_size)
    if parts is not None:
        scene = replace(scene, parts=parts)
    return render_scene(scene, image_size, cue)


def draw_pair(index: int, seed: int, level: Difficulty | str = "easy",
              image_size: int = 128) -> tuple[Image.Image, np.ndarray]:
    """A cat's head on the left half and a dog's on the right, on one background (chapter 6's
    class-specificity test). Returns the image and a (2, size, size) boolean array: the cat's
    head, then the dog's."""
    level = replace(difficulty_named(level), occlusion_probability=0.0)
    half = image_size // 2
    scenes = [sample_scene(label, index, seed, level, half) for label in CLASS_NAMES]
    background = sample_scene("cat", index + 1_000_000, seed, level, image_size)
    image = _render_background(background.background, background.canvas).convert("RGB")
    heads = np.zeros((2, image_size, image_size), dtype=bool)
    for slot, scene in enumerate(scenes):
        head = Image.new("RGBA", (scene.canvas, scene.canvas), (0, 0, 0, 0))
        mask = Image.new("L", (scene.canvas, scene.canvas), 0)
        _draw_head(ImageDraw.Draw(head), ImageDraw.Draw(mask), scene)
        head = head.rotate(scene.angle, resample=Image.BICUBIC, center=scene.centre)
        mask = mask.rotate(scene.angle, resample=Image.NEAREST, center=scene.centre)
        top = (image_size * SUPERSAMPLING - scene.canvas) // 2
        offset = (slot * scene.canvas, top)
        image.paste(head.convert("RGB"), offset, head)
        placed = np.zeros((image_size * SUPERSAMPLING,) * 2, dtype=bool)
        placed[top:top + scene.canvas, offset[0]:offset[0] + scene.canvas] = np.asarray(mask) > 0
        heads[slot] = np.asarray(Image.fromarray(placed).resize((image_size, image_size), Image.NEAREST))
    image = image.resize((image_size, image_size), Image.LANCZOS)
    return image, heads


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
    cue_for: dict[str, tuple[int, int]] | None = None,
) -> Path:
    """Write ``cat.{i}.jpg`` and ``dog.{i}.jpg`` (i < n_per_class) into ``directory``.

    The layout is exactly Kaggle's ``train/``. Part masks go to
    :func:`mask_directory_for` ``(directory)`` as ``cat.{i}.png``. The same arguments
    always give byte-identical files; re-running with the same arguments reuses
    what is there, and a folder the course did not make is never touched.

    ``cue_for`` maps a class name to an index range ``(start, end)``: those images of that
    class carry the ``corner_mark`` cue (chapter 6's shortcut, which marks the training
    images of one class only).
    """
    if n_per_class < 1:
        raise ValueError(f"n_per_class must be at least 1, got {n_per_class}.")
    level = difficulty_named(difficulty)
    cue_for = cue_for or {}
    directory = Path(directory)
    spec = {"generator": GENERATOR_VERSION, "n_per_class": n_per_class, "seed": seed,
            "difficulty": asdict(level), "image_size": image_size, "cue_for": cue_for}
    names = [f"{label}.{i}" for label in CLASS_NAMES for i in range(n_per_class)]

    def has_cue(label: str, index: int) -> bool:
        start, end = cue_for.get(label, (0, 0))
        return start <= index < end

    def render_all(stages: list[Path]) -> list[list[str]]:
        images_dir, masks_dir = stages
        for name in progress(names, f"Drawing toy pets into {display_path(directory)}", minimum=0):
            label, index = name.split(".")
            cue = "corner_mark" if has_cue(label, int(index)) else None
            image, mask = draw_pet(label, int(index), seed, level, image_size, cue=cue)
            image.save(images_dir / f"{name}.jpg", quality=JPEG_QUALITY)
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


def sample(count_per_class: int, seed: int = 0, difficulty: str | Difficulty = "hard",
           image_size: int = 128, parts: dict[str, Parts] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``count_per_class`` cats then as many dogs, drawn in memory: images (2 * count, size,
    size, 3) uint8 and their part masks (2 * count, size, size). ``parts`` may give a class
    other parts (a counterfactual for every image of that class)."""
    parts = parts or {}
    drawn = [draw_pet(label, i, seed, difficulty, image_size, parts=parts.get(label))
             for label in CLASS_NAMES for i in range(count_per_class)]
    return (np.stack([np.asarray(image) for image, _ in drawn]),
            np.stack([np.asarray(mask) for _, mask in drawn]))
