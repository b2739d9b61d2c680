"""Data for the course: the book's dogs-vs-cats split, from real or generated images (chapter 0).

The layout is always Kaggle's: a flat ``train/`` folder of ``cat.{i}.jpg`` and
``dog.{i}.jpg``, split by :func:`make_subset` into ``cats_vs_dogs_small/{train,
validation,test}/{cat,dog}/`` and read by :func:`load_datasets`. Only where the
``train/`` folder comes from differs by mode (see :mod:`lib.config`):

* tiny: :func:`lib.toy_pets.make_toy_pets` draws it;
* full: Kaggle's ``train/`` placed by the student, or one that :mod:`lib.download` prepares.

Two pipelines give the same batches. Where TensorFlow is installed, the book's
``image_dataset_from_directory`` and ``tf.data`` serve them (whatever the Keras backend);
without it, images are decoded into memory and served by a ``keras.utils.PyDataset``, with
the decoder and resizing Keras' own ``format="grain"`` loader uses (:mod:`lib.images`).
"""

from __future__ import annotations

import math
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

import keras
import numpy as np

from lib import config
from lib.config import CLASS_NAMES
from lib.images import (PIPELINE_FORMATS, PIPELINES, decode, default_pipeline, height_width, is_readable_image,
                        resize_like_pipeline)
from lib.report import progress
from lib.files import build_directory
from lib.toy_pets import load_part_mask, make_toy_pets, mask_directory_for

def _count_images(folder: Path, category: str) -> int:
    pattern = re.compile(rf"{category}\.\d+\.jpg")
    return sum(1 for p in folder.iterdir() if pattern.fullmatch(p.name))


def make_subset(
    subset_name: str, start_index: int, end_index: int,
    original_dir: str | Path, new_base_dir: str | Path,
) -> Path:
    """The book's ``make_subset``: copy ``{cat,dog}.{start_index..end_index-1}.jpg``.

    Files go to ``new_base_dir/subset_name/{cat,dog}/``. Safe to re-run: the same
    request reuses the subset already there (silently), a different one replaces a subset
    this function made, and a folder holding anything else is left alone with an error.
    Images the pipeline cannot decode are skipped, and the count is printed.
    """
    original_dir, new_base_dir = Path(original_dir), Path(new_base_dir)
    if not 0 <= start_index < end_index:
        raise ValueError(f"Need 0 <= start_index < end_index, got {start_index} and {end_index}.")
    if not original_dir.is_dir():
        raise FileNotFoundError(
            f"{original_dir} does not exist. It should be a folder of cat.N.jpg and dog.N.jpg "
            "files like Kaggle's train/; lib.data.prepare_data() creates one for the current mode."
        )
    wanted = {c: [f"{c}.{i}.jpg" for i in range(start_index, end_index)] for c in CLASS_NAMES}
    for category, names in wanted.items():
        missing = [n for n in names if not (original_dir / n).is_file()]
        if missing:
            raise FileNotFoundError(
                f"{original_dir.name}/ holds {_count_images(original_dir, category)} {category} images; "
                f"the split needs {names[0]} ... {names[-1]}, and {len(missing)} of them are missing "
                f"(first: {', '.join(missing[:3])}). Use a smaller range or a complete train/ folder."
            )
    spec = {"source": str(original_dir.resolve()), "start": start_index, "end": end_index}

    def copy_readable(stage: Path) -> list[str]:
        copied: list[str] = []
        for category, names in wanted.items():
            (stage / category).mkdir()
            sources = [original_dir / n for n in names]
            good = [p for p in progress(sources, f"{subset_name}/{category}") if is_readable_image(p)]
            for source in good:
                shutil.copyfile(source, stage / category / source.name)
                copied.append(f"{category}/{source.name}")
            readable = set(good)
            skipped = [p.name for p in sources if p not in readable]
            if skipped:
                print(f"{subset_name}/{category}: skipped {len(skipped)} unreadable image(s) "
                      f"of {len(names)}: {', '.join(skipped)[:200]}")
        return copied

    target = new_base_dir / subset_name
    if build_directory(target, spec, copy_readable):  # a subset reused as it was is not news: say nothing
        counts = {c: len(list((target / c).glob("*.jpg"))) for c in CLASS_NAMES}
        print(f"Built {config.display_path(target)}: {counts['cat']} cats, {counts['dog']} dogs "
              f"(indices {start_index}-{end_index - 1}).")
    return target


