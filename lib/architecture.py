"""Measuring the architecture principles on real models (chapter 2).

* :func:`layer_costs`: per layer, the output size, channels, parameters and multiply-adds;
* :func:`receptive_fields`: how many input pixels each layer's output can see;
* :func:`build_deep_stack`: a deep stack of convolutions with and without residuals and
  batch norm, for :func:`gradient_norms` at initialization;
* :func:`width_for_parameters`: the width that gives a model a target parameter count;
* :func:`run_ablation`: variants trained with the same data, budget and seed, and
  :func:`summarize_ablation`, their table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import keras
import numpy as np
from keras import layers

from lib import backend, config, models, separable
from lib.report import progress
from lib.interpret.activations import SPATIAL_LAYER_TYPES, activation_model, activations
from lib.train import train


@dataclass(frozen=True)
class LayerCost:
    """One layer with weights: its output and what it costs."""

    name: str
    kind: str
    height: int
    width: int
    channels: int
    parameters: int
    multiply_adds: int


def layer_costs(model: keras.Model) -> list[LayerCost]:
    """Every convolution and Dense layer of ``model``, in order, with its multiply-adds per image.

    Multiply-adds use chapter 1's formulas (:mod:`lib.separable`): a convolution's are its
    kernel's size times its output pixels; a separable one's, the depthwise and pointwise parts'.
    """
    rows = []
    for layer in model.layers:
        if isinstance(layer, layers.Dense):
            inputs, units = layer.kernel.shape
            rows.append(LayerCost(layer.name, "Dense", 1, 1, units, layer.count_params(), inputs * units))
            continue
        if not isinstance(layer, (layers.Conv2D, layers.SeparableConv2D)):
            continue
        _, height, width, channels = layer.output.shape
        in_channels = layer.input.shape[-1]
        pixels = height * width
        if isinstance(layer, layers.SeparableConv2D):
            cost = separable.separable_multiply_adds(layer.kernel_size[0], in_channels, channels, pixels,
                                                     layer.depth_multiplier)
        else:
            cost = separable.conv2d_multiply_adds(layer.kernel_size[0], in_channels, channels, pixels)
        rows.append(LayerCost(layer.name, type(layer).__name__, height, width, channels, layer.count_params(), cost))
    return rows


def total_multiply_adds(model: keras.Model) -> int:
    """Multiply-adds per image of ``model``: the sum of :func:`layer_costs`."""
    return sum(cost.multiply_adds for cost in layer_costs(model))


def receptive_fields(model: keras.Model) -> dict[str, int]:
    """For every convolution and pooling layer, the side of the input square its output sees.

    Follows the graph, so a residual ``add`` takes the larger field of its two inputs: the
    main path's, not the 1x1 shortcut's. Each layer widens the field by (kernel - 1) times the
    distance, in input pixels, between neighbouring values of its input.
    """
    field: dict[int, tuple[int, int]] = {id(t): (1, 1) for t in model.inputs}  # (size, jump)
    result: dict[str, int] = {}
    for layer in model.layers:
        if isinstance(layer, layers.InputLayer):
            continue
        inputs = layer.input if isinstance(layer.input, list) else [layer.input]
        size, jump = max(field[id(t)] for t in inputs)
        if isinstance(layer, SPATIAL_LAYER_TYPES):
            kernel = layer.pool_size[0] if hasattr(layer, "pool_size") else layer.kernel_size[0]
            size, jump = size + (kernel - 1) * jump, jump * layer.strides[0]
            result[layer.name] = size
        field[id(layer.output)] = (size, jump)
    return result


def build_deep_stack(
    input_shape: tuple[int, int, int] = (32, 32, 3), depth: int = 20, width: int = 16,
    residual: bool = False, batch_norm: bool = False, pool_every: int | None = None,
    batch_norm_momentum: float = 0.99, name: str | None = None,
) -> keras.Model:
    """A first 3x3 convolution, then ``depth`` units of (batch norm when ``batch_norm``, ReLU, 3x3
    convolution of ``width`` channels), in the order of the mini Xception's blocks, with an
    identity shortcut around each unit when ``residual``; a 2x2 max
    pooling after every ``pool_every`` of them (none by default: one resolution throughout); then
    global average pooling and one sigmoid unit. Convolutions are named ``conv1`` ...
    ``conv{depth}`` and the block outputs ``out1`` ...
    """
    # float32 whatever the global policy: in bfloat16 a confident sigmoid rounds to exactly 1,
    # and the gradients this model is built to measure would read 0.
    f32 = {"dtype": "float32"}
    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Conv2D(width, 3, padding="same", name="conv0", **f32)(layers.Rescaling(1.0 / 255, **f32)(inputs))
    for index in range(1, depth + 1):
        y = x
        if batch_norm:
            y = layers.BatchNormalization(momentum=batch_norm_momentum, name=f"bn{index}", **f32)(y)
        y = layers.Activation("relu", name=f"relu{index}", **f32)(y)
        y = layers.Conv2D(width, 3, padding="same", name=f"conv{index}", **f32)(y)
        x = layers.add([x, y], name=f"out{index}", **f32) if residual else layers.Identity(name=f"out{index}", **f32)(y)
        if pool_every and index % pool_every == 0 and index < depth:
            x = layers.MaxPooling2D(2, name=f"pool{index}", **f32)(x)
    x = layers.GlobalAveragePooling2D(**f32)(x)
    label = "residual" if residual else "plain"
    return keras.Model(inputs, models.classifier_head(x, "float32"),
                       name=name or f"{label}{'_bn' if batch_norm else ''}_{depth}")


def gradient_norms(model: keras.Model, images: np.ndarray, labels: np.ndarray,
                   layer_names: Sequence[str]) -> np.ndarray:
    """The L2 norm of the binary cross-entropy's gradient for each named layer's kernel, on one
    batch, in training mode (as in a training step)."""
    gradients = backend.weight_gradients(model, keras.losses.BinaryCrossentropy(), images, labels)
    by_variable = {id(v): g for v, g in zip(model.trainable_weights, gradients)}
    return np.array([float(np.linalg.norm(by_variable[id(model.get_layer(name).kernel)])) for name in layer_names])


def width_for_parameters(build: Callable[[int], keras.Model], target: int, low: int = 1, high: int = 1024) -> int:
    """The width ``w`` for which ``build(w).count_params()`` is closest to ``target``
    (parameters grow with width, so a bisection finds it)."""
    while high - low > 1:
        middle = (low + high) // 2
        if build(middle).count_params() < target:
            low = middle
        else:
            high = middle
    return min((low, high), key=lambda w: abs(build(w).count_params() - target))


def ablation_variants(settings, *, conv_block: Callable[..., keras.KerasTensor]) -> dict[str, Callable[[], keras.Model]]:
    """Chapter 2's ablation: the mini Xception at the mode's experiment size and width, and one
    variant per principle removed, by name: builders for :func:`run_ablation`. The broad and
    shallow variant has two blocks made as wide as it takes to match the full model's parameters;
    "Conv2D, same parameters" narrows every block by one factor until regular convolutions cost as
    many parameters as the separable ones ("Conv2D, same widths" keeps the widths and costs more).
    Every variant is built of ``conv_block`` (:func:`lib.models.conv_block`, or chapter 2's own)."""
    from lib.train import mini_xception_for

    shape = (settings.experiment_image_size, settings.experiment_image_size, 3)
    sizes = [size // settings.ablation_width_divisor for size in models.BOOK_BLOCK_SIZES]

    def variant(**switches):
        return lambda: mini_xception_for(settings, input_shape=shape, conv_block=conv_block,
                                         **{"block_sizes": sizes, **switches})

    def narrowed(widest: int) -> list[int]:
        return [max(1, round(size * widest / sizes[-1])) for size in sizes]

    target = variant()().count_params()
    wide = width_for_parameters(lambda w: variant(block_sizes=[w, 2 * w])(), target)
    regular = width_for_parameters(lambda w: variant(separable=False, block_sizes=narrowed(w))(), target,
                                   high=sizes[-1])
    return {"mini Xception": variant(), "no residuals": variant(residual=False),
            "no batch norm": variant(batch_norm=False), "Conv2D, same widths": variant(separable=False),
            "Conv2D, same parameters": variant(separable=False, block_sizes=narrowed(regular)),
            "broad and shallow": variant(block_sizes=[wide, 2 * wide])}


@dataclass(frozen=True)
class AblationRun:
    """One variant trained once: its size, cost, time, history and best validation accuracy."""

    variant: str
    parameters: int
    multiply_adds: int
    train_seconds: float
    history: dict[str, list[float]]

    @property
    def best_val_accuracy(self) -> float:
        return float(max(self.history["val_accuracy"]))


def run_ablation(variants: dict[str, Callable[[], keras.Model]], settings, train_ds, validation_ds,
                 epochs: int) -> list[AblationRun]:
    """Train every variant (a function that builds a model) once, all from the settings' seed,
    compiled with the optimizer of ``settings`` (a :class:`lib.config.Settings`) and trained on the
    same data for the same number of epochs."""
    runs = []
    for name in progress(list(variants), "Training variants", "model", minimum=0):
        config.set_seed(settings.seed)
        model = models.compile_model(variants[name](), settings.optimizer, settings.learning_rate)
        run = train(model, train_ds, validation_ds, epochs, verbose=0)
        runs.append(AblationRun(name, model.count_params(), total_multiply_adds(model), run.train_seconds,
                                run.history))
    return runs


def summarize_ablation(runs: Sequence[AblationRun]) -> list[str]:
    """A header and one line per run: parameters, multiply-adds per image, training time, training
    loss after the last epoch and best validation accuracy."""
    lines = [f"{'variant':<24} {'parameters':>10} {'mult-adds':>10} {'seconds':>8} {'final loss':>10} "
             f"{'best val. accuracy':>19}"]
    for run in runs:
        lines.append(f"{run.variant:<24} {run.parameters:>10,} {run.multiply_adds / 1e6:>9.1f}M "
                     f"{run.train_seconds:>8.1f} {run.history['loss'][-1]:>10.3f} {run.best_val_accuracy:>19.1%}")
    return lines
