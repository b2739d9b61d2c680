"""Measuring the architecture principles on real models (chapter 2).

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
    """``depth`` 3x3 convolutions of ``width`` channels, each followed by a ReLU (after batch norm
    when ``batch_norm``), with an identity shortcut around each one when ``residual``; a 2x2 max
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
        y = layers.Conv2D(width, 3, padding="same", use_bias=not batch_norm, name=f"conv{index}", **f32)(x)
        if batch_norm:
            y = layers.BatchNormalization(momentum=batch_norm_momentum, name=f"bn{index}", **f32)(y)
        y = layers.Activation("relu", name=f"relu{index}", **f32)(y)
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


def activation_moments(model: keras.Model, images: np.ndarray,
                       layer_names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each named layer's output over a batch, in training mode
    (so batch norm uses the batch's own statistics, as it does during training)."""
    outputs = activations(activation_model(model, layer_names), images, training=True)
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


STACK_VARIANTS = {"plain": {}, "residual": {"residual": True}, "batch norm": {"batch_norm": True},
                  "residual + batch norm": {"residual": True, "batch_norm": True}}


def deep_stacks(settings, depth: int = 20, width: int = 16,
                pool_every: int = 5) -> dict[str, Callable[[], keras.Model]]:
    """Chapter 2's four deep stacks (:func:`build_deep_stack`) at the mode's stack size, by name:
    builders for :func:`run_ablation`."""
    shape = (settings.stack_image_size, settings.stack_image_size, 3)
    return {name: (lambda switches=switches: build_deep_stack(shape, depth, width, pool_every=pool_every,
                                                                batch_norm_momentum=settings.batch_norm_momentum,
                                                                **switches))
            for name, switches in STACK_VARIANTS.items()}


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
    epochs: int, seeds: Sequence[int] | None = None,
) -> list[AblationRun]:
    """Train every variant (a function that builds a model) once per seed (the settings' own when
    ``seeds`` is None), all compiled with the optimizer of ``settings`` (a :class:`lib.config.Settings`)
    and trained on the same data for the same number of epochs; the seed is set before each build."""
    runs = []
    jobs = [(name, seed) for seed in (seeds or (settings.seed,)) for name in variants]
    for name, seed in progress(jobs, "Training variants", "model", minimum=0):
        config.set_seed(seed)
        model = models.compile_model(variants[name](), settings.optimizer, settings.learning_rate)
        run = train(model, train_ds, validation_ds, epochs, verbose=0)
        runs.append(AblationRun(name, seed, model.count_params(), run.train_seconds, run.history))
    return runs


@dataclass(frozen=True)
class VariantSummary:
    """One variant over its seeds: size, mean training time, and its best validation accuracy's
    mean and range."""

    variant: str
    parameters: int
    seconds: float
    mean: float
    low: float
    high: float


def summarize_runs(runs: Sequence[AblationRun]) -> dict[str, VariantSummary]:
    """:class:`VariantSummary` of each variant of ``runs``, in the order they first appear."""
    summaries = {}
    for variant in dict.fromkeys(run.variant for run in runs):
        mine = [run for run in runs if run.variant == variant]
        accuracies = [run.best_val_accuracy for run in mine]
        seconds = float(np.mean([run.train_seconds for run in mine]))
        summaries[variant] = VariantSummary(variant, mine[0].parameters, seconds, float(np.mean(accuracies)),
                                            min(accuracies), max(accuracies))
    return summaries


def short_name(variant: str) -> str:
    """A variant's name up to its first comma ("Conv2D, not separable" -> "Conv2D"): the name its
    claims and glued numbers use."""
    return variant.split(",")[0]


def best_accuracies_per_seed(runs: Sequence[AblationRun]) -> dict[int, dict[str, float]]:
    """Each seed's best validation accuracy of every variant, by :func:`short_name`: what the
    ablation's readings are checked on, one seed at a time."""
    return {seed: {short_name(run.variant): run.best_val_accuracy for run in runs if run.seed == seed}
            for seed in dict.fromkeys(run.seed for run in runs)}


def summarize_ablation(runs: Sequence[AblationRun]) -> list[str]:
    """One line per variant: parameters, mean training time, and the best validation
    accuracy's mean and range (min to max) over seeds."""
    lines = [f"{'variant':<22} {'parameters':>10} {'seconds':>8} {'best val. accuracy':>24}"]
    for row in summarize_runs(runs).values():
        spread = f" ({row.low:.1%}-{row.high:.1%})" if row.low != row.high else ""
        lines.append(f"{row.variant:<22} {row.parameters:>10,} {row.seconds:>8.1f} {row.mean:>9.1%}{spread:>15}")
    return lines


def verdict(variant: VariantSummary, reference: VariantSummary) -> str:
    """How a variant's best validation accuracy compares with the reference's over the seeds, in
    words: below or above in every seed (their ranges do not overlap), or within the seeds' range."""
    if variant.high < reference.low:
        return "below it in every seed"
    if variant.low > reference.high:
        return "above it in every seed"
    return "within the seeds' range of it"
