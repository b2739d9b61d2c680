import os
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from lib.files import MANIFEST, NotOurFolderError
from lib.toy_pets import DIFFICULTIES, PART_LABELS, draw_pet, load_part_mask, make_toy_pets, mask_directory_for


def test_layout_is_kaggles_train_folder(toy_train_dir):
    names = sorted(p.name for p in toy_train_dir.iterdir() if p.name != MANIFEST)
    expected = sorted(f"{label}.{i}.jpg" for label in ("cat", "dog") for i in range(12))
    assert names == expected
    with Image.open(toy_train_dir / "dog.3.jpg") as image:
        assert image.format == "JPEG" and image.mode == "RGB" and image.size == (128, 128)
    masks = sorted(p.name for p in mask_directory_for(toy_train_dir).iterdir() if p.name != MANIFEST)
    assert masks == [n.replace(".jpg", ".png") for n in expected]


def test_same_seed_gives_byte_identical_files(tmp_path):
    first = make_toy_pets(tmp_path / "a" / "train", 3, seed=7)
    second = make_toy_pets(tmp_path / "b" / "train", 3, seed=7)
    other = make_toy_pets(tmp_path / "c" / "train", 3, seed=8)
    for name in ("cat.0.jpg", "dog.2.jpg"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
        assert (first / name).read_bytes() != (other / name).read_bytes()


def test_rerun_reuses_the_folder(toy_train_dir):
    before = {p.name: p.stat().st_mtime_ns for p in toy_train_dir.iterdir()}
    assert make_toy_pets(toy_train_dir, n_per_class=12) == toy_train_dir
    assert {p.name: p.stat().st_mtime_ns for p in toy_train_dir.iterdir()} == before


def test_a_different_request_replaces_what_the_course_made(tmp_path):
    folder = make_toy_pets(tmp_path / "train", 2)
    make_toy_pets(folder, 3)
    assert (folder / "cat.2.jpg").is_file() and (mask_directory_for(folder) / "dog.2.png").is_file()


def test_a_students_folder_is_never_touched(tmp_path):
    folder = tmp_path / "train"
    folder.mkdir()
    (folder / "my_cat.jpg").write_bytes(b"precious")
    with pytest.raises(NotOurFolderError, match="my_cat.jpg.*Nothing was changed"):
        make_toy_pets(folder, 2)
    assert os.listdir(folder) == ["my_cat.jpg"] and (folder / "my_cat.jpg").read_bytes() == b"precious"


def test_needs_at_least_one_image_per_class(tmp_path):
    with pytest.raises(ValueError, match="at least 1"):
        make_toy_pets(tmp_path / "train", 0)


@pytest.mark.parametrize("label", ["cat", "dog"])
def test_part_mask_lines_up_with_the_drawn_head(label):
    """Without clutter or noise the background is a vertical gradient: every row is one colour.

    So pixels outside the mask must match their row's background colour, and pixels
    inside it (the drawn parts) must mostly differ from it.
    """
    clean = replace(DIFFICULTIES["easy"], clutter_shapes=0, decoy_probability=0.0, noise_std=0.0)
    for index in range(6):
        image, mask = draw_pet(label, index, seed=1, level=clean)
        pixels, mask = np.asarray(image, dtype=float), np.asarray(mask)
        outside = mask == PART_LABELS["background"]
        row_colour = np.stack([np.median(pixels[r][outside[r]], axis=0) for r in range(len(pixels))])
        distance = np.abs(pixels - row_colour[:, None, :]).max(axis=-1)
        assert np.mean(distance[outside] < 12) > 0.97
        assert np.mean(distance[~outside] >= 12) > 0.85
        for part in ("face", "ears", "muzzle"):
            assert (mask == PART_LABELS[part]).sum() > 20, f"{label}.{index} has no visible {part}"


def test_occlusion_removes_covered_parts_from_the_mask():
    always = replace(DIFFICULTIES["medium"], occlusion_probability=1.0)
    never = replace(DIFFICULTIES["medium"], occlusion_probability=0.0)
    covered = [np.count_nonzero(draw_pet("cat", i, 0, always)[1]) for i in range(8)]
    visible = [np.count_nonzero(draw_pet("cat", i, 0, never)[1]) for i in range(8)]
    assert sum(covered) < sum(visible)


def test_harder_levels_have_more_clutter_and_smaller_heads():
    easy, medium, hard = (DIFFICULTIES[k] for k in ("easy", "medium", "hard"))
    assert easy.clutter_shapes < medium.clutter_shapes < hard.clutter_shapes
    assert easy.head_scale[0] > medium.head_scale[0] > hard.head_scale[0]


def test_load_part_mask_finds_a_copied_images_mask(toy_subsets, toy_train_dir):
    mask = load_part_mask(mask_directory_for(toy_train_dir), toy_subsets / "test" / "cat" / "cat.10.jpg")
    assert mask.shape == (128, 128) and set(np.unique(mask)) <= set(PART_LABELS.values())


def test_load_part_mask_explains_a_missing_mask(tmp_path):
    with pytest.raises(FileNotFoundError, match="only for generated toy pets"):
        load_part_mask(tmp_path, "cat.0.jpg")


def test_unknown_label_is_refused():
    with pytest.raises(ValueError, match="label must be one of"):
        draw_pet("horse", 0, 0, DIFFICULTIES["easy"])


def test_sample_draws_cats_then_dogs_in_memory():
    from lib.toy_pets import sample

    images = sample(2, seed=3, image_size=64)
    assert images.shape == (4, 64, 64, 3) and images.dtype == np.uint8
    assert (images == sample(2, seed=3, image_size=64)).all()
    first_cat, _ = draw_pet("cat", 0, 3, DIFFICULTIES["hard"], 64)
    assert (images[0] == np.asarray(first_cat)).all()
