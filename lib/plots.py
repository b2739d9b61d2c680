"""Figures the chapters share; each function names the chapter that shows it."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler

from lib import backend
from lib.config import CLASS_NAMES
from lib.data import batches
from lib.toy_pets import PART_LABELS

# Okabe and Ito's colour-blind-safe palette, each colour with its own line style and marker, so
# that lines stay apart in greyscale and for every kind of colour vision.
OKABE_ITO = {"blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "purple": "#CC79A7",
             "vermillion": "#D55E00", "sky blue": "#56B4E9"}
LINE_STYLES = [{"color": colour, "linestyle": linestyle, "marker": marker}
               for colour, linestyle, marker in zip(OKABE_ITO.values(), ("-", "--", ":", "-.", "-", "--"),
                                                    ("o", "s", "^", "D", "v", "P"))]
# Every line drawn once lib.plots is imported, a student's own too, takes the next of LINE_STYLES.
plt.rcParams["axes.prop_cycle"] = cycler(**{key: [style[key] for style in LINE_STYLES]
                                            for key in ("color", "linestyle", "marker")})

PART_COLOURS = {"background": (0, 0, 0), "face": (90, 90, 200), "ears": (230, 160, 40), "eyes": (60, 200, 90),
                "nose": (220, 60, 60), "muzzle": (240, 240, 240), "cue": (250, 230, 0)}


def colour_parts(mask: np.ndarray) -> np.ndarray:
    """A part mask (values of ``PART_LABELS``) as an RGB picture, one colour per part (chapters 0, 5)."""
    picture = np.zeros((*mask.shape, 3), dtype=np.uint8)
    for part, value in PART_LABELS.items():
        picture[mask == value] = PART_COLOURS[part]
    return picture


def show_part_legend() -> plt.Figure:
    """The colours of :func:`colour_parts`, one swatch per part, named (chapters 0 and 5)."""
    figure, axis = plt.subplots(figsize=(9, 0.5))
    for index, (part, colour) in enumerate(PART_COLOURS.items()):
        axis.add_patch(plt.Rectangle((index, 0), 0.3, 1, color=np.array(colour) / 255, ec="grey"))
        axis.text(index + 0.38, 0.5, part, va="center", fontsize=9)
    axis.set_xlim(0, len(PART_COLOURS))
    axis.set_ylim(0, 1)
    axis.axis("off")
    return figure


def show_images(images: np.ndarray, titles: list[str], columns: int = 8, size: float = 1.6,
                suptitle: str | None = None) -> plt.Figure:
    """A grid of images (uint8 or float in [0, 255]) with one title each."""
    rows = math.ceil(len(images) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(columns * size, rows * size * 1.1), squeeze=False)
    for axis in axes.flat:
        axis.axis("off")
    for axis, image, title in zip(axes.flat, images, titles):
        axis.imshow(np.asarray(image).astype("uint8"))
        axis.set_title(title, fontsize=9)
    if suptitle:
        figure.suptitle(suptitle)
    figure.tight_layout()
    return figure


def show_batch(dataset, count: int = 16, columns: int = 8, suptitle: str | None = None) -> plt.Figure:
    """The first ``count`` images of a labelled, batched dataset, titled with their class names."""
    images, labels = [], []
    for batch_images, batch_labels in batches(dataset):
        images.extend(batch_images)
        labels.extend(int(label) for label in batch_labels)
        if len(images) >= count:
            break
    return show_images(np.stack(images[:count]), [CLASS_NAMES[label] for label in labels[:count]],
                       columns=columns, suptitle=suptitle)


CHANNEL_COLOURS = (OKABE_ITO["vermillion"], OKABE_ITO["green"], OKABE_ITO["blue"])  # red, green, blue


def _channel_stack(axis, x: float, count: int, colours, label: str, kernel: str | None = None) -> list[float]:
    """Draw ``count`` channel squares in a column at ``x``; return their centres' heights."""
    heights = list(np.linspace(0.8, 0.2, count))
    for height, colour in zip(heights, colours):
        axis.add_patch(plt.Rectangle((x - 0.04, height - 0.05), 0.08, 0.1, color=colour, alpha=0.85))
        if kernel:
            axis.text(x, height, kernel, ha="center", va="center", fontsize=7, color="white")
    axis.text(x, 0.05, label, ha="center", fontsize=9)
    return heights


def _connect(axis, x_from: float, heights_from, x_to: float, heights_to, pairs, colours) -> None:
    for i, j in pairs:
        axis.plot([x_from + 0.04, x_to - 0.04], [heights_from[i], heights_to[j]], color=colours[i], linestyle="-",
                  marker="", lw=1.2)


