"""Can an explanation be trusted? (chapter 6)

* :func:`part_scores` and :func:`pointing_game`: how much of a heatmap lies on each part of
  the toy pets (ears, eyes, nose, muzzle, rest of the face, background) and where its maximum
  falls, beside what a uniform map would score (Zhang et al., 2018);
* :func:`cascading_randomization`: whether a heatmap changes when the trained weights are
  replaced by random ones, layer after layer from the top (Adebayo et al., 2018);
* :func:`rank_correlation` and :func:`top_overlap`: how alike two heatmaps are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import keras
import numpy as np

from lib.interpret.gradcam import Explainer, grad_cam_for_labels, occlusion_maps, positive_part_scaled, upsample
from lib.toy_pets import HEAD_PARTS, PART_LABELS

# The parts a heatmap is scored on, as groups of PART_LABELS: each part of the head, the
# head as a whole, and the background (chapter 6's shortcut adds the cue).
PART_GROUPS = {**{part: (part,) for part in HEAD_PARTS}, "head": HEAD_PARTS, "background": ("background",),
               "cue": ("cue",)}
CUE_GROUPS = {"cue": ("cue",), "head": HEAD_PARTS, "background": ("background",)}


@dataclass(frozen=True)
class PointingScore:
    """How well heatmaps point at their images' masks of one part."""

    hits: float
    mass_inside: float
    area: float
    blank: float = 0.0  # share of the heatmaps that are all zero: each a miss with no mass anywhere

    def __str__(self) -> str:
        return (f"pointing game {self.hits:.0%}, heatmap mass inside {self.mass_inside:.0%} "
                f"(the part covers {self.area:.0%} of the image)")


