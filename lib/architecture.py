"""Measuring the architecture principles of chapter 2 on real models.

* :func:`layer_costs`: per layer, the output size, channels, parameters and multiply-adds;
* :func:`receptive_fields`: how many input pixels each layer's output can see;
* :func:`build_deep_stack`: a deep stack of convolutions with and without residuals and
  batch norm, for :func:`gradient_norms` and :func:`activation_moments` at initialization;
* :func:`width_for_parameters`: the width that gives a model a target parameter count;
* :func:`run_ablation`: variants trained with the same data, budget and seed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from tqdm.auto import tqdm

from lib import config, models, separable
from lib.interpret import activation_model
from lib.train import train

SPATIAL_TYPES = (layers.Conv2D, layers.SeparableConv2D, layers.DepthwiseConv2D,
                 layers.MaxPooling2D, layers.AveragePooling2D)


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
        if isinstance(layer, SPATIAL_TYPES):
            kernel = layer.pool_size[0] if hasattr(layer, "pool_size") else layer.kernel_size[0]
            size, jump = size + (kernel - 1) * jump, jump * layer.strides[0]
            result[layer.name] = size
        field[id(layer.output)] = (size, jump)
    return result


def build_deep_stack(
    input_shape: tuple[int, int, int] = (32, 32, 3), depth: int = 20, width: int = 16,
    residual: bool = False, batch_norm: bool = False, name: str | None = None,
) -> keras.Model:
    """``depth`` 3x3 convolutions of ``width`` channels at one resolution, each followed by a
    ReLU (after batch norm when ``batch_norm``), with an identity shortcut around each one when
    ``residual``; then global average pooling and one sigmoid unit. Convolutions are named
    ``conv1`` ... ``conv{depth}`` and the block outputs ``out1`` ...
    """
    # float32 whatever the global policy: in bfloat16 a confident sigmoid rounds to exactly 1,
    # and the gradients this model is built to measure would read 0.
    f32 = {"dtype": "float32"}
    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Conv2D(width, 3, padding="same", name="conv0", **f32)(layers.Rescaling(1.0 / 255, **f32)(inputs))
    for index in range(1, depth + 1):
        y = layers.Conv2D(width, 3, padding="same", use_bias=not batch_norm, name=f"conv{index}", **f32)(x)
        if batch_norm:
            y = layers.BatchNormalization(name=f"bn{index}", **f32)(y)
        y = layers.Activation("relu", name=f"relu{index}", **f32)(y)
        x = layers.add([x, y], name=f"out{index}", **f32) if residual else layers.Identity(name=f"out{index}", **f32)(y)
    x = layers.GlobalAveragePooling2D(**f32)(x)
    logit = layers.Dense(1, name="logit", **f32)(x)
    outputs = layers.Activation("sigmoid", name="probability", **f32)(logit)
    label = "residual" if residual else "plain"
    return keras.Model(inputs, outputs, name=name or f"{label}{'_bn' if batch_norm else ''}_{depth}")


def gradient_norms(model: keras.Model, images: np.ndarray, labels: np.ndarray,
                   layer_names: Sequence[str]) -> np.ndarray:
    """The L2 norm of the binary cross-entropy's gradient for each layer's kernel, on one batch."""
    loss_function = keras.losses.BinaryCrossentropy()
    with tf.GradientTape() as tape:
        predictions = model(np.asarray(images, "float32"), training=True)
        loss = loss_function(np.asarray(labels, "float32").reshape(-1, 1), predictions)
    kernels = [model.get_layer(name).kernel for name in layer_names]
    return np.array([float(tf.norm(g)) for g in tape.gradient(loss, kernels)])


def activation_moments(model: keras.Model, images: np.ndarray,
                       layer_names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each named layer's output over a batch, in training mode
    (so batch norm uses the batch's own statistics, as it does during training)."""
    outputs = activation_model(model, layer_names)(np.asarray(images, "float32"), training=True)
    return (np.array([float(np.mean(outputs[n])) for n in layer_names]),
            np.array([float(np.std(outputs[n])) for n in layer_names]))


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


@dataclass(frozen=True)
class AblationRun:
    """One variant trained once: its size, time, history and best validation accuracy."""

    variant: str
    seed: int
    parameters: int
    train_seconds: float
    history: dict[str, list[float]]

    @property
    def best_val_accuracy(self) -> float:
        return float(max(self.history["val_accuracy"]))


def run_ablation(
    variants: dict[str, Callable[[], keras.Model]], settings, train_ds, validation_ds,
    epochs: int, seeds: Sequence[int] = (0,), progress: bool = True,
) -> list[AblationRun]:
    """Train every variant (a function that builds a model) once per seed, all compiled with
    the optimizer of ``settings`` (a :class:`lib.config.Settings`) and trained on the same data
    for the same number of epochs; the seed is set before each build."""
    runs = []
    jobs = [(name, seed) for seed in seeds for name in variants]
    for name, seed in tqdm(jobs, desc="Training variants", disable=not progress):
        config.set_seed(seed)
        model = models.compile_model(variants[name](), settings.optimizer, settings.learning_rate)
        run = train(model, train_ds, validation_ds, epochs, verbose=0)
        runs.append(AblationRun(name, seed, model.count_params(), run.train_seconds, run.history))
    return runs


def summarize_ablation(runs: Sequence[AblationRun]) -> list[str]:
    """One line per variant: parameters, mean training time, and the best validation
    accuracy's mean and spread (min to max) over seeds."""
    lines = [f"{'variant':<22} {'parameters':>10} {'seconds':>8} {'best val. accuracy':>24}"]
    for variant in dict.fromkeys(run.variant for run in runs):
        mine = [run for run in runs if run.variant == variant]
        accuracies = [run.best_val_accuracy for run in mine]
        spread = f" ({min(accuracies):.1%}-{max(accuracies):.1%})" if len(mine) > 1 else ""
        seconds = np.mean([run.train_seconds for run in mine])
        lines.append(f"{variant:<22} {mine[0].parameters:>10,} {seconds:>8.1f} "
                     f"{np.mean(accuracies):>9.1%}{spread:>15}")
    return lines
