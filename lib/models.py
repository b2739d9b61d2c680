"""The course's models, built with the functional API so every layer can be reached.

:func:`build_mini_xception` is the book's mini Xception-like model (section 9.3.5, chapters 0
and 3), :data:`BOOK_PARAMETERS` parameters at any input size; its switches give chapter 2's
ablations. :func:`build_naive_convnet` is the book's earlier baseline (chapter 3).

Both apply the book's data augmentation as layers of the outer functional graph
(not a nested ``Sequential``), so interpretation code can build a sub-model from
``model.inputs`` to any layer. Augmentation is active only during training.
The last layer is split in two, :data:`LOGIT` (a Dense unit) and :data:`PROBABILITY`
(its sigmoid), because Grad-CAM needs the logit: the sigmoid saturates.

Layer names are a contract with the chapters and :mod:`lib.interpret`: the constants and
functions below are the one place that spells them.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import keras
from keras import layers

from lib import jax_cpu

BOOK_BLOCK_SIZES = (32, 64, 128, 256, 512)
BOOK_PARAMETERS = 721_857  # the mini Xception's count in the book (section 9.3.5)
BOOK_NONTRAINABLE_PARAMETERS = 3_008  # batch norm's moving means and variances, of those
BOOK_NAIVE_PARAMETERS = 991_041  # the naive convnet at 180x180 (section 8.2 of the 2nd edition)
BOOK_TEST_ACCURACY = {"mini_xception": 0.908, "naive_convnet": 0.835}  # section 9.3.5: 100 epochs, real photos
AUGMENTATION_LAYERS = ("augment_flip", "augment_rotation", "augment_zoom")
LOGIT = "logit"
PROBABILITY = "dog_probability"
STEM = "stem_conv"
NAIVE_CONVOLUTIONS = (32, 64, 128, 256, 256)


def augment(inputs: keras.KerasTensor, dtype=None) -> keras.KerasTensor:
    """The book's augmentation: horizontal flip, rotation 0.1 (of a turn), zoom 0.2."""
    flip, rotation, zoom = AUGMENTATION_LAYERS
    x = layers.RandomFlip("horizontal", name=flip, dtype=dtype)(inputs)
    x = jax_cpu.compilable_augmentation(layers.RandomRotation(0.1, name=rotation, dtype=dtype))(x)
    return jax_cpu.compilable_augmentation(layers.RandomZoom(0.2, name=zoom, dtype=dtype))(x)