def plot_convolution_connectivity(in_channels: int = 3, out_channels: int = 4, kernel_size: int = 3) -> plt.Figure:
    """Which weights connect which channels: a regular convolution against depthwise, then pointwise."""
    colours = CHANNEL_COLOURS[:in_channels]
    grey = ["#7f7f7f"] * out_channels
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
    k = f"{kernel_size}x{kernel_size}"
    inputs = _channel_stack(left, 0.15, in_channels, colours, "input channels")
    outputs = _channel_stack(left, 0.85, out_channels, grey, "output channels")
    _connect(left, 0.15, inputs, 0.85, outputs, [(i, j) for i in range(in_channels) for j in range(out_channels)],
             colours)
    regular = kernel_size ** 2 * in_channels * out_channels
    left.set_title(f"Conv2D: every output sees every input channel\nthrough a {k} window: {regular} weights")
    inputs = _channel_stack(right, 0.1, in_channels, colours, "input")
    middle = _channel_stack(right, 0.5, in_channels, colours, "depthwise output", kernel=k)
    outputs = _channel_stack(right, 0.9, out_channels, grey, "pointwise output")
    _connect(right, 0.1, inputs, 0.5, middle, [(i, i) for i in range(in_channels)], colours)
    _connect(right, 0.5, middle, 0.9, outputs, [(i, j) for i in range(in_channels) for j in range(out_channels)],
             colours)
    depthwise, pointwise = kernel_size ** 2 * in_channels, in_channels * out_channels
    right.set_title(f"SeparableConv2D: {k} per channel ({depthwise} weights), then 1x1\n"
                    f"mixing of channels ({pointwise} weights): {depthwise + pointwise} in all")
    for axis in (left, right):
        axis.set_xlim(0, 1)
        axis.set_ylim(0, 0.95)
        axis.axis("off")
    figure.tight_layout()
    return figure


def plot_history(history: dict[str, list[float]], title: str) -> plt.Figure:
    """Loss and accuracy, training against validation, with the best epoch (lowest val_loss) marked."""
    epochs = np.arange(1, len(history["loss"]) + 1)
    best = int(epochs[np.argmin(history["val_loss"])])
    figure, axes = plt.subplots(1, 2, figsize=(11, 3.6))
    for axis, metric in zip(axes, ("loss", "accuracy")):
        axis.plot(epochs, history[metric], label="training")
        axis.plot(epochs, history[f"val_{metric}"], label="validation")
        axis.axvline(best, color="grey", linestyle="--", label=f"best epoch ({best})")
        axis.set_xlabel("epoch")
        axis.set_ylabel(metric)
        axis.legend()
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_confusion_matrix(matrix: np.ndarray, title: str) -> plt.Figure:
    """A 2x2 confusion matrix (rows: true class, columns: predicted class) with counts."""
    figure, axis = plt.subplots(figsize=(3.8, 3.4))
    axis.imshow(matrix, cmap="Blues")
    for (row, column), count in np.ndenumerate(matrix):
        colour = "white" if count > matrix.max() / 2 else "black"
        axis.text(column, row, str(count), ha="center", va="center", color=colour, fontsize=14)
    axis.set_xticks([0, 1], [f"predicted {c}" for c in CLASS_NAMES])
    axis.set_yticks([0, 1], [f"true {c}" for c in CLASS_NAMES])
    axis.set_title(title)
    figure.tight_layout()
    return figure


def show_augmented(augmenter, image: np.ndarray, count: int = 8) -> plt.Figure:
    """``image`` and ``count`` random versions of it from ``augmenter`` in training mode."""
    versions = [backend.to_numpy(augmenter(image[None], training=True))[0] for _ in range(count)]
    return show_images(np.stack([image, *versions]), ["original"] + [f"augmented {i + 1}" for i in range(count)],
                       columns=count + 1, size=1.5)


def plot_channels(activation: np.ndarray, title: str, columns: int = 16, size: float = 0.8) -> plt.Figure:
    """Every channel of one activation (height, width, channels) as a small grey image.

    Each channel is scaled on its own, as in the book, so faint patterns show; blank
    channels (zero everywhere, see :func:`lib.interpret.activations.blank_channels`) are left white and
    crossed out, so they are visible as blank rather than hidden.
    """
    from lib.interpret.activations import blank_channels

    blank = blank_channels(activation)
    count = activation.shape[-1]
    rows = math.ceil(count / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(columns * size, rows * size + 0.6), squeeze=False,
                                layout="constrained")
    for index, axis in enumerate(axes.flat):
        axis.set_xticks([])
        axis.set_yticks([])
        if index >= count:
            axis.axis("off")
        elif blank[index]:
            axis.plot([0, 1], [0, 1], color=OKABE_ITO["vermillion"], linestyle="-", marker="", lw=1)
            axis.plot([0, 1], [1, 0], color=OKABE_ITO["vermillion"], linestyle="-", marker="", lw=1)
            axis.set_xlim(0, 1)
            axis.set_ylim(0, 1)
        else:
            channel = activation[..., index]
            axis.imshow((channel - channel.mean()) / (channel.std() + 1e-9), cmap="viridis")
    figure.suptitle(f"{title}: {count} channels, {int(blank.sum())} blank (crossed out)", fontsize=11)
    return figure


