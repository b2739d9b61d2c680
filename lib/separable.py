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


def _windows(x: np.ndarray, kernel_size: tuple[int, int], strides: int, padding: str) -> np.ndarray:
    """Every kh x kw patch the kernel visits: shape (batch, out_h, out_w, channels, kh, kw)."""
    if padding not in ("valid", "same"):
        raise ValueError(f'padding must be "valid" or "same", got {padding!r}.')
    if padding == "same":
        x = _pad_same(x, kernel_size, strides)
    return sliding_window_view(x, kernel_size, axis=(1, 2))[:, ::strides, ::strides]


def _check_channels(x: np.ndarray, kernel: np.ndarray, name: str) -> None:
    if x.ndim != 4:
        raise ValueError(f"x must have shape (batch, height, width, channels), got {x.shape}.")
    if kernel.shape[2] != x.shape[3]:
        raise ValueError(f"{name} expects {kernel.shape[2]} input channels (kernel shape {kernel.shape}), "
                         f"but x has {x.shape[3]}.")


def conv2d(x: np.ndarray, kernel: np.ndarray, strides: int = 1, padding: str = "valid") -> np.ndarray:
    """A regular convolution: every output channel sums over every input channel.

    ``kernel``: (kh, kw, in_channels, out_channels).
    """
    _check_channels(x, kernel, "conv2d")
    patches = _windows(x, kernel.shape[:2], strides, padding)
    return np.einsum("bhwcij,ijco->bhwo", patches, kernel)


def depthwise_conv2d(x: np.ndarray, kernel: np.ndarray, strides: int = 1, padding: str = "valid") -> np.ndarray:
    """Each input channel convolved with its own filters, never mixed with the others.

    ``kernel``: (kh, kw, in_channels, depth_multiplier). Output channel ``c * m + j``
    is input channel ``c`` under its ``j``-th filter, as in Keras.
    """
    _check_channels(x, kernel, "depthwise_conv2d")
    patches = _windows(x, kernel.shape[:2], strides, padding)
    out = np.einsum("bhwcij,ijcm->bhwcm", patches, kernel)
    return out.reshape(*out.shape[:3], -1)


def pointwise_conv2d(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """A 1x1 convolution: mixes channels at each pixel, sees no neighbours.

    ``kernel``: (1, 1, in_channels, out_channels).
    """
    _check_channels(x, kernel, "pointwise_conv2d")
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
    """Median seconds of a forward pass and of a gradient step of one Keras layer on random inputs."""
    import tensorflow as tf

    x = tf.random.normal((batch_size, *input_shape))
    layer.build(x.shape)

    @tf.function
    def forward(inputs):
        return layer(inputs)

    @tf.function
    def gradient_step(inputs):
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            loss = tf.reduce_mean(tf.square(layer(inputs)))
        return tape.gradient(loss, [inputs, *layer.trainable_weights])

    return {"forward": median_seconds(lambda: forward(x), repeats),
            "training step": median_seconds(lambda: gradient_step(x), repeats)}


def time_model(model, batch_size: int = 16, repeats: int = 3) -> dict[str, float]:
    """Median seconds of a forward pass and of a training step of a compiled binary classifier."""
    import tensorflow as tf

    x = tf.random.uniform((batch_size, *model.input_shape[1:]), 0, 255)
    y = tf.cast(tf.random.uniform((batch_size, 1)) > 0.5, tf.float32)
    forward = tf.function(lambda inputs: model(inputs, training=False))
    return {"forward": median_seconds(lambda: forward(x), repeats),
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
