"""The course's one switch: which data and which training settings a notebook uses (chapter 0).

``COURSE_MODE`` chooses the mode:

* ``tiny``: the generated "toy pets" dataset, small enough to run every notebook
  on a 2-core laptop in minutes;
* ``full``: the real dogs-vs-cats images and the book's recipe (180x180, rmsprop,
  batch 32, 100 epochs);
* ``auto`` (the default): ``full`` when the real images are already on disk,
  otherwise ``tiny``.

``COURSE_DATA_DIR`` says where data lives (default: ``data/`` at the root of the
course checkout, which git ignores), and ``COURSE_EPOCHS`` caps every training budget of
the course (for a slow machine, or a first look at full mode). All three are read once per
process. The folder layout under the data folder is defined here and nowhere else.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, replace
from pathlib import Path

MODES = ("tiny", "full", "auto")
REPO_ROOT = Path(__file__).resolve().parent.parent
CLASS_NAMES = ("cat", "dog")  # label 0 and label 1, the order image_dataset_from_directory gives them
SUBSETS_FOLDER = "cats_vs_dogs_small"  # the book's name for the split, beside the train/ folder


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
    naive_learning_rate: float  # the naive convnet's, which may differ (see notebooks/03_mini_xception)
    batch_norm_momentum: float
    split: Split
    # Chapter 2 trains many small models, at a smaller size than chapter 3.
    experiment_image_size: int
    ablation_width_divisor: int  # the variants' blocks are the book's sizes divided by this
    ablation_epochs: int
    stack_image_size: int
    stack_epochs: int
    toy_difficulty: str = "medium"
    epochs_cut_to: int | None = None  # COURSE_EPOCHS, when it cut the budgets above
    # The training recipe beyond optimizer and rate (chapter 3's faster recipe changes these):
    recipe: str = "book"  # its name in records and on the page
    schedule: str = "constant"  # or "cosine": a linear warm-up, then cosine decay to zero
    warmup_epochs: int = 0
    label_smoothing: float = 0.0
    weight_decay: float = 0.0
    precision: str | None = None  # a Keras dtype policy; None: the fastest here (lib.hardware)
    # COURSE_SEED: where every training and random draw of the chapters starts. 0 gives the values the
    # book was built with; benchmarks/claims.py runs the chapters with others.
    seed: int = 0

    @property
    def calibrated(self) -> bool:
        """Whether these are the settings the course's claims were measured with (tiny mode, budgets
        not cut): only then does a claim that fails stop the notebook (see :mod:`lib.claims`)."""
        return self.mode == "tiny" and self.epochs_cut_to is None

    def budget(self, epochs: int) -> int:
        """A training budget a chapter fixes itself (chapter 6's shortcut, say), cut like the
        settings' own by ``COURSE_EPOCHS``."""
        return epochs if self.epochs_cut_to is None else min(epochs, self.epochs_cut_to)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return (self.image_size, self.image_size, 3)

    @property
    def steps_per_epoch(self) -> int:
        """Training batches per epoch: both classes of the split's training range."""
        start, end = self.split.train
        return -(-len(CLASS_NAMES) * (end - start) // self.batch_size)

    def recipe_fields(self) -> dict:
        """The fields that make up the training recipe, as a record stores them."""
        return {name: getattr(self, name) for name in RECIPE_FIELDS}


RECIPE_FIELDS = ("recipe", "epochs", "optimizer", "learning_rate", "schedule", "warmup_epochs", "batch_norm_momentum",
                 "label_smoothing", "weight_decay", "batch_size", "image_size")

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


def toy_train_dir(root: Path, name: str = "toy_pets") -> Path:
    """Where tiny mode draws its toy pets, in Kaggle's layout (another ``name`` for a variant of them,
    such as chapter 6's marked ones)."""
    return root / name / "train"


def subsets_dir(train_dir: Path, name: str = SUBSETS_FOLDER) -> Path:
    """Where ``make_subset`` puts a split of a ``train/`` folder: the book's ``cats_vs_dogs_small``
    beside it, or another ``name`` for an exercise's own split."""
    return Path(train_dir).parent / name


def kaggle_train_dir(root: Path) -> Path:
    """Where a student puts Kaggle's dogs-vs-cats ``train/`` folder (the book's route)."""
    return root / "dogs-vs-cats" / "train"


def petimages_train_dir(root: Path) -> Path:
    """Where the prepared Microsoft PetImages copy lives, in Kaggle naming."""
    return root / "petimages" / "train"


def oxford_pets_train_dir(root: Path) -> Path:
    """Where the prepared Oxford-IIIT Pet copy lives, in Kaggle naming (the second download source)."""
    return root / "oxford_pets" / "train"


def own_photos_dir(root: Path) -> Path:
    """Where a student puts photos of their own: ``cat/`` and ``dog/`` subfolders, any file names."""
    return root / "my_photos"


def own_photos_train_dir(root: Path) -> Path:
    """Where the student's own photos are laid out in Kaggle naming."""
    return root / "my_photos_prepared" / "train"


def real_train_dirs(root: Path) -> list[Path]:
    """Every place a real-photo ``train/`` folder may be, in the order the course prefers them:
    Kaggle's (the book's), the student's own photos, PetImages, Oxford-IIIT Pet."""
    return [kaggle_train_dir(root), own_photos_train_dir(root), petimages_train_dir(root),
            oxford_pets_train_dir(root)]


def real_train_dir(root: Path) -> Path | None:
    """The first real-photo ``train/`` folder of :func:`real_train_dirs` on disk, or None."""
    for candidate in real_train_dirs(root):
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


def settings_for(mode: str, reason: str = "", root: Path | None = None, epochs: int | None = None,
                 seed: int = 0) -> Settings:
    """The settings of ``mode`` ("tiny" or "full"); ``epochs`` caps every training budget; ``seed``
    (``COURSE_SEED``) is where training and random draws start."""
    settings = replace(_mode_settings(mode, reason, data_dir() if root is None else root), seed=seed)
    return settings if epochs is None else cut_epochs(settings, epochs)


def toy_pets_settings(settings: Settings) -> Settings:
    """The settings for what needs ground truth (part masks, redrawn animals): the toy pets in every
    mode. ``settings`` itself in tiny mode; otherwise tiny mode's, with the same data folder, seed
    and epoch cap."""
    if settings.mode == "tiny":
        return settings
    return settings_for("tiny", "ground truth needs the toy pets", settings.data_dir, settings.epochs_cut_to,
                        settings.seed)


def cut_epochs(settings: Settings, epochs: int) -> Settings:
    """``settings`` with every training budget cut to at most ``epochs`` (``COURSE_EPOCHS``)."""
    return replace(settings, epochs=min(settings.epochs, epochs),
                   ablation_epochs=min(settings.ablation_epochs, epochs),
                   stack_epochs=min(settings.stack_epochs, epochs), epochs_cut_to=epochs)


# Full mode is the book's recipe and data. Chapter 2 trains four variants of the mini Xception and
# two deep stacks: at half the book's size and width, a third of its epochs. A GPU's work.
FULL = Settings(
    mode="full", reason="", data_dir=Path("data"), image_size=180, batch_size=32,
    epochs=100, optimizer="rmsprop", learning_rate=1e-3, naive_learning_rate=1e-3,
    batch_norm_momentum=0.99, split=BOOK_SPLIT,
    experiment_image_size=90, ablation_width_divisor=2, ablation_epochs=30,
    stack_image_size=64, stack_epochs=20,
)
# Why tiny mode differs from the book is explained in notebooks/00_getting_started.ipynb: few steps
# need a faster optimizer and batch-norm statistics that keep up. The naive convnet, without batch
# norm, often sits at 50% for epochs at 1e-3 (and never leaves it at 2e-3): it learns from the first
# epochs at 3e-4 (chapter 3 shows it). Chapter 2's variants at 48x48 and a quarter of the book's
# widths train as fast as they ever will on a CPU (their time is per-step overhead more than
# arithmetic): 10 epochs each, one seed (benchmarks/claims.py runs others), show every principle's gap.
TINY = replace(
    FULL, mode="tiny", recipe="tiny", image_size=80, epochs=8, optimizer="adam", naive_learning_rate=3e-4,
    batch_norm_momentum=0.9, split=TINY_SPLIT,
    experiment_image_size=48, ablation_width_divisor=4, ablation_epochs=10, stack_image_size=32, stack_epochs=10,
)
MODES_SETTINGS = {"full": FULL, "tiny": TINY}
# Full mode's recipes by name (chapter 3): what each changes in the book's. "fast" is the trial of
# results/full/trials/ with the best validation accuracy in at most 40 epochs (its record is
# results/full/mini_xception_fast.json): batch-norm statistics that keep up, a learning rate that
# warms up and then decays along a cosine, and twice the updates per epoch.
RECIPES: dict[str, dict] = {
    "book": {},
    "fast": {"epochs": 40, "batch_norm_momentum": 0.9, "schedule": "cosine", "warmup_epochs": 2, "batch_size": 16},
}


def with_recipe(settings: Settings, name: str) -> Settings:
    """``settings`` with the recipe ``name`` of :data:`RECIPES` (full mode's) in place of its own."""
    if name not in RECIPES:
        raise ValueError(f"No recipe called {name!r}: choose one of {', '.join(RECIPES)}.")
    if settings.mode != "full" and name != "book":
        raise ValueError(f"The {name!r} recipe is full mode's (real photographs); this is {settings.mode} mode.")
    chosen = settings if name == "book" else replace(settings, recipe=name, **RECIPES[name])
    return _cut_again(chosen, settings.epochs_cut_to)


def with_overrides(settings: Settings, assignments: list[str]) -> Settings:
    """``settings`` with fields set from ``field=value`` strings (``learning_rate=2e-3``), each
    value converted to the type the field holds now; an unknown field or value is a clear error."""
    changes = {}
    for assignment in assignments:
        field, sep, text = assignment.partition("=")
        if not sep or not hasattr(settings, field) or field in ("mode", "data_dir", "split"):
            raise ValueError(f"{assignment!r} is not field=value for a recipe field: use one of "
                             f"{', '.join(RECIPE_FIELDS)}, "
                             "precision or naive_learning_rate, e.g. learning_rate=2e-3.")
        current = getattr(settings, field)
        try:
            changes[field] = text if current is None or isinstance(current, str) else type(current)(text)
        except ValueError as error:
            raise ValueError(f"{assignment!r}: {field} takes a {type(current).__name__}.") from error
    return _cut_again(replace(settings, **changes), settings.epochs_cut_to)


def _cut_again(settings: Settings, cut_to: int | None) -> Settings:
    """A recipe brings its own epochs: ``COURSE_EPOCHS`` (or ``--epochs``) still cuts them."""
    return settings if cut_to is None else cut_epochs(settings, cut_to)


def _mode_settings(mode: str, reason: str, root: Path) -> Settings:
    if mode not in MODES_SETTINGS:
        raise ValueError(f"Unknown mode {mode!r}: expected 'tiny' or 'full'.")
    return replace(MODES_SETTINGS[mode], reason=reason, data_dir=root)


def seed_override() -> int:
    """``COURSE_SEED`` as a whole number (0 when it is not set)."""
    value = os.environ.get("COURSE_SEED", "").strip()
    if not value:
        return 0
    if not value.isdigit():
        raise ValueError(f"COURSE_SEED={value!r} is not a seed: set it to a whole number such as 1 (0, the "
                         "default, gives the book's values), or unset it.")
    return int(value)


def epochs_override() -> int | None:
    """``COURSE_EPOCHS`` as a whole number of at least 1, or None when it is not set."""
    value = os.environ.get("COURSE_EPOCHS", "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"COURSE_EPOCHS={value!r} is not a number of epochs: set it to a whole number "
                         "such as 3 (every model then trains for at most 3 epochs), or unset it.")
    return int(value)


@functools.cache
def current_settings() -> Settings:
    """The settings of this process, from ``COURSE_MODE``, ``COURSE_DATA_DIR``, ``COURSE_EPOCHS``
    and ``COURSE_SEED`` (read once)."""
    root = data_dir()
    mode, reason = resolve_mode(os.environ.get("COURSE_MODE", "auto"), root)
    return settings_for(mode, reason, root, epochs_override(), seed_override())


def model_path(settings: Settings, name: str = "mini_xception") -> Path:
    """Where chapter 3 keeps its best model of this mode, and where chapters 4 and 5 look for it.
    A run with its epochs cut keeps its own, so that a later run at the full budget never analyses it."""
    cut = "" if settings.epochs_cut_to is None else f"_{settings.epochs}_epochs"
    return settings.data_dir / "models" / f"{name}_{settings.mode}{cut}.keras"


def display_path(path: Path) -> str:
    """``path`` relative to the course checkout when it is inside it, else in full."""
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def banner(settings: Settings | None = None, cut_by: str = "COURSE_EPOCHS") -> str:
    """One line for the top of every notebook: mode, data, epochs cut (and by what), a seed other than
    the book's, backend, device."""
    import keras

    from lib import backend, hardware

    settings = current_settings() if settings is None else settings
    cut = f" | epochs cut to {settings.epochs_cut_to} ({cut_by})" if settings.epochs_cut_to else ""
    seed = f" | seed {settings.seed} (COURSE_SEED)" if settings.seed else ""
    return (
        f"Mode: {settings.mode} ({settings.reason}) | data: {display_path(settings.data_dir)}/{cut}{seed} | "
        f"Keras {keras.__version__} on {backend.version()} | {hardware.device_description()}"
    )


def set_seed(seed: int = 0) -> None:
    """Seed Python, NumPy and the backend in one call, as Keras recommends."""
    import keras

    keras.utils.set_random_seed(seed)
