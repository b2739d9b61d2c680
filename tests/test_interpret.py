"""lib.interpret: activations, filter patterns, Grad-CAM and the checks of it, on models small
enough to know the right answer."""

import keras
import numpy as np
import pytest
import skimage.data
from keras import layers

from lib import interpret, models
from tests.local_server import serving

TINY_SHAPE = (32, 32, 3)


@pytest.fixture(scope="module")
def mini_xception():
    keras.utils.set_random_seed(0)
    return models.build_mini_xception(TINY_SHAPE, block_sizes=(8, 16))


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).uniform(0, 255, (4, *TINY_SHAPE)).astype("float32")


def identity_classifier(units: int = 1, final_activation: str = "sigmoid") -> keras.Model:
    """Input -> 1x1 convolution with weight 1 ('features') -> mean -> Dense with weights 1 -> activation.

    The logit is the image's mean, so its gradient with respect to every feature value is equal
    and positive: Grad-CAM of the positive class is the image itself, scaled to a maximum of 1.
    """
    inputs = keras.Input((6, 6, 1))
    features = layers.Conv2D(1, 1, use_bias=False, kernel_initializer="ones", name="features")(inputs)
    pooled = layers.GlobalAveragePooling2D()(features)
    logits = layers.Dense(units, kernel_initializer="ones", name="logit")(pooled)
    return keras.Model(inputs, layers.Activation(final_activation, name="probability")(logits))


# Activations.

def test_feature_layers_are_the_convolutions_pooling_and_relus_in_order(mini_xception):
    names = interpret.feature_layer_names(mini_xception)
    assert names[:4] == ["stem_conv", "block1_relu1", "block1_sepconv1", "block1_relu2"]
    assert "block2_pool" in names and "block2_shortcut" in names
    assert not any(n.startswith(("augment_", "block1_bn", "rescale")) for n in names)


def test_activation_model_returns_every_feature_layer_by_name(mini_xception, images):
    outputs = interpret.activations(interpret.activation_model(mini_xception), images)
    assert list(outputs) == interpret.feature_layer_names(mini_xception)
    assert outputs["stem_conv"].shape == (4, 28, 28, 32) and outputs["block2_pool"].shape == (4, 7, 7, 16)
    relu = outputs["block1_relu1"]
    assert relu.dtype == np.float32 and relu.min() >= 0


def test_blank_means_zero_everywhere_not_merely_constant():
    activation = np.random.default_rng(0).uniform(0.1, 1, (5, 5, 4))
    activation[..., 1] = 0
    activation[..., 2] = 0.5
    activation[..., 3] = 1e-9  # rounding noise on a dead channel
    assert interpret.blank_channels(activation).tolist() == [False, True, False, True]
    with pytest.raises(ValueError, match="height, width, channels"):
        interpret.blank_channels(activation[None])


def test_activation_statistics_count_blank_channels_and_positive_values():
    activation = np.zeros((1, 2, 2, 4), dtype="float32")
    activation[0, :, :, 0] = [[1, -1], [2, -2]]
    activation[0, 0, 0, 1] = 3
    (row,) = interpret.activation_statistics({"layer": activation})
    assert row.name == "layer" and row.shape == (2, 2, 4)
    assert row.blank_fraction == 0.5 and row.positive_fraction == 3 / 16 and row.mean_activation == 3 / 16
    by_image = interpret.statistics_by_image({"layer": np.concatenate([activation, -activation])}, ["a", "b"])
    assert [rows[0].positive_fraction for rows in by_image.values()] == [3 / 16, 2 / 16]
    (line,) = interpret.summarize_depth({"a": by_image["a"]})
    assert "blank channels  50% ->  50%" in line and "(layer -> layer)" in line


# Filter patterns.

def test_filter_loss_leaves_out_a_two_pixel_border_and_picks_each_images_filter():
    activation = np.zeros((2, 8, 8, 3), dtype="float32")
    activation[0, 2:6, 2:6, 1] = 1.0  # inside the border: counts
    activation[0, 0, :, 1] = 100.0  # on the border: ignored
    activation[1, 2:6, 2:6, 2] = 3.0
    losses = interpret.filter_ascent_loss(activation, np.array([1, 2], dtype="int32")).numpy()
    np.testing.assert_allclose(losses, [1.0, 3.0])
    small = np.ones((1, 3, 3, 1), dtype="float32")  # a 2-pixel border would leave nothing
    assert float(interpret.filter_ascent_loss(small, np.array([0], dtype="int32"))[0]) == 1.0


