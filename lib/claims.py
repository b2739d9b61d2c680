"""The comparisons the chapters state in words, each with the test that upholds it.

A sentence such as "the naive convnet learns less than the mini Xception" is a claim about
numbers a run produces. Each one lives here once, as a :class:`Claim`: the sentence, and a
test of the measured values. The chapter that measures them calls :func:`check`, and
``benchmarks/claims.py`` runs the chapters over several seeds (``COURSE_SEED``) and counts how
many uphold each claim, so a lesson that holds for one lucky seed only is caught.

In the settings the claims were calibrated for (tiny mode, budgets not cut by
``COURSE_EPOCHS``: :attr:`lib.config.Settings.calibrated`) a claim that fails stops the
notebook, so a book whose text contradicts its numbers is never published. In other
settings (full mode, cut budgets) it prints what was measured and goes on: the prose was
written for the calibrated run, and the student is told where this run differs.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from lib import config


class ClaimFailed(AssertionError):
    """A chapter's claim that the run it describes does not uphold."""


@dataclass(frozen=True)
class Claim:
    """A comparison a chapter states in words, and how to test it on measured values."""

    chapter: int
    sentence: str
    holds: Callable[..., bool]
    bounds: Mapping[str, float] = field(default_factory=dict)


CLAIMS: dict[str, Claim] = {}
LOG_VARIABLE = "COURSE_CLAIMS_LOG"


def claim(key: str, chapter: int, sentence: str, **bounds: float) -> Callable[[Callable], Callable]:
    """Register the decorated test as claim ``key`` of ``chapter``, stated as ``sentence``.

    ``bounds`` are the claim's thresholds, written once: the test receives them as keyword
    arguments, ``sentence`` names them as format fields (``{floor:.0%}``), and a chapter glues
    them into its prose with :func:`bound`."""
    def register(holds: Callable[..., bool]) -> Callable:
        if key in CLAIMS:
            raise ValueError(f"Claim {key!r} is defined twice.")
        CLAIMS[key] = Claim(chapter, sentence.format(**bounds), holds, dict(bounds))
        return holds
    return register


def describe(measured: Mapping[str, float]) -> str:
    """Measured values as the messages show them: fractions as percentages."""
    def value(v: float) -> str:
        return f"{v:.1%}" if isinstance(v, float) and 0 <= v <= 1 else f"{v:.4g}" if isinstance(v, float) else str(v)
    return ", ".join(f"{name} = {value(v)}" for name, v in measured.items())


def check(key: str, settings: config.Settings | None = None, **measured: float) -> None:
    """Test claim ``key`` on the ``measured`` values: silent when it holds.

    When it does not: in calibrated settings raise :class:`ClaimFailed` with the sentence and
    the numbers; otherwise print them. (Nothing is returned, so a chapter cell that ends with a
    check shows no stray ``True``.) Where ``COURSE_CLAIMS_LOG`` names a file, every check is
    appended to it as a JSON line, upheld or not, and none raises: ``benchmarks/claims.py`` runs
    the chapters so, and one failure does not hide the claims after it.
    """
    settings = config.current_settings() if settings is None else settings
    if key not in CLAIMS:
        raise KeyError(f"No claim {key!r}: the claims are {', '.join(CLAIMS)}.")
    found = CLAIMS[key]
    upheld = holds(key, **measured)
    log = os.environ.get(LOG_VARIABLE, "").strip()
    if log:
        with open(log, "a") as file:
            file.write(json.dumps({"claim": key, "upheld": upheld, "measured": describe(measured)}) + "\n")
    if upheld:
        return
    message = f"Claim not upheld in this run: {found.sentence} Measured: {describe(measured)}."
    if settings.calibrated and not log:
        raise ClaimFailed(message + " The text says otherwise, so the build stops here: change the experiment "
                          "or the claim (benchmarks/claims.py runs it over several seeds).")
    print(message + f" The text was written for tiny mode's full budget; this run is in {settings.mode} mode"
          + (f" with epochs cut to {settings.epochs_cut_to}" if settings.epochs_cut_to else "") + ".")




def holds(key: str, **measured: float) -> bool:
    """Whether claim ``key`` holds for ``measured`` (no printing, no raising, no log)."""
    found = CLAIMS[key]
    return bool(found.holds(measured, **found.bounds))


def bound(key: str, name: str) -> float:
    """Threshold ``name`` of claim ``key``: what the chapter's prose quotes, from where the test reads it."""
    bounds = CLAIMS[key].bounds
    if name not in bounds:
        raise KeyError(f"Claim {key!r} has no bound {name!r}: it has {', '.join(bounds) or 'none'}.")
    return bounds[name]


