"""find_bad_images, make_subset and load_datasets, on files the tests make themselves."""

import io
from dataclasses import replace
import shutil

import numpy as np
import pytest
from PIL import Image

from lib import data, images
from lib.files import NotOurFolderError
from lib.toy_pets import mask_directory_for


def encoded(fmt: str, mode: str = "RGB", size=(40, 30)) -> bytes:
    pixels = np.random.default_rng(0).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).convert(mode).save(buffer, fmt)
    return buffer.getvalue()


GOOD = {
    "good.jpg": encoded("JPEG"),
    "png_named.jpg": encoded("PNG"),
    "webp_named.jpg": encoded("WEBP"),
    "cmyk.jpg": encoded("JPEG", "CMYK"),
    "grayscale.jpg": encoded("JPEG", "L"),
}
BAD = {
    "empty.jpg": b"",
    "truncated.jpg": encoded("JPEG")[:300],
    "text.jpg": b"this is not an image\n",
}


@pytest.fixture
def odd_images(tmp_path):
    folder = tmp_path / "odd"
    folder.mkdir()
    for name, content in {**GOOD, **BAD}.items():
        (folder / name).write_bytes(content)
    (folder / "notes.txt").write_text("not an image, and not named like one: the pipeline ignores it")
    return folder


@pytest.mark.parametrize("pipeline", images.PIPELINES)
def test_find_bad_images_lists_exactly_what_the_decoder_rejects(odd_images, pipeline):
    assert sorted(p.name for p in images.find_bad_images(odd_images, pipeline)) == sorted(BAD)
    assert sorted(p.name for p in odd_images.iterdir()) == sorted([*GOOD, *BAD, "notes.txt"]), "nothing is deleted"


@pytest.mark.parametrize("pipeline", images.PIPELINES)
def test_the_readable_odd_formats_load_through_the_pipeline(odd_images, tmp_path, pipeline):
    base = tmp_path / "base"
    for subset in ("train", "validation", "test"):
        for category in ("cat", "dog"):
            (base / subset / category).mkdir(parents=True)
            for name in GOOD:
                shutil.copy(odd_images / name, base / subset / category / name)
    train, _, _ = data.load_datasets(base, image_size=32, batch_size=4, pipeline=pipeline)
    shapes = [images.shape[1:] for images, _ in data.batches(train)]
    assert sum(len(images) for images, _ in data.batches(train)) == 2 * len(GOOD) and shapes[0] == (32, 32, 3)


def test_find_bad_images_explains_a_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        images.find_bad_images(tmp_path / "nowhere")


def kaggle_folder(root, n, bad=()):
    """A train/ folder of n cats and n dogs; the indices in ``bad`` hold unreadable cat files."""
    root.mkdir(parents=True)
    for category in ("cat", "dog"):
        for i in range(n):
            content = BAD["truncated.jpg"] if (category == "cat" and i in bad) else GOOD["good.jpg"]
            (root / f"{category}.{i}.jpg").write_bytes(content)
    return root


def listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*.jpg"))


def test_make_subset_twice_reuses_without_duplicates(tmp_path, capsys):
    source = kaggle_folder(tmp_path / "train", 6)
    first = data.make_subset("train", 0, 4, source, tmp_path / "small")
    files = listing(first)
    assert files == [f"{c}/{c}.{i}.jpg" for c in ("cat", "dog") for i in range(4)]
    assert data.make_subset("train", 0, 4, source, tmp_path / "small") == first
    assert listing(first) == files
    assert "Built" in capsys.readouterr().out.splitlines()[0]
    data.make_subset("train", 0, 4, source, tmp_path / "small")
    assert capsys.readouterr().out == "", "a subset reused as it was says nothing"


def test_make_subset_with_another_range_replaces_its_own_subset(tmp_path):
    source = kaggle_folder(tmp_path / "train", 6)
    target = data.make_subset("validation", 0, 2, source, tmp_path / "small")
    data.make_subset("validation", 4, 6, source, tmp_path / "small")
    assert listing(target) == ["cat/cat.4.jpg", "cat/cat.5.jpg", "dog/dog.4.jpg", "dog/dog.5.jpg"]