def load_datasets(base_dir: str | Path, image_size: int | tuple[int, int], batch_size: int, seed: int = 0,
                  pipeline: str | None = None):
    """Train, validation and test datasets of ``base_dir``'s three subsets: batches of (uint8
    images, int32 labels), cats 0 and dogs 1, the training set reshuffled every epoch.

    ``pipeline`` "tf.data" (the default where TensorFlow is installed) reads each folder with
    the book's ``image_dataset_from_directory``, decodes and resizes every image once, caches
    the result as uint8 (a quarter of float32's memory) and prefetches. tf.data's autotuner is
    switched off: Keras' ``fit`` starts every epoch by discarding a dataset iterator that has
    already begun prefetching, and with the autotuner on, tearing that iterator down stalled
    for about 9 s at most epoch starts (TensorFlow 2.20, Keras 3.15, 2 CPU cores). Parallelism
    and prefetch depth are set explicitly instead.

    ``pipeline`` "arrays" (the default without TensorFlow) decodes every image into memory
    with :func:`decode` and :func:`resize_like_pipeline` and serves batches from there
    (:class:`ArrayBatches`): the book's 2,000 training images at 180x180 take about 200 MB.
    """
    base_dir = Path(base_dir)
    pipeline = pipeline or default_pipeline()
    if pipeline not in PIPELINES:
        raise ValueError(f"pipeline must be one of {', '.join(PIPELINES)}, got {pipeline!r}.")
    for subset in ("train", "validation", "test"):
        if not (base_dir / subset).is_dir():
            raise FileNotFoundError(f"{base_dir / subset} is missing: run make_subset "
                                    "(or lib.data.prepare_data()) first.")
    if pipeline == "arrays":
        return tuple(ArrayBatches(*load_folder(base_dir / subset, image_size, pipeline), batch_size,
                                  seed if subset == "train" else None)
                     for subset in ("train", "validation", "test"))
    return _tf_datasets(base_dir, height_width(image_size), batch_size, seed)


def _tf_datasets(base_dir: Path, size: tuple[int, int], batch_size: int, seed: int):
    import tensorflow as tf

    options = tf.data.Options()
    options.autotune.enabled = False
    parallel_calls = os.cpu_count() or 1

    def load(subset: str, shuffle: bool) -> tf.data.Dataset:
        images = keras.utils.image_dataset_from_directory(
            base_dir / subset, image_size=size, batch_size=None, shuffle=False, verbose=False)
        images = images.map(lambda x, y: (tf.cast(tf.round(x), tf.uint8), y),
                            num_parallel_calls=parallel_calls).cache()
        if shuffle:
            images = images.shuffle(int(images.cardinality()), seed=seed, reshuffle_each_iteration=True)
        return images.batch(batch_size).prefetch(2).with_options(options)

    return load("train", True), load("validation", False), load("test", False)


def class_folder_files(folder: Path) -> tuple[list[Path], np.ndarray]:
    """The image files of ``folder/cat`` and ``folder/dog`` and their labels, in the order
    ``image_dataset_from_directory`` lists them (class by class, file names sorted)."""
    paths, labels = [], []
    for label, category in enumerate(CLASS_NAMES):
        found = sorted(p for p in (Path(folder) / category).iterdir() if p.suffix.lower() in PIPELINE_FORMATS)
        paths.extend(found)
        labels.extend([label] * len(found))
    return paths, np.asarray(labels, dtype="int32")


