"""lib.interpret.counterfactuals: redrawn toy pets and the deletion test, on models that know the answer."""

from dataclasses import replace

import keras
import numpy as np
import pytest
from keras import layers

from lib import data
from lib.interpret import counterfactuals
from lib.toy_pets import CLASS_PARTS


def test_edited_toy_pets_are_the_datasets_images_with_one_part_changed(toy_train_dir):
    original = counterfactuals.edited_toy_pets("cat", [3, 5], 0, "medium", 48)
    from_disk = data.load_images([toy_train_dir / "cat.3.jpg", toy_train_dir / "cat.5.jpg"], 48)
    np.testing.assert_array_equal(original, from_disk)
    floppy = counterfactuals.edited_toy_pets("cat", [3, 5], 0, "medium", 48,
                                             parts=replace(CLASS_PARTS["cat"], ears="floppy"))
    assert floppy.shape == original.shape and (floppy != original).any()


def corner_model() -> keras.Model:
    """P(dog) = sigmoid of the mean brightness of the top-left 8x8 corner, minus 100."""
    inputs = keras.Input((16, 16, 3))
    corner = layers.Cropping2D(((0, 8), (0, 8)))(inputs)
    mean = layers.GlobalAveragePooling2D()(layers.Lambda(lambda x: keras.ops.mean(x, axis=-1, keepdims=True))(corner))
    logit = layers.Dense(1, kernel_initializer="ones", bias_initializer=keras.initializers.Constant(-100.0))(mean)
    return keras.Model(inputs, layers.Activation("sigmoid")(logit))


def test_deleting_what_a_heatmap_points_at_hurts_only_when_it_points_right():
    model = corner_model()
    images = np.full((2, 16, 16, 3), 255.0, dtype="float32")
    labels = np.array([1, 1])
    right = np.zeros((2, 16, 16), dtype="float32")
    right[:, :8, :8] = 1.0  # the corner the model reads
    wrong = right[:, ::-1, ::-1]
    pointed = counterfactuals.deletion_test(model, images, labels, right, fraction=0.25, fill=0.0)
    assert pointed.drop_at_top > 0.9 and pointed.drop_at_top > pointed.drop_elsewhere + 0.5
    misled = counterfactuals.deletion_test(model, images, labels, wrong, fraction=0.25, fill=0.0)
    assert misled.drop_at_top < 0.01


def test_dog_probability_is_the_models_output_in_batches():
    model = corner_model()
    images = np.stack([np.full((16, 16, 3), v, "float32") for v in (90.0, 110.0, 255.0)])
    probabilities = counterfactuals.dog_probability(model, images, batch_size=2)
    np.testing.assert_allclose(probabilities, 1 / (1 + np.exp(-(np.array([90.0, 110.0, 255.0]) - 100))), rtol=1e-5)


@pytest.mark.parametrize("top, elsewhere, verdict", [
    (0.30, 0.10, "more than"), (0.10, 0.30, "less than"), (0.13, 0.10, "about as much as")])
def test_the_deletion_verdict_says_what_the_two_drops_show(top, elsewhere, verdict):
    found = counterfactuals.Deletion(np.ones(4), np.full(4, 1 - top), np.full(4, 1 - elsewhere))
    assert counterfactuals.compare_drops(found).startswith(verdict)
