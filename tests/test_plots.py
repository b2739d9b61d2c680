"""The shared figures build without error and show what they claim."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from lib import models, plots  # noqa: E402


def test_history_plot_marks_the_best_epoch():
    history = {"loss": [1, 0.5, 0.4], "val_loss": [1, 0.3, 0.6], "accuracy": [0.5, 0.8, 0.9],
               "val_accuracy": [0.5, 0.9, 0.7]}
    figure = plots.plot_history(history, "run")
    assert [line.get_label() for line in figure.axes[0].lines][-1] == "best epoch (2)"


def test_confusion_matrix_plot_writes_the_counts():
    figure = plots.plot_confusion_matrix(np.array([[5, 1], [2, 7]]), "test")
    assert sorted(t.get_text() for t in figure.axes[0].texts) == ["1", "2", "5", "7"]


def test_augmented_grid_shows_the_original_and_versions():
    model = models.build_mini_xception((32, 32, 3), block_sizes=(8,))
    import keras

    augmenter = keras.Model(model.input, model.get_layer(models.AUGMENTATION_LAYERS[-1]).output)
    figure = plots.show_augmented(augmenter, np.full((32, 32, 3), 128, dtype=np.uint8), count=3)
    assert [a.get_title() for a in figure.axes if a.get_title()][:2] == ["original", "augmented 1"]


def test_connectivity_figure_counts_the_weights():
    figure = plots.plot_convolution_connectivity(3, 4, 3)
    titles = " ".join(a.get_title() for a in figure.axes)
    assert "108 weights" in titles and "39 in all" in titles


def test_channel_grid_crosses_out_the_blank_channels():
    activation = np.zeros((4, 4, 3))
    activation[..., 1] = np.arange(16).reshape(4, 4)
    figure = plots.plot_channels(activation, "block1", columns=3)
    assert figure._suptitle.get_text() == "block1: 3 channels, 2 blank (crossed out)"


def test_heatmap_rows_lie_over_their_images():
    images = np.full((2, 8, 8, 3), 100, dtype=np.uint8)
    figure = plots.show_heatmaps(images, {"Grad-CAM": np.ones((2, 4, 4))}, ["cat", "dog"])
    assert [a.get_title() for a in figure.axes[:2]] == ["cat", "dog"] and figure.axes[2].get_ylabel() == "Grad-CAM"


def test_maps_drawn_on_their_own_keep_their_values_and_get_a_colour_bar():
    heat = np.zeros((2, 4, 4))
    heat[:, 0, 0] = 1.0  # a one-cell spot, as a mark in a corner gives
    figure = plots.show_heatmaps(np.full((2, 8, 8, 3), 100, dtype=np.uint8), {"marked": heat}, ["a", "b"],
                                 overlay=False)
    assert np.array_equal(figure.axes[2].get_images()[0].get_array(), heat[0])
    assert figure.axes[-1].get_ylabel().startswith("heat")


def test_one_image_and_its_maps_lie_in_one_row_under_the_maps_names():
    figure = plots.show_heatmaps(np.full((1, 8, 8, 3), 100, dtype=np.uint8),
                                 {"dog map": np.ones((1, 4, 4)), "cat map": np.zeros((1, 4, 4))}, ["Chelsea"])
    assert [a.get_title() for a in figure.axes] == ["Chelsea", "dog map", "cat map"]


def test_recorded_curves_tell_runs_apart_by_more_than_colour():
    history = {"accuracy": [0.5, 0.7, 0.8], "val_accuracy": [0.5, 0.6, 0.7]}
    figure = plots.plot_recorded_curves({"book": history, "fast": history}, "t", reference={"the book": 0.9})
    training = figure.axes[0].get_lines()
    assert len(training) == 3 and figure.axes[1].get_ylabel() == "validation accuracy"
    (first, second) = training[:2]
    assert first.get_linestyle() != second.get_linestyle() and first.get_marker() != second.get_marker()


def distinguishable_without_colour(axis) -> bool:
    """Whether the axis' labelled lines differ pairwise in line style or marker."""
    styles = [(line.get_linestyle(), line.get_marker()) for line in axis.get_lines()
              if not line.get_label().startswith("_")]
    return len(set(styles)) == len(styles)


def test_every_comparison_tells_its_lines_apart_by_more_than_colour_in_okabe_itos_colours():
    history = {"loss": [1, 0.5, 0.4], "val_loss": [1, 0.3, 0.6], "accuracy": [0.5, 0.8, 0.9],
               "val_accuracy": [0.5, 0.9, 0.7]}
    names = [f"model {i}" for i in range(len(plots.LINE_STYLES))]
    figures = [plots.plot_history(history, "run"),
               plots.plot_validation_curves(dict.fromkeys(names, history), "t"),
               plots.plot_depth_profiles(dict.fromkeys(names, np.array([1.0, 2.0, 3.0])), "norm", "t"),
               plots.plot_blank_shares(dict.fromkeys(names, {"a": 0.1, "b": 0.2}), "t")]
    figure, axis = matplotlib.pyplot.subplots()  # a student's own plot, after importing lib.plots
    for name in names:
        axis.plot([0, 1], [0, 1], label=name)
    for figure in [*figures, figure]:
        for axis in figure.axes:
            assert distinguishable_without_colour(axis), figure.texts or axis.get_title()
            colours = {matplotlib.colors.to_hex(line.get_color()) for line in axis.get_lines()}
            assert colours <= {c.lower() for c in plots.OKABE_ITO.values()} | {"#808080"}, colours
