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
    # 16,384 pixels: independent channels' correlations scatter by about 0.008, far under the bound
    # (at 1,024 pixels, 0.03: about one fresh draw in fifty crossed it).
    assert separable.channel_correlation(RNG.normal(size=(16, 32, 32, 3))) < 0.05


def test_correlations_ignore_constant_channels():
    values = RNG.normal(size=(2, 8, 8, 3))
    values[..., 1] = 0.0  # a dead ReLU channel
    assert np.isfinite(separable.neighbour_correlation(values))
    assert np.isfinite(separable.channel_correlation(values))


class FakeClock:
    """time.perf_counter for a test: each call moves on by the next of ``steps`` seconds."""

    def __init__(self, steps):
        self.now, self.steps = 0.0, iter(steps)

    def __call__(self):
        self.now += next(self.steps)
        return self.now


def test_median_seconds_is_the_median_of_the_timed_calls_after_one_untimed_call(monkeypatch):
    import time

    # Each call to step() is bracketed by two clock readings: the gaps below are the durations.
    durations = [100.0, 1.0, 5.0, 3.0, 2.0]  # the first is tracing, and must not count
    monkeypatch.setattr(time, "perf_counter", FakeClock([x for d in durations for x in (0.0, d)]))
    calls = []
    assert separable.median_seconds(lambda: calls.append(1) or np.zeros(1), repeats=4) == 2.5
    assert len(calls) == 5


def test_time_model_times_predict_and_train_on_batch_of_the_model(monkeypatch):
    from lib import models

    model = models.compile_model(models.build_mini_xception((32, 32, 3), block_sizes=(8,)), "adam")
    called = []
    monkeypatch.setattr(model, "predict_on_batch", lambda x: called.append(("forward", x.shape)) or x)
    monkeypatch.setattr(model, "train_on_batch", lambda x, y: called.append(("training step", y.shape)) or 0.0)
    times = separable.time_model(model, batch_size=2, repeats=3)
    assert set(times) == {"forward", "training step"}
    assert called == [("forward", (2, 32, 32, 3))] * 4 + [("training step", (2, 1))] * 4


def test_compare_layer_speed_divides_the_regular_layers_time_by_the_separable_ones(monkeypatch):
    seconds = {"Conv2D": {"forward": 4.0, "training step": 9.0},
               "SeparableConv2D": {"forward": 1.0, "training step": 3.0}}
    monkeypatch.setattr(separable, "time_layer", lambda layer, *args: seconds[type(layer).__name__])
    row = separable.compare_layer_speed([8], image_size=8, batch_size=2)[0]
    assert row["multiply-adds saved"] == pytest.approx(1 / separable.cost_ratio(3, 8))
    assert row["forward speed-up"] == 4.0 and row["training step speed-up"] == 3.0
    assert row["separable forward ms"] == 1000.0


def test_time_layer_builds_and_trains_the_layer_it_is_given():
    layer = keras.layers.SeparableConv2D(4, 3, padding="same", use_bias=False)
    times = separable.time_layer(layer, (8, 8, 4), 2, repeats=1)
    assert set(times) == {"forward", "training step"} and layer.built and len(layer.weights) == 2
    assert all(np.isfinite(w).all() for w in layer.get_weights()), "trained with steps that stay finite"


def test_a_separable_kernel_is_recovered_exactly_and_computes_the_same_outputs():
    depthwise = RNG.normal(size=(3, 3, 4, 1))
    pointwise = RNG.normal(size=(1, 1, 4, 6))
    kernel = np.einsum("ijc,cn->ijcn", depthwise[..., 0], pointwise[0, 0])  # a Conv2D that is separable
    found_depthwise, found_pointwise, recovered = separable.separable_approximation(kernel)
    assert recovered == pytest.approx(1.0)
    x = RNG.normal(size=(2, 7, 7, 4))
    np.testing.assert_allclose(separable.separable_conv2d(x, found_depthwise, found_pointwise),
                               separable.conv2d(x, kernel), atol=1e-9)


def test_a_random_kernel_is_recovered_in_part_and_more_with_a_larger_depth_multiplier():
    kernel = RNG.normal(size=(3, 3, 8, 16))
    shares = [separable.separable_approximation(kernel, m)[2] for m in (1, 2, 9)]
    assert 0.1 < shares[0] < shares[1] < shares[2] == pytest.approx(1.0), "9 spatial filters span any 3x3 slice"
    depthwise, pointwise, _ = separable.separable_approximation(kernel, 2)
    assert depthwise.shape == (3, 3, 8, 2) and pointwise.shape == (1, 1, 16, 16)
    with pytest.raises(ValueError, match="depth_multiplier must lie in 1..9"):
        separable.separable_approximation(kernel, 10)


def test_correlation_table_measures_each_model_and_layer_without_warnings():
    import warnings

    from lib import models

    model = models.build_mini_xception((32, 32, 3), block_sizes=(8, 16))
    layer_names = models.block_layers(model, "relu1")
    images = np.random.default_rng(0).uniform(0, 255, (4, 32, 32, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = separable.correlation_table({"untrained": model}, images, layer_names)
    assert set(table) == {("untrained", name) for name in layer_names}
    assert all(-1 <= value <= 1 for pair in table.values() for value in pair)