def _at_mask_size(heatmaps: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    heatmaps = np.asarray(heatmaps, dtype="float32")
    return upsample(heatmaps, shape) if heatmaps.shape[1:] != tuple(shape) else heatmaps


def pointing_game(heatmaps: np.ndarray, masks: np.ndarray) -> PointingScore:
    """Score heatmaps against boolean masks of the same images.

    ``hits``: share of images whose heatmap maximum (upsampled to the mask's size) falls
    inside the mask. ``mass_inside``: share of the heatmap's total inside the mask, averaged
    over images. ``area``: the masks' average share of the image, which is what a heatmap
    spread evenly would score on ``mass_inside`` (and, on average, on ``hits``). Images whose
    heatmap is all zero count as misses and contribute no mass.
    """
    masks = np.asarray(masks, dtype=bool)
    if masks.ndim != 3 or len(masks) != len(heatmaps):
        raise ValueError(f"Need one mask (height, width) per heatmap: {len(heatmaps)} heatmaps, masks {masks.shape}.")
    upsampled = _at_mask_size(heatmaps, masks.shape[1:])
    hits, mass, blank = [], [], []
    for heat, mask in zip(upsampled, masks):
        total = float(heat.sum())
        blank.append(total <= 0)
        if blank[-1]:
            hits.append(False)
            mass.append(0.0)
            continue
        hits.append(bool(mask.flat[int(np.argmax(heat))]))
        mass.append(float(heat[mask].sum()) / total)
    return PointingScore(float(np.mean(hits)), float(np.mean(mass)), float(masks.mean()), float(np.mean(blank)))


def part_scores(heatmaps: np.ndarray, part_masks: np.ndarray,
                groups: Mapping[str, Sequence[str]] | None = None) -> dict[str, PointingScore]:
    """:func:`pointing_game` of the same heatmaps against each part of the toy pets' part
    masks (values of :data:`lib.toy_pets.PART_LABELS`), keyed by part name.

    ``groups`` maps a name to the parts it joins (default :data:`PART_GROUPS`, without the
    ``cue`` when no image has one). Each score's ``area`` is what a uniform map gets.
    """
    part_masks = np.asarray(part_masks)
    if groups is None:
        has_cue = bool((part_masks == PART_LABELS["cue"]).any())
        groups = {name: parts for name, parts in PART_GROUPS.items() if name != "cue" or has_cue}
    return {name: pointing_game(heatmaps, np.isin(part_masks, [PART_LABELS[p] for p in parts]))
            for name, parts in groups.items()}


def mass_on_masks(heatmaps: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """The share of each heatmap's total that lies on each of its image's masks: for heatmaps
    (count, h, w) and boolean masks (count, k, H, W), a (count, k) array (chapter 6's image of a
    cat beside a dog: how much of the dog map lies on the dog, how much on the cat)."""
    masks = np.asarray(masks, dtype=bool)
    heat = _at_mask_size(heatmaps, masks.shape[2:])
    totals = np.maximum(heat.sum(axis=(1, 2)), 1e-12)
    return np.stack([(heat * masks[:, k]).sum(axis=(1, 2)) / totals for k in range(masks.shape[1])], axis=1)


def uniform_scores(part_masks: np.ndarray, groups: Mapping[str, Sequence[str]] | None = None) -> dict[str, float]:
    """What a heatmap spread evenly scores on each part of :func:`part_scores`: the part's share of the image."""
    return {name: score.area for name, score in part_scores(np.ones(np.shape(part_masks), "float32"),
                                                            part_masks, groups).items()}


def explanation_scores(
    models: dict[str, keras.Model], images: np.ndarray, labels: Sequence[int], part_masks: np.ndarray,
    layer_names: Sequence[str], occluded: Sequence[int], groups: Mapping[str, Sequence[str]] | None = None, *,
    explain: Explainer,
) -> dict[tuple[str, str], dict[str, PointingScore]]:
    """:func:`part_scores` of each model's explanations of each image's own class: ``explain``
    (Grad-CAM: :func:`lib.interpret.gradcam.grad_cam` or the chapter's own) at each of ``layer_names``, and occlusion (16-pixel squares, stride 8) on the images ``occluded`` (it
    costs a forward pass per position). Keyed by (model name, layer name or "occlusion")."""
    labels = np.asarray(labels)
    occluded = np.asarray(occluded)
    table = {}
    for name, model in models.items():
        for layer in layer_names:
            maps = grad_cam_for_labels(model, images, labels, layer, explain=explain)
            table[name, layer] = part_scores(maps, part_masks, groups)
        maps = positive_part_scaled(occlusion_maps(model, images[occluded], labels[occluded], 16, 8))
        table[name, "occlusion"] = part_scores(maps, part_masks[occluded], groups)
    return table


def format_scores(table: dict[tuple[str, str], dict[str, PointingScore]], uniform: dict[str, float]) -> list[str]:
    """The rows of :func:`explanation_scores` as text: per part, the heatmap mass and the pointing
    game's hits (mass / hits), with the uniform map's score first; last, the share of blank (all
    zero) maps, which put no mass on any part."""
    parts = list(uniform)
    lines = [f"{'':>30}" + "".join(f"{part:>13}" for part in parts) + f"{'blank maps':>12}",
             f"{'uniform map':>30}" + "".join(f"{uniform[p]:>6.0%} /{uniform[p]:>4.0%}" for p in parts)
             + f"{0:>12.0%}"]
    for (name, method), scores in table.items():
        lines.append(f"{name + ', ' + method:>30}"
                     + "".join(f"{scores[p].mass_inside:>6.0%} /{scores[p].hits:>4.0%}" for p in parts)
                     + f"{scores[parts[0]].blank:>12.0%}")
    return lines


def best_localizing(table: dict[tuple[str, str], dict[str, PointingScore]], model_name: str,
                    part: str = "head") -> tuple[str, float]:
    """The Grad-CAM layer of ``model_name`` whose maps put the largest share of their mass on
    ``part``, and that share over the part's share of the image (how many times a uniform map's)."""
    layers = {method: scores[part] for (name, method), scores in table.items()
              if name == model_name and method != "occlusion"}
    best = max(layers, key=lambda method: layers[method].mass_inside)
    return best, layers[best].mass_inside / layers[best].area


def parts_used(scores: dict[str, PointingScore], uniform: dict[str, float], threshold: float = 1.5) -> str:
    """The head's parts whose share of the heatmap mass is at least ``threshold`` times their
    share of the image, most first, in words ("the ears (2.3 times their area) and ...")."""
    lifts = {part: scores[part].mass_inside / uniform[part] for part in HEAD_PARTS if uniform[part] > 0}
    chosen = sorted((part for part, lift in lifts.items() if lift >= threshold), key=lambda p: -lifts[p])
    if not chosen:
        return f"no single part (none reaches {threshold} times its area)"
    phrases = [f"the {part} ({lifts[part]:.1f} times {'their' if part.endswith('s') else 'its'} area)"
               for part in chosen]
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]


def reinitialized_copy(model: keras.Model, seed: int = 1) -> keras.Model:
    """A copy of ``model``'s architecture with fresh weights from its own initializers.

    ``seed`` must differ from the one training started from: the same seed redraws the
    trained model's own starting point, and a layer that moved little in training (the
    mini Xception's last Dense layer, in tiny mode) would then look hardly randomized.
    Like :func:`lib.config.set_seed`, this seeds Python, NumPy and Keras for the whole process.
    """
    keras.utils.set_random_seed(seed)
    return keras.models.clone_model(model)


def weighted_layer_names(model: keras.Model) -> list[str]:
    """Layers that hold weights, from the output back to the input: the order of cascading randomization."""
    return [layer.name for layer in reversed(model.layers) if layer.weights]


def cascading_randomization(
    model: keras.Model, images: np.ndarray, labels: Sequence[int], layer_name: str, steps: Sequence[int],
    seed: int = 1, *, explain: Explainer,
) -> tuple[np.ndarray, list[str]]:
    """``explain``'s (Grad-CAM's) maps of each image's class as more and more layers, from the top, get fresh
    random weights (the cascading randomization of Adebayo et al., 2018).

    For each ``k`` in ``steps``, the top ``k`` layers of :func:`weighted_layer_names` take
    the weights of :func:`reinitialized_copy` and the rest keep the trained ones. Returns
    the maps, (len(steps), count, height, width), and for each ``k`` the name of the deepest
    randomized layer.
    """
    order = weighted_layer_names(model)
    fresh = reinitialized_copy(model, seed)
    randomized = keras.models.clone_model(model)
    randomized.set_weights(model.get_weights())
    maps, reached, done = [], [], 0
    for k in sorted(steps):
        if not 0 <= k <= len(order):
            raise ValueError(f"steps must lie in 0..{len(order)} (the layers with weights), got {k}.")
        for name in order[done:k]:
            randomized.get_layer(name).set_weights(fresh.get_layer(name).get_weights())
        done = k
        maps.append(grad_cam_for_labels(randomized, images, labels, layer_name, explain=explain))
        reached.append(order[k - 1] if k else "(none)")
    return np.stack(maps), reached


def rank_correlations(maps: np.ndarray) -> np.ndarray:
    """For maps (steps, count, h, w) from :func:`cascading_randomization`, each image's
    :func:`rank_correlation` with its first step's map: (count, steps)."""
    return np.array([[rank_correlation(maps[0][i], step[i]) for step in maps] for i in range(maps.shape[1])])


def rank_correlation(first: np.ndarray, second: np.ndarray) -> float:
    """Spearman's rank correlation of two heatmaps of the same shape (0 when either is constant)."""
    from scipy.stats import spearmanr

    a, b = np.ravel(first), np.ravel(second)
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return float(spearmanr(a, b).statistic)


def top_overlap(first: np.ndarray, second: np.ndarray, fraction: float = 0.1) -> float:
    """The share of ``first``'s top ``fraction`` of pixels that is also in ``second``'s, averaged
    over a batch of heatmaps (any sizes: both are brought to the larger). Two unrelated maps
    share ``fraction`` of it on average; the same map shares all of it."""
    size = max(first.shape[1], second.shape[1]), max(first.shape[2], second.shape[2])
    first, second = (_at_mask_size(maps, size).reshape(len(maps), -1) for maps in (first, second))
    count = max(1, int(round(fraction * first.shape[1])))
    shared = [len(np.intersect1d(np.argsort(-a)[:count], np.argsort(-b)[:count])) / count
              for a, b in zip(first, second)]
    return float(np.mean(shared))