def test_gradients_are_normalized_per_image_over_the_whole_tensor():
    gradients = np.random.default_rng(0).normal(size=(3, 4, 5, 3)).astype("float32")
    normalized = np.asarray(interpret.normalize_per_image(gradients))
    np.testing.assert_allclose(np.sqrt((normalized ** 2).sum(axis=(1, 2, 3))), 1.0, rtol=1e-5)
    np.testing.assert_allclose(normalized[1] * np.linalg.norm(gradients[1]), gradients[1], rtol=1e-4)
    assert not np.allclose(normalized, np.asarray(keras.ops.normalize(gradients)))


def test_gradient_ascent_raises_every_filters_response(mini_xception):
    extractor = interpret.feature_extractor(mini_xception, "block1_sepconv2")
    found = interpret.generate_filter_patterns(extractor, [0, 3, 5], iterations=10)
    assert found.images.shape == (3, 24, 24, 3) and found.images.dtype == np.uint8  # 32 less 1/8 each side
    assert (found.final_response > found.start_response).all()
    shorter = interpret.generate_filter_patterns(extractor, [0, 3, 5], iterations=2)
    np.testing.assert_array_equal(shorter.start_response, found.start_response)
    assert (found.final_response > shorter.final_response).all()
    again = interpret.generate_filter_patterns(extractor, [0, 3, 5], iterations=10)
    np.testing.assert_array_equal(found.images, again.images)


def test_an_extractor_of_any_image_size_needs_image_size():
    inputs = keras.Input((None, None, 3))
    extractor = keras.Model(inputs, layers.Conv2D(4, 3, activation="relu")(inputs))
    with pytest.raises(ValueError, match="image_size"):
        interpret.generate_filter_patterns(extractor, [0])
    found = interpret.generate_filter_patterns(extractor, [0, 1], iterations=2, pixel_range=(-1, 1), image_size=16)
    assert found.images.shape == (2, 12, 12, 3)


def test_deprocess_centres_scales_and_crops():
    image = np.random.default_rng(0).normal(5, 0.01, (40, 40, 3))
    shown = interpret.deprocess_image(image)
    assert shown.shape == (30, 30, 3) and shown.dtype == np.uint8
    assert abs(float(shown.mean()) - 128) < 3 and 50 < float(shown.std()) < 70
    assert interpret.deprocess_image(image, crop=0).shape == (40, 40, 3)


# Grad-CAM.

def test_grad_cam_of_the_positive_class_is_the_positive_part_of_the_features():
    model = identity_classifier()
    image = np.arange(-18, 18, dtype="float32").reshape(1, 6, 6, 1)
    dog = interpret.grad_cam(model, image, "features", target=1)[0]
    cat = interpret.grad_cam(model, image, "features", target=0)[0]
    np.testing.assert_allclose(dog, np.maximum(image[0, ..., 0], 0) / 17, atol=1e-6)
    np.testing.assert_allclose(cat, np.maximum(-image[0, ..., 0], 0) / 18, atol=1e-6)


def test_grad_cam_differentiates_the_logit_not_the_saturated_sigmoid():
    model = identity_classifier()
    assert model.get_layer("logit").output is interpret.score_tensor(model)
    bright = np.full((1, 6, 6, 1), 200.0, dtype="float32")  # sigmoid(200) = 1.0 in float32: no gradient
    bright[0, 0, 0, 0] = 400.0
    heatmap = interpret.grad_cam(model, bright, "features", target=1)[0]
    assert heatmap[0, 0] == 1.0 and heatmap[1, 1] == pytest.approx(0.5)


def test_grad_cam_uses_the_class_score_of_a_model_without_a_separate_activation():
    inputs = keras.Input((6, 6, 1))
    features = layers.Conv2D(1, 1, use_bias=False, kernel_initializer="ones", name="features")(inputs)
    pooled = layers.GlobalAveragePooling2D()(features)
    outputs = layers.Dense(3, kernel_initializer=keras.initializers.Constant([[1.0, -1.0, 0.0]]), name="scores")(pooled)
    model = keras.Model(inputs, outputs)
    image = np.ones((1, 6, 6, 1), dtype="float32")
    np.testing.assert_allclose(interpret.grad_cam(model, image, "features", 0)[0], 1.0)
    np.testing.assert_allclose(interpret.grad_cam(model, image, "features", 1)[0], 0.0)  # all evidence against
    with pytest.raises(ValueError, match="class index below 3"):
        interpret.grad_cam(model, image, "features", 3)
    with pytest.raises(ValueError, match="classes 0"):
        interpret.grad_cam(identity_classifier(), image, "features", 2)