def test_make_subset_skips_unreadable_images_and_says_how_many(tmp_path, capsys):
    source = kaggle_folder(tmp_path / "train", 5, bad={1, 3})
    target = data.make_subset("train", 0, 5, source, tmp_path / "small")
    assert listing(target / "cat") == ["cat.0.jpg", "cat.2.jpg", "cat.4.jpg"]
    assert "train/cat: skipped 2 unreadable image(s) of 5: cat.1.jpg, cat.3.jpg" in capsys.readouterr().out
    assert (source / "cat.1.jpg").exists(), "the student's source files are never deleted"


def test_make_subset_says_what_is_missing(tmp_path):
    source = kaggle_folder(tmp_path / "train", 3)
    message = r"train/ holds 3 cat images; the split needs cat\.0\.jpg \.\.\. cat\.4\.jpg"
    with pytest.raises(FileNotFoundError, match=message):
        data.make_subset("train", 0, 5, source, tmp_path / "small")
    assert not (tmp_path / "small").exists()


def test_make_subset_explains_a_missing_source(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist.*Kaggle's train/"):
        data.make_subset("train", 0, 5, tmp_path / "nowhere", tmp_path / "small")


def test_make_subset_refuses_bad_ranges(tmp_path):
    with pytest.raises(ValueError, match="start_index < end_index"):
        data.make_subset("train", 5, 5, tmp_path, tmp_path / "small")


def test_make_subset_leaves_a_students_folder_alone(tmp_path):
    source = kaggle_folder(tmp_path / "train", 3)
    (tmp_path / "small" / "train" / "cat").mkdir(parents=True)
    (tmp_path / "small" / "train" / "cat" / "my_cat.jpg").write_bytes(b"mine")
    with pytest.raises(NotOurFolderError, match="my_cat.jpg"):
        data.make_subset("train", 0, 2, source, tmp_path / "small")
    assert (tmp_path / "small" / "train" / "cat" / "my_cat.jpg").read_bytes() == b"mine"


def test_an_interrupted_make_subset_leaves_no_half_subset(tmp_path, monkeypatch):
    source = kaggle_folder(tmp_path / "train", 4)
    copies, real_copy = [], shutil.copyfile

    def copy_then_fail(src, dst):
        copies.append(src)
        if len(copies) == 3:
            raise KeyboardInterrupt
        return real_copy(src, dst)

    monkeypatch.setattr(data.shutil, "copyfile", copy_then_fail)
    with pytest.raises(KeyboardInterrupt):
        data.make_subset("train", 0, 4, source, tmp_path / "small")
    assert not (tmp_path / "small" / "train").exists()
    monkeypatch.undo()
    assert len(listing(data.make_subset("train", 0, 4, source, tmp_path / "small"))) == 8


@pytest.mark.parametrize("pipeline", images.PIPELINES)
def test_load_datasets_shapes_labels_and_order(toy_subsets, pipeline):
    train, validation, test = data.load_datasets(toy_subsets, image_size=48, batch_size=5, pipeline=pipeline)
    images, labels = data.first_batch(train)
    assert images.shape == (5, 48, 48, 3) and images.dtype.name == "uint8"
    assert labels.dtype.name == "int32"
    assert sum(len(b) for b, _ in data.batches(train)) == 16 and sum(len(b) for b, _ in data.batches(validation)) == 4
    test_labels = np.concatenate([y for _, y in data.batches(test)])
    assert list(test_labels) == [0, 0, 1, 1], "cats are class 0 and dogs class 1, in folder order"
    epochs = [np.concatenate([y for _, y in data.batches(train)]) for _ in range(3)]
    assert any((a != b).any() for a, b in zip(epochs, epochs[1:])), "reshuffled every epoch"


def test_both_pipelines_give_the_same_images_and_labels(toy_subsets):
    """The "arrays" pipeline (no TensorFlow) serves what tf.data serves, up to the decoders' rounding."""
    served = {}
    for pipeline in images.PIPELINES:
        _, _, test = data.load_datasets(toy_subsets, image_size=(40, 40), batch_size=3, pipeline=pipeline)
        pictures, labels = zip(*data.batches(test))
        served[pipeline] = np.concatenate(pictures).astype(int), np.concatenate(labels)
    (tf_images, tf_labels), (array_images, array_labels) = served.values()
    assert (tf_labels == array_labels).all() and tf_images.shape == array_images.shape == (4, 40, 40, 3)
    assert np.abs(tf_images - array_images).mean() < 2, "JPEG decoders differ by a grey level here and there"


def test_image_size_may_be_written_as_keras_and_the_book_write_it(toy_subsets):
    for size in (36, (36, 36)):
        train, _, _ = data.load_datasets(toy_subsets, image_size=size, batch_size=4)
        assert data.first_batch(train)[0].shape == (4, 36, 36, 3)
    train, _, _ = data.load_datasets(toy_subsets, image_size=(30, 40), batch_size=4)
    assert data.first_batch(train)[0].shape == (4, 30, 40, 3)


def test_the_arrays_pipeline_trains_a_model(toy_subsets):
    from lib import models

    train, validation, _ = data.load_datasets(toy_subsets, image_size=32, batch_size=4, pipeline="arrays")
    model = models.compile_model(models.build_mini_xception((32, 32, 3), block_sizes=(8,)), "adam")
    history = model.fit(train, validation_data=validation, epochs=2, verbose=0)
    assert len(history.history["val_accuracy"]) == 2


def test_load_datasets_turn_off_the_autotuner_that_stalls_epoch_starts(toy_subsets):
    """See load_datasets' docstring: with it on, most epochs began with a ~9 s idle wait."""
    for dataset in data.load_datasets(toy_subsets, image_size=32, batch_size=4, pipeline="tf.data"):
        assert dataset.options().autotune.enabled is False


def test_load_datasets_explains_a_missing_subset_or_pipeline(tmp_path, toy_subsets):
    with pytest.raises(FileNotFoundError, match="run make_subset"):
        data.load_datasets(tmp_path, 32, 4)
    with pytest.raises(ValueError, match="tf.data, arrays"):
        data.load_datasets(toy_subsets, 32, 4, pipeline="grain")


def test_prepare_data_in_tiny_mode_builds_the_split(data_root, monkeypatch):
    from lib import config

    tiny = config.settings_for("tiny", root=data_root)
    small = replace(tiny, split=config.Split((0, 4), (4, 6), (6, 8)))
    base = data.prepare_data(small)
    assert base == config.subsets_dir(config.toy_train_dir(data_root))
    assert len(listing(base / "validation")) == 4 and mask_directory_for(config.toy_train_dir(data_root)).is_dir()


def test_subset_files_lists_cats_then_dogs_by_index(toy_subsets):
    paths, labels = data.subset_files(toy_subsets, "train", per_class=3)
    assert [p.name for p in paths] == ["cat.0.jpg", "cat.1.jpg", "cat.2.jpg", "dog.0.jpg", "dog.1.jpg", "dog.2.jpg"]
    assert labels.tolist() == [0, 0, 0, 1, 1, 1]
    with pytest.raises(FileNotFoundError, match="fewer than the 9 asked for"):
        data.subset_files(toy_subsets, "test", per_class=9)


@pytest.mark.parametrize("pipeline", images.PIPELINES)
def test_load_images_match_what_the_pipeline_feeds_the_model(toy_subsets, pipeline):
    _, _, test = data.load_datasets(toy_subsets, image_size=48, batch_size=4, pipeline=pipeline)
    served = np.concatenate([x for x, _ in data.batches(test)])
    paths, _ = data.subset_files(toy_subsets, "test", per_class=2)
    loaded = data.load_images(paths, 48, pipeline)
    assert loaded.dtype == np.uint8 and loaded.shape == (4, 48, 48, 3)
    np.testing.assert_array_equal(loaded, served)


def test_load_part_masks_keep_the_part_labels_at_the_models_size(toy_subsets):
    from lib.toy_pets import PART_LABELS

    paths, _ = data.subset_files(toy_subsets, "test", per_class=2)
    masks = data.load_part_masks(toy_subsets, paths, 48)
    assert masks.shape == (4, 48, 48)
    assert set(np.unique(masks)) <= set(PART_LABELS.values()) and (masks > 0).any()
