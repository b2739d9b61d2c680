"""lib.controls: colour-only classifiers find colour when it is there, and nothing when it is not."""

import numpy as np

from lib import controls


def test_colour_histograms_are_shares_of_each_images_pixels():
    image = np.zeros((1, 2, 2, 3), dtype=np.uint8)
    image[0, 0, 0] = [255, 255, 255]
    histogram = controls.colour_histograms(image, 2)
    assert histogram.shape == (1, 8) and histogram[0, 0] == 0.75 and histogram[0, 7] == 0.25
    assert controls.sorted_histograms(image, 2, keep=2).tolist() == [[0.75, 0.25]]


def random_images(rng, count, tint=None):
    images = rng.integers(0, 256, (count, 8, 8, 3), dtype=np.uint8)
    if tint is not None:
        images[:, :3, :3] = tint  # a patch of one colour: a colour cue
    return images


def splits(rng, cue: bool):
    def split(count):
        cats = random_images(rng, count, (235, 160, 170) if cue else None)
        dogs = random_images(rng, count)
        return np.concatenate([cats, dogs]), np.repeat([0, 1], count)
    return {"train": split(60), "validation": split(30), "test": split(30)}


def test_a_colour_cue_is_found_and_its_absence_is_chance():
    rng = np.random.default_rng(0)
    with_cue = controls.best_on_validation(controls.colour_only_fits(splits(rng, cue=True), epochs=30))
    without = controls.best_on_validation(controls.colour_only_fits(splits(rng, cue=False), epochs=30))
    assert with_cue.test_accuracy > 0.9
    assert without.test_accuracy < 0.7
    fits = controls.colour_only_fits(splits(rng, cue=False), epochs=1)
    assert len(fits) == len(controls.FEATURES) * len(controls.CLASSIFIERS)
    assert controls.best_on_validation(fits).validation_accuracy == max(f.validation_accuracy for f in fits)
