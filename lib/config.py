"""The course's one switch: which data and which training settings a notebook uses.

``COURSE_MODE`` chooses the mode:

* ``tiny``: the generated "toy pets" dataset, small enough to run every notebook
  on a 2-core laptop in minutes;
* ``full``: the real dogs-vs-cats images and the book's recipe (180x180, rmsprop,
  batch 32, 100 epochs);
* ``auto`` (the default): ``full`` when the real images are already on disk,
  otherwise ``tiny``.

``COURSE_DATA_DIR`` says where data lives (default: ``data/`` at the root of the
course checkout, which git ignores). Both variables are read once per process.
"""

from __future__ import annotations

import functools
import os
import platform
from dataclasses import dataclass
from pathlib import Path

MODES = ("tiny", "full", "auto")
REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Split:
    """Per-class index ranges ``[start, end)`` of the train, validation and test subsets."""

    train: tuple[int, int]
    validation: tuple[int, int]
    test: tuple[int, int]

    def items(self) -> list[tuple[str, tuple[int, int]]]:
        return [("train", self.train), ("validation", self.validation), ("test", self.test)]

    @property
    def images_per_class(self) -> int:
        """How many source images of each class the split needs (``cat.0`` up to this)."""
        return max(end for _, (_, end) in self.items())


@dataclass(frozen=True)
class Settings:
    """Everything that differs between tiny and full mode."""

    mode: str
    reason: str
    data_dir: Path
    image_size: int
    batch_size: int
    epochs: int
    optimizer: str
    learning_rate: float
    batch_norm_momentum: float
    split: Split
    ablation_epochs: int
    ablation_seeds: tuple[int, ...]
    toy_difficulty: str = "hard"

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return (self.image_size, self.image_size, 3)


BOOK_SPLIT = Split(train=(0, 1000), validation=(1000, 1500), test=(1500, 2500))
TINY_SPLIT = Split(train=(0, 500), validation=(500, 700), test=(700, 900))


def default_data_dir() -> Path:
    """``data/`` beside the course checkout, or ``~/modern_convnets_data`` for an installed ``lib``."""
    if (REPO_ROOT / "_config.yml").exists():
        return REPO_ROOT / "data"
    return Path.home() / "modern_convnets_data"


def data_dir() -> Path:
    """Where the course keeps its data: ``$COURSE_DATA_DIR`` or :func:`default_data_dir`."""
    configured = os.environ.get("COURSE_DATA_DIR", "").strip()
    return Path(configured).expanduser().resolve() if configured else default_data_dir()


def kaggle_train_dir(root: Path) -> Path:
    """Where a student puts Kaggle's dogs-vs-cats ``train/`` folder (the book's route)."""
    return root / "dogs-vs-cats" / "train"


def petimages_train_dir(root: Path) -> Path:
    """Where the prepared Microsoft PetImages copy lives, in Kaggle naming."""
    return root / "petimages" / "train"


def real_train_dir(root: Path) -> Path | None:
    """The real-data ``train/`` folder on disk (Kaggle's first, then PetImages'), or None."""
    for candidate in (kaggle_train_dir(root), petimages_train_dir(root)):
        if (candidate / "cat.0.jpg").is_file() and (candidate / "dog.0.jpg").is_file():
            return candidate
    return None


def resolve_mode(requested: str, root: Path) -> tuple[str, str]:
    """The mode to run in and a short reason, for ``requested`` in :data:`MODES`."""
    requested = requested.strip().lower() or "auto"
    if requested not in MODES:
        raise ValueError(
            f"COURSE_MODE={requested!r} is not a mode. Use one of {', '.join(MODES)}: "
            "for example `export COURSE_MODE=tiny` before starting Jupyter."
        )
    if requested == "tiny":
        return "tiny", "COURSE_MODE=tiny"
    if requested == "full":
        return "full", "COURSE_MODE=full"
    found = real_train_dir(root)
    if found is not None:
        return "full", f"auto: real images found in {display_path(found)}"
    return "tiny", (
        f"auto: no real images in {display_path(kaggle_train_dir(root))}, so toy pets; "
        "COURSE_MODE=full downloads them"
    )


def settings_for(mode: str, reason: str = "", root: Path | None = None) -> Settings:
    """The settings of ``mode`` ("tiny" or "full")."""
    root = data_dir() if root is None else root
    if mode == "full":
        return Settings(
            mode="full", reason=reason, data_dir=root, image_size=180, batch_size=32,
            epochs=100, optimizer="rmsprop", learning_rate=1e-3,
            batch_norm_momentum=0.99, split=BOOK_SPLIT,
            # Chapter 2 trains seven models per seed: a third of the book's epochs each, three seeds.
            ablation_epochs=30, ablation_seeds=(0, 1, 2),
        )
    if mode == "tiny":
        # Why these differ from the book is explained in notebooks/00_getting_started.ipynb:
        # few steps need a faster optimizer and batch-norm statistics that keep up.
        return Settings(
            mode="tiny", reason=reason, data_dir=root, image_size=80, batch_size=32,
            epochs=6, optimizer="adam", learning_rate=1e-3,
            batch_norm_momentum=0.9, split=TINY_SPLIT,
            # What fits chapter 2's 150 s budget on 2 CPU cores: one seed, 3 epochs.
            ablation_epochs=3, ablation_seeds=(0,),
        )
    raise ValueError(f"Unknown mode {mode!r}: expected 'tiny' or 'full'.")


@functools.cache
def current_settings() -> Settings:
    """The settings of this process, from ``COURSE_MODE`` and ``COURSE_DATA_DIR`` (read once)."""
    root = data_dir()
    mode, reason = resolve_mode(os.environ.get("COURSE_MODE", "auto"), root)
    return settings_for(mode, reason, root)


def model_path(settings: Settings, name: str = "mini_xception") -> Path:
    """Where chapter 3 keeps its best model of this mode, and where chapters 4 and 5 look for it."""
    return settings.data_dir / "models" / f"{name}_{settings.mode}.keras"


def device_description() -> str:
    """"GPU (name)" when TensorFlow sees a GPU, else "CPU (n cores)"."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        names = [tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus]
        return f"GPU ({', '.join(names)})"
    return f"CPU ({os.cpu_count()} cores, {platform.machine()})"


def display_path(path: Path) -> str:
    """``path`` relative to the course checkout when it is inside it, else in full."""
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def banner(settings: Settings | None = None) -> str:
    """One line for the top of every notebook: mode, data, versions, device."""
    import keras
    import tensorflow as tf

    settings = current_settings() if settings is None else settings
    return (
        f"Mode: {settings.mode} ({settings.reason}) | data: {display_path(settings.data_dir)}/ | "
        f"Keras {keras.__version__}, TensorFlow {tf.__version__} | {device_description()}"
    )


def set_seed(seed: int = 0) -> None:
    """Seed Python, NumPy and the backend in one call, as Keras recommends."""
    import keras

    keras.utils.set_random_seed(seed)