def plot_layer_statistics(statistics: dict[str, list], title: str) -> plt.Figure:
    """Share of blank channels and of positive values, layer by layer, one line per image.

    ``statistics`` maps an image's name to its :class:`lib.interpret.activations.LayerStatistics` rows.
    """
    figure, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharex=True)
    for image_name, rows in statistics.items():
        names = [row.name for row in rows]
        axes[0].plot(names, [row.blank_fraction for row in rows], label=image_name)
        axes[1].plot(names, [row.positive_fraction for row in rows], label=image_name)
    axes[0].set_ylabel("share of blank channels")
    axes[1].set_ylabel("share of positive values")
    for axis in axes:
        axis.set_ylim(-0.03, 1.03)
        axis.tick_params(axis="x", rotation=60, labelsize=8)
        axis.legend(fontsize=8)
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def show_heatmaps(images: np.ndarray, rows: dict[str, np.ndarray], titles: list[str], size: float = 1.9,
                  suptitle: str | None = None, overlay: bool = True) -> plt.Figure:
    """Images in the first row, then one row per entry of ``rows`` (heatmaps in [0, 1] laid
    over the images with :func:`lib.interpret.gradcam.superimpose`), the row's name on its left.
    With ``overlay=False`` the maps are drawn on their own, viridis from 0 to 1, with a colour bar:
    heat on a spot a few pixels wide, faint when laid over the image, stands out.
    A single image is laid out in one row instead: the image, then each map under its name."""
    from lib.interpret.gradcam import superimpose

    if len(images) == 1:
        figure, axes = plt.subplots(1, len(rows) + 1, figsize=((len(rows) + 1) * size, size * 1.15))
        axes[0].imshow(np.asarray(images[0]).astype("uint8"))
        axes[0].set_title(titles[0], fontsize=9)
        for axis, (name, heatmaps) in zip(axes[1:], rows.items()):
            axis.imshow(superimpose(images[0], heatmaps[0]))
            axis.set_title(name, fontsize=9)
        for axis in axes:
            axis.set_xticks([])
            axis.set_yticks([])
        if suptitle:
            figure.suptitle(suptitle)
        figure.tight_layout()
        return figure
    columns = len(images)
    figure, axes = plt.subplots(len(rows) + 1, columns, figsize=(columns * size, (len(rows) + 1) * size * 1.05),
                                squeeze=False)
    for column, (image, title) in enumerate(zip(images, titles)):
        axes[0, column].imshow(np.asarray(image).astype("uint8"))
        axes[0, column].set_title(title, fontsize=8)
        for row, heatmaps in enumerate(rows.values(), start=1):
            if overlay:
                axes[row, column].imshow(superimpose(image, heatmaps[column]))
            else:
                shown = axes[row, column].imshow(heatmaps[column], cmap="viridis", vmin=0, vmax=1)
    for axis in axes.flat:
        axis.set_xticks([])
        axis.set_yticks([])
    for row, name in enumerate(rows, start=1):
        axes[row, 0].set_ylabel(name, fontsize=9)
    if suptitle:
        figure.suptitle(suptitle)
    figure.tight_layout()
    if not overlay:
        figure.colorbar(shown, ax=axes[1:].ravel().tolist(), shrink=0.8, label="heat (each map scaled to [0, 1])")
    return figure


def plot_rank_correlations(steps: list[int], correlations: np.ndarray, reached: list[str], title: str) -> plt.Figure:
    """Rank correlation with the trained model's map against the number of randomized layers:
    the mean over images, with each image as a faint line."""
    figure, axis = plt.subplots(figsize=(11, 4.2))
    axis.plot(steps, correlations.T, color="grey", linestyle="-", marker="", alpha=0.25, lw=1)
    axis.plot(steps, correlations.mean(axis=0), "o-", color=OKABE_ITO["vermillion"], lw=2,
              label="mean over images")
    axis.axhline(0, color="black", lw=0.8)
    axis.set_xticks(steps, [f"{k}: {name}" for k, name in zip(steps, reached)], fontsize=7, rotation=60,
                    ha="right")
    axis.set_xlabel("layers randomized from the top: count and the deepest one reached")
    axis.set_ylabel("rank correlation with\nthe trained model's map")
    axis.set_ylim(-1.05, 1.05)
    axis.legend()
    axis.set_title(title)
    figure.tight_layout()
    return figure


