"""Data for the course: the book's dogs-vs-cats split, from real or generated images.

The layout is always Kaggle's: a flat ``train/`` folder of ``cat.{i}.jpg`` and
``dog.{i}.jpg``, split by :func:`make_subset` into ``cats_vs_dogs_small/{train,
validation,test}/{cat,dog}/`` and read by :func:`load_datasets`. Only where the
``train/`` folder comes from differs by mode (see :mod:`lib.config`):

* tiny: :func:`make_toy_pets` draws it;
* full: Kaggle's ``train/`` placed by the student, or else the Microsoft PetImages
  zip, downloaded and laid out in Kaggle naming by :func:`download_petimages`.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from lib import config
from lib.files import build_directory
from lib.toy_pets import load_part_mask, make_toy_pets, mask_directory_for

__all__ = [
    "CLASS_NAMES", "PETIMAGES_URL", "RealDataUnavailableError", "IncompleteDownloadError",
    "find_bad_images", "make_subset", "load_datasets", "prepare_data", "download_petimages",
    "make_toy_pets", "load_part_mask", "mask_directory_for", "subset_files", "load_images",
    "resize_like_pipeline", "load_part_masks",
]

CLASS_NAMES = ("cat", "dog")
PIPELINE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")  # what image_dataset_from_directory reads
PETIMAGES_URL = (
    "https://download.microsoft.com/download/3/E/1/3E1C3F21-ECDB-4869-8368-6DEBA77B919F/"
    "kagglecatsanddogs_5340.zip"
)
PETIMAGES_ZIP = "kagglecatsanddogs_5340.zip"


class RealDataUnavailableError(RuntimeError):
    """Full mode was asked for, but the real images are neither on disk nor downloadable."""


class IncompleteDownloadError(RuntimeError):
    """A downloaded archive is truncated or corrupt (an interrupted download)."""


def is_readable_image(path: Path) -> bool:
    """Whether the input pipeline's own decoder can read ``path`` as an RGB image."""
    return _decodes(Path(path).read_bytes())


def _decodes(data: bytes) -> bool:
    import tensorflow as tf

    try:
        # The same call image_dataset_from_directory makes, so "readable" means readable there.
        tf.io.decode_image(data, channels=3, expand_animations=False)
    except (tf.errors.InvalidArgumentError, tf.errors.UnknownError):
        return False
    return True


def find_bad_images(directory: str | Path) -> list[Path]:
    """The image files under ``directory`` that the pipeline's decoder cannot read.

    "Image files" are those the pipeline would load (by extension, as
    ``image_dataset_from_directory`` picks them). Nothing is deleted.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory} is not a folder: nothing to check.")
    candidates = sorted(p for p in directory.rglob("*") if p.suffix.lower() in PIPELINE_FORMATS and p.is_file())
    return [p for p in _progress(candidates, f"Checking images in {directory.name}/") if not is_readable_image(p)]


def _progress(items: list, description: str) -> Iterable:
    from tqdm import tqdm

    return tqdm(items, desc=description, unit="img", disable=len(items) < 500)


def _count_images(folder: Path, category: str) -> int:
    pattern = re.compile(rf"{category}\.\d+\.jpg")
    return sum(1 for p in folder.iterdir() if pattern.fullmatch(p.name))


def make_subset(
    subset_name: str, start_index: int, end_index: int,
    original_dir: str | Path, new_base_dir: str | Path,
) -> Path:
    """The book's ``make_subset``: copy ``{cat,dog}.{start_index..end_index-1}.jpg``.

    Files go to ``new_base_dir/subset_name/{cat,dog}/``. Safe to re-run: the same
    request reuses the subset already there, a different one replaces a subset this
    function made, and a folder holding anything else is left alone with an error.
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
            good = [p for p in _progress(sources, f"{subset_name}/{category}") if is_readable_image(p)]
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
    built = build_directory(target, spec, copy_readable)
    counts = {c: len(list((target / c).glob("*.jpg"))) for c in CLASS_NAMES}
    verb = "Built" if built else "Reused"
    print(f"{verb} {config.display_path(target)}: {counts['cat']} cats, {counts['dog']} dogs "
          f"(indices {start_index}-{end_index - 1}).")
    return target


def load_datasets(base_dir: str | Path, image_size: int, batch_size: int, seed: int = 0):
    """Train, validation and test ``tf.data`` datasets of ``base_dir``, cached and prefetched.

    Images are decoded and resized once, cached as uint8 (a quarter of float32's
    memory), and the training set is reshuffled every epoch.

    tf.data's autotuner is switched off. Keras' ``fit`` starts every epoch by discarding
    a dataset iterator that has already begun prefetching, and with the autotuner on,
    tearing that iterator down stalled for about 9 s at most epoch starts (TensorFlow
    2.20, Keras 3.15, 2 CPU cores): idle time longer than a tiny-mode epoch's work.
    Parallelism and prefetch depth are set explicitly instead.
    """
    import os

    import keras
    import tensorflow as tf

    base_dir = Path(base_dir)
    options = tf.data.Options()
    options.autotune.enabled = False
    parallel_calls = os.cpu_count() or 1

    def load(subset: str, shuffle: bool) -> tf.data.Dataset:
        folder = base_dir / subset
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder} is missing: run make_subset (or lib.data.prepare_data()) first.")
        images = keras.utils.image_dataset_from_directory(
            folder, image_size=(image_size, image_size), batch_size=None, shuffle=False)
        images = images.map(lambda x, y: (tf.cast(tf.round(x), tf.uint8), y),
                            num_parallel_calls=parallel_calls).cache()
        if shuffle:
            images = images.shuffle(int(images.cardinality()), seed=seed, reshuffle_each_iteration=True)
        return images.batch(batch_size).prefetch(2).with_options(options)

    return load("train", True), load("validation", False), load("test", False)


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