def load_folder(folder: Path, image_size: int | tuple[int, int],
                pipeline: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Every image of ``folder/{cat,dog}`` decoded and resized as the pipeline does, with its label."""
    paths, labels = class_folder_files(folder)
    return load_images(paths, image_size, pipeline, f"Decoding {Path(folder).name}/"), labels


class ArrayBatches(keras.utils.PyDataset):
    """Batches of images held in memory, for the "arrays" pipeline: a ``keras.utils.PyDataset``
    that ``fit``, ``evaluate`` and ``predict`` take on every backend, reshuffled after every
    epoch when given a ``seed``. Iterating over it gives each batch once, as a tf.data dataset does."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, batch_size: int, seed: int | None = None) -> None:
        super().__init__()
        self.images, self.labels, self.batch_size = images, labels, batch_size
        self.rng = None if seed is None else np.random.default_rng(seed)
        self.order = np.arange(len(images))
        self.on_epoch_end()

    def __len__(self) -> int:
        return math.ceil(len(self.images) / self.batch_size)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        if not 0 <= index < len(self):
            raise IndexError(index)
        chosen = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        return self.images[chosen], self.labels[chosen]

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for index in range(len(self)):
            yield self[index]
        self.on_epoch_end()

    def on_epoch_end(self) -> None:
        if self.rng is not None:
            self.order = self.rng.permutation(len(self.images))


def batches(dataset) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Each (images, labels) batch of a dataset of either pipeline, as NumPy arrays."""
    for images, labels in dataset:
        yield np.asarray(images), np.asarray(labels).reshape(-1)


def first_batch(dataset) -> tuple[np.ndarray, np.ndarray]:
    """The first (images, labels) batch of a dataset, taken together, so they belong to each
    other (two separate passes over a reshuffled training set would not)."""
    return next(batches(dataset))


def subset_files(base_dir: str | Path, subset: str, per_class: int) -> tuple[list[Path], np.ndarray]:
    """The first ``per_class`` images of each class in ``base_dir/subset`` (by index), cats
    then dogs, and their labels (0 cat, 1 dog), as ``image_dataset_from_directory`` labels them."""
    paths: list[Path] = []
    for category in CLASS_NAMES:
        folder = Path(base_dir) / subset / category
        found = sorted(folder.glob(f"{category}.*.jpg"), key=lambda p: int(p.name.split(".")[1]))
        if len(found) < per_class:
            raise FileNotFoundError(f"{folder} holds {len(found)} images, fewer than the {per_class} asked for: "
                                    "ask for fewer, or run lib.data.prepare_data() first.")
        paths.extend(found[:per_class])
    return paths, np.repeat(np.arange(len(CLASS_NAMES)), per_class)


def load_images(paths: Iterable[str | Path], image_size: int | tuple[int, int], pipeline: str | None = None,
                description: str = "Decoding images") -> np.ndarray:
    """Image files decoded and resized exactly as the model's input pipeline does:
    a (count, height, width, 3) uint8 array."""
    paths = list(paths)
    return np.stack([resize_like_pipeline(decode(Path(p).read_bytes(), pipeline), image_size, pipeline)
                     for p in progress(paths, description)])


def load_part_masks(base_dir: str | Path, paths: Iterable[str | Path], image_size: int) -> np.ndarray:
    """The toy pets' part masks of image files in ``base_dir`` (a ``cats_vs_dogs_small``
    folder of toy pets), resized to ``image_size`` without blending labels: (count, size, size) uint8."""
    from PIL import Image

    mask_dir = mask_directory_for(Path(base_dir).parent / "train")
    return np.stack([
        np.asarray(Image.fromarray(load_part_mask(mask_dir, Path(p).name)).resize(height_width(image_size)[::-1],
                                                                                     Image.NEAREST))
        for p in paths
    ])


def make_small_split(settings: config.Settings, per_class: dict[str, int], name: str = "small_split") -> Path:
    """A smaller copy of the mode's split, for experiments that must be quick (chapter 3's exercise):
    the first ``per_class[subset]`` images of each class of each subset's range, in a folder
    ``name`` beside the book's split. Built with :func:`make_subset`, so re-running reuses it."""
    train_dir = prepare_data(settings).parent / "train"
    base_dir = config.subsets_dir(train_dir, name)
    for subset, (start, end) in settings.split.items():
        if per_class[subset] > end - start:
            raise ValueError(f"The {subset} range holds {end - start} images per class; "
                             f"{per_class[subset]} were asked for.")
        make_subset(subset, start, start + per_class[subset], train_dir, base_dir)
    return base_dir


def prepare_data(settings: config.Settings | None = None) -> Path:
    """The ``cats_vs_dogs_small`` folder of the current mode, built if needed."""
    settings = config.current_settings() if settings is None else settings
    root = settings.data_dir
    if settings.mode == "tiny":
        train_dir = make_toy_pets(config.toy_train_dir(root), n_per_class=settings.split.images_per_class,
                                  difficulty=settings.toy_difficulty)
    else:
        from lib import download

        train_dir = config.real_train_dir(root) or download.fetch_real_photos(root)
    base_dir = config.subsets_dir(train_dir)
    for subset, (start, end) in settings.split.items():
        make_subset(subset, start, end, train_dir, base_dir)
    return base_dir


if __name__ == "__main__":
    # ``python -m lib.data download [options]``: lib.download's command (data.py is where students
    # look for the data; the download code lives in lib.download, which imports this module).
    import sys

    from lib import download

    if sys.argv[1:2] != ["download"]:
        sys.exit("usage: python -m lib.data download [--data-dir DIR] [--source {petimages,oxford,own}]")
    raise SystemExit(download.main(sys.argv[2:]))