def load_model(path: str | Path) -> keras.Model:
    """A model the course saved, with its augmentation compilable again where the backend compiles
    it (:func:`lib.jax_cpu.compilable_augmentation`): a saved layer does not keep that mark, so
    Keras would warn and run the loaded model op by op under JAX."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Model doesn't support `jit_compile=True`")
        model = keras.models.load_model(path)
    for layer in model.layers:
        if layer.name in AUGMENTATION_LAYERS:
            jax_cpu.compilable_augmentation(layer)
    if model.compiled:
        model.jit_compile = model.get_compile_config()["jit_compile"]
    return model


def classifier_head(x: keras.KerasTensor, dtype=None) -> keras.KerasTensor:
    """One logit for "dog", then its sigmoid (always computed in float32: in bfloat16 a
    confident sigmoid rounds to exactly 1)."""
    logit = layers.Dense(1, name=LOGIT, dtype=dtype)(x)
    return layers.Activation("sigmoid", dtype="float32", name=PROBABILITY)(logit)


def conv_block(
    x: keras.KerasTensor,
    size: int,
    name: str,
    separable: bool = True,
    residual: bool = True,
    batch_norm: bool = True,
    batch_norm_momentum: float = 0.99,
    dtype=None,
) -> keras.KerasTensor:
    """One block of the mini Xception (chapter 2): (batch norm, ReLU, convolution) twice, then
    max pooling that halves the map, with a strided 1x1 convolution as the residual shortcut.

    The switches are chapter 2's ablations (see :func:`build_mini_xception`). Layers are named
    ``{name}_bn1``, ``{name}_relu1``, ``{name}_sepconv1`` (``_conv1`` when not separable), ...,
    ``{name}_pool``, ``{name}_shortcut`` and ``{name}_add``.
    """
    convolution = layers.SeparableConv2D if separable else layers.Conv2D
    kind = "sepconv" if separable else "conv"
    shortcut = x
    for step in (1, 2):
        if batch_norm:
            x = layers.BatchNormalization(momentum=batch_norm_momentum, name=f"{name}_bn{step}", dtype=dtype)(x)
        x = layers.Activation("relu", name=f"{name}_relu{step}", dtype=dtype)(x)
        x = convolution(size, 3, padding="same", use_bias=not batch_norm, name=f"{name}_{kind}{step}",
                        dtype=dtype)(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name=f"{name}_pool", dtype=dtype)(x)
    if not residual:
        return x
    shortcut = layers.Conv2D(size, 1, strides=2, padding="same", use_bias=False, name=f"{name}_shortcut",
                             dtype=dtype)(shortcut)
    return layers.add([x, shortcut], name=f"{name}_add", dtype=dtype)


def build_mini_xception(
    input_shape: tuple[int, int, int] = (180, 180, 3),
    block_sizes: Sequence[int] = BOOK_BLOCK_SIZES,
    separable: bool = True,
    residual: bool = True,
    batch_norm: bool = True,
    augmentation: bool = True,
    batch_norm_momentum: float = 0.99,
    pooling: str = "global_average",
    dtype_policy: str | None = None,
    name: str = "mini_xception",
    conv_block: Callable[..., keras.KerasTensor] = conv_block,
) -> keras.Model:
    """The book's mini Xception (chapters 0 and 3): a stem, then one ``conv_block`` per entry
    of ``block_sizes``: :func:`conv_block`, or chapter 2's, which writes it in a cell and hands it in.

    ``separable=False`` uses ``Conv2D`` where the book uses ``SeparableConv2D``;
    ``residual=False`` drops the strided 1x1 shortcut; ``batch_norm=False`` drops the
    batch normalization (and gives the convolutions their bias back, since batch
    norm's shift is what made the bias redundant). ``batch_norm_momentum`` is how
    slowly the inference-time statistics follow the batches (Keras' default is 0.99).
    ``pooling="flatten"`` replaces global average pooling by ``Flatten`` (chapter 3's exercise).
    ``dtype_policy`` ("float32", "mixed_bfloat16", "mixed_float16") is handed to every layer,
    so the model's precision does not depend on Keras' global policy.
    """
    if pooling not in ("global_average", "flatten"):
        raise ValueError(f'pooling must be "global_average" or "flatten", got {pooling!r}.')
    inputs = keras.Input(shape=input_shape, name="image")
    x = augment(inputs, dtype_policy) if augmentation else inputs
    x = layers.Rescaling(1.0 / 255, name="rescale", dtype=dtype_policy)(x)
    # A separable stem would learn one 5x5 filter per colour channel (3 spatial filters, then
    # mixes of them): RGB channels are strongly correlated, so the stem is a regular convolution.
    x = layers.Conv2D(32, 5, use_bias=not batch_norm, name=STEM, dtype=dtype_policy)(x)
    for block, size in enumerate(block_sizes, start=1):
        x = conv_block(x, size, f"block{block}", separable, residual, batch_norm, batch_norm_momentum,
                       dtype_policy)
    if pooling == "flatten":
        x = layers.Flatten(name="flatten", dtype=dtype_policy)(x)
    else:
        x = layers.GlobalAveragePooling2D(name="global_pool", dtype=dtype_policy)(x)
    x = layers.Dropout(0.5, name="dropout", dtype=dtype_policy)(x)
    return keras.Model(inputs, classifier_head(x, dtype_policy), name=name)


def build_naive_convnet(input_shape: tuple[int, int, int] = (180, 180, 3), augmentation: bool = True,
                        dtype_policy: str | None = None) -> keras.Model:
    """The book's baseline (chapter 3): Conv2D 32-64-128-256-256 (3x3, ReLU) with max pooling,
    Flatten, Dropout. Convolutions are named ``conv1`` ... ``conv5``."""
    inputs = keras.Input(shape=input_shape, name="image")
    x = augment(inputs, dtype_policy) if augmentation else inputs
    x = layers.Rescaling(1.0 / 255, name="rescale", dtype=dtype_policy)(x)
    for index, filters in enumerate(NAIVE_CONVOLUTIONS, start=1):
        if index > 1:
            x = layers.MaxPooling2D(2, name=f"pool{index - 1}", dtype=dtype_policy)(x)
        x = layers.Conv2D(filters, 3, activation="relu", name=f"conv{index}", dtype=dtype_policy)(x)
    x = layers.Flatten(name="flatten", dtype=dtype_policy)(x)
    x = layers.Dropout(0.5, name="dropout", dtype=dtype_policy)(x)
    return keras.Model(inputs, classifier_head(x, dtype_policy), name="naive_convnet")


def compile_model(model: keras.Model, optimizer: str | keras.optimizers.Optimizer = "rmsprop",
                  learning_rate: float = 1e-3, label_smoothing: float = 0.0) -> keras.Model:
    """Compile for binary classification, as the book does, with the optimizer named (and given
    ``learning_rate``) or an optimizer object; ``label_smoothing`` pulls the targets 0 and 1 towards 0.5."""
    if isinstance(optimizer, str):
        optimizer = keras.optimizers.get({"class_name": optimizer, "config": {"learning_rate": learning_rate}})
    loss = (keras.losses.BinaryCrossentropy(label_smoothing=label_smoothing) if label_smoothing
            else "binary_crossentropy")
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    return model


def block_names(model: keras.Model) -> list[str]:
    """The mini Xception's blocks, in order: ``["block1", "block2", ...]``."""
    return [layer.name.removesuffix("_pool") for layer in model.layers
            if re.fullmatch(r"block\d+_pool", layer.name)]


def block_outputs(model: keras.Model) -> list[str]:
    """The name of each block's output layer, in order: the residual ``add``, or the pooling
    when the block has no shortcut. Grad-CAM explains these (chapter 5)."""
    names = {layer.name for layer in model.layers}
    return [f"{block}_add" if f"{block}_add" in names else f"{block}_pool" for block in block_names(model)]


def block_layers(model: keras.Model, part: str) -> list[str]:
    """The layer called ``part`` in every block, in order: ``block_layers(model, "relu1")`` is
    ``["block1_relu1", "block2_relu1", ...]``, what each block's first convolution sees."""
    names = [f"{block}_{part}" for block in block_names(model)]
    missing = [n for n in names if n not in {layer.name for layer in model.layers}]
    if missing:
        raise ValueError(f"{model.name} has no layer {missing[0]}: a block's parts are bn1, relu1, sepconv1 "
                         "(conv1 without separable convolutions), bn2, relu2, sepconv2, pool, shortcut and add.")
    return names


def convolution_names(model: keras.Model) -> list[str]:
    """The ``Conv2D`` layers of the naive convnet (or any model), in order."""
    return [layer.name for layer in model.layers if type(layer) is layers.Conv2D]
