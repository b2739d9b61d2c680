import math
import warnings

import keras
import numpy as np
import pytest

from lib import backend, models


def trainable_count(model):
    return sum(math.prod(w.shape) for w in model.trainable_weights)


def test_mini_xception_has_the_books_parameter_count():
    model = models.build_mini_xception()
    assert model.count_params() == models.BOOK_PARAMETERS
    assert model.count_params() - trainable_count(model) == models.BOOK_NONTRAINABLE_PARAMETERS


def test_parameter_count_does_not_depend_on_image_size():
    assert models.build_mini_xception((96, 96, 3)).count_params() == models.BOOK_PARAMETERS


def block_parameters(c, s, separable=True, batch_norm=True, residual=True):
    """One block by hand, from c channels to s filters (chapter 3's exercise)."""
    convolutions = (9 * c + c * s + 9 * s + s * s) if separable else (9 * c * s + 9 * s * s)
    norms = (4 * c + 4 * s) if batch_norm else 0
    biases = 0 if batch_norm else 2 * s
    return convolutions + norms + biases + (c * s if residual else 0)


def by_hand(sizes=models.BOOK_BLOCK_SIZES, **switches):
    channels = [32, *sizes]
    stem = 5 * 5 * 3 * 32 + (0 if switches.get("batch_norm", True) else 32)
    return stem + sum(block_parameters(c, s, **switches) for c, s in zip(channels, channels[1:])) + sizes[-1] + 1


@pytest.mark.parametrize("switches", [{}, dict(residual=False), dict(batch_norm=False), dict(separable=False)])
def test_each_ablation_removes_exactly_its_weights(switches):
    model = models.build_mini_xception((64, 64, 3), **switches)
    assert model.count_params() == by_hand(**switches)
    assert model.predict(np.zeros((2, 64, 64, 3)), verbose=0).shape == (2, 1)


def test_fewer_blocks_follow_the_same_arithmetic():
    assert models.build_mini_xception((64, 64, 3), block_sizes=(32, 64)).count_params() == by_hand((32, 64))


def test_no_batch_norm_gives_the_convolutions_their_bias_back():
    model = models.build_mini_xception((64, 64, 3), batch_norm=False)
    assert not [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert model.get_layer("block1_sepconv1").use_bias and model.get_layer("stem_conv").use_bias


def test_batch_norm_momentum_reaches_every_batch_norm_layer():
    model = models.build_mini_xception((64, 64, 3), batch_norm_momentum=0.9)
    momenta = {layer.momentum for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)}
    assert momenta == {0.9}


def test_naive_convnet_has_the_second_editions_count():
    assert models.build_naive_convnet().count_params() == models.BOOK_NAIVE_PARAMETERS
    assert models.convolution_names(models.build_naive_convnet()) == ["conv1", "conv2", "conv3", "conv4", "conv5"]


def test_block_names_follow_the_blocks_with_and_without_shortcuts():
    model = models.build_mini_xception((64, 64, 3), block_sizes=(8, 16, 32))
    assert models.block_names(model) == ["block1", "block2", "block3"]
    assert models.block_outputs(model) == ["block1_add", "block2_add", "block3_add"]
    assert models.block_layers(model, "relu1") == ["block1_relu1", "block2_relu1", "block3_relu1"]
    plain = models.build_mini_xception((64, 64, 3), block_sizes=(8, 16), residual=False)
    assert models.block_outputs(plain) == ["block1_pool", "block2_pool"]
    with pytest.raises(ValueError, match="no layer block1_sepconv1.*conv1 without separable"):
        models.block_layers(models.build_mini_xception((64, 64, 3), block_sizes=(8,), separable=False), "sepconv1")


@pytest.mark.parametrize("policy", ["float32", "mixed_bfloat16"])
def test_the_precision_is_handed_to_every_layer_and_the_probability_stays_float32(policy):
    for model in (models.build_mini_xception((64, 64, 3), block_sizes=(8,), dtype_policy=policy),
                  models.build_naive_convnet((80, 80, 3), dtype_policy=policy)):
        policies = {layer.name: layer.dtype_policy.name for layer in model.layers[1:]}
        assert policies.pop(models.PROBABILITY) == "float32"
        assert set(policies.values()) == {policy}
    assert keras.mixed_precision.dtype_policy().name == "float32", "the global policy is left alone"


def test_every_inner_layer_is_reachable_from_model_inputs():
    """Interpretation code builds sub-models to inner layers; a nested Sequential would break this."""
    model = models.build_mini_xception((64, 64, 3))
    for name in (*models.AUGMENTATION_LAYERS, models.STEM, "block3_sepconv2", "block5_add", models.LOGIT):
        sub = keras.Model(model.inputs, model.get_layer(name).output)
        assert sub.predict(np.zeros((1, 64, 64, 3)), verbose=0).shape[0] == 1


def test_output_is_the_sigmoid_of_the_logit_layer():
    model = models.build_mini_xception((64, 64, 3))
    images = np.random.default_rng(0).uniform(0, 255, (3, 64, 64, 3)).astype("float32")
    logit = keras.Model(model.inputs, model.get_layer(models.LOGIT).output).predict(images, verbose=0)
    probability = model.predict(images, verbose=0)
    np.testing.assert_allclose(probability, 1 / (1 + np.exp(-logit)), rtol=1e-5, atol=1e-6)


def test_augmentation_is_off_at_inference_and_on_in_training():
    model = models.build_mini_xception((64, 64, 3))
    images = np.random.default_rng(1).uniform(0, 255, (4, 64, 64, 3)).astype("float32")
    np.testing.assert_allclose(*(backend.to_numpy(model(images, training=False)) for _ in range(2)))
    augmented = keras.Model(model.input, model.get_layer(models.AUGMENTATION_LAYERS[-1]).output)
    assert not np.allclose(backend.to_numpy(augmented(images, training=True)), images)


def test_compile_model_uses_the_named_optimizer():
    model = models.compile_model(models.build_mini_xception((64, 64, 3)), "adam", 3e-4)
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert float(model.optimizer.learning_rate) == pytest.approx(3e-4)


def test_flatten_pooling_makes_the_dense_layer_depend_on_the_map_size():
    model = models.build_mini_xception((80, 80, 3), pooling="flatten")
    side = model.get_layer(models.block_outputs(model)[-1]).output.shape[1]
    assert model.count_params() == models.BOOK_PARAMETERS + (side * side - 1) * 512
    with pytest.raises(ValueError, match="pooling must be"):
        models.build_mini_xception(pooling="max")


def test_a_loaded_model_compiles_as_the_saved_one_did(tmp_path):
    model = models.compile_model(models.build_mini_xception((32, 32, 3), block_sizes=(8,)))
    model.fit(np.zeros((4, 32, 32, 3)), np.zeros(4), verbose=0)
    model.save(tmp_path / "model.keras")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = models.load_model(tmp_path / "model.keras")
    assert not [w for w in caught if "jit_compile" in str(w.message)], "Keras warned it would not compile"
    assert loaded.jit_compile == model.jit_compile, "the loaded model runs op by op where the saved one compiled"
    assert loaded.get_layer(models.AUGMENTATION_LAYERS[1]).supports_jit == \
        model.get_layer(models.AUGMENTATION_LAYERS[1]).supports_jit