# Chapter 0: the data and the model.

@claim("ch0.colour_is_no_shortcut", 0,
       "The best colour-only classifier, chosen on validation, scores within ten points of chance on the test split.")
def _colour_is_no_shortcut(m):
    return abs(m["colour_only_test_accuracy"] - 0.5) <= 0.10


@claim("ch0.momentum", 0,
       "After three epochs, batch-norm momentum 0.99 leaves validation accuracy near chance (at most 60%), "
       "and momentum 0.9 beats it by at least 15 points.")
def _momentum(m):
    return m["momentum_099"] <= 0.60 and m["momentum_09"] >= m["momentum_099"] + 0.15


def difference_noise(first: float, second: float, images: int) -> float:
    """The standard error of the difference of two accuracies, each measured on ``images`` images:
    how far apart two classifiers' scores may land by the luck of the test split alone (counting
    the two as independent, which a classifier near chance and a trained one nearly are)."""
    return math.sqrt((first * (1 - first) + second * (1 - second)) / images)


@claim("ch0.shape_beats_colour", 0,
       "A convnet trained for three epochs beats the best colour-only classifier on the test split by more than "
       "{standard_errors:g} standard errors of the difference: more than the luck of the test split explains.",
       standard_errors=2)
def _shape_beats_colour(m, standard_errors):
    return m["convnet"] - m["colour"] > standard_errors * difference_noise(m["convnet"], m["colour"], m["test_images"])


@claim("ch0.control_catches_a_tint", 0,
       "With every cat tinted 60 levels redder, the colour-only control scores above 80% and at least 20 points "
       "above its score without the tint.")
def _control_catches_a_tint(m):
    return m["tinted"] > 0.80 and m["tinted"] >= m["untinted"] + 0.20


# Chapter 3: the mini Xception against the naive convnet.

@claim("ch3.naive_learns", 3, "The naive convnet learns: its best checkpoint scores at least {floor:.0%} on the test "
       "split.", floor=0.70)
def _naive_learns(m, floor):
    return m["naive"] >= floor


@claim("ch3.mini_beats_naive", 3,
       "With the same data and epochs, the mini Xception beats the naive convnet by at least {margin_points} points of "
       "test accuracy.", margin_points=5)
def _mini_beats_naive(m, margin_points):
    return m["mini_xception"] >= m["naive"] + margin_points / 100


@claim("ch3.records_rank_like_the_book", 3,
       "On the real photographs at the book's 100 epochs, the recorded mini Xception beats the recorded naive convnet "
       "by at least 5 points of test accuracy.")
def _records_rank_like_the_book(m):
    return m["mini_xception"] >= m["naive"] + 0.05


@claim("ch3.fast_recipe_converges_sooner", 3,
       "The faster recipe's mini Xception passes 60% validation accuracy in fewer epochs than the book's recipe, its "
       "best checkpoint in 40 epochs beats every epoch of the book's recipe's first 40, the book's recipe first "
       "reaches it after epoch 40, and its last 10 epochs swing less than the book's recipe's.")
def _fast_recipe_converges_sooner(m):
    return (m["fast_first_60"] < m["book_first_60"] and m["fast_best"] > m["book_best_in_40"]
            and m["book_reaches_fast_at"] > 40 and m["fast_last_swing"] < m["book_last_swing"])


@claim("ch3.each_change_steadies", 3,
       "From the book's recipe to the faster one, each recorded step's validation accuracy swings less over its "
       "last ten epochs than the step before, and among the 40-epoch steps each scores a higher validation "
       "accuracy than the one before.")
def _each_change_steadies(m):
    steps = sum(key.startswith("swing_") for key in m)
    swings = [m[f"swing_{n}"] for n in range(steps)]
    accuracies = [m[f"val_{n}"] for n in range(1, steps)]  # step 0 is the book's 100 epochs
    return all(b < a for a, b in zip(swings, swings[1:])) and all(b > a for a, b in zip(accuracies, accuracies[1:]))


@claim("ch3.real_model_sees_a_cat", 3, "The real-photograph mini Xception calls Chelsea a cat: P(dog) below 0.5.")
def _real_model_sees_a_cat(m):
    return m["p_dog"] < 0.5


@claim("ch3.augmentation_curbs_overfitting", 3,
       "On 100 images per class, the gap between training and validation accuracy is at least ten points larger "
       "without augmentation than with it.")
def _augmentation_curbs_overfitting(m):
    return m["gap_plain"] >= m["gap_augmented"] + 0.10


