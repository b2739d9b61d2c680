"""The module that knows which Keras backend runs: its name and version, and gradients.

Keras 3 runs the course's models on TensorFlow (the default), JAX or PyTorch, chosen by
``KERAS_BACKEND`` before Keras is first imported. Everything else in ``lib`` computes with
``keras.ops`` and asks this module for what Keras has no backend-neutral API for yet:

* :func:`gradient_function` and :func:`input_gradients`: the gradient of a function of a batch
  with respect to that batch (Grad-CAM and gradient ascent on filter patterns, chapter 5);
* :func:`weight_gradients`: the loss gradient of each trainable weight (chapter 2);
* :func:`compiled`: a function traced once and run fast (``tf.function``, ``jax.jit``);
* :func:`to_numpy`: a tensor of any backend as a NumPy array;
* :func:`has_tensorflow`: whether ``tf.data`` is there to serve the data (see :mod:`lib.data`).

What the course runs on (devices, precision) is :mod:`lib.hardware`'s; the two patches for JAX's
CPU are :mod:`lib.jax_cpu`'s, applied when this module is imported.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

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


# Imported for its effect: on JAX's CPU, Keras' depthwise convolution by shifts (lib.jax_cpu).
from lib import jax_cpu  # noqa: E402,F401