def plot_layer_costs(rows: list, title: str) -> plt.Figure:
    """Per layer (rows of :func:`lib.architecture.layer_costs`): multiply-adds as bars, and
    the output's side against its channels, the two trends of "filters grow as maps shrink"."""
    names = [row.name for row in rows]
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
    left.bar(names, [row.multiply_adds / 1e6 for row in rows], color=OKABE_ITO["blue"])
    left.set_ylabel("million multiply-adds per image")
    side = right.plot(names, [row.height for row in rows], "o-", color=OKABE_ITO["vermillion"],
                      label="map side (pixels)")
    right.set_ylabel("feature map side (pixels)")
    twin = right.twinx()
    channels = twin.plot(names, [row.channels for row in rows], "s--", color=OKABE_ITO["green"], label="channels")
    twin.set_ylabel("channels")
    right.legend(handles=side + channels, loc="center left", fontsize=8)
    for axis in (left, right):
        axis.tick_params(axis="x", rotation=75, labelsize=7)
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_depth_profiles(profiles: dict[str, np.ndarray], ylabel: str, title: str, log: bool = True) -> plt.Figure:
    """One line per model of a quantity measured at each layer (layer 1 nearest the input)."""
    figure, axis = plt.subplots(figsize=(8, 3.6))
    for name, values in profiles.items():
        axis.plot(np.arange(1, len(values) + 1), values, markersize=3, label=name)
    if log:
        axis.set_yscale("log")
    axis.set_xlabel("layer (1 = nearest the input)")
    axis.set_ylabel(ylabel)
    axis.set_title(title)
    axis.legend(fontsize=8)
    figure.tight_layout()
    return figure


def plot_validation_curves(histories: dict[str, dict[str, list[float]]], title: str) -> plt.Figure:
    """Validation accuracy per epoch, one line per model, and the training loss beside it."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
    for name, history in histories.items():
        epochs = np.arange(1, len(history["loss"]) + 1)
        left.plot(epochs, history["loss"], label=name)
        right.plot(epochs, history["val_accuracy"], label=name)
    left.set_ylabel("training loss")
    right.set_ylabel("validation accuracy")
    for axis in (left, right):
        axis.set_xlabel("epoch")
        axis.legend(fontsize=8)
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_blank_shares(shares: dict[str, dict[str, float]], title: str) -> plt.Figure:
    """The share of blank channels layer by layer, one line per model (chapter 4). The layers of
    models of different depths are placed from 0 (the first) to 1 (the last), so the lines compare."""
    figure, axis = plt.subplots(figsize=(9, 3.6))
    for name, by_layer in shares.items():
        depth = np.linspace(0, 1, len(by_layer))
        axis.plot(depth, list(by_layer.values()), label=f"{name} ({len(by_layer)} layers)")
    axis.set_xlabel("depth (first layer 0, last layer 1)")
    axis.set_ylabel("share of blank channels")
    axis.set_ylim(-0.03, 1.03)
    axis.legend(fontsize=8)
    axis.set_title(title)
    figure.tight_layout()
    return figure


def plot_recorded_curves(histories: dict[str, dict[str, list[float]]], title: str,
                         reference: dict[str, float] | None = None) -> plt.Figure:
    """Training and validation accuracy per epoch of recorded runs, one line style per run
    (chapter 3); ``reference`` draws horizontal lines (the book's reported accuracies)."""
    figure, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
    for axis, metric, label in zip(axes, ("accuracy", "val_accuracy"), ("training accuracy", "validation accuracy")):
        for style, (name, history) in zip(LINE_STYLES, histories.items()):
            epochs = np.arange(1, len(history[metric]) + 1)
            axis.plot(epochs, history[metric], label=name, markevery=max(1, len(epochs) // 10), markersize=5,
                      linewidth=1.2, **style)
        for (name, value), linestyle in zip((reference or {}).items(), ("-", "--", ":")):
            axis.axhline(value, color="grey", linestyle=linestyle, linewidth=0.9, label=name)
        axis.set_xlabel("epoch")
        axis.set_ylabel(label)
        axis.legend(fontsize=8, loc="lower right")
    figure.suptitle(title)
    figure.tight_layout()
    return figure
