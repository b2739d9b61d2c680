"""The from-scratch convolutions against Keras' layers, and the cost formulas against count_params."""

import itertools

import keras
import numpy as np
import pytest

from lib import separable

RNG = np.random.default_rng()  # fresh inputs every run: the match must hold for any input
TOLERANCE = 1e-4

SHAPES = [  # (height, width, in_channels, out_channels or depth multiplier, kernel size)
    (8, 8, 3, 4, 3), (7, 9, 5, 2, 3), (11, 6, 4, 3, 5), (5, 5, 1, 1, 1), (13, 10, 6, 8, 3), (9, 9, 2, 3, 4),
]
CASES = [(*shape, strides, padding) for shape, strides, padding
         in itertools.product(SHAPES, (1, 2, 3), ("valid", "same"))]


def random_input(height, width, channels, batch=2):
    return RNG.normal(size=(batch, height, width, channels)).astype("float32")


def keras_output(layer, x):
    return keras.ops.convert_to_numpy(layer(x))


SINGLE_KERNEL_LAYERS = {  # our function, and the Keras layer it must match (n: filters or depth multiplier)
    "conv2d": (separable.conv2d, lambda n, k, strides, padding: keras.layers.Conv2D(
        n, k, strides=strides, padding=padding, use_bias=False)),
    "depthwise_conv2d": (separable.depthwise_conv2d, lambda n, k, strides, padding: keras.layers.DepthwiseConv2D(
        k, strides=strides, padding=padding, depth_multiplier=n, use_bias=False)),
}


@pytest.mark.parametrize("kind", SINGLE_KERNEL_LAYERS)
@pytest.mark.parametrize("h, w, c, n, k, strides, padding", CASES)
def test_single_kernel_convolutions_match_keras(kind, h, w, c, n, k, strides, padding):
    function, make_layer = SINGLE_KERNEL_LAYERS[kind]
    x = random_input(h, w, c)
    layer = make_layer(n, k, strides, padding)
    expected = keras_output(layer, x)
    got = function(x, layer.get_weights()[0], strides, padding)
    assert got.shape == expected.shape and np.abs(got - expected).max() <= TOLERANCE


@pytest.mark.parametrize("h, w, c, out, k, strides, padding", CASES)
def test_separable_conv2d_matches_keras(h, w, c, out, k, strides, padding):
    x = random_input(h, w, c)
    multiplier = 1 + (h + w) % 3
    layer = keras.layers.SeparableConv2D(out, k, strides=strides, padding=padding,
                                         depth_multiplier=multiplier, use_bias=False)
    expected = keras_output(layer, x)
    depthwise, pointwise = layer.get_weights()
    got = separable.separable_conv2d(x, depthwise, pointwise, strides, padding)
    assert got.shape == expected.shape and np.abs(got - expected).max() <= TOLERANCE


def test_pointwise_is_a_1x1_conv2d():
    x = random_input(6, 7, 5)
    layer = keras.layers.Conv2D(9, 1, use_bias=False)
    expected = keras_output(layer, x)
    assert np.abs(separable.pointwise_conv2d(x, layer.get_weights()[0]) - expected).max() <= TOLERANCE


def test_mismatched_channels_are_explained():
    with pytest.raises(ValueError, match="expects 4 input channels.*x has 3"):
        separable.conv2d(random_input(5, 5, 3), np.zeros((3, 3, 4, 2)))
    with pytest.raises(ValueError, match="pointwise kernel is 1x1"):
        separable.pointwise_conv2d(random_input(5, 5, 3), np.zeros((3, 3, 3, 2)))
    with pytest.raises(ValueError, match='padding must be "valid" or "same"'):
        separable.conv2d(random_input(5, 5, 3), np.zeros((3, 3, 3, 2)), padding="full")


SWEEP = list(itertools.product((1, 3, 5), (3, 16, 64), (8, 64), (False, True)))


@pytest.mark.parametrize("k, c_in, c_out, bias", SWEEP)
def test_parameter_formulas_match_count_params(k, c_in, c_out, bias):
    conv = keras.layers.Conv2D(c_out, k, use_bias=bias)
    conv.build((None, 16, 16, c_in))
    assert separable.conv2d_parameters(k, c_in, c_out, bias) == conv.count_params()
    for multiplier in (1, 2):
        layer = keras.layers.SeparableConv2D(c_out, k, depth_multiplier=multiplier, use_bias=bias)
        layer.build((None, 16, 16, c_in))
        assert separable.separable_parameters(k, c_in, c_out, multiplier, bias) == layer.count_params()


def test_books_example_and_mobilenet_ratio():
    assert separable.conv2d_parameters(3, 64, 64) == 36_864
    assert separable.separable_parameters(3, 64, 64) == 4_672
    for k, n in itertools.product((3, 5, 7), (16, 64, 512)):
        exact = separable.separable_multiply_adds(k, n, n, 100) / separable.conv2d_multiply_adds(k, n, n, 100)
        assert exact == pytest.approx(separable.cost_ratio(k, n))


def test_multiply_adds_count_each_weight_once_per_output_pixel():
    assert separable.conv2d_multiply_adds(3, 2, 4, output_pixels=10) == 3 * 3 * 2 * 4 * 10
    assert separable.separable_multiply_adds(3, 2, 4, output_pixels=10) == (3 * 3 * 2 + 2 * 4) * 10


def test_neighbour_correlation_is_high_for_smooth_images_and_low_for_noise():
    smooth = np.cumsum(RNG.normal(size=(4, 16, 64, 3)), axis=2)  # random walks along the width
    noise = RNG.normal(size=(4, 16, 64, 3))
    assert separable.neighbour_correlation(smooth) > 0.9
    assert abs(separable.neighbour_correlation(noise)) < 0.1


def test_channel_correlation_sees_shared_and_independent_channels():
    base = RNG.normal(size=(4, 16, 16, 1))
    shared = np.concatenate([base, 2 * base + 1, -base], axis=-1)
    assert separable.channel_correlation(shared) == pytest.approx(1.0)
    assert separable.channel_correlation(RNG.normal(size=(4, 16, 16, 3))) < 0.05


def test_correlations_ignore_constant_channels():
    values = RNG.normal(size=(2, 8, 8, 3))
    values[..., 1] = 0.0  # a dead ReLU channel
    assert np.isfinite(separable.neighbour_correlation(values))
    assert np.isfinite(separable.channel_correlation(values))


def test_median_seconds_times_after_one_untimed_call():
    calls = []
    seconds = separable.median_seconds(lambda: calls.append(1) or np.zeros(1), repeats=4)
    assert len(calls) == 5 and seconds >= 0


def test_layer_and_model_timings_report_both_steps():
    from lib import models

    times = separable.time_layer(keras.layers.SeparableConv2D(4, 3, padding="same"), (8, 8, 4), 2, repeats=1)
    assert set(times) == {"forward", "training step"} and min(times.values()) > 0
    model = models.compile_model(models.build_mini_xception((32, 32, 3), block_sizes=(8,)), "adam")
    assert min(separable.time_model(model, batch_size=2, repeats=1).values()) > 0
    row = separable.compare_layer_speed([8], image_size=8, batch_size=2)[0]
    assert row["multiply-adds saved"] == pytest.approx(1 / separable.cost_ratio(3, 8))
    assert row["forward speed-up"] > 0 and row["training step speed-up"] > 0