def resize_like_pipeline(image, image_size: int) -> np.ndarray:
    """One (height, width, 3) image resized as :func:`load_datasets` resizes: bilinear, rounded to uint8."""
    import tensorflow as tf

    resized = tf.image.resize(tf.cast(image, tf.float32), (image_size, image_size), method="bilinear")
    return np.asarray(tf.cast(tf.round(resized), tf.uint8))


def load_images(paths: Iterable[str | Path], image_size: int) -> np.ndarray:
    """Image files decoded and resized exactly as the model's input pipeline does:
    a (count, size, size, 3) uint8 array."""
    import tensorflow as tf

    return np.stack([
        resize_like_pipeline(tf.io.decode_image(Path(p).read_bytes(), channels=3, expand_animations=False),
                             image_size)
        for p in paths
    ])


def load_part_masks(base_dir: str | Path, paths: Iterable[str | Path], image_size: int) -> np.ndarray:
    """The toy pets' part masks of image files in ``base_dir`` (a ``cats_vs_dogs_small``
    folder of toy pets), resized to ``image_size`` without blending labels: (count, size, size) uint8."""
    from PIL import Image

    mask_dir = mask_directory_for(Path(base_dir).parent / "train")
    return np.stack([
        np.asarray(Image.fromarray(load_part_mask(mask_dir, Path(p).name)).resize((image_size, image_size),
                                                                                     Image.NEAREST))
        for p in paths
    ])


def prepare_data(settings: config.Settings | None = None) -> Path:
    """The ``cats_vs_dogs_small`` folder of the current mode, built if needed."""
    settings = config.current_settings() if settings is None else settings
    root = settings.data_dir
    if settings.mode == "tiny":
        train_dir = make_toy_pets(root / "toy_pets" / "train", n_per_class=settings.split.images_per_class,
                                  difficulty=settings.toy_difficulty)
    else:
        train_dir = config.real_train_dir(root) or download_petimages(root)
    base_dir = train_dir.parent / "cats_vs_dogs_small"
    for subset, (start, end) in settings.split.items():
        make_subset(subset, start, end, train_dir, base_dir)
    return base_dir


def download_petimages(root: str | Path, url: str = PETIMAGES_URL) -> Path:
    """Download the Microsoft PetImages zip (once) and lay it out as Kaggle's ``train/``.

    Every image is decoded once with the pipeline's decoder; those that fail are
    dropped and counted. Returns the ``train/`` folder.
    """
    import keras

    root = Path(root)
    try:
        archive = Path(keras.utils.get_file(PETIMAGES_ZIP, origin=url, cache_dir=root, cache_subdir="downloads"))
    except Exception as error:
        raise RealDataUnavailableError(
            f"Could not download the real dogs-vs-cats images from {url} ({error}).\n"
            f"Either put Kaggle's dogs-vs-cats train/ folder at {config.kaggle_train_dir(root)}, "
            "or run in tiny mode (COURSE_MODE=tiny) on the generated toy pets."
        ) from error
    _check_archive(archive)
    target = config.petimages_train_dir(root)

    def extract(stage: Path) -> list[str]:
        written: list[str] = []
        with zipfile.ZipFile(archive) as zf:
            for category, folder in (("cat", "Cat"), ("dog", "Dog")):
                members = sorted((m for m in zf.namelist() if re.fullmatch(rf"PetImages/{folder}/\d+\.jpg", m)),
                                 key=lambda m: int(Path(m).stem))
                kept = 0
                for member in _progress(members, f"Decoding PetImages/{folder}"):
                    data = zf.read(member)
                    if _decodes(data):
                        # Renumbered without gaps, so the book's split finds cat.0 ... cat.2499.
                        name = f"{category}.{kept}.jpg"
                        (stage / name).write_bytes(data)
                        written.append(name)
                        kept += 1
                print(f"PetImages/{folder}: kept {kept} images, "
                      f"dropped {len(members) - kept} that the decoder cannot read.")
        return written

    build_directory(target, {"archive": PETIMAGES_ZIP, "size": archive.stat().st_size}, extract)
    return target


def _check_archive(archive: Path) -> None:
    """Raise :class:`IncompleteDownloadError` (and remove the file) unless it is a whole zip."""
    try:
        with zipfile.ZipFile(archive) as zf:
            damaged = zf.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        damaged = str(error)
    if damaged is not None:
        size_mb = archive.stat().st_size / 1e6
        archive.unlink()
        raise IncompleteDownloadError(
            f"{archive.name} is incomplete or damaged ({size_mb:.1f} MB; {damaged}), "
            "probably an interrupted download. It was removed: run the same cell again to download it afresh."
        )