def test_grad_cam_on_the_mini_xception_gives_one_map_per_image_in_unit_range(mini_xception, images):
    heatmaps = interpret.grad_cam(mini_xception, images, "block2_add", target=1)
    assert heatmaps.shape == (4, 7, 7) and heatmaps.dtype == np.float32
    assert heatmaps.min() >= 0 and all(h.max() in (0.0, 1.0) for h in heatmaps)


def test_grad_cam_for_labels_explains_each_image_for_its_own_class(mini_xception, images):
    labels = np.array([1, 0, 0, 1])
    mixed = interpret.grad_cam_for_labels(mini_xception, images, labels, "block2_add")
    np.testing.assert_allclose(mixed[[0, 3]], interpret.grad_cam(mini_xception, images[[0, 3]], "block2_add", 1),
                               atol=1e-5)
    np.testing.assert_allclose(mixed[[1, 2]], interpret.grad_cam(mini_xception, images[[1, 2]], "block2_add", 0),
                               atol=1e-5)


def test_heatmaps_from_gradients_keep_an_all_negative_map_at_zero():
    feature_maps = np.ones((1, 2, 2, 1), dtype="float32")
    assert interpret.heatmaps_from_gradients(feature_maps, -feature_maps).max() == 0.0


def test_superimpose_fits_the_heatmap_to_any_image_shape():
    photo = skimage.data.chelsea()
    blended = interpret.superimpose(photo, np.eye(5, dtype="float32"))
    assert blended.shape == photo.shape and blended.dtype == np.uint8
    assert interpret.upsample(np.zeros((2, 3, 3)), 12).shape == (2, 12, 12)
    assert interpret.upsample(np.zeros((2, 3, 3)), (8, 12)).shape == (2, 8, 12)


# Does it point at the right thing?

def test_pointing_game_scores_the_maximum_and_the_mass_inside_the_mask():
    masks = np.zeros((3, 4, 4), dtype=bool)
    masks[:, :2, :2] = True  # a quarter of each image
    heatmaps = np.zeros((3, 4, 4), dtype="float32")
    heatmaps[0, 0, 0], heatmaps[0, 3, 3] = 1.0, 0.5  # hit; two thirds of the mass inside
    heatmaps[1, 3, 3] = 1.0  # miss
    score = interpret.pointing_game(heatmaps, masks)  # the third map is all zero: a miss
    assert score.hits == pytest.approx(1 / 3) and score.mass_inside == pytest.approx(2 / 9)
    assert score.area == 0.25 and "pointing game 33%" in str(score)
    with pytest.raises(ValueError, match="one mask"):
        interpret.pointing_game(heatmaps, masks[:2])


def test_pointing_game_upsamples_coarse_maps_to_the_mask():
    masks = np.zeros((1, 20, 20), dtype=bool)
    masks[0, 10:, 10:] = True
    coarse = np.array([[[0.1, 0.2], [0.3, 1.0]]], dtype="float32")
    assert interpret.pointing_game(coarse, masks).hits == 1.0
    assert interpret.pointing_game(coarse[:, ::-1, ::-1], masks).hits == 0.0


def test_pointing_scores_cover_every_model_and_layer(mini_xception, images):
    masks = np.zeros((4, *TINY_SHAPE[:2]), dtype=bool)
    masks[:, 8:24, 8:24] = True
    scores = interpret.pointing_scores({"a": mini_xception}, images, [0, 1, 0, 1], masks,
                                       ["block1_add", "block2_add"])
    assert list(scores) == [("a", "block1_add"), ("a", "block2_add")]
    assert all(s.area == 0.25 for s in scores.values())


# Does it depend on what the model learned?

def test_reinitialized_copy_has_fresh_weights_from_its_seed(mini_xception):
    first, again, other = (interpret.reinitialized_copy(mini_xception, seed) for seed in (1, 1, 2))
    kernel = lambda m: m.get_layer("stem_conv").get_weights()[0]  # noqa: E731
    np.testing.assert_array_equal(kernel(first), kernel(again))
    assert not np.allclose(kernel(first), kernel(other))
    assert not np.allclose(kernel(first), kernel(mini_xception))


def test_weighted_layers_run_from_the_top(mini_xception):
    order = interpret.weighted_layer_names(mini_xception)
    assert order[0] == "logit" and order[-1] == "stem_conv"
    assert all(mini_xception.get_layer(n).weights for n in order)


