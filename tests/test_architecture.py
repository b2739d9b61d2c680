"""lib.architecture: costs, receptive fields, deep stacks and ablations, checked against hand counts."""

from dataclasses import replace

import keras
import numpy as np
import pytest
from keras import layers

from lib import architecture, config, data, models


def test_layer_costs_count_parameters_and_multiply_adds_by_hand():
    inputs = keras.Input((10, 10, 3))
    x = layers.Conv2D(8, 3, name="conv")(inputs)  # 8x8x8
    x = layers.SeparableConv2D(16, 3, padding="same", name="separable")(x)
    x = layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, layers.Dense(2, name="dense")(x))
    conv, sep, dense = architecture.layer_costs(model)
    assert (conv.height, conv.width, conv.channels, conv.kind) == (8, 8, 8, "Conv2D")
    assert conv.parameters == 3 * 3 * 3 * 8 + 8 and conv.multiply_adds == 64 * 3 * 3 * 3 * 8
    assert sep.parameters == 9 * 8 + 8 * 16 + 16 and sep.multiply_adds == 64 * (9 * 8 + 8 * 16)
    assert (dense.parameters, dense.multiply_adds) == (16 * 2 + 2, 32)
    assert architecture.total_multiply_adds(model) == 64 * 3 * 3 * 3 * 8 + 64 * (9 * 8 + 8 * 16) + 32


def test_layer_costs_of_the_mini_xception_add_up_to_its_weights():
    model = models.build_mini_xception((80, 80, 3))
    costs = architecture.layer_costs(model)
    batch_norm = sum(layer.count_params() for layer in model.layers
                     if isinstance(layer, layers.BatchNormalization))
    assert sum(row.parameters for row in costs) + batch_norm == 721_857
    assert [row.height for row in costs if row.name.endswith("sepconv2")] == [76, 38, 19, 10, 5]


def test_receptive_fields_follow_the_main_path_not_the_shortcut():
    inputs = keras.Input((32, 32, 1))
    x = layers.Conv2D(1, 3, name="a")(inputs)  # 3
    x = layers.MaxPooling2D(2, name="pool")(x)  # 3 + 1 = 4, jump 2
    x = layers.Conv2D(1, 3, name="b")(x)  # 4 + 2 * 2 = 8
    fields = architecture.receptive_fields(keras.Model(inputs, x))
    assert fields == {"a": 3, "pool": 4, "b": 8}
    mini = architecture.receptive_fields(models.build_mini_xception((80, 80, 3)))
    assert mini["stem_conv"] == 5 and mini["block1_pool"] == 11 and mini["block1_shortcut"] == 5
    assert mini["block2_sepconv1"] == 11 + 2 * 2  # after the add, the pooled path's field
    assert mini["block5_pool"] == 191


def test_the_deep_stack_switches_and_names():
    plain = architecture.build_deep_stack((16, 16, 3), depth=4, width=8)
    assert plain.name == "plain_4" and not any(isinstance(layer, layers.Add) for layer in plain.layers)
    both = architecture.build_deep_stack((16, 16, 3), depth=4, width=8, residual=True, batch_norm=True)
    assert sum(isinstance(layer, layers.Add) for layer in both.layers) == 4
    assert both.get_layer("bn2") and [layer.name for layer in both.layers[3:6]] == ["bn1", "relu1", "conv1"]


@pytest.fixture(scope="module")
def batch():
    rng = np.random.default_rng(0)
    return rng.uniform(0, 255, (16, 16, 16, 3)).astype("float32"), rng.integers(0, 2, 16)


def test_with_batch_norm_the_gradient_piles_up_in_the_first_layers_unless_shortcuts_carry_it(batch):
    images, labels = batch
    kernels = [f"conv{i}" for i in range(1, 31)]
    first_over_last = {}
    for residual in (False, True):
        keras.utils.set_random_seed(0)
        stack = architecture.build_deep_stack((16, 16, 3), depth=30, width=8, residual=residual, batch_norm=True)
        norms = architecture.gradient_norms(stack, images, labels, kernels)
        first_over_last[residual] = norms[0] / norms[-1]
    assert first_over_last[False] > 10 * first_over_last[True], first_over_last


def test_gradient_norms_one_per_kernel_and_larger_with_residuals(batch):
    images, labels = batch
    kernels = [f"conv{i}" for i in range(1, 13)]
    norms = {}
    for residual in (False, True):
        keras.utils.set_random_seed(0)
        stack = architecture.build_deep_stack((16, 16, 3), depth=12, width=8, residual=residual)
        norms[residual] = architecture.gradient_norms(stack, images, labels, kernels)
    assert norms[False].shape == (12,) and (norms[False] > 0).all()
    assert norms[True].min() > 10 * norms[False].max()


def test_width_for_parameters_finds_the_closest_width():
    def build(width):
        inputs = keras.Input((4,))
        return keras.Model(inputs, layers.Dense(width)(inputs))  # 5 * width parameters

    assert architecture.width_for_parameters(build, 52) == 10
    assert architecture.width_for_parameters(build, 1000) == 200


def test_run_ablation_trains_each_variant_once_and_times_and_costs_it(data_root, toy_subsets, monkeypatch):
    from lib import train
    from tests.test_separable import FakeClock

    settings = replace(config.settings_for("tiny", root=data_root), image_size=32, batch_size=8)
    train_ds, validation_ds, _ = data.load_datasets(toy_subsets, 32, 8)
    variants = {"small": lambda: models.build_mini_xception((32, 32, 3), block_sizes=(8,)),
                "no residual": lambda: models.build_mini_xception((32, 32, 3), block_sizes=(8,), residual=False)}
    monkeypatch.setattr(train.time, "perf_counter", FakeClock([0.0, 2.5] * 2))  # each fit "takes" 2.5 s
    runs = architecture.run_ablation(variants, settings, train_ds, validation_ds, epochs=1)
    assert [r.variant for r in runs] == ["small", "no residual"]
    assert all(len(r.history["val_accuracy"]) == 1 and r.train_seconds == 2.5 for r in runs)
    assert runs[1].parameters == variants["no residual"]().count_params() != runs[0].parameters
    assert runs[0].multiply_adds == sum(c.multiply_adds for c in architecture.layer_costs(variants["small"]()))
    assert runs[1].multiply_adds < runs[0].multiply_adds, "no shortcut convolution to pay for"


def test_the_ablation_table_has_a_line_per_run():
    runs = [architecture.AblationRun("full", 1000, 2_500_000, 10.0, {"loss": [0.7, 0.4], "val_accuracy": [0.5, 0.9]}),
            architecture.AblationRun("no bn", 900, 2_000_000, 8.0, {"loss": [0.7, 0.69], "val_accuracy": [0.5, 0.5]})]
    header, full, no_bn = architecture.summarize_ablation(runs)
    assert "best val. accuracy" in header and "mult-adds" in header and "final loss" in header
    assert full.split() == ["full", "1,000", "2.5M", "10.0", "0.400", "90.0%"]
    assert no_bn.split()[-1] == "50.0%"


def test_the_deep_stack_measures_in_float32_under_a_mixed_policy():
    keras.mixed_precision.set_dtype_policy("mixed_bfloat16")
    try:
        stack = architecture.build_deep_stack((16, 16, 3), depth=2, width=4, residual=True, batch_norm=True)
    finally:
        keras.mixed_precision.set_dtype_policy("float32")
    assert {layer.dtype_policy.name for layer in stack.layers[1:]} == {"float32"}
