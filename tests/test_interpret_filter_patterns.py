"""lib.interpret.filter_patterns: gradient ascent on the input (chapter 5)."""

import keras
import numpy as np
import pytest
from keras import layers

from lib import backend, models
from lib.interpret import filter_patterns


def test_filter_loss_leaves_out_a_two_pixel_border_and_picks_each_images_filter():
    activation = np.zeros((2, 8, 8, 3), dtype="float32")
    activation[0, 2:6, 2:6, 1] = 1.0  # inside the border: counts
    activation[0, 0, :, 1] = 100.0  # on the border: ignored
    activation[1, 2:6, 2:6, 2] = 3.0
    losses = backend.to_numpy(filter_patterns.filter_ascent_loss(activation, np.array([1, 2], dtype="int32")))
    np.testing.assert_allclose(losses, [1.0, 3.0])
    small = np.ones((1, 3, 3, 1), dtype="float32")  # a 2-pixel border would leave nothing
    assert float(filter_patterns.filter_ascent_loss(small, np.array([0], dtype="int32"))[0]) == 1.0


def test_gradients_are_normalized_per_image_over_the_whole_tensor():
    gradients = np.random.default_rng(0).normal(size=(3, 4, 5, 3)).astype("float32")
    normalized = np.asarray(filter_patterns.normalize_per_image(gradients))
    np.testing.assert_allclose(np.sqrt((normalized ** 2).sum(axis=(1, 2, 3))), 1.0, rtol=1e-5)
    np.testing.assert_allclose(normalized[1] * np.linalg.norm(gradients[1]), gradients[1], rtol=1e-4)
    assert not np.allclose(normalized, np.asarray(keras.ops.normalize(gradients)))


def test_gradient_ascent_raises_every_filters_response(mini_xception):
    extractor = filter_patterns.feature_extractor(mini_xception, "block1_sepconv2")
    found = filter_patterns.generate_filter_patterns(extractor, [0, 3, 5], iterations=10)
    assert found.images.shape == (3, 24, 24, 3) and found.images.dtype == np.uint8  # 32 less 1/8 each side
    assert (found.final_response > found.start_response).all()
    shorter = filter_patterns.generate_filter_patterns(extractor, [0, 3, 5], iterations=2)
    np.testing.assert_array_equal(shorter.start_response, found.start_response)
    assert (found.final_response > shorter.final_response).all()
    again = filter_patterns.generate_filter_patterns(extractor, [0, 3, 5], iterations=10)
    np.testing.assert_array_equal(found.images, again.images)


def test_an_extractor_of_any_image_size_needs_image_size():
    inputs = keras.Input((None, None, 3))
    extractor = keras.Model(inputs, layers.Conv2D(4, 3, activation="relu")(inputs))
    with pytest.raises(ValueError, match="image_size"):
        filter_patterns.generate_filter_patterns(extractor, [0])
    found = filter_patterns.generate_filter_patterns(extractor, [0, 1], iterations=2, pixel_range=(-1, 1),
                                                     image_size=16)
    assert found.images.shape == (2, 12, 12, 3)


def test_deprocess_centres_scales_and_crops():
    image = np.random.default_rng(0).normal(5, 0.01, (40, 40, 3))
    shown = filter_patterns.deprocess_image(image)
    assert shown.shape == (30, 30, 3) and shown.dtype == np.uint8
    assert abs(float(shown.mean()) - 128) < 3 and 50 < float(shown.std()) < 70
    assert filter_patterns.deprocess_image(image, crop=0).shape == (40, 40, 3)


def test_ascent_gains_count_the_filters_that_rose_and_take_the_smallest_layer_mean():
    def patterns(start, final):
        return filter_patterns.FilterPatterns(np.zeros((len(start), 1, 1, 3), np.uint8), np.array(start),
                                              np.array(final))

    overshot = patterns([0.0, 1.0], [2.0, 0.5])  # one of two rose; the mean rose by 0.75
    steady = patterns([0.0, 0.0], [1.0, 3.0])  # both rose; the mean by 2
    assert filter_patterns.ascent_gains([overshot, steady]) == {"share_raised": 0.75, "smallest_mean_gain": 0.75}
    fell = patterns([1.0, 1.0], [3.0, -2.0])  # one of two rose, but the mean fell
    assert filter_patterns.ascent_gains([fell])["smallest_mean_gain"] == -0.5


def test_an_extractor_on_a_smaller_canvas_keeps_the_weights():
    model = models.build_mini_xception((64, 64, 3), block_sizes=(8, 16))
    small = filter_patterns.feature_extractor(model, "block2_sepconv2", image_size=32)
    assert tuple(small.input.shape[1:]) == (32, 32, 3) and small.output.shape[-1] == 16
    original = {w.path: backend.to_numpy(w) for w in model.weights}
    assert small.weights and all(np.array_equal(original[w.path], backend.to_numpy(w)) for w in small.weights)
    assert filter_patterns.feature_extractor(model, "block2_sepconv2", 64).input.shape[1] == 64
