"""lib.interpret.sanity: scoring heatmaps against part masks, and cascading randomization (chapter 6)."""

import numpy as np
import pytest

from lib.interpret import gradcam, sanity
from lib.toy_pets import PART_LABELS


def test_pointing_game_scores_the_maximum_and_the_mass_inside_the_mask():
    masks = np.zeros((3, 4, 4), dtype=bool)
    masks[:, :2, :2] = True  # a quarter of each image
    heatmaps = np.zeros((3, 4, 4), dtype="float32")
    heatmaps[0, 0, 0], heatmaps[0, 3, 3] = 1.0, 0.5  # hit; two thirds of the mass inside
    heatmaps[1, 3, 3] = 1.0  # miss
    score = sanity.pointing_game(heatmaps, masks)  # the third map is all zero: a miss
    assert score.hits == pytest.approx(1 / 3) and score.mass_inside == pytest.approx(2 / 9)
    assert score.area == 0.25 and "pointing game 33%" in str(score)
    assert score.blank == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="one mask"):
        sanity.pointing_game(heatmaps, masks[:2])


def test_pointing_game_upsamples_coarse_maps_to_the_mask():
    masks = np.zeros((1, 20, 20), dtype=bool)
    masks[0, 10:, 10:] = True
    coarse = np.array([[[0.1, 0.2], [0.3, 1.0]]], dtype="float32")
    assert sanity.pointing_game(coarse, masks).hits == 1.0
    assert sanity.pointing_game(coarse[:, ::-1, ::-1], masks).hits == 0.0


def test_part_scores_score_every_part_beside_what_a_uniform_map_gets():
    parts = np.zeros((2, 4, 4), dtype="uint8")  # background, except:
    parts[:, 0, :] = PART_LABELS["ears"]  # a quarter of each image
    parts[:, 1, :2] = PART_LABELS["eyes"]  # an eighth
    heatmaps = np.zeros((2, 4, 4), dtype="float32")
    heatmaps[:, 0, 0] = 1.0  # all the mass on the ears, the maximum too
    scores = sanity.part_scores(heatmaps, parts)
    assert "cue" not in scores, "no image has a cue: no cue column"
    assert scores["ears"].hits == 1.0 and scores["ears"].mass_inside == 1.0 and scores["ears"].area == 0.25
    assert scores["eyes"].hits == 0.0 and scores["eyes"].area == 0.125
    assert scores["head"].mass_inside == 1.0 and scores["head"].area == 0.375
    assert scores["background"].mass_inside == 0.0 and scores["background"].area == 0.625
    uniform = sanity.uniform_scores(parts)
    assert uniform == {name: score.area for name, score in scores.items()}
    parts[0, 3, 3] = PART_LABELS["cue"]
    assert sanity.part_scores(heatmaps, parts)["cue"].area == 1 / 32


def test_reinitialized_copy_has_fresh_weights_from_its_seed(mini_xception):
    first, again, other = (sanity.reinitialized_copy(mini_xception, seed) for seed in (1, 1, 2))
    kernel = lambda m: m.get_layer("stem_conv").get_weights()[0]  # noqa: E731
    np.testing.assert_array_equal(kernel(first), kernel(again))
    assert not np.allclose(kernel(first), kernel(other))
    assert not np.allclose(kernel(first), kernel(mini_xception))


def test_weighted_layers_run_from_the_top(mini_xception):
    order = sanity.weighted_layer_names(mini_xception)
    assert order[0] == "logit" and order[-1] == "stem_conv"
    assert all(mini_xception.get_layer(n).weights for n in order)


def test_cascading_randomization_runs_from_the_trained_map_to_the_random_models_map(mini_xception, images):
    labels = [1, 0, 1, 0]
    total = len(sanity.weighted_layer_names(mini_xception))
    maps, reached = sanity.cascading_randomization(mini_xception, images, labels, "block2_add", [0, 1, total],
                                                   explain=gradcam.grad_cam)
    assert maps.shape == (3, 4, 7, 7) and reached == ["(none)", "logit", "stem_conv"]
    trained = gradcam.grad_cam_for_labels(mini_xception, images, labels, "block2_add", explain=gradcam.grad_cam)
    fresh = gradcam.grad_cam_for_labels(sanity.reinitialized_copy(mini_xception), images, labels, "block2_add",
                                        explain=gradcam.grad_cam)
    np.testing.assert_allclose(maps[0], trained, atol=1e-5)
    np.testing.assert_allclose(maps[-1], fresh, atol=1e-5)
    assert not np.allclose(maps[1], maps[0], atol=1e-3), "randomizing the top layer changes the map"
    assert sanity.rank_correlations(maps).shape == (4, 3)
    with pytest.raises(ValueError, match="steps must lie"):
        sanity.cascading_randomization(mini_xception, images, labels, "block2_add", [total + 1],
                                       explain=gradcam.grad_cam)


def test_rank_correlation():
    a = np.arange(9.0).reshape(3, 3)
    assert sanity.rank_correlation(a, a ** 3) == pytest.approx(1.0)
    assert sanity.rank_correlation(a, -a) == pytest.approx(-1.0)
    assert sanity.rank_correlation(a, np.zeros_like(a)) == 0.0


def test_mass_on_masks_splits_each_heatmap_between_its_masks():
    heatmaps = np.zeros((1, 4, 4), dtype="float32")
    heatmaps[0, 0, :2], heatmaps[0, 3, 3] = 1.0, 2.0
    masks = np.zeros((1, 2, 4, 4), dtype=bool)
    masks[0, 0, 0, :] = True  # the first row: 2 of the map's 4
    masks[0, 1, 3, 3] = True  # the last pixel: the other 2
    np.testing.assert_allclose(sanity.mass_on_masks(heatmaps, masks), [[0.5, 0.5]])


def test_top_overlap_is_one_for_the_same_map_and_near_the_fraction_for_unrelated_ones():
    rng = np.random.default_rng(0)
    maps = rng.uniform(size=(500, 10, 10))
    assert sanity.top_overlap(maps, maps) == 1.0
    assert sanity.top_overlap(maps, rng.uniform(size=(500, 10, 10))) == pytest.approx(0.1, abs=0.02)
    assert sanity.top_overlap(maps[:, ::2, ::2], maps[:, ::2, ::2]) == 1.0, "maps of any size"


def test_the_scores_table_gives_each_rows_share_of_blank_maps():
    masks = np.zeros((4, 4, 4), dtype=bool)
    masks[:, :2, :2] = True
    heatmaps = np.zeros((4, 4, 4), dtype="float32")
    heatmaps[0, 0, 0] = 1.0  # one map of four has any mass: three are blank
    table = {("untrained", "block1_add"): {"head": sanity.pointing_game(heatmaps, masks)}}
    header, uniform_row, row = sanity.format_scores(table, {"head": 0.25})
    assert header.split()[-2:] == ["blank", "maps"] and uniform_row.split()[-1] == "0%"
    assert row.split()[-1] == "75%" and "25% /" in row
