"""Looking at a trained binary classifier's predictions (chapter 3): predictions, mistakes, the
confusion matrix, and the most confident mistakes."""

from __future__ import annotations

import numpy as np

from lib import backend
from lib.data import batches


def predict_dataset(model, dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Images (uint8), labels (0 cat, 1 dog) and predicted P(dog) for every example of ``dataset``."""
    images, labels, probabilities = [], [], []
    for batch_images, batch_labels in batches(dataset):
        images.append(batch_images)
        labels.append(batch_labels)
        probabilities.append(backend.to_numpy(model(batch_images, training=False)).reshape(-1))
    return np.concatenate(images), np.concatenate(labels), np.concatenate(probabilities)


def predicted_classes(probabilities: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """The class each P(dog) stands for: 1 (dog) from ``threshold`` up, else 0 (cat)."""
    return (np.asarray(probabilities) >= threshold).astype(int)


def mistakes(labels: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Indices of the images whose predicted class (:func:`predicted_classes`) is not their label."""
    return np.flatnonzero(predicted_classes(probabilities) != np.asarray(labels))


def confusion_matrix(labels: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """2x2 counts: rows are the true class (cat, dog), columns the predicted class."""
    counts, _, _ = np.histogram2d(labels, predicted_classes(probabilities), bins=2, range=[[0, 2], [0, 2]])
    return counts.astype(int)


def most_confidently_wrong(labels: np.ndarray, probabilities: np.ndarray, count: int = 8) -> np.ndarray:
    """Indices of the :func:`mistakes`, the most confident first (at most ``count``)."""
    wrong = mistakes(labels, probabilities)
    confidence = np.abs(np.asarray(probabilities)[wrong] - 0.5)
    return wrong[np.argsort(-confidence, kind="stable")][:count]