def test_cascading_randomization_runs_from_the_trained_map_to_the_random_models_map(mini_xception, images):
    labels = [1, 0, 1, 0]
    total = len(interpret.weighted_layer_names(mini_xception))
    maps, reached = interpret.cascading_randomization(mini_xception, images, labels, "block2_add", [0, 1, total])
    assert maps.shape == (3, 4, 7, 7) and reached == ["(none)", "logit", "stem_conv"]
    trained = interpret.grad_cam_for_labels(mini_xception, images, labels, "block2_add")
    fresh = interpret.grad_cam_for_labels(interpret.reinitialized_copy(mini_xception), images, labels, "block2_add")
    np.testing.assert_allclose(maps[0], trained, atol=1e-5)
    np.testing.assert_allclose(maps[-1], fresh, atol=1e-5)
    assert not np.allclose(maps[1], maps[0], atol=1e-3), "randomizing the top layer changes the map"
    assert interpret.rank_correlations(maps).shape == (4, 3)
    with pytest.raises(ValueError, match="steps must lie"):
        interpret.cascading_randomization(mini_xception, images, labels, "block2_add", [total + 1])


def test_rank_correlation():
    a = np.arange(9.0).reshape(3, 3)
    assert interpret.rank_correlation(a, a ** 3) == pytest.approx(1.0)
    assert interpret.rank_correlation(a, -a) == pytest.approx(-1.0)
    assert interpret.rank_correlation(a, np.zeros_like(a)) == 0.0


# The book's ImageNet Xception.

def test_imagenet_xception_is_skipped_with_a_reason_when_the_weights_cannot_be_had(tmp_path, capsys):
    unreachable = "http://127.0.0.1:9/nothing-listens-here"
    assert interpret.load_imagenet_xception(base_url=unreachable, cache_dir=tmp_path, timeout=2) is None
    out = capsys.readouterr().out
    assert "Skipped" in out and "With internet access" in out


def test_imagenet_xception_downloads_its_weights_and_explains_a_photo(tmp_path):
    """The real loader against a local server holding an Xception weights file (random weights)."""
    from keras.src.legacy.saving import legacy_h5_format  # the format of Keras' published weights
    import h5py

    served = tmp_path / "served"
    served.mkdir()
    with h5py.File(served / interpret.XCEPTION_WEIGHTS_FILES[True], "w") as weights_file:
        legacy_h5_format.save_weights_to_hdf5_group(weights_file, keras.applications.Xception(weights=None))
    with serving(served) as url:
        xception = interpret.load_imagenet_xception(base_url=url.rstrip("/"), cache_dir=tmp_path / "cache")
    assert xception is not None and (tmp_path / "cache" / "models" / interpret.XCEPTION_WEIGHTS_FILES[True]).is_file()
    probabilities, heatmap = interpret.imagenet_grad_cam(xception, skimage.data.chelsea())
    assert probabilities.shape == (1, 1000) and probabilities.sum() == pytest.approx(1.0, abs=1e-3)
    assert heatmap.shape == (10, 10) and 0 <= heatmap.min() and heatmap.max() <= 1


# Occlusion.

def test_occlusion_finds_the_region_a_model_looks_at():
    """A model whose logit is the mean brightness of the top-left quarter: hiding anything there
    lowers the dog score, hiding anything else changes nothing."""
    inputs = keras.Input((16, 16, 1))
    corner = layers.Cropping2D(((0, 8), (0, 8)))(inputs)
    logit = layers.Dense(1, kernel_initializer="ones", name="logit")(layers.GlobalAveragePooling2D()(corner))
    model = keras.Model(inputs, layers.Activation("sigmoid")(logit))
    image = np.full((16, 16, 1), 255.0, dtype="float32")
    drops = interpret.occlusion_sensitivity(model, image, target=1, patch=8, stride=8, fill=0.0)
    np.testing.assert_allclose(drops, [[255.0, 0.0], [0.0, 0.0]], atol=1e-3)
    np.testing.assert_allclose(interpret.occlusion_sensitivity(model, image, 0, patch=8, stride=8, fill=0.0),
                               -drops, atol=1e-3)
    assert interpret.occlusion_sensitivity(model, image, 1, patch=4, stride=2).shape == (7, 7)
    with pytest.raises(ValueError, match="patch"):
        interpret.occlusion_sensitivity(model, image, 1, patch=17)


def test_class_scores_are_the_logit_signed_by_class():
    model = identity_classifier()
    images = np.stack([np.full((6, 6, 1), v, "float32") for v in (-2.0, 3.0)])
    np.testing.assert_allclose(interpret.class_scores(model, images, 1), [-2.0, 3.0], atol=1e-5)
    np.testing.assert_allclose(interpret.class_scores(model, images, 0, batch_size=1), [2.0, -3.0], atol=1e-5)


def test_positive_part_scaled():
    maps = np.array([[[-1.0, 2.0], [4.0, 0.0]], [[-1.0, -2.0], [0.0, 0.0]]])
    np.testing.assert_allclose(interpret.positive_part_scaled(maps), [[[0, 0.5], [1, 0]], [[0, 0], [0, 0]]])
