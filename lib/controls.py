"""Controls: can the toy task be solved without what the lesson is about? (chapter 0)

A toy dataset teaches something only if the intended cue is the only one. The toy pets'
classes differ in shape alone, so a classifier that sees only *colours* (how much of each
colour an image holds, with no positions and no shapes) should do no better than chance.
:func:`colour_only_accuracy` fits the best such classifier it can: several colour
histograms, each with a logistic regression and a small neural network, picks the one that
does best on the validation split, and reports it on the test split.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np


def colour_histograms(images: np.ndarray, bins: int) -> np.ndarray:
    """Each image's joint RGB histogram, ``bins`` levels per channel: (count, bins**3) shares of its pixels."""
    levels = np.asarray(images, dtype=np.int64) * bins // 256
    codes = (levels[..., 0] * bins + levels[..., 1]) * bins + levels[..., 2]
    counts = np.stack([np.bincount(c.ravel(), minlength=bins ** 3) for c in codes])
    return counts / counts.sum(axis=1, keepdims=True)


def channel_histograms(images: np.ndarray, bins: int = 32) -> np.ndarray:
    """Each image's red, green and blue histograms side by side, ``bins`` levels each: (count, 3 * bins)."""
    levels = np.asarray(images, dtype=np.int64) * bins // 256
    return np.concatenate([np.stack([np.bincount(image[..., channel].ravel(), minlength=bins) for image in levels])
                           for channel in range(3)], axis=1) / (levels.shape[1] * levels.shape[2])


def sorted_histograms(images: np.ndarray, bins: int, keep: int = 64) -> np.ndarray:
    """:func:`colour_histograms` sorted from the commonest colour down (the ``keep`` largest
    shares): how large the image's colour regions are, whatever their colours."""
    return -np.sort(-colour_histograms(images, bins), axis=1)[:, :keep]


FEATURES = {
    "R, G, B histograms, 32 levels": channel_histograms,
    "RGB histogram, 8 levels": lambda images: colour_histograms(images, 8),
    "region sizes (sorted histogram)": lambda images: sorted_histograms(images, 8),
}
CLASSIFIERS = {"logistic regression": 0, "neural network (64 units)": 64}


@dataclass(frozen=True)
class ColourFit:
    """One colour-only classifier: what it saw, what it was, and how it scored."""

    features: str
    classifier: str
    validation_accuracy: float
    test_accuracy: float


def _classifier(inputs: int, hidden: int) -> keras.Model:
    x = features = keras.Input((inputs,))
    if hidden:
        x = keras.layers.Dense(hidden, activation="relu")(x)
    model = keras.Model(features, keras.layers.Dense(1, activation="sigmoid",
                                                     kernel_regularizer=keras.regularizers.l2(1e-3))(x))
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def colour_only_fits(splits: dict[str, tuple[np.ndarray, np.ndarray]], epochs: int = 40,
                     seed: int = 0) -> list[ColourFit]:
    """Every combination of :data:`FEATURES` and :data:`CLASSIFIERS`, trained on ``splits["train"]``
    (images, labels) and scored on "validation" and "test"; standardized features."""
    fits = []
    for feature_name, extract in FEATURES.items():
        features = {name: extract(images) for name, (images, _) in splits.items()}
        mean, scale = features["train"].mean(axis=0), features["train"].std(axis=0) + 1e-6
        standard = {name: (values - mean) / scale for name, values in features.items()}
        for classifier_name, hidden in CLASSIFIERS.items():
            keras.utils.set_random_seed(seed)
            model = _classifier(standard["train"].shape[1], hidden)
            model.fit(standard["train"], splits["train"][1], epochs=epochs, batch_size=64, verbose=0)
            scores = {name: float(model.evaluate(standard[name], splits[name][1], verbose=0)[1])
                      for name in ("validation", "test")}
            fits.append(ColourFit(feature_name, classifier_name, scores["validation"], scores["test"]))
    return fits


def best_on_validation(fits: list[ColourFit]) -> ColourFit:
    """The fit a careful experimenter would report: the best on the validation split (never the test's)."""
    return max(fits, key=lambda fit: fit.validation_accuracy)
