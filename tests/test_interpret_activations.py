"""lib.interpret.activations: every layer's output, and its blank channels (chapter 4)."""

import numpy as np
import pytest

from lib.interpret import activations


def test_feature_layers_are_the_convolutions_pooling_and_relus_in_order(mini_xception):
    names = activations.feature_layer_names(mini_xception)
    assert names[:4] == ["stem_conv", "block1_relu1", "block1_sepconv1", "block1_relu2"]
    assert "block2_pool" in names and "block2_shortcut" in names
    assert not any(n.startswith(("augment_", "block1_bn", "rescale")) for n in names)


def test_activation_model_returns_every_feature_layer_by_name(mini_xception, images):
    outputs = activations.activations(activations.activation_model(mini_xception), images)
    assert list(outputs) == activations.feature_layer_names(mini_xception)
    assert outputs["stem_conv"].shape == (4, 28, 28, 32) and outputs["block2_pool"].shape == (4, 7, 7, 16)
    relu = outputs["block1_relu1"]
    assert relu.dtype == np.float32 and relu.min() >= 0


def test_blank_means_zero_everywhere_not_merely_constant():
    activation = np.random.default_rng(0).uniform(0.1, 1, (5, 5, 4))
    activation[..., 1] = 0
    activation[..., 2] = 0.5
    activation[..., 3] = 1e-9  # rounding noise on a dead channel
    assert activations.blank_channels(activation).tolist() == [False, True, False, True]
    with pytest.raises(ValueError, match="height, width, channels"):
        activations.blank_channels(activation[None])


def test_activation_statistics_count_blank_channels_and_positive_values():
    activation = np.zeros((1, 2, 2, 4), dtype="float32")
    activation[0, :, :, 0] = [[1, -1], [2, -2]]
    activation[0, 0, 0, 1] = 3
    (row,) = activations.activation_statistics({"layer": activation})
    assert row.name == "layer" and row.shape == (2, 2, 4)
    assert row.blank_fraction == 0.5 and row.positive_fraction == 3 / 16 and row.mean_activation == 3 / 16
    by_image = activations.statistics_by_image({"layer": np.concatenate([activation, -activation])}, ["a", "b"])
    assert [rows[0].positive_fraction for rows in by_image.values()] == [3 / 16, 2 / 16]
    (line,) = activations.summarize_depth({"a": by_image["a"]})
    assert "blank channels  50% ->  50%" in line and "(layer -> layer)" in line


def test_channel_alignment_finds_the_channels_that_copy_a_map():
    rng = np.random.default_rng(0)
    reference = rng.normal(size=(6, 5))
    activation = np.stack([2 * reference + 1, -reference, rng.normal(size=(6, 5)), np.zeros((6, 5))], axis=-1)
    alignment = activations.channel_alignment(activation, reference)
    np.testing.assert_allclose(alignment[:2], 1.0, atol=1e-9)
    assert alignment[2] < 0.6 and alignment[3] == 0.0


def test_image_maps_describe_brightness_and_edges_at_a_layers_size():
    image = np.zeros((40, 40, 3))
    image[:, 20:] = 255  # one vertical edge down the middle
    maps = activations.image_maps(image, (10, 10))
    assert set(maps) == {"brightness", "edges"} and maps["edges"].shape == (10, 10)
    assert maps["brightness"][:, -1].mean() > maps["brightness"][:, 0].mean()
    assert np.argmax(maps["edges"].mean(axis=0)) in (4, 5), "the edge is where the brightness changes"


def test_mean_blank_fraction_averages_over_the_images():
    batch = np.ones((2, 3, 3, 4))
    batch[0, ..., :2] = 0  # half the channels blank in the first image, none in the second
    assert activations.mean_blank_fraction({"layer": batch}, "layer") == 0.25


def test_share_copying_counts_channels_that_follow_brightness_or_edges():
    image = np.zeros((16, 16, 3))
    image[:, 8:] = 255.0
    maps = activations.image_maps(image, (16, 16))
    noise = np.random.default_rng(0).normal(size=(16, 16))
    activation = np.stack([maps["brightness"], maps["edges"], noise, np.zeros((16, 16))], axis=-1)
    assert activations.share_copying(activation, maps) == 0.5
