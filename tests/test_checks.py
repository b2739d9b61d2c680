"""Each exercise check: silent about a missing answer, explicit about a wrong one, glad about a right one."""

import keras
import numpy as np
import pytest

from lib import checks, config, models
from lib.architecture import layer_costs

TINY = config.settings_for("tiny").input_shape
CASES = [
    (checks.parameters_at_tiny_size, lambda: models.build_mini_xception(TINY).count_params(), "global average pooling"),
    (checks.naive_convnet_parameters_at_tiny_size, lambda: models.build_naive_convnet(TINY).count_params(), "Flatten"),
    (checks.separable_parameters_by_hand, lambda: 5 * 5 * 64 * 2 + 64 * 2 * 128 + 128, "three groups"),
    (checks.channels_for_cost_ratio, lambda: 26, "1/N \\+ 1/9"),
    (checks.parameters_for_block_sizes, lambda: models.build_mini_xception(block_sizes=(16, 32, 64)).count_params(),
     "shortcut"),
    (checks.feature_map_size_at_book_size, lambda: 22, "halves the size"),
    (checks.multiply_adds_with_shrinking_filters,
     lambda: sum(r.multiply_adds for r in layer_costs(models.build_mini_xception(TINY, (512, 256, 128, 64, 32)))),
     "512 filters on the largest maps"),
    (checks.receptive_field_of_block3, lambda: 47, "doubles after each stride-2 pooling"),
    (checks.parameters_with_flatten,
     lambda: 721_857 + (models.build_mini_xception(TINY).get_layer("block5_add").output.shape[1] ** 2 - 1) * 512,
     "Dense layer"),
]


@pytest.mark.parametrize("check, right, hint", CASES)
def test_unanswered_prints_what_to_do(check, right, hint, capsys):
    assert check(...) is False and check(None) is False
    assert "not answered yet" in capsys.readouterr().out


@pytest.mark.parametrize("check, right, hint", CASES)
def test_wrong_answer_says_what_is_off(check, right, hint):
    with pytest.raises(checks.CheckFailed, match=hint):
        check(right() + 1)


@pytest.mark.parametrize("check, right, hint", CASES)
def test_right_answer_passes(check, right, hint, capsys):
    assert check(right()) is True
    assert "passed" in capsys.readouterr().out


def depthwise_loops(x, kernel):
    """A straightforward loop version, as a student would write it."""
    kh, kw, channels, multiplier = kernel.shape
    out = np.zeros((x.shape[0], x.shape[1] - kh + 1, x.shape[2] - kw + 1, channels * multiplier))
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            for c in range(channels):
                for m in range(multiplier):
                    out[:, i, j, c * multiplier + m] = (x[:, i:i + kh, j:j + kw, c] * kernel[:, :, c, m]).sum((1, 2))
    return out


def test_depthwise_loops_check(capsys):
    def stub(x, kernel):
        raise NotImplementedError

    assert checks.depthwise_with_loops(stub) is False
    assert "not answered yet" in capsys.readouterr().out
    assert checks.depthwise_with_loops(depthwise_loops) is True
    with pytest.raises(checks.CheckFailed, match="shape"):
        checks.depthwise_with_loops(lambda x, kernel: x)
    with pytest.raises(checks.CheckFailed, match="channel c \\* m \\+ j"):
        checks.depthwise_with_loops(lambda x, kernel: depthwise_loops(x, kernel)[..., ::-1])


def test_trained_without_augmentation_check(capsys):
    history = {"accuracy": [0.7, 0.9], "val_accuracy": [0.6, 0.8]}
    assert checks.trained_without_augmentation(None, None) is False
    with pytest.raises(checks.CheckFailed, match="augment_flip"):
        checks.trained_without_augmentation(models.build_mini_xception((32, 32, 3), block_sizes=(8,)), history)
    plain = models.build_mini_xception((32, 32, 3), block_sizes=(8,), augmentation=False)
    with pytest.raises(checks.CheckFailed, match="validation_data"):
        checks.trained_without_augmentation(plain, {"accuracy": [0.9]})
    assert checks.trained_without_augmentation(plain, history) is True
    assert "gap +10.0%" in capsys.readouterr().out


@pytest.mark.parametrize("check", [checks.residual_block_with_projection, checks.count_blank_channels, checks.whole_tensor_normalization,
                                   checks.grad_cam_by_hand, checks.pointing_by_hand])
