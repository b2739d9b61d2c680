"""The one module that knows which Keras backend runs: gradients, devices, precision, distribution.

Keras 3 runs the course's models on TensorFlow (the default), JAX or PyTorch, chosen by
``KERAS_BACKEND`` before Keras is first imported. Everything else in ``lib`` computes with
``keras.ops`` and asks this module for what Keras has no backend-neutral API for yet:

* :func:`gradient_function` and :func:`input_gradients`: the gradient of a function of a batch
  with respect to that batch (Grad-CAM and gradient ascent on filter patterns, chapter 5);
* :func:`weight_gradients`: the loss gradient of each trainable weight (chapter 2);
* :func:`compiled`: a function traced once and run fast (``tf.function``, ``jax.jit``);
* :func:`device_description`, :func:`precision_policy_for`: what the course runs on and in;
* :func:`distribution_scope`: every GPU of the machine for training (full mode);
* :func:`has_tensorflow`: whether ``tf.data`` is there to serve the data (see :mod:`lib.data`);
* :func:`compilable_augmentation` and :func:`use_fast_cpu_depthwise_convolution`: two of Keras'
  slow paths on JAX's CPU avoided (``benchmarks/train_throughput.py`` measures them).
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
import os
import platform
from collections.abc import Callable, Iterator
from pathlib import Path

import keras
import numpy as np

BACKENDS = ("tensorflow", "jax", "torch")


def name() -> str:
    """The Keras backend of this process: "tensorflow", "jax" or "torch"."""
    return keras.backend.backend()


def has_tensorflow() -> bool:
    """Whether TensorFlow is installed (it serves the data through ``tf.data`` under any backend)."""
    return importlib.util.find_spec("tensorflow") is not None


def version() -> str:
    """The backend's name and version, for banners and records: "TensorFlow 2.20.0", say."""
    backend = name()
    if backend == "tensorflow":
        import tensorflow as tf

        return f"TensorFlow {tf.__version__}"
    if backend == "jax":
        import jax

        return f"JAX {jax.__version__}"
    import torch

    return f"PyTorch {torch.__version__}"


def gradient_function(function: Callable, compile: bool = False) -> Callable:
    """A function of a batch ``x`` that returns ``(function(x), gradient)``, backend tensors,
    where ``gradient`` is the gradient of the sum of ``function(x)`` with respect to ``x``.

    ``function`` maps a batch to one number per example, each depending on its own example
    only (a class score, a filter's mean response), so the gradient of the sum holds each
    example's own gradient. It must use ``keras.ops`` (and Keras models, called with
    ``training=False``) so that every backend can trace it. ``compile=True`` traces it once
    (:func:`compiled`), for a function called many times on batches of one shape.
    """
    backend = name()
    if backend == "tensorflow":
        import tensorflow as tf

        def values_and_gradients(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                values = function(x)
                total = tf.reduce_sum(tf.cast(values, "float32"))
            return values, tape.gradient(total, x)
    elif backend == "jax":
        import jax
        import jax.numpy as jnp

        def total(x):
            values = function(x)
            return jnp.sum(values.astype("float32")), values

        def values_and_gradients(x):
            (_, values), gradients = jax.value_and_grad(total, has_aux=True)(x)
            return values, gradients
    else:
        def values_and_gradients(x):
            x = x.detach().requires_grad_(True)
            values = function(x)
            values.float().sum().backward()
            return values.detach(), x.grad

    return compiled(values_and_gradients) if compile else values_and_gradients


def input_gradients(function: Callable, inputs) -> tuple[np.ndarray, np.ndarray]:
    """``function(inputs)`` and the gradient of its sum with respect to ``inputs``, as float32
    arrays: :func:`gradient_function`, called once."""
    values, gradients = gradient_function(function)(keras.ops.convert_to_tensor(to_numpy(inputs)))
    return to_numpy(values), to_numpy(gradients)


def weight_gradients(model: keras.Model, loss: Callable, images, labels) -> list[np.ndarray]:
    """The gradient of ``loss(labels, model(images, training=True))`` for each of ``model``'s
    trainable weights, in the order of ``model.trainable_weights``, as float32 arrays.

    Training mode, as in a real training step: batch norm uses the batch's statistics. Nothing
    is changed: JAX runs the model statelessly, and on the other backends the moving statistics
    that batch norm updates in training mode are put back afterwards.
    """
    backend = name()
    images = keras.ops.convert_to_tensor(np.asarray(images, dtype="float32"))
    labels = keras.ops.convert_to_tensor(np.asarray(labels, dtype="float32").reshape(-1, 1))
    if backend == "jax":
        import jax

        trainable = [v.value for v in model.trainable_variables]
        frozen = [v.value for v in model.non_trainable_variables]

        def value_of(weights):
            predictions, _ = model.stateless_call(weights, frozen, images, training=True)
            return loss(labels, predictions)

        return [to_numpy(g) for g in jax.grad(value_of)(trainable)]
    kept = [keras.ops.copy(v.value) for v in model.non_trainable_variables]
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            with tf.GradientTape() as tape:
                value = loss(labels, model(images, training=True))
            gradients = tape.gradient(value, model.trainable_weights)
        else:
            for variable in model.trainable_variables:
                variable.value.grad = None
            loss(labels, model(images, training=True)).backward()
            gradients = [variable.value.grad for variable in model.trainable_variables]
    finally:
        for variable, value in zip(model.non_trainable_variables, kept):
            variable.assign(value)
    return [to_numpy(g) for g in gradients]


def compiled(function: Callable) -> Callable:
    """``function`` traced into a graph where the backend has one (``tf.function``,
    ``jax.jit``); PyTorch runs it as it is. Its arguments must be tensors, not Python numbers:
    a new number would mean a new trace."""
    backend = name()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(function)
    if backend == "jax":
        import jax

        return jax.jit(function)
    return function


def to_numpy(tensor) -> np.ndarray:
    """A backend tensor (or array) as a float32 NumPy array, detached from any gradient tape."""
    if name() == "torch" and hasattr(tensor, "detach"):
        # Not keras.ops.convert_to_numpy: it hands the tensor to np.array, which NumPy 2 warns
        # about (torch's __array__ takes no copy argument), and np.asarray fails on bfloat16.
        return tensor.detach().cpu().float().numpy()
    return np.asarray(keras.ops.convert_to_numpy(tensor), dtype="float32")


def gpu_names() -> list[str]:
    """The names of the GPUs the backend sees (empty on a CPU-only machine)."""
    backend = name()
    if backend == "tensorflow":
        import tensorflow as tf

        return [tf.config.experimental.get_device_details(g).get("device_name", g.name)
                for g in tf.config.list_physical_devices("GPU")]
    if backend == "jax":
        import jax

        return [str(d.device_kind) for d in jax.devices() if d.platform == "gpu"]
    import torch

    return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]


def cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo`` (or what Python knows), for every timing the course prints."""
    for line in read_cpuinfo().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def device_description() -> str:
    """"GPU (name)" when the backend sees a GPU, else "CPU (model, n cores)"."""
    gpus = gpu_names()
    if gpus:
        return f"GPU ({', '.join(gpus)})"
    return f"CPU ({cpu_model()}, {os.cpu_count()} cores)"


def bfloat16_unit(cpu_flags: str) -> str | None:
    """Which bfloat16 instructions a CPU with these ``/proc/cpuinfo`` flags has: ``"amx"`` (AMX
    tiles, Intel Xeon since Sapphire Rapids), ``"avx512_bf16"`` (AVX512-BF16 without AMX, AMD EPYC
    since Genoa), or None."""
    if "amx_bf16" in cpu_flags:
        return "amx"
    return "avx512_bf16" if "avx512_bf16" in cpu_flags else None


def read_cpuinfo() -> str:
    """This machine's ``/proc/cpuinfo`` (empty where there is none), whose flags the above reads."""
    try:
        return Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""


# (backend, bfloat16 unit) where mixed_bfloat16 trained the mini Xception faster than float32 on
# a 2-core CPU (benchmarks/train_throughput.py, batch 32): TensorFlow 2.20 with AVX512-BF16 on an
# AMD EPYC 1.14x (180x180); PyTorch 2.13 with AMX on an Intel Xeon 1.56x (180x180). Slower with
# AMX on that Xeon: TensorFlow 0.96x (180x180) and 0.93x (80x80), JAX 0.10 0.94x (80x80; 0.56x
# with the depthwise convolution by shifts below). Pairs not listed (measured slower, or not
# measured) train in float32.
BFLOAT16_FASTER_ON_CPU = {("tensorflow", "avx512_bf16"), ("torch", "amx")}


def precision_policy_for(backend: str, has_gpu: bool, cpu_flags: str) -> str:
    """The dtype policy that trains fastest on this hardware and backend.

    GPUs: ``mixed_float16`` on every backend. CPUs with bfloat16 instructions: ``mixed_bfloat16``
    where :data:`BFLOAT16_FASTER_ON_CPU` says it was measured faster with that backend and those
    instructions. Everything else: ``float32``.
    """
    if has_gpu:
        return "mixed_float16"
    faster = (backend, bfloat16_unit(cpu_flags)) in BFLOAT16_FASTER_ON_CPU
    return "mixed_bfloat16" if faster else "float32"


def fast_precision_policy() -> str:
    """:func:`precision_policy_for` this machine and backend."""
    return precision_policy_for(name(), bool(gpu_names()), read_cpuinfo())


@contextlib.contextmanager
def distribution_scope() -> Iterator[None]:
    """Build and train inside this to use every GPU of the machine: TensorFlow's
    ``MirroredStrategy``, or Keras' ``DataParallel`` distribution on JAX. With one device (or
    on PyTorch, whose multi-GPU training Keras leaves to ``torch.distributed``) it does nothing."""
    backend, gpus = name(), gpu_names()
    if len(gpus) > 1 and backend == "tensorflow":
        import tensorflow as tf

        with tf.distribute.MirroredStrategy().scope():
            yield
    elif len(gpus) > 1 and backend == "jax":
        previous = keras.distribution.distribution()
        keras.distribution.set_distribution(keras.distribution.DataParallel())
        try:
            yield
        finally:
            keras.distribution.set_distribution(previous)
    else:
        yield


def deterministic_ops() -> None:
    """Ask the backend for deterministic kernels, so that a seeded run repeats exactly on one
    machine (TensorFlow's ``enable_op_determinism``; JAX on a CPU is deterministic already;
    PyTorch's ``use_deterministic_algorithms``)."""
    backend = name()
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    elif backend == "torch":
        import torch

        torch.use_deterministic_algorithms(True, warn_only=True)


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
    float rounding (``tests/test_backend.py``). TensorFlow, PyTorch and JAX on a GPU are left
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
    nn.depthwise_conv = _depthwise_conv_by_shifts


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
        nn.depthwise_conv = _depthwise_conv_by_shifts


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


use_fast_cpu_depthwise_convolution()
