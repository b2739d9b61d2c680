"""lib.interpret.gradcam: Grad-CAM and occlusion, on models small enough to know the right answer (chapter 5)."""

import keras
import numpy as np
import pytest
import skimage.data
from keras import layers

from lib.interpret import gradcam
from tests.conftest import identity_classifier


def test_grad_cam_of_the_positive_class_is_the_positive_part_of_the_features():
    model = identity_classifier()
    image = np.arange(-18, 18, dtype="float32").reshape(1, 6, 6, 1)
    dog = gradcam.grad_cam(model, image, "features", target=1)[0]
    cat = gradcam.grad_cam(model, image, "features", target=0)[0]
    np.testing.assert_allclose(dog, np.maximum(image[0, ..., 0], 0) / 17, atol=1e-6)
    np.testing.assert_allclose(cat, np.maximum(-image[0, ..., 0], 0) / 18, atol=1e-6)


def test_grad_cam_differentiates_the_logit_not_the_saturated_sigmoid():
    model = identity_classifier()
    assert model.get_layer("logit").output is gradcam.score_tensor(model)
    bright = np.full((1, 6, 6, 1), 200.0, dtype="float32")  # sigmoid(200) = 1.0 in float32: no gradient
    bright[0, 0, 0, 0] = 400.0
    heatmap = gradcam.grad_cam(model, bright, "features", target=1)[0]
    assert heatmap[0, 0] == 1.0 and heatmap[1, 1] == pytest.approx(0.5)


def test_grad_cam_uses_the_class_score_of_a_model_without_a_separate_activation():
    inputs = keras.Input((6, 6, 1))
    features = layers.Conv2D(1, 1, use_bias=False, kernel_initializer="ones", name="features")(inputs)
    pooled = layers.GlobalAveragePooling2D()(features)
    outputs = layers.Dense(3, kernel_initializer=keras.initializers.Constant([[1.0, -1.0, 0.0]]), name="scores")(pooled)
    model = keras.Model(inputs, outputs)
    image = np.ones((1, 6, 6, 1), dtype="float32")
    np.testing.assert_allclose(gradcam.grad_cam(model, image, "features", 0)[0], 1.0)
    np.testing.assert_allclose(gradcam.grad_cam(model, image, "features", 1)[0], 0.0)  # all evidence against
    with pytest.raises(ValueError, match="class index below 3"):
        gradcam.grad_cam(model, image, "features", 3)
    with pytest.raises(ValueError, match="classes 0"):
        gradcam.grad_cam(identity_classifier(), image, "features", 2)


def test_grad_cam_on_the_mini_xception_gives_one_map_per_image_in_unit_range(mini_xception, images):
    heatmaps = gradcam.grad_cam(mini_xception, images, "block2_add", target=1)
    assert heatmaps.shape == (4, 7, 7) and heatmaps.dtype == np.float32
    assert heatmaps.min() >= 0 and all(h.max() in (0.0, 1.0) for h in heatmaps)


def test_grad_cam_for_labels_explains_each_image_for_its_own_class(mini_xception, images):
    labels = np.array([1, 0, 0, 1])
    mixed = gradcam.grad_cam_for_labels(mini_xception, images, labels, "block2_add", explain=gradcam.grad_cam)
    np.testing.assert_allclose(mixed[[0, 3]], gradcam.grad_cam(mini_xception, images[[0, 3]], "block2_add", 1),
                               atol=1e-5)
    np.testing.assert_allclose(mixed[[1, 2]], gradcam.grad_cam(mini_xception, images[[1, 2]], "block2_add", 0),
                               atol=1e-5)


def test_grad_cam_for_labels_applies_the_explanation_it_is_handed(mini_xception, images):
    def by_class(model, batch, layer_name, target):  # a stand-in for a chapter's altered Grad-CAM
        return np.full((len(batch), 7, 7), target + 1, dtype="float32")

    found = gradcam.grad_cam_for_labels(mini_xception, images, [1, 0, 0, 1], "block2_add", explain=by_class)
    assert found[:, 0, 0].tolist() == [2, 1, 1, 2]


def test_superimpose_fits_the_heatmap_to_any_image_shape():
    photo = skimage.data.chelsea()
    blended = gradcam.superimpose(photo, np.eye(5, dtype="float32"))
    assert blended.shape == photo.shape and blended.dtype == np.uint8
    cold = gradcam.superimpose(photo, np.zeros((5, 5), dtype="float32"))
    assert np.array_equal(cold, photo), "where the map is 0 the photograph shows unchanged"
    assert gradcam.upsample(np.zeros((2, 3, 3)), 12).shape == (2, 12, 12)
    assert gradcam.upsample(np.zeros((2, 3, 3)), (8, 12)).shape == (2, 8, 12)


def test_occlusion_finds_the_region_a_model_looks_at():
    """A model whose logit is the mean brightness of the top-left quarter: hiding anything there
    lowers the dog score, hiding anything else changes nothing."""
    inputs = keras.Input((16, 16, 1))
    corner = layers.Cropping2D(((0, 8), (0, 8)))(inputs)
    logit = layers.Dense(1, kernel_initializer="ones", name="logit")(layers.GlobalAveragePooling2D()(corner))
    model = keras.Model(inputs, layers.Activation("sigmoid")(logit))
    image = np.full((16, 16, 1), 255.0, dtype="float32")
    drops = gradcam.occlusion_sensitivity(model, image, target=1, patch=8, stride=8, fill=0.0)
    np.testing.assert_allclose(drops, [[255.0, 0.0], [0.0, 0.0]], atol=1e-3)
    np.testing.assert_allclose(gradcam.occlusion_sensitivity(model, image, 0, patch=8, stride=8, fill=0.0),
                               -drops, atol=1e-3)
    assert gradcam.occlusion_sensitivity(model, image, 1, patch=4, stride=2).shape == (7, 7)
    with pytest.raises(ValueError, match="patch"):
        gradcam.occlusion_sensitivity(model, image, 1, patch=17)


def test_occlusion_maps_score_each_image_for_its_own_class():
    model = identity_classifier()
    images = np.random.default_rng(0).uniform(-3, 3, (3, 6, 6, 1)).astype("float32")
    targets = [1, 0, 1]
    together = gradcam.occlusion_maps(model, images, targets, patch=2, stride=2, fill=0.0)
    alone = [gradcam.occlusion_sensitivity(model, image, target, patch=2, stride=2, fill=0.0)
             for image, target in zip(images, targets)]
    np.testing.assert_allclose(together, np.stack(alone), atol=1e-5)
    assert np.abs(together[1] + gradcam.occlusion_maps(model, images[1:2], [1], 2, 2, 0.0)[0]).max() < 1e-5


def test_class_scores_are_the_logit_signed_by_class():
    model = identity_classifier()
    images = np.stack([np.full((6, 6, 1), v, "float32") for v in (-2.0, 3.0)])
    np.testing.assert_allclose(gradcam.class_scores(model, images, 1), [-2.0, 3.0], atol=1e-5)
    np.testing.assert_allclose(gradcam.class_scores(model, images, 0, batch_size=1), [2.0, -3.0], atol=1e-5)
    np.testing.assert_allclose(gradcam.class_scores(model, images, [0, 1]), [2.0, 3.0], atol=1e-5)


def test_positive_part_scaled():
    maps = np.array([[[-1.0, 2.0], [4.0, 0.0]], [[-1.0, -2.0], [0.0, 0.0]]])
    np.testing.assert_allclose(gradcam.positive_part_scaled(maps), [[[0, 0.5], [1, 0]], [[0, 0], [0, 0]]])
