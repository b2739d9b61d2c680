import os
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from lib.files import MANIFEST, NotOurFolderError
from lib.toy_pets import (CLASS_PARTS, DIFFICULTIES, HEAD_PARTS, PART_LABELS, draw_pair, draw_pet, load_part_mask,
                          make_toy_pets, mask_directory_for, sample, sample_scene)


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
        for part in HEAD_PARTS:
            assert (mask == PART_LABELS[part]).sum() > 3, f"{label}.{index} has no visible {part}"


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
    images, masks = sample(2, seed=3, image_size=64)
    assert images.shape == (4, 64, 64, 3) and images.dtype == np.uint8 and masks.shape == (4, 64, 64)
    assert (images == sample(2, seed=3, image_size=64)[0]).all()
    first_cat, first_mask = draw_pet("cat", 0, 3, DIFFICULTIES["hard"], 64)
    assert (images[0] == np.asarray(first_cat)).all() and (masks[0] == np.asarray(first_mask)).all()


def test_both_classes_draw_every_colour_from_one_distribution():
    """The class lives in shape only: the same random numbers, in the same order, give every colour."""
    scenes = {label: [sample_scene(label, i, 0, DIFFICULTIES["hard"]) for i in range(300)] for label in ("cat", "dog")}
    for part in scenes["cat"][0].colours:
        means = {label: np.mean([s.colours[part] for s in found]) for label, found in scenes.items()}
        assert abs(means["cat"] - means["dog"]) < 12, f"{part}: mean colour {means}"
    for label, found in scenes.items():
        assert {scene.parts for scene in found} == {CLASS_PARTS[label]}


def test_a_counterfactual_changes_the_part_asked_for_and_nothing_else():
    level = replace(DIFFICULTIES["medium"], occlusion_probability=0.0)
    cat, cat_mask = (np.asarray(a) for a in draw_pet("cat", 4, 0, level))
    floppy = replace(CLASS_PARTS["cat"], ears="floppy")
    edited, edited_mask = (np.asarray(a) for a in draw_pet("cat", 4, 0, level, parts=floppy))
    changed = (np.abs(cat.astype(int) - edited).max(axis=-1) > 40)
    ears = (cat_mask == PART_LABELS["ears"]) | (edited_mask == PART_LABELS["ears"])
    assert changed.any() and changed[~ears].mean() < 0.01, "only the ears' pixels change"
    assert (cat_mask[~ears] == edited_mask[~ears]).all()


def test_the_cue_is_drawn_and_labelled_in_the_top_left_corner():
    image, mask = (np.asarray(a) for a in draw_pet("dog", 1, 0, "hard", cue="corner_mark"))
    cue = mask == PART_LABELS["cue"]
    rows, columns = np.nonzero(cue)
    assert cue.any() and rows.max() < 32 and columns.max() < 32
    plain, _ = draw_pet("dog", 1, 0, "hard")
    assert not (np.asarray(plain)[cue] == image[cue]).all()


def test_make_toy_pets_marks_only_the_images_asked_for(tmp_path):
    folder = make_toy_pets(tmp_path / "train", 4, cue_for={"dog": (0, 2)})
    masks = mask_directory_for(folder)
    marked = {name: (load_part_mask(masks, name) == PART_LABELS["cue"]).any()
              for name in (f"{c}.{i}.jpg" for c in ("cat", "dog") for i in range(4))}
    assert [n for n, has in marked.items() if has] == ["dog.0.jpg", "dog.1.jpg"]


def test_a_pair_holds_a_cat_on_the_left_and_a_dog_on_the_right():
    image, heads = draw_pair(0, seed=0, image_size=96)
    assert np.asarray(image).shape == (96, 96, 3) and heads.shape == (2, 96, 96)
    columns = [np.nonzero(head)[1] for head in heads]
    assert columns[0].max() < 48 <= columns[1].min() and not (heads[0] & heads[1]).any()


def test_no_colour_is_commoner_in_one_class_than_in_the_other():
    """At the pixel level too: for every colour bin, the share of the image it covers is no more
    likely to be larger in cats than in dogs (Mann-Whitney, Bonferroni over the 64 bins). Cats'
    pink inner ears and nose, as toy pets version 1 drew them, fail this."""
    from scipy.stats import mannwhitneyu

    images, _ = sample(150, seed=5, difficulty="easy", image_size=48)
    bins = (images.astype(int) // 64) @ np.array([16, 4, 1])
    shares = np.stack([np.bincount(b.ravel(), minlength=64) / b.size for b in bins])
    p_values = mannwhitneyu(shares[:150], shares[150:], axis=0).pvalue
    assert np.nanmin(p_values) * 64 > 0.001, f"colour bin {np.nanargmin(p_values)} tells the classes apart"
