import math

import keras
import numpy as np
import pytest

from lib import models


def trainable_count(model):
    return sum(math.prod(w.shape) for w in model.trainable_weights)


def test_mini_xception_has_the_books_parameter_count():
    model = models.build_mini_xception()
    assert model.count_params() == 721_857
    assert trainable_count(model) == 718_849, "3,008 are batch-norm moving statistics"


def test_parameter_count_does_not_depend_on_image_size():
    assert models.build_mini_xception((96, 96, 3)).count_params() == 721_857


def test_conv2d_variant_matches_chapter_one():
    assert models.build_mini_xception(separable=False).count_params() == 4_902_625


@pytest.mark.parametrize("switches", [dict(residual=False), dict(batch_norm=False), dict(block_sizes=(32, 64))])
def test_ablations_build_and_change_the_model(switches):
    model = models.build_mini_xception((64, 64, 3), **switches)
    assert model.count_params() != 721_857
    assert model.predict(np.zeros((2, 64, 64, 3)), verbose=0).shape == (2, 1)


def test_no_batch_norm_gives_the_convolutions_their_bias_back():
    model = models.build_mini_xception((64, 64, 3), batch_norm=False)
    assert not [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert model.get_layer("block1_sepconv1").use_bias and model.get_layer("stem_conv").use_bias


def test_batch_norm_momentum_reaches_every_batch_norm_layer():
    model = models.build_mini_xception((64, 64, 3), batch_norm_momentum=0.9)
    momenta = {layer.momentum for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)}
    assert momenta == {0.9}


def test_naive_convnet_has_the_second_editions_count():
    assert models.build_naive_convnet().count_params() == 991_041


def test_every_inner_layer_is_reachable_from_model_inputs():
    """Interpretation code builds sub-models to inner layers; a nested Sequential would break this."""
    model = models.build_mini_xception((64, 64, 3))
    for name in ("augment_zoom", "stem_conv", "block3_sepconv2", "block5_add", "logit"):
        sub = keras.Model(model.inputs, model.get_layer(name).output)
        assert sub.predict(np.zeros((1, 64, 64, 3)), verbose=0).shape[0] == 1


def test_output_is_the_sigmoid_of_the_logit_layer():
    model = models.build_mini_xception((64, 64, 3))
    images = np.random.default_rng(0).uniform(0, 255, (3, 64, 64, 3)).astype("float32")
    logit = keras.Model(model.inputs, model.get_layer("logit").output).predict(images, verbose=0)
    probability = model.predict(images, verbose=0)
    np.testing.assert_allclose(probability, 1 / (1 + np.exp(-logit)), rtol=1e-5, atol=1e-6)


def test_augmentation_is_off_at_inference_and_on_in_training():
    model = models.build_mini_xception((64, 64, 3))
    images = np.random.default_rng(1).uniform(0, 255, (4, 64, 64, 3)).astype("float32")
    np.testing.assert_allclose(model(images, training=False), model(images, training=False))
    augmented = keras.Model(model.input, model.get_layer("augment_zoom").output)
    assert not np.allclose(augmented(images, training=True), images)


def test_compile_model_uses_the_named_optimizer():
    model = models.compile_model(models.build_mini_xception((64, 64, 3)), "adam", 3e-4)
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert float(model.optimizer.learning_rate) == pytest.approx(3e-4)


def test_flatten_pooling_makes_the_dense_layer_depend_on_the_map_size():
    model = models.build_mini_xception((80, 80, 3), pooling="flatten")
    side = model.get_layer("block5_add").output.shape[1]
    assert model.count_params() == 721_857 + (side * side - 1) * 512
    with pytest.raises(ValueError, match="pooling must be"):
        models.build_mini_xception(pooling="max")
