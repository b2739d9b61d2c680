"""Two of Keras' slow paths on JAX's CPU, avoided (``benchmarks/train_throughput.py`` measures both).

* :func:`compilable_augmentation`: Keras marks ``RandomRotation`` and ``RandomZoom`` as not
  jit-compatible for every backend, so a model holding them trains op by op; on JAX they compile.
  Delete it when Keras marks them jit-compatible under JAX.
* :func:`use_fast_cpu_depthwise_convolution`: replaces a function of a private Keras module
  (``keras.src.backend.jax.nn.depthwise_conv``) on JAX's CPU only, applied when this module is
  imported. Delete it when XLA's CPU grouped convolution is no longer the slow path
  (jax-ml/jax#23713): when ``benchmarks/train_throughput.py`` on JAX's CPU prints
  ``course in float32/course with Keras' grouped convolution training throughput`` at 1.0 or below.
  ``tests/test_backend.py`` checks that it computes what Keras computes, value and gradient.
* :func:`use_compilation_cache`: JAX's persistent compilation cache, so that a program compiled
  once (the same model trained again, a notebook run again) is read back instead of compiled.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import keras

from lib import hardware


def name() -> str:
    return keras.backend.backend()


def compilable_augmentation(layer: keras.layers.Layer) -> keras.layers.Layer:
    """``layer``, a random image layer, marked as compilable on JAX, where it is.

    Keras marks ``RandomRotation`` and ``RandomZoom`` as not jit-compatible because TensorFlow's
    XLA has no kernel for the projective transform they use; ``compile(jit_compile="auto")``
    then trains a model that holds one without compiling it, under any backend. On JAX they
    compile (``jax.scipy.ndimage.map_coordinates``), and op by op the mini Xception trained
    2.5x slower there (14.5 against 35.6 images/s at 80x80 on a 2-core Intel Xeon, both with
    the depthwise convolution below).
    """
    if name() == "jax":
        layer.supports_jit = True
    return layer


_keras_depthwise_conv: Callable | None = None


def use_fast_cpu_depthwise_convolution() -> None:
    """On JAX's CPU, compute Keras' 2-D depthwise convolutions (the first half of every
    ``SeparableConv2D``) as a sum of shifted, per-channel-scaled copies of the input.

    XLA's CPU code for grouped convolutions, which Keras' JAX backend uses, is a known slow path
    (jax-ml/jax#23713): training the mini Xception at 80x80, its gradient took most of the
    compiled step (15.5 images/s, against 35.6 this way, on a 2-core Intel Xeon). The result is the same up to
    float rounding (``tests/test_backend.py``). Only traced code takes the shifts
    (:func:`_depthwise_conv_when_traced`). TensorFlow, PyTorch and JAX on a GPU are left
    alone. Calling it again does nothing.
    """
    global _keras_depthwise_conv
    if name() != "jax" or _keras_depthwise_conv is not None:
        return
    import jax

    if jax.default_backend() != "cpu":
        return
    from keras.src.backend.jax import nn

    _keras_depthwise_conv = nn.depthwise_conv
    nn.depthwise_conv = _depthwise_conv_when_traced


@contextlib.contextmanager
def keras_depthwise_convolution() -> Iterator[None]:
    """Keras' own depthwise convolution inside, where :func:`use_fast_cpu_depthwise_convolution`
    replaced it (``benchmarks/train_throughput.py`` measures one against the other)."""
    if _keras_depthwise_conv is None:
        yield
        return
    from keras.src.backend.jax import nn

    nn.depthwise_conv = _keras_depthwise_conv
    try:
        yield
    finally:
        nn.depthwise_conv = _depthwise_conv_when_traced


def _depthwise_conv_when_traced(inputs, kernel, *arguments):
    """What replaces Keras' ``depthwise_conv``: the shifts inside a traced function (``jit``, a
    gradient), where XLA compiles them together; Keras' own op on concrete arrays, run op by op,
    where each of the shifts' many small ops would be compiled and dispatched on its own (the
    first occlusion map of chapter 6 took 20 s that way, 8.5 s with Keras' op, 2-core AMD EPYC)."""
    import jax

    if isinstance(inputs, jax.core.Tracer) or isinstance(kernel, jax.core.Tracer):
        return _depthwise_conv_by_shifts(inputs, kernel, *arguments)
    return _keras_depthwise_conv(inputs, kernel, *arguments)


def _depthwise_conv_by_shifts(inputs, kernel, strides=1, padding="valid", data_format=None,
                              dilation_rate=1):
    """Keras' ``depthwise_conv`` (same arguments) for 2-D channels-last inputs, by shifts."""
    import jax.numpy as jnp

    data_format = data_format or keras.config.image_data_format()
    if data_format != "channels_last" or len(inputs.shape) != 4:
        return _keras_depthwise_conv(inputs, kernel, strides, padding, data_format, dilation_rate)
    inputs, kernel = jnp.asarray(inputs), jnp.asarray(kernel)
    strides = (strides, strides) if isinstance(strides, int) else tuple(strides)
    dilation = (dilation_rate, dilation_rate) if isinstance(dilation_rate, int) else tuple(dilation_rate)
    reach = [(size - 1) * rate + 1 for size, rate in zip(kernel.shape[:2], dilation)]
    pads, out_sizes = [], []
    for length, extent, stride in zip(inputs.shape[1:3], reach, strides):
        if padding.lower() == "same":
            out_size = math.ceil(length / stride)
            total = max((out_size - 1) * stride + extent - length, 0)
            pads.append((total // 2, total - total // 2))
        else:
            out_size = (length - extent) // stride + 1
            pads.append((0, 0))
        out_sizes.append(out_size)
    padded = jnp.pad(inputs, ((0, 0), *pads, (0, 0)))[..., None]
    output = 0
    for row in range(kernel.shape[0]):
        for col in range(kernel.shape[1]):
            top, left = row * dilation[0], col * dilation[1]
            window = padded[:, top:top + (out_sizes[0] - 1) * strides[0] + 1:strides[0],
                            left:left + (out_sizes[1] - 1) * strides[1] + 1:strides[1]]
            output = output + window * kernel[row, col]
    return jnp.reshape(output, output.shape[:3] + (-1,))


def compilation_cache_dir() -> Path:
    """Where :func:`use_compilation_cache` keeps compiled programs: a folder per processor (its
    model and instruction-set flags), since XLA compiles CPU code for the processor it runs on and
    a home folder may be shared by machines of several kinds."""
    cpuinfo = hardware.read_cpuinfo()
    flags = next((line for line in cpuinfo.splitlines() if line.startswith("flags")), "")
    kind = hashlib.sha256(f"{hardware.cpu_model()} {flags}".encode()).hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME", "").strip() or Path.home() / ".cache")
    return cache / "modern-convnets" / "jax" / kind


def use_compilation_cache() -> None:
    """On JAX, keep what XLA compiles in :func:`compilation_cache_dir`, unless a cache folder is
    already configured (``JAX_COMPILATION_CACHE_DIR``). Keras compiles a new training step for
    every new model, even one identical to the last: chapter 6 trains two mini Xceptions of one
    shape (chapter 3's toy-pets model, when it is missing, and the marked-data model). A second identical model's first epoch of 4 batches took 17 s instead of 40 s with it,
    and 27 s instead of 49 s in a new process (2-core AMD EPYC, JAX 0.10.2, beside another job)."""
    if name() != "jax":
        return
    import jax

    if not jax.config.jax_compilation_cache_dir:
        jax.config.update("jax_compilation_cache_dir", str(compilation_cache_dir()))


use_fast_cpu_depthwise_convolution()
use_compilation_cache()
