"""Looking at a trained binary classifier's predictions: confusion matrix, confident mistakes."""

from __future__ import annotations

import numpy as np


def predict_dataset(model, dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Images (uint8), labels (0 cat, 1 dog) and predicted P(dog) for every example of ``dataset``."""
    images, labels, probabilities = [], [], []
    for batch_images, batch_labels in dataset:
        images.append(batch_images.numpy())
        labels.append(batch_labels.numpy().reshape(-1))
        probabilities.append(np.asarray(model(batch_images, training=False), dtype=np.float32).reshape(-1))
    return np.concatenate(images), np.concatenate(labels), np.concatenate(probabilities)


def confusion_matrix(labels: np.ndarray, probabilities: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """2x2 counts: rows are the true class (cat, dog), columns the predicted class."""
    predicted = (probabilities >= threshold).astype(int)
    matrix = np.zeros((2, 2), dtype=int)
    np.add.at(matrix, (labels.astype(int), predicted), 1)
    return matrix


def most_confidently_wrong(labels: np.ndarray, probabilities: np.ndarray, count: int = 8) -> np.ndarray:
    """Indices of the wrong predictions, the most confident first (at most ``count``)."""
    confidence_in_truth = np.where(labels == 1, probabilities, 1 - probabilities)
    wrong = np.flatnonzero(confidence_in_truth < 0.5)
    return wrong[np.argsort(confidence_in_truth[wrong])][:count]
