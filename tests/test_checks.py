"""Each exercise check: silent about a missing answer, explicit about a wrong one, glad about a right one.

The right answers are worked out by hand here (arithmetic written out, never the call the check
itself makes), so a check that computed the wrong expected value would fail these tests.
"""

import keras
import numpy as np
import pytest

from lib import models
from lib.checks import CheckFailed, chapter0, chapter1, chapter2, chapter3, chapter4, chapter5, chapter6


def blocks_multiply_adds(block_sizes: tuple[int, ...]) -> int:
    """Exercise 2.1 by hand: multiply-adds per image of the mini Xception at 80x80 with ``block_sizes``."""
    sides = [76, 38, 19, 10, 5]  # the 5x5 stem takes 4 pixels off; each block's pooling halves, rounding up
    total = 76 * 76 * 5 * 5 * 3 * 32  # the stem
    channels = 32
    for side, size in zip(sides, block_sizes):
        shortcut_side = -(-side // 2)
        total += side * side * (9 * channels + channels * size)  # first separable convolution
        total += side * side * (9 * size + size * size)  # second
        total += shortcut_side * shortcut_side * channels * size  # the strided 1x1 shortcut
        channels = size
    return total + block_sizes[-1]  # the Dense layer


CASES = [
    # 721,857 at any size: no weight's shape depends on the image's (global average pooling).
    (chapter0.parameters_at_tiny_size, lambda: 721_857, "global average pooling"),
    # 80 -> 78 -> 39 -> 37 -> 18 -> 16 -> 8 -> 6 -> 3 -> 1: convolutions 978,496 + Dense 1*1*256 + 1.
    (chapter0.naive_convnet_parameters_at_tiny_size, lambda: 978_753, "Flatten"),
    (chapter1.separable_parameters_by_hand, lambda: 5 * 5 * 64 * 2 + 64 * 2 * 128 + 128, "three groups"),
    (chapter1.channels_for_cost_ratio, lambda: 26, "1/N \\+ 1/9"),
    (chapter2.multiply_adds_with_shrinking_filters,
     lambda: blocks_multiply_adds((512, 256, 128, 64, 32)) / blocks_multiply_adds((32, 64, 128, 256, 512)),
     "512 filters on the largest maps"),
    (chapter2.receptive_field_of_block3, lambda: 47, "doubles after each stride-2 pooling"),
    # Stem 2,400; blocks (32->16) 2,192, (16->32) 3,264, (32->64) 10,560; Dense 65.
    (chapter3.parameters_for_block_sizes, lambda: 16_481, "shortcut"),
    # At 80x80 the last map is 3x3x512: the Dense layer grows from 513 to 4,609 weights.
    (chapter3.parameters_with_flatten, lambda: 721_857 - 513 + 3 * 3 * 512 + 1, "Dense layer"),
    (chapter4.feature_map_size_at_book_size, lambda: 22, "halves the size"),
]


@pytest.mark.parametrize("check, right, hint", CASES)
def test_unanswered_prints_what_to_do(check, right, hint, capsys):
    assert check(...) is False and check(None) is False
    assert "not answered yet" in capsys.readouterr().out


@pytest.mark.parametrize("check, right, hint", CASES)
def test_wrong_answer_says_what_is_off(check, right, hint):
    with pytest.raises(CheckFailed, match=hint):
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

    assert chapter1.depthwise_with_loops(stub) is False
    assert "not answered yet" in capsys.readouterr().out
    assert chapter1.depthwise_with_loops(depthwise_loops) is True
    with pytest.raises(CheckFailed, match="shape"):
        chapter1.depthwise_with_loops(lambda x, kernel: x)
    with pytest.raises(CheckFailed, match="channel c \\* m \\+ j"):
        chapter1.depthwise_with_loops(lambda x, kernel: depthwise_loops(x, kernel)[..., ::-1])


def test_trained_without_augmentation_check(capsys):
    from lib import models

    history = {"accuracy": [0.7, 0.9], "val_accuracy": [0.6, 0.8]}
    assert chapter3.trained_without_augmentation(None, None) is False
    with pytest.raises(CheckFailed, match="augment_flip"):
        chapter3.trained_without_augmentation(models.build_mini_xception((32, 32, 3), block_sizes=(8,)), history)
    plain = models.build_mini_xception((32, 32, 3), block_sizes=(8,), augmentation=False)
    with pytest.raises(CheckFailed, match="validation_data"):
        chapter3.trained_without_augmentation(plain, {"accuracy": [0.9]})
    assert chapter3.trained_without_augmentation(plain, history) is True
    assert "gap +10.0%" in capsys.readouterr().out


@pytest.mark.parametrize("check", [chapter2.residual_block_with_projection, chapter4.count_blank_channels,
                                   chapter5.whole_tensor_normalization, chapter6.position_weighted_by_hand,
                                   chapter6.pointing_by_hand])
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

    assert chapter4.count_blank_channels(count_zero_channels) is True
    assert "passed (it found the 3 blank channels of a made-up 12-channel test activation)" in capsys.readouterr().out
    with pytest.raises(CheckFailed, match="constant but not zero"):
        chapter4.count_blank_channels(count_constant_channels)


def test_block_inputs_model_check():
    from lib import models

    model = models.build_mini_xception((32, 32, 3), block_sizes=(8, 16))
    names = ["block1_relu1", "block2_relu1"]
    assert chapter4.block_inputs_model(None, model) is False
    right = keras.Model(model.input, [model.get_layer(n).output for n in names])
    assert chapter4.block_inputs_model(right, model) is True
    as_dict = keras.Model(model.input, {n: model.get_layer(n).output for n in names})
    assert chapter4.block_inputs_model(as_dict, model) is True
    with pytest.raises(CheckFailed, match="returns 1 outputs"):
        chapter4.block_inputs_model(keras.Model(model.input, model.get_layer(names[0]).output), model)
    swapped = keras.Model(model.input, [model.get_layer(n).output for n in ("block1_relu2", "block2_relu1")])
    with pytest.raises(CheckFailed, match="output 1 is not block1_relu1"):
        chapter4.block_inputs_model(swapped, model)


def test_whole_tensor_normalization_check_names_the_per_pixel_mistake():
    assert chapter5.whole_tensor_normalization(lambda g: g / np.linalg.norm(g)) is True
    with pytest.raises(CheckFailed, match="keras.ops.normalize"):
        chapter5.whole_tensor_normalization(lambda g: np.asarray(keras.ops.normalize(g)))
    with pytest.raises(CheckFailed, match="length is"):
        chapter5.whole_tensor_normalization(lambda g: g)


def test_position_weighted_by_hand_check():
    def scaled(maps):
        maps = np.maximum(maps, 0)
        return maps / maps.max(axis=(1, 2), keepdims=True)

    def by_hand(features, gradients):
        return scaled((features * gradients).sum(-1))

    def grad_cam(features, gradients):
        return scaled((features * gradients.mean(axis=(1, 2), keepdims=True)).sum(-1))

    def without_relu(features, gradients):
        weighted = (features * gradients).sum(-1)
        return weighted / np.abs(weighted).max(axis=(1, 2), keepdims=True)

    assert chapter6.position_weighted_by_hand(by_hand) is True
    with pytest.raises(CheckFailed, match="shape"):
        chapter6.position_weighted_by_hand(lambda f, g: f)
    with pytest.raises(CheckFailed, match="that is Grad-CAM"):
        chapter6.position_weighted_by_hand(grad_cam)
    with pytest.raises(CheckFailed, match="positive part"):
        chapter6.position_weighted_by_hand(without_relu)


def test_pointing_by_hand_check():
    from lib.interpret.gradcam import upsample

    def points_inside(heatmap, mask):
        large = upsample(heatmap[None], mask.shape)[0]
        return bool(mask.flat[np.argmax(large)])

    assert chapter6.pointing_by_hand(points_inside) is True
    with pytest.raises(CheckFailed, match="Upsample"):
        chapter6.pointing_by_hand(lambda heatmap, mask: True)


def test_residual_block_with_projection_check():
    from keras import layers

    def projected(x, filters):
        y = layers.MaxPooling2D(3, strides=2, padding="same")(layers.SeparableConv2D(filters, 3, padding="same")(x))
        return layers.add([y, layers.Conv2D(filters, 1, strides=2, padding="same", use_bias=False)(x)])

    def resized_some_other_way(x, filters):
        y = layers.MaxPooling2D(3, strides=2, padding="same")(layers.SeparableConv2D(filters, 3, padding="same")(x))
        return layers.add([y, layers.Conv2D(filters, 3, padding="same")(layers.MaxPooling2D(2)(x))])

    assert chapter2.residual_block_with_projection(projected) is True
    with pytest.raises(CheckFailed, match="expected \\(8, 8, 24\\)"):
        chapter2.residual_block_with_projection(lambda x, filters: layers.Conv2D(filters, 1)(x))
    with pytest.raises(CheckFailed, match="strided 1x1"):
        chapter2.residual_block_with_projection(resized_some_other_way)


def test_best_block_prediction_passes_only_when_the_table_agrees(capsys):
    from lib.interpret.sanity import PointingScore

    head = {"block1_add": PointingScore(hits=0.5, mass_inside=0.3, area=0.1),
            "block4_add": PointingScore(hits=0.2, mass_inside=0.15, area=0.1)}
    table = {("trained", block): {"head": score} for block, score in head.items()}
    assert chapter6.best_block_predicted("block1_add", table) is True
    assert "passed" in capsys.readouterr().out
    assert chapter6.best_block_predicted("block4_add", table) is True
    printed = capsys.readouterr().out
    assert "passed" not in printed and "the table says block1_add" in printed, printed
    with pytest.raises(CheckFailed, match="not one of the blocks"):
        chapter6.best_block_predicted("block9_add", table)
    assert chapter6.best_block_predicted(..., table) is False


def test_the_no_residuals_exercise_needs_a_prediction_then_the_model_changed_in_one_thing_and_retrained(capsys):
    def build(**switches):
        return models.build_mini_xception((32, 32, 3), block_sizes=(8, 16), **switches)

    reference, history = build(), {"val_accuracy": [0.6, 0.7, 0.65]}
    without = build(residual=False)
    assert chapter2.mini_xception_without_residuals(..., without, history, reference, 0.8, 3) is False
    assert chapter2.mini_xception_without_residuals(5.0, None, None, reference, 0.8, 3) is False
    assert "not answered yet" in capsys.readouterr().out
    with pytest.raises(CheckFailed, match="still adds 2 shortcuts"):
        chapter2.mini_xception_without_residuals(5.0, build(), history, reference, 0.8, 3)
    with pytest.raises(CheckFailed, match="change one thing only"):
        chapter2.mini_xception_without_residuals(5.0, build(residual=False, batch_norm=False), history,
                                                 reference, 0.8, 3)
    with pytest.raises(CheckFailed, match="trained for 4"):
        chapter2.mini_xception_without_residuals(5.0, without, history, reference, 0.8, 4)
    assert chapter2.mini_xception_without_residuals(5.0, without, history, reference, 0.8, 3) is True
    assert "you predicted +5.0 points lost; this run lost +10.0" in capsys.readouterr().out


def test_the_plain_stack_exercise_needs_a_prediction_then_ten_plain_units_with_batch_norm_retrained(capsys):
    from lib import architecture

    def stack(depth=10, **switches):
        return architecture.build_deep_stack((16, 16, 3), depth, width=4, **{"batch_norm": True, **switches})

    history = {"loss": [0.7, 0.6], "val_accuracy": [0.55, 0.75]}
    assert chapter2.shallow_plain_stack(..., stack(), history, 0.52, 2) is False
    assert chapter2.shallow_plain_stack(0.6, None, None, 0.52, 2) is False
    assert "not answered yet" in capsys.readouterr().out
    with pytest.raises(CheckFailed, match="10 units, 10 shortcuts"):
        chapter2.shallow_plain_stack(0.6, stack(residual=True), history, 0.52, 2)
    with pytest.raises(CheckFailed, match="0 batch norms"):
        chapter2.shallow_plain_stack(0.6, stack(batch_norm=False), history, 0.52, 2)
    with pytest.raises(CheckFailed, match="5 units"):
        chapter2.shallow_plain_stack(0.6, stack(depth=5), history, 0.52, 2)
    with pytest.raises(CheckFailed, match="trained for 3"):
        chapter2.shallow_plain_stack(0.6, stack(), history, 0.52, 3)
    assert chapter2.shallow_plain_stack(0.6, stack(), history, 0.52, 2) is True
    assert "you predicted 60.0%; 10 plain units reached 75.0%, against 52.0% for 40" in capsys.readouterr().out


def test_the_batch_norm_activations_exercise_needs_a_prediction_then_the_model_retrained_without_it(capsys):
    def build(**switches):
        return models.build_mini_xception((32, 32, 3), block_sizes=(8, 16, 16, 16), **switches)

    keras.utils.set_random_seed(0)
    reference, without = build(), build(batch_norm=False)
    images = np.random.default_rng(0).uniform(0, 255, (4, 32, 32, 3)).astype("float32")
    history = {"val_accuracy": [0.6, 0.7]}
    args = (reference, images, 2)
    assert chapter4.blank_channels_without_batch_norm(..., without, history, *args) is False
    assert chapter4.blank_channels_without_batch_norm(0.3, None, None, *args) is False
    assert "not answered yet" in capsys.readouterr().out
    with pytest.raises(CheckFailed, match="still has 8 batch norms"):
        chapter4.blank_channels_without_batch_norm(0.3, build(), history, *args)
    with pytest.raises(CheckFailed, match="change one thing only"):
        chapter4.blank_channels_without_batch_norm(0.3, build(batch_norm=False, separable=False), history, *args)
    with pytest.raises(CheckFailed, match="trained for 3"):
        chapter4.blank_channels_without_batch_norm(0.3, without, history, reference, images, 3)
    assert chapter4.blank_channels_without_batch_norm(0.3, without, history, *args) is True
    printed = capsys.readouterr().out
    assert "you predicted 30% of block4_relu1's channels blank; without batch norm" in printed, printed


def test_the_one_epoch_heatmap_exercise_needs_a_prediction_then_the_same_model_trained_one_epoch(capsys):
    def build(**switches):
        return models.build_mini_xception((32, 32, 3), block_sizes=(8, 16), **switches)

    keras.utils.set_random_seed(0)
    reference, one_epoch = build(), build()
    images = np.random.default_rng(0).uniform(0, 255, (4, 32, 32, 3)).astype("float32")
    labels = np.array([0, 0, 1, 1])
    args = (reference, images, labels, "block2_add")
    history = {"val_accuracy": [0.6]}
    assert chapter5.one_epoch_heatmaps(..., one_epoch, history, *args) is False
    assert chapter5.one_epoch_heatmaps(0.1, None, None, *args) is False
    assert "not answered yet" in capsys.readouterr().out
    with pytest.raises(CheckFailed, match="not built like chapter 3's"):
        chapter5.one_epoch_heatmaps(0.1, build(residual=False), history, *args)
    with pytest.raises(CheckFailed, match="has 2 epochs"):
        chapter5.one_epoch_heatmaps(0.1, one_epoch, {"val_accuracy": [0.6, 0.7]}, *args)
    assert chapter5.one_epoch_heatmaps(0.1, one_epoch, history, *args) is True
    printed = capsys.readouterr().out
    assert "you predicted a gap of +0.10; after one epoch it is" in printed, printed
