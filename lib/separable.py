"""Depthwise separable convolution from scratch, in NumPy, and what it costs.

Inputs ``x`` have shape (batch, height, width, channels); kernels use Keras' own
layouts, so weights copied from ``Conv2D``, ``DepthwiseConv2D`` and
``SeparableConv2D`` layers give the same outputs. No bias anywhere.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _pad_same(x: np.ndarray, kernel_size: tuple[int, int], strides: int) -> np.ndarray:
    """Zero padding that makes the output size ceil(input / stride), split as TensorFlow does."""
    pads = []
    for size, k in zip(x.shape[1:3], kernel_size):
        out = math.ceil(size / strides)
        total = max((out - 1) * strides + k - size, 0)
        pads.append((total // 2, total - total // 2))  # the extra pixel, if any, goes after
    return np.pad(x, [(0, 0), *pads, (0, 0)])


def windows(x: np.ndarray, kernel_size: tuple[int, int], strides: int, padding: str) -> np.ndarray:
    """Every kh x kw patch the kernel visits: shape (batch, out_h, out_w, channels, kh, kw)."""
    if padding not in ("valid", "same"):
        raise ValueError(f'padding must be "valid" or "same", got {padding!r}.')
    if padding == "same":
        x = _pad_same(x, kernel_size, strides)
    return sliding_window_view(x, kernel_size, axis=(1, 2))[:, ::strides, ::strides]


def check_channels(x: np.ndarray, kernel: np.ndarray, name: str) -> None:
    """Raise a clear error unless ``x`` is (batch, height, width, channels) with the channels ``kernel`` expects."""
    if x.ndim != 4:
        raise ValueError(f"x must have shape (batch, height, width, channels), got {x.shape}.")
    if kernel.shape[2] != x.shape[3]:
        raise ValueError(f"{name} expects {kernel.shape[2]} input channels (kernel shape {kernel.shape}), "
                         f"but x has {x.shape[3]}.")


def conv2d(x: np.ndarray, kernel: np.ndarray, strides: int = 1, padding: str = "valid") -> np.ndarray:
    """A regular convolution: every output channel sums over every input channel.

    ``kernel``: (kh, kw, in_channels, out_channels).
    """
    check_channels(x, kernel, "conv2d")
    patches = windows(x, kernel.shape[:2], strides, padding)
    return np.einsum("bhwcij,ijco->bhwo", patches, kernel)


def depthwise_conv2d(x: np.ndarray, kernel: np.ndarray, strides: int = 1, padding: str = "valid") -> np.ndarray:
    """Each input channel convolved with its own filters, never mixed with the others.

    ``kernel``: (kh, kw, in_channels, depth_multiplier). Output channel ``c * m + j``
    is input channel ``c`` under its ``j``-th filter, as in Keras. Chapter 1 writes this function,
    :func:`pointwise_conv2d` and :func:`separable_conv2d` in its cells and uses its own; the
    checks and tests use these copies, which tests/test_chapter_code.py keeps the same.
    """
    check_channels(x, kernel, "depthwise_conv2d")
    patches = windows(x, kernel.shape[:2], strides, padding)
    out = np.einsum("bhwcij,ijcm->bhwcm", patches, kernel)
    return out.reshape(*out.shape[:3], -1)


def pointwise_conv2d(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """A 1x1 convolution: mixes channels at each pixel, sees no neighbours.

    ``kernel``: (1, 1, in_channels, out_channels).
    """
    check_channels(x, kernel, "pointwise_conv2d")
    if kernel.shape[:2] != (1, 1):
        raise ValueError(f"a pointwise kernel is 1x1, got {kernel.shape[:2]}.")
    return x @ kernel[0, 0]


def separable_conv2d(
    x: np.ndarray, depthwise_kernel: np.ndarray, pointwise_kernel: np.ndarray,
    strides: int = 1, padding: str = "valid",
) -> np.ndarray:
    """Depthwise (spatial, per channel) then pointwise (channel mixing), as ``SeparableConv2D``."""
    return pointwise_conv2d(depthwise_conv2d(x, depthwise_kernel, strides, padding), pointwise_kernel)


def conv2d_parameters(kernel_size: int, in_channels: int, out_channels: int, use_bias: bool = False) -> int:
    """Weights of a ``Conv2D``: K*K*in*out, plus one bias per output channel."""
    return kernel_size ** 2 * in_channels * out_channels + (out_channels if use_bias else 0)


def separable_parameters(kernel_size: int, in_channels: int, out_channels: int,
                         depth_multiplier: int = 1, use_bias: bool = False) -> int:
    """Weights of a ``SeparableConv2D``: K*K*in*m depthwise, plus in*m*out pointwise, plus bias."""
    depthwise = kernel_size ** 2 * in_channels * depth_multiplier
    pointwise = in_channels * depth_multiplier * out_channels
    return depthwise + pointwise + (out_channels if use_bias else 0)


def conv2d_multiply_adds(kernel_size: int, in_channels: int, out_channels: int, output_pixels: int) -> int:
    """Multiply-adds of a ``Conv2D`` producing ``output_pixels`` (height x width) per image."""
    return conv2d_parameters(kernel_size, in_channels, out_channels) * output_pixels


def separable_multiply_adds(kernel_size: int, in_channels: int, out_channels: int, output_pixels: int,
                            depth_multiplier: int = 1) -> int:
    """Multiply-adds of a ``SeparableConv2D``: each weight is used once per output pixel."""
    return separable_parameters(kernel_size, in_channels, out_channels, depth_multiplier) * output_pixels


def cost_ratio(kernel_size: int, out_channels: int) -> float:
    """Separable over regular cost (parameters or multiply-adds): 1/N + 1/K² (MobileNet, eq. 5)."""
    return 1 / out_channels + 1 / kernel_size ** 2


def neighbour_correlation(activations: np.ndarray) -> float:
    """Mean correlation between horizontally adjacent pixels of the same channel.

    ``activations``: (batch, height, width, channels). Constant channels are left out.
    """
    values = []
    for channel in np.moveaxis(np.asarray(activations, dtype=np.float64), -1, 0):
        left, right = channel[:, :, :-1].ravel(), channel[:, :, 1:].ravel()
        if left.std() > 0 and right.std() > 0:
            values.append(np.corrcoef(left, right)[0, 1])
    return float(np.mean(values))


def channel_correlation(activations: np.ndarray) -> float:
    """Mean absolute correlation between two different channels at the same pixel."""
    flat = np.asarray(activations, dtype=np.float64).reshape(-1, activations.shape[-1])
    flat = flat[:, flat.std(axis=0) > 0]
    matrix = np.corrcoef(flat, rowvar=False)
    return float(np.abs(matrix[~np.eye(len(matrix), dtype=bool)]).mean())


def median_seconds(step, repeats: int = 5) -> float:
    """Median wall time of ``step()`` over ``repeats`` calls, after one untimed call (tracing)."""
    import time

    def run() -> float:
        start = time.perf_counter()
        result = step()
        np.asarray(result[0] if isinstance(result, (list, tuple)) else result)  # wait for the result
        return time.perf_counter() - start

    run()
    return float(np.median([run() for _ in range(repeats)]))


def time_layer(layer, input_shape: tuple[int, int, int], batch_size: int = 16, repeats: int = 5) -> dict[str, float]:
    """Median seconds of a forward pass and of a training step (gradients and an SGD update, on
    a mean squared error) of one Keras layer on random inputs, each compiled by Keras."""
    import keras

    inputs = keras.Input(input_shape)
    # time_model draws pixel values 0-255: scaled to 0-1 first, so SGD's steps stay finite.
    model = keras.Model(inputs, layer(keras.layers.Rescaling(1 / 255)(inputs)))
    model.compile(optimizer="sgd", loss="mse")
    return time_model(model, batch_size, repeats)


def time_model(model, batch_size: int = 16, repeats: int = 3) -> dict[str, float]:
    """Median seconds of a forward pass (``predict_on_batch``) and of a training step
    (``train_on_batch``) of a compiled model, on random images (pixel values 0-255) and targets."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (batch_size, *model.input_shape[1:])).astype("float32")
    y = rng.uniform(0, 1, (batch_size, *model.output_shape[1:])).round().astype("float32")
    return {"forward": median_seconds(lambda: model.predict_on_batch(x), repeats),
            "training step": median_seconds(lambda: model.train_on_batch(x, y), repeats)}