# Chapter 1: depthwise separable convolution.

@claim("ch1.time_saved_below_arithmetic_saved", 1,
       "In every row, the separable layer's speed-up falls short of the multiply-adds it saves.")
def _time_below_arithmetic(m):
    return all(ratio < 1 for ratio in m.values())


@claim("ch1.neighbours_over_channels", 1,
       "Inside the mini Xception, trained and untrained, neighbouring positions of a channel are more correlated "
       "than two channels at one position, in every layer measured.")
def _neighbours_over_channels(m):
    return all(margin > 0 for margin in m.values())


@claim("ch1.training_keeps_separability", 1,
       "After chapter 3's training, the share of each naive-convnet kernel that a separable pair recovers is within "
       "five points of its share at initialization.")
def _training_keeps_separability(m):
    return all(abs(change) <= 0.05 for change in m.values())


@claim("ch1.stem_is_not_separable", 1,
       "The best depthwise-then-pointwise stem recovers less than half of the trained stem.")
def _stem_is_not_separable(m):
    return m["recovered"] < 0.5


# Chapter 2: the six principles.

@claim("ch2.work_per_block_level", 2,
       "Each block's second separable convolution costs within a factor of two of every other block's.")
def _work_per_block_level(m):
    return m["highest_over_lowest"] <= 2


@claim("ch2.depth_widens_the_view", 2,
       "The deep model's last block sees more than the whole image; the broad and shallow one's, less than half.")
def _depth_widens_the_view(m):
    return m["deep"] >= m["image"] and m["broad"] < m["image"] / 2


@claim("ch2.constant_width_costs_more", 2,
       "At the same parameters, a mini Xception of one constant width costs at least {factor:.0f} times the "
       "multiply-adds of the one whose filters grow.", factor=2)
def _constant_width_costs_more(m, factor):
    return m["constant"] >= factor * m["growing"]


@claim("ch2.depth_beats_breadth", 2,
       "At the same parameters, the deep and narrow model's best validation accuracy is at least {margin_points:.0f} "
       "points above the broad and shallow one's, which costs more multiply-adds.", margin_points=10)
def _depth_beats_breadth(m, margin_points):
    return m["deep"] >= m["broad"] + margin_points / 100 and m["broad_work"] > m["deep_work"]


@claim("ch2.gradient_piles_up_without_shortcuts", 2,
       "At initialization, the first layer's gradient over the last layer's is at least {factor:.0f} times larger in "
       "the plain stack than in the residual one.", factor=10)
def _gradient_piles_up_without_shortcuts(m, factor):
    return m["plain"] >= factor * m["residual"]


@claim("ch2.residuals_let_depth_learn", 2,
       "Trained alike, the deep residual stack's best validation accuracy is at least {margin_points:.0f} points "
       "above the plain stack's.", margin_points=10)
def _residuals_let_depth_learn(m, margin_points):
    return m["residual"] >= m["plain"] + margin_points / 100


@claim("ch2.batch_norm_lets_it_learn", 2,
       "Trained alike, the mini Xception's best validation accuracy is at least {margin_points:.0f} points above the "
       "same model's without batch norm.", margin_points=10)
def _batch_norm_lets_it_learn(m, margin_points):
    return m["with"] >= m["without"] + margin_points / 100


@claim("ch2.separable_is_cheaper", 2,
       "At the same widths, regular convolutions cost at least {parameter_factor:.0f} times the parameters and "
       "{work_factor:.0f} times the multiply-adds of separable ones.", parameter_factor=4, work_factor=2)
def _separable_is_cheaper(m, parameter_factor, work_factor):
    return m["regular parameters"] >= parameter_factor * m["separable parameters"] and \
        m["regular multiply-adds"] >= work_factor * m["separable multiply-adds"]


@claim("ch2.separable_holds_its_own", 2,
       "At the same parameters, the separable model's best validation accuracy is at most {tolerance_points:.0f} "
       "points below the regular one's, or above it.", tolerance_points=3)
def _separable_holds_its_own(m, tolerance_points):
    # "At least the regular one's" failed in one seed of five (78.8% against 79.5%); over nine seeds the
    # separable model was 0.7 points below to 12 points above.
    return m["separable"] >= m["regular"] - tolerance_points / 100


# Chapter 5: filter patterns and heatmaps.

@claim("ch5.ascent_raises_the_responses", 5,
       "Gradient ascent raises at least 90% of the filters' responses above their response to the starting noise, "
       "and every layer's mean response.")
