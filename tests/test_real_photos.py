"""Full mode on the book's real photographs: the split the book makes, and a few training steps.

The photographs are not the course's to redistribute, so they are never in the project: these
tests use the copy in ``../shared/real_photos`` where a development machine has one, and skip,
saying so, everywhere else (a student's fresh clone, most CI runs).
"""

from pathlib import Path

import keras
import numpy as np
import pytest

from lib import config, data, models, train

SHARED_PHOTOS = Path(__file__).resolve().parent.parent.parent / "shared" / "real_photos" / "dogs-vs-cats" / "train"

pytestmark = pytest.mark.skipif(not (SHARED_PHOTOS / "cat.0.jpg").is_file(),
                                reason=f"the real photographs are not here ({SHARED_PHOTOS} is absent): "
                                       "full mode's own tests run where ../shared/real_photos exists")


@pytest.fixture(scope="module")
def full_settings(tmp_path_factory):
    """Full mode with a data folder of its own, in which train/ is a link to the shared photos:
    the split is written beside the link, never into the shared folder."""
    root = tmp_path_factory.mktemp("full")
    config.kaggle_train_dir(root).parent.mkdir(parents=True)
    config.kaggle_train_dir(root).symlink_to(SHARED_PHOTOS, target_is_directory=True)
    mode, reason = config.resolve_mode("auto", root)
    assert mode == "full" and "real images found" in reason
    return config.settings_for("full", reason, root, epochs=1)


def test_the_books_split_is_built_from_the_real_photos(full_settings):
    base = data.prepare_data(full_settings)
    counts = {subset: {c: len(list((base / subset / c).glob("*.jpg"))) for c in config.CLASS_NAMES}
              for subset, _ in config.BOOK_SPLIT.items()}
    assert counts == {"train": {"cat": 1000, "dog": 1000}, "validation": {"cat": 500, "dog": 500},
                      "test": {"cat": 1000, "dog": 1000}}
    assert not (SHARED_PHOTOS.parent / config.SUBSETS_FOLDER).exists(), "nothing written into the shared folder"


def test_the_mini_xception_trains_a_few_steps_on_them(full_settings):
    base = data.prepare_data(full_settings)
    train_ds, validation_ds, _ = data.load_datasets(base, full_settings.image_size, full_settings.batch_size)
    model = train.build_for(full_settings)
    assert model.count_params() == models.BOOK_PARAMETERS
    stem = model.get_layer(models.STEM).get_weights()[0].copy()
    history = model.fit(train_ds, validation_data=validation_ds, epochs=1, steps_per_epoch=3, validation_steps=2,
                        verbose=0, shuffle=False)
    assert np.isfinite(history.history["loss"][0]) and np.isfinite(history.history["val_loss"][0])
    assert not np.allclose(model.get_layer(models.STEM).get_weights()[0], stem), "three steps moved the weights"
    assert isinstance(model.optimizer, keras.optimizers.RMSprop), "full mode is the book's recipe"
