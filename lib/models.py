"""The course's models, built with the functional API so every layer can be reached.

:func:`build_mini_xception` is the book's mini Xception-like model (section 9.3.5),
721,857 parameters at 180x180x3 by default; its switches give chapter 2's ablations.
:func:`build_naive_convnet` is the book's earlier baseline (991,041 parameters at 180x180).

Both apply the book's data augmentation as layers of the outer functional graph
(not a nested ``Sequential``), so interpretation code can build a sub-model from
``model.inputs`` to any layer. Augmentation is active only during training.
The last layer is split in two, ``logit`` (a Dense unit) and ``dog_probability``
(its sigmoid), because Grad-CAM needs the logit: the sigmoid saturates.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

BOOK_BLOCK_SIZES = (32, 64, 128, 256, 512)


def augment(inputs: keras.KerasTensor) -> keras.KerasTensor:
    """The book's augmentation: horizontal flip, rotation 0.1 (of a turn), zoom 0.2."""
    x = layers.RandomFlip("horizontal", name="augment_flip")(inputs)
    x = layers.RandomRotation(0.1, name="augment_rotation")(x)
    return layers.RandomZoom(0.2, name="augment_zoom")(x)


def classifier_head(x: keras.KerasTensor) -> keras.KerasTensor:
    """One logit for "dog", then its sigmoid (kept in float32 under mixed precision)."""
    logit = layers.Dense(1, name="logit")(x)
    return layers.Activation("sigmoid", dtype="float32", name="dog_probability")(logit)


def conv_block(
    x: keras.KerasTensor,
    size: int,
    name: str,
    separable: bool = True,
    residual: bool = True,
    batch_norm: bool = True,
    batch_norm_momentum: float = 0.99,
) -> keras.KerasTensor:
    """One block of the mini Xception: (batch norm, ReLU, convolution) twice, then max pooling
    that halves the map, with a strided 1x1 convolution as the residual shortcut.

    The switches are chapter 2's ablations (see :func:`build_mini_xception`). Layers are named
    ``{name}_bn1``, ``{name}_relu1``, ``{name}_sepconv1`` (``_conv1`` when not separable), ...,
    ``{name}_pool``, ``{name}_shortcut`` and ``{name}_add``.
    """
    convolution = layers.SeparableConv2D if separable else layers.Conv2D
    kind = "sepconv" if separable else "conv"
    shortcut = x
    for step in (1, 2):
        if batch_norm:
            x = layers.BatchNormalization(momentum=batch_norm_momentum, name=f"{name}_bn{step}")(x)
        x = layers.Activation("relu", name=f"{name}_relu{step}")(x)
        x = convolution(size, 3, padding="same", use_bias=not batch_norm, name=f"{name}_{kind}{step}")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name=f"{name}_pool")(x)
    if not residual:
        return x
    shortcut = layers.Conv2D(size, 1, strides=2, padding="same", use_bias=False, name=f"{name}_shortcut")(shortcut)
    return layers.add([x, shortcut], name=f"{name}_add")


def build_mini_xception(
    input_shape: tuple[int, int, int] = (180, 180, 3),
    block_sizes: Sequence[int] = BOOK_BLOCK_SIZES,
    separable: bool = True,
    residual: bool = True,
    batch_norm: bool = True,
    augmentation: bool = True,
    batch_norm_momentum: float = 0.99,
    pooling: str = "global_average",
    name: str = "mini_xception",
) -> keras.Model:
    """The book's mini Xception: a stem, then one :func:`conv_block` per entry of ``block_sizes``.

    ``separable=False`` uses ``Conv2D`` where the book uses ``SeparableConv2D``;
    ``residual=False`` drops the strided 1x1 shortcut; ``batch_norm=False`` drops the
    batch normalization (and gives the convolutions their bias back, since batch
    norm's shift is what made the bias redundant). ``batch_norm_momentum`` is how
    slowly the inference-time statistics follow the batches (Keras' default is 0.99).
    ``pooling="flatten"`` replaces global average pooling by ``Flatten`` (chapter 3's exercise).
    """
    if pooling not in ("global_average", "flatten"):
        raise ValueError(f'pooling must be "global_average" or "flatten", got {pooling!r}.')
    inputs = keras.Input(shape=input_shape, name="image")
    x = augment(inputs) if augmentation else inputs
    x = layers.Rescaling(1.0 / 255, name="rescale")(x)
    # RGB channels are strongly correlated, so the first layer is a regular convolution.
    x = layers.Conv2D(32, 5, use_bias=not batch_norm, name="stem_conv")(x)
    for block, size in enumerate(block_sizes, start=1):
        x = conv_block(x, size, f"block{block}", separable, residual, batch_norm, batch_norm_momentum)
    if pooling == "flatten":
        x = layers.Flatten(name="flatten")(x)
    else:
        x = layers.GlobalAveragePooling2D(name="global_pool")(x)
    x = layers.Dropout(0.5, name="dropout")(x)
    return keras.Model(inputs, classifier_head(x), name=name)


def build_naive_convnet(input_shape: tuple[int, int, int] = (180, 180, 3), augmentation: bool = True) -> keras.Model:
    """The book's baseline: Conv2D 32-64-128-256-256 (3x3, ReLU) with max pooling, Flatten, Dropout."""
    inputs = keras.Input(shape=input_shape, name="image")
    x = augment(inputs) if augmentation else inputs
    x = layers.Rescaling(1.0 / 255, name="rescale")(x)
    for index, filters in enumerate((32, 64, 128, 256, 256), start=1):
        if index > 1:
            x = layers.MaxPooling2D(2, name=f"pool{index - 1}")(x)
        x = layers.Conv2D(filters, 3, activation="relu", name=f"conv{index}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(0.5, name="dropout")(x)
    return keras.Model(inputs, classifier_head(x), name="naive_convnet")


def compile_model(model: keras.Model, optimizer: str = "rmsprop", learning_rate: float = 1e-3) -> keras.Model:
    """Compile for binary classification, as the book does, with the optimizer named."""
    model.compile(
        optimizer=keras.optimizers.get({"class_name": optimizer, "config": {"learning_rate": learning_rate}}),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model