def _ascent_raises_the_responses(m):
    # "Every filter" failed in one seed of five (one block-3 filter of 16 ended 0.26 lower): a fixed step of 10
    # can overshoot, and a step of 4 did too. The chapter says so and counts the filters that rose.
    return m["share_raised"] >= 0.9 and m["smallest_mean_gain"] > 0


@claim("ch5.real_map_points_at_evidence", 5,
       "At the block chosen for the real photographs, greying out the Grad-CAM map's top tenth lowers the model's "
       "confidence in the photograph's class by at least 0.1 more than greying out a tenth elsewhere.")
def _real_map_points_at_evidence(m):
    return m["margin"] >= 0.1


# Chapter 6: heatmaps tested against the toy pets' ground truth.

@claim("ch6.explanations_beat_uniform", 6,
       "At its best block, Grad-CAM puts more of its mass on the head than a uniform map, and occlusion's maximum "
       "falls on the head at least one and a half times as often as the head's share of the image.")
def _explanations_beat_uniform(m):
    return m["lift"] > 1 and m["occlusion_hits"] >= 1.5 * m["head_area"]


@claim("ch6.the_ears_decide", 6,
       "Swapping a test animal's ears for the other class's moves its mean P(dog) by at least {shift} towards the "
       "other class, and every muzzle edit moves it less than the ear swap of the same class.", shift=0.3)
def _the_ears_decide(m, shift):
    ears = {"cat": m["cat floppy ears"], "dog": m["dog pointed ears"]}
    muzzles = {key: value for key, value in m.items() if "ears" not in key}
    return (ears["cat"] >= shift and ears["dog"] <= -shift
            and all(abs(value) < abs(ears[key.split()[0]]) for key, value in muzzles.items()))


@claim("ch6.shortcut_learned", 6,
       "Trained where every dog carries a mark, the model loses at least {lost_points} points of clean test accuracy to "
       "the model trained without marks, and calls at least {called:.0%} of marked test cats dogs.", lost_points=20,
       called=0.80)
def _shortcut_learned(m, lost_points, called):
    return m["marked_clean"] <= m["clean_clean"] - lost_points / 100 and m["marked_cats_called_dogs"] >= called


@claim("ch6.shortcut_caught", 6,
       "On marked dogs, the marked-data model's Grad-CAM and occlusion each put at least three times the mark's "
       "share of the image on it, and its occlusion at least five times as much as the clean model's occlusion.")
def _shortcut_caught(m):
    # Grad-CAM against the clean model's Grad-CAM failed in one seed of five (11.1x against 6.0x): at early blocks
    # the clean model's Grad-CAM also favours the white square, the picture's sharpest edge. Occlusion separated
    # the two models by 15 to 20 times in every seed.
    return m["gradcam"] >= 3 and m["occlusion"] >= 3 and m["occlusion"] >= 5 * m["clean_occlusion"]


@claim("ch6.shortcut_cured", 6,
       "A few epochs on unmarked images start a cure: the marked-data model's clean test accuracy rises and the "
       "share of marked cats it calls dogs falls.")
def _shortcut_cured(m):
    return m["clean_after"] > m["clean_before"] and m["called_dogs_after"] < m["called_dogs_before"]


@claim("ch6.randomization_changes_the_map", 6,
       "Randomizing the logit layer alone takes the maps' mean rank correlation with the trained model's below "
       "{logit_only}, and from two layers randomized on it stays below {later} in absolute value.",
       logit_only=0.8, later=0.5)
def _randomization_changes_the_map(m, logit_only, later):
    # Below 0.5 for the logit alone failed in one seed of five (0.64; 0.32 once a second layer was randomized).
    return m["logit_only"] < logit_only and m["largest_later"] < later


# Chapter 4: intermediate activations.

@claim("ch4.first_layer_copies", 4,
       "At least 30% of an untrained first layer's channels (the mean of five random draws) already copy the "
       "photograph's edges or brightness, and training adds at least 10 points to that share.")
def _first_layer_copies(m):
    # The real-photograph model on Chelsea: single draws ranged from 41% to 69% (seeds 1-7) against 75% trained,
    # so one draw is too noisy a control; the mean of five is the chapter's.
    return m["untrained"] >= 0.30 and m["trained"] >= m["untrained"] + 0.10


@claim("ch4.sparsity", 4,
       "The naive convnet's share of blank channels grows by at least 20 points from its first layer to its last; "
       "before its last block, the mini Xception's stays at 15% or less in every layer.")
def _sparsity(m):
    return m["naive_last"] >= m["naive_first"] + 0.20 and m["mini_before_block5"] <= 0.15