def compare_layer_speed(channel_counts, image_size: int = 40, kernel_size: int = 3,
                        batch_size: int = 16) -> list[dict[str, float]]:
    """Time ``Conv2D`` against ``SeparableConv2D`` ("same", no bias) with N channels in and out.

    One row per channel count: the multiply-adds the separable layer saves (a factor), and
    how many times faster it ran, forward and for a gradient step, on this machine.
    """
    import keras

    rows = []
    for channels in channel_counts:
        shape = (image_size, image_size, channels)
        regular = time_layer(keras.layers.Conv2D(channels, kernel_size, padding="same", use_bias=False),
                             shape, batch_size)
        separate = time_layer(keras.layers.SeparableConv2D(channels, kernel_size, padding="same",
                                                           use_bias=False), shape, batch_size)
        rows.append({"channels": channels, "multiply-adds saved": 1 / cost_ratio(kernel_size, channels),
                     **{f"{step} speed-up": regular[step] / separate[step] for step in regular},
                     **{f"separable {step} ms": separate[step] * 1e3 for step in separate}})
    return rows


def separable_approximation(kernel: np.ndarray, depth_multiplier: int = 1) -> tuple[np.ndarray, np.ndarray, float]:
    """The depthwise-then-pointwise pair closest to a regular convolution's ``kernel`` (chapter 1).

    ``kernel``: (kh, kw, in_channels, out_channels), as ``Conv2D`` keeps it. For each input
    channel, the kernel's slice is a (kh * kw) x out_channels matrix; a separable convolution
    can only express it as ``depth_multiplier`` spatial filters, each mixed into the outputs by
    one row of weights: a matrix of rank ``depth_multiplier``. The best such approximation is
    the slice's truncated singular value decomposition (Eckart-Young). Returns the depthwise
    kernel (kh, kw, in_channels, depth_multiplier), the pointwise kernel (1, 1, in_channels *
    depth_multiplier, out_channels), and the share of the kernel's squared norm they recover
    (1 when the convolution was separable to begin with).
    """
    kernel = np.asarray(kernel, dtype=np.float64)
    kh, kw, in_channels, out_channels = kernel.shape
    if not 1 <= depth_multiplier <= min(kh * kw, out_channels):
        raise ValueError(f"depth_multiplier must lie in 1..{min(kh * kw, out_channels)}, got {depth_multiplier}.")
    depthwise = np.zeros((kh, kw, in_channels, depth_multiplier))
    pointwise = np.zeros((1, 1, in_channels * depth_multiplier, out_channels))
    kept = 0.0
    for channel in range(in_channels):
        u, s, vt = np.linalg.svd(kernel[:, :, channel, :].reshape(kh * kw, out_channels), full_matrices=False)
        for j in range(depth_multiplier):
            depthwise[:, :, channel, j] = (u[:, j] * np.sqrt(s[j])).reshape(kh, kw)
            pointwise[0, 0, channel * depth_multiplier + j] = np.sqrt(s[j]) * vt[j]
        kept += float(np.sum(s[:depth_multiplier] ** 2))
    return depthwise, pointwise, kept / max(float(np.sum(kernel ** 2)), 1e-30)


def correlation_table(models_by_name: dict, images: np.ndarray, layer_names: list[str]) -> dict:
    """For each model and layer: (:func:`neighbour_correlation`, :func:`channel_correlation`) of
    the layer's output on ``images`` (chapter 1), keyed by (model name, layer name)."""
    from lib.interpret.activations import activation_model, activations

    table = {}
    for name, model in models_by_name.items():
        outputs = activations(activation_model(model, layer_names), images)
        for layer in layer_names:
            table[name, layer] = (neighbour_correlation(outputs[layer]), channel_correlation(outputs[layer]))
    return table