def test_function_exercises_wait_for_the_stub_to_be_replaced(check, capsys):
    def stub(*arguments):
        raise NotImplementedError

    assert check(stub) is False
    assert "not answered yet" in capsys.readouterr().out


def test_count_blank_channels_check(capsys):
    def count_zero_channels(activation):
        return int((np.abs(activation).max(axis=(0, 1)) == 0).sum())

    def count_constant_channels(activation):
        return int((activation.max(axis=(0, 1)) == activation.min(axis=(0, 1))).sum())

    assert checks.count_blank_channels(count_zero_channels) is True
    assert "passed (3 blank channels of 12)" in capsys.readouterr().out
    with pytest.raises(checks.CheckFailed, match="constant but not zero"):
        checks.count_blank_channels(count_constant_channels)


def test_block_inputs_model_check(capsys):
    model = models.build_mini_xception((32, 32, 3), block_sizes=(8, 16))
    names = ["block1_relu1", "block2_relu1"]
    assert checks.block_inputs_model(None, model) is False
    right = keras.Model(model.input, [model.get_layer(n).output for n in names])
    assert checks.block_inputs_model(right, model) is True
    as_dict = keras.Model(model.input, {n: model.get_layer(n).output for n in names})
    assert checks.block_inputs_model(as_dict, model) is True
    with pytest.raises(checks.CheckFailed, match="returns 1 outputs"):
        checks.block_inputs_model(keras.Model(model.input, model.get_layer(names[0]).output), model)
    swapped = keras.Model(model.input, [model.get_layer(n).output for n in ("block1_relu2", "block2_relu1")])
    with pytest.raises(checks.CheckFailed, match="output 1 is not block1_relu1"):
        checks.block_inputs_model(swapped, model)


def test_whole_tensor_normalization_check_names_the_per_pixel_mistake():
    assert checks.whole_tensor_normalization(lambda g: g / np.linalg.norm(g)) is True
    with pytest.raises(checks.CheckFailed, match="keras.ops.normalize"):
        checks.whole_tensor_normalization(lambda g: np.asarray(keras.ops.normalize(g)))
    with pytest.raises(checks.CheckFailed, match="length is"):
        checks.whole_tensor_normalization(lambda g: g)


def test_grad_cam_by_hand_check():
    from lib.interpret import heatmaps_from_gradients

    assert checks.grad_cam_by_hand(lambda f, g: heatmaps_from_gradients(f[None], g[None])[0]) is True
    with pytest.raises(checks.CheckFailed, match="shape"):
        checks.grad_cam_by_hand(lambda f, g: f)
    without_relu = lambda f, g: (f * g.mean(axis=(0, 1))).sum(-1) / np.abs((f * g.mean(axis=(0, 1))).sum(-1)).max()  # noqa: E731
    with pytest.raises(checks.CheckFailed, match="positive part"):
        checks.grad_cam_by_hand(without_relu)


def test_pointing_by_hand_check():
    from lib.interpret import upsample

    def points_inside(heatmap, mask):
        large = upsample(heatmap[None], mask.shape)[0]
        return bool(mask.flat[np.argmax(large)])

    assert checks.pointing_by_hand(points_inside) is True
    with pytest.raises(checks.CheckFailed, match="Upsample"):
        checks.pointing_by_hand(lambda heatmap, mask: True)


def test_residual_block_with_projection_check():
    from keras import layers

    def projected(x, filters):
        y = layers.MaxPooling2D(3, strides=2, padding="same")(layers.SeparableConv2D(filters, 3, padding="same")(x))
        return layers.add([y, layers.Conv2D(filters, 1, strides=2, padding="same", use_bias=False)(x)])

    def resized_some_other_way(x, filters):
        y = layers.MaxPooling2D(3, strides=2, padding="same")(layers.SeparableConv2D(filters, 3, padding="same")(x))
        return layers.add([y, layers.Conv2D(filters, 3, padding="same")(layers.MaxPooling2D(2)(x))])

    assert checks.residual_block_with_projection(projected) is True
    with pytest.raises(checks.CheckFailed, match="expected \\(8, 8, 24\\)"):
        checks.residual_block_with_projection(lambda x, filters: layers.Conv2D(filters, 1)(x))
    with pytest.raises(checks.CheckFailed, match="strided 1x1"):
        checks.residual_block_with_projection(resized_some_other_way)
