import numpy as np

from lib import evaluate


def test_confusion_matrix_rows_are_truth_columns_predictions():
    labels = np.array([0, 0, 1, 1, 1])
    probabilities = np.array([0.1, 0.8, 0.9, 0.4, 0.6])
    assert evaluate.confusion_matrix(labels, probabilities).tolist() == [[1, 1], [1, 2]]


def test_a_mistake_is_one_thing_everywhere():
    labels = np.array([0, 1, 0, 1])
    probabilities = np.array([0.5, 0.5, 0.49, 0.51])  # 0.5 counts as "dog", in every function
    assert evaluate.predicted_classes(probabilities).tolist() == [1, 1, 0, 1]
    assert evaluate.mistakes(labels, probabilities).tolist() == [0]
    assert evaluate.most_confidently_wrong(labels, probabilities).tolist() == [0]
    assert evaluate.confusion_matrix(labels, probabilities).tolist() == [[1, 1], [0, 2]]


def test_most_confidently_wrong_orders_by_confidence():
    labels = np.array([0, 0, 1, 1, 0])
    probabilities = np.array([0.95, 0.2, 0.3, 0.01, 0.6])
    assert evaluate.most_confidently_wrong(labels, probabilities).tolist() == [3, 0, 2, 4]
    assert evaluate.most_confidently_wrong(labels, probabilities, count=2).tolist() == [3, 0]
    assert evaluate.most_confidently_wrong(np.array([1]), np.array([0.9])).size == 0


def test_predict_dataset_keeps_images_labels_and_order(toy_subsets):
    from lib import data, models

    _, _, test = data.load_datasets(toy_subsets, image_size=32, batch_size=3)
    model = models.build_mini_xception((32, 32, 3), block_sizes=(8,))
    images, labels, probabilities = evaluate.predict_dataset(model, test)
    assert images.shape == (4, 32, 32, 3) and labels.tolist() == [0, 0, 1, 1]
    assert probabilities.shape == (4,) and ((0 <= probabilities) & (probabilities <= 1)).all()
