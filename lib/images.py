"""Image files decoded and resized exactly as the course's input pipelines do (chapters 0, 4, 5).

Two pipelines serve the same batches (:mod:`lib.data`): where TensorFlow is installed, the book's
``image_dataset_from_directory`` and ``tf.data`` (TensorFlow's decoder and resizing); without it,
images decoded with PIL and resized with ``keras.ops.image.resize``, as Keras' own
``format="grain"`` loader does. This module decodes and resizes one image the way each does, so a
photograph shown to a model outside a dataset (Chelsea, a counterfactual) is what the pipeline
would have made of it, and says which files a pipeline cannot read.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from lib import backend
from lib.report import progress

PIPELINE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")  # what image_dataset_from_directory reads
PIPELINES = ("tf.data", "arrays")


def default_pipeline() -> str:
    """"tf.data" where TensorFlow is installed (the book's pipeline), else "arrays"."""
    return "tf.data" if backend.has_tensorflow() else "arrays"


def height_width(image_size: int | tuple[int, int]) -> tuple[int, int]:
    """``image_size`` as (height, width): the course writes 180, Keras and the book (180, 180)."""
    if isinstance(image_size, int):
        return image_size, image_size
    height, width = image_size
    return int(height), int(width)


def decode(data: bytes, pipeline: str | None = None) -> np.ndarray:
    """Image file bytes as a (height, width, 3) uint8 array, decoded as ``pipeline`` decodes
    (TensorFlow's decoder for "tf.data", PIL for "arrays"). Raises ``ValueError`` when it cannot."""
    pipeline = pipeline or default_pipeline()
    if pipeline == "tf.data":
        import tensorflow as tf

        try:
            # The call image_dataset_from_directory makes, so "readable" means readable there.
            return tf.io.decode_image(data, channels=3, expand_animations=False).numpy()
        except (tf.errors.InvalidArgumentError, tf.errors.UnknownError) as error:
            raise ValueError(str(error).splitlines()[0]) from error
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            return np.asarray(image.convert("RGB"))
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ValueError(str(error)) from error


def resize_like_pipeline(image, image_size: int | tuple[int, int], pipeline: str | None = None) -> np.ndarray:
    """One (height, width, 3) image resized as :func:`load_datasets` resizes: bilinear, rounded to uint8."""
    pipeline = pipeline or default_pipeline()
    if pipeline == "tf.data":
        import tensorflow as tf

        resized = tf.image.resize(tf.cast(image, tf.float32), height_width(image_size), method="bilinear")
        return np.asarray(tf.cast(tf.round(resized), tf.uint8))
    resized = keras.ops.image.resize(np.asarray(image, dtype="float32"), height_width(image_size), "bilinear")
    return np.clip(np.round(keras.ops.convert_to_numpy(resized)), 0, 255).astype(np.uint8)


def is_readable_image(path: Path, pipeline: str | None = None) -> bool:
    """Whether the input pipeline's own decoder can read ``path`` as an RGB image."""
    try:
        decode(Path(path).read_bytes(), pipeline)
    except ValueError:
        return False
    return True


def find_bad_images(directory: str | Path, pipeline: str | None = None) -> list[Path]:
    """The image files under ``directory`` that the pipeline's decoder cannot read.

    "Image files" are those the pipeline would load (by extension, as
    ``image_dataset_from_directory`` picks them). Nothing is deleted.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory} is not a folder: nothing to check.")
    candidates = sorted(p for p in directory.rglob("*") if p.suffix.lower() in PIPELINE_FORMATS and p.is_file())
    return [p for p in progress(candidates, f"Checking images in {directory.name}/")
            if not is_readable_image(p, pipeline)]
