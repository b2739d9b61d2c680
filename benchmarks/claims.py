"""Do the chapters' claims hold for the seeds a student may use, not only for the one the book ran?

Every comparison a chapter states in words is a claim of ``lib/claims.py``, checked by the cell
that measures it. This script reruns the experiments behind them in tiny mode, with the same
``lib`` functions the chapters call, once per seed, and prints how many seeds uphold each claim,
then a last line ``claims upheld: K of N`` (N claims, K of them upheld in every seed). A claim of
a selected chapter that no experiment measures is named, and counted as not upheld.

    python benchmarks/claims.py [--seeds 5] [--chapters 0 2 3 5]

Seed ``s`` stands where a chapter uses its seed 0 (or, for its default seed 1 of a reinitialized
copy, ``s + 1``): seed 0 repeats the chapter's settings. Chapters 1, 4 and 5 measure the models
chapter 3 trains, so each seed's are trained once and shared. ``COURSE_EPOCHS`` cuts the training
budgets, as in the chapters (the claims are calibrated for the full ones).

A claim that fails in some seed is fragile: change the experiment or the claim, never the seed.
Expect minutes per seed and chapter on two CPU cores; progress goes to standard error.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from lib import (architecture, backend, claims, config, controls, data, hardware, models, real_model,  # noqa: E402
                 separable, shortcut, train)
from lib.interpret import activations, counterfactuals, filter_patterns, gradcam, sanity  # noqa: E402

Values = dict[str, float]  # what one claims.check call of a chapter takes
Measured = dict[str, list[Values]]  # claim key -> the values of each check the chapter makes of it (mostly one)

# Chapter 5's sample of its 30 test images per class, where a method costs a pass per image: eight cats, eight dogs.
EIGHT_CATS_EIGHT_DOGS = np.r_[0:8, 30:38]


@dataclass(frozen=True)
class Experiment:
    """What a chapter runs to back some of its claims, as a function of the settings and a seed."""

    name: str
    chapter: int
    run: Callable[[config.Settings, int], Measured]


# Shared by the chapters' experiments.

@functools.cache
def chapter3_models(settings: config.Settings, seed: int) -> dict[str, keras.Model]:
    """Chapter 3's best checkpoints trained with ``seed``, by name of :data:`lib.train.BUILDERS`: what
    chapters 1, 4 and 5 load (``train.load_trained_model``). ``train_model`` saves every seed's to the
    same file, so each is loaded right after its training and kept in memory: once per seed."""
    best = {}
    for name in train.BUILDERS:
        train.train_model(settings, name, seed, verbose=0)
        best[name] = models.load_model(config.model_path(settings, name))
    return best


def reinitialization_seed(seed: int) -> int:
    """The seed of a reinitialized copy of a model trained with ``seed``: one more, as the notebooks'
    default 1 is for chapter 3's 0, so the copy never redraws the trained model's own starting weights
    (see :func:`lib.interpret.sanity.reinitialized_copy`)."""
    return seed + 1


def test_images(settings: config.Settings, per_class: int) -> np.ndarray:
    """The first ``per_class`` test images of each class, cats then dogs, as chapters 1 and 4 load them."""
    paths, _ = data.subset_files(data.prepare_data(settings), "test", per_class)
    return data.load_images(paths, settings.image_size)


def counterfactual_indices(settings: config.Settings) -> range:
    """The 40 test animals of each class chapter 5 draws again, edited or marked (cell 19)."""
    return range(settings.split.test[0], settings.split.test[0] + 40)


# Chapter 0.

def chapter0(settings: config.Settings, seed: int) -> Measured:
    """Chapter 0, cells 15, 22-23 and 36: the colour-only control, on the toy pets and with tinted
    cats; three epochs with batch-norm momentum 0.99 and 0.9; the convnet against colour."""
    base = data.prepare_data(settings)
    splits = {subset: data.load_folder(base / subset, settings.image_size)
              for subset in ("train", "validation", "test")}
    colour = controls.best_on_validation(controls.colour_only_fits(splits, seed=seed)).test_accuracy
    tinted = {name: (tint_cats(x, y), y) for name, (x, y) in splits.items()}
    caught = controls.best_on_validation(controls.colour_only_fits(tinted, seed=seed)).test_accuracy
    datasets = data.load_datasets(base, settings.image_size, settings.batch_size, seed)
    compared = train.momentum_comparison(settings, *datasets, (0.99, 0.9), epochs=3, seed=seed)
    return {"ch0.colour_is_no_shortcut": [{"colour_only_test_accuracy": colour}],
            "ch0.control_catches_a_tint": [{"tinted": caught, "untinted": colour}],
            "ch0.momentum": [{"momentum_099": compared[0.99]["val_accuracy"],
                              "momentum_09": compared[0.9]["val_accuracy"]}],
            "ch0.shape_beats_colour": [{"convnet": compared[0.9]["test_accuracy"], "colour": colour}]}


def tint_cats(images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Chapter 0's exercise 3, solved: every cat 60 levels redder."""
    tinted = images.astype(int)
    tinted[labels == 0, ..., 0] += 60
    return np.clip(tinted, 0, 255).astype(np.uint8)


# Chapter 1.

def chapter1(settings: config.Settings, seed: int) -> Measured:
    """Chapter 1, cells 18, 22, 24, 26 and 28: Conv2D against SeparableConv2D timed; neighbours against
    channels inside chapter 3's mini Xception and a fresh one; how much of the naive convnet's kernels
    (trained, and fresh) and of the mini Xception's stem a separable pair recovers. The fresh models are
    drawn after ``config.set_seed(seed)``, as cell 2 seeds 0 (the notebook's cells in between draw other
    random numbers, so seed 0's fresh weights are not the notebook's)."""
    trained = chapter3_models(settings, seed)
    mini, naive = trained["mini_xception"], trained["naive_convnet"]
    config.set_seed(seed)
    speed = separable.compare_layer_speed([32, 128, 256], 40, batch_size=16)
    time_over_arithmetic = {f"{row['channels']} channels, {step}": row[f"{step} speed-up"] / row["multiply-adds saved"]
                            for row in speed for step in ("forward", "training step")}
    rows = separable.correlation_table({"trained": mini, "untrained": models.build_mini_xception(settings.input_shape)},
                                       test_images(settings, per_class=8), models.block_layers(mini, "relu1")[:4])
    fresh = models.build_naive_convnet(settings.input_shape)
    change_in_training = {name: separable_share(naive, name) - separable_share(fresh, name)
                          for name in models.convolution_names(naive)[1:]}
    return {"ch1.time_saved_below_arithmetic_saved": [time_over_arithmetic],
            "ch1.neighbours_over_channels": [{f"{name} {layer} margin": neighbours - between
                                              for (name, layer), (neighbours, between) in rows.items()}],
            "ch1.training_keeps_separability": [change_in_training],
            "ch1.stem_is_not_separable": [{"recovered": separable_share(mini, models.STEM)}]}


def separable_share(model: keras.Model, layer_name: str) -> float:
    """The share of convolution ``layer_name``'s kernel that the best depthwise-then-pointwise pair recovers."""
    return separable.separable_approximation(model.get_layer(layer_name).get_weights()[0])[2]


# Chapter 2.

def chapter2_costs_and_fields(settings: config.Settings, seed: int) -> Measured:
    """Chapter 2, cells 10-11 and 13: the multiply-adds of each block's second separable convolution, and
    how much of the image the last block of the deep and of the broad and shallow variant sees. No
    training: the seed changes nothing."""
    second = [row.multiply_adds for row in architecture.layer_costs(models.build_mini_xception(settings.input_shape))
              if row.name.endswith("sepconv2")]
    variants = architecture.ablation_variants(settings)
    seen = {name: last_block_field(variants[name]()) for name in ("mini Xception", "broad and shallow")}
    return {"ch2.work_per_block_level": [{"highest_over_lowest": max(second) / min(second)}],
            "ch2.depth_widens_the_view": [{"image": settings.experiment_image_size, "deep": seen["mini Xception"],
                                           "broad": seen["broad and shallow"]}]}


def last_block_field(model: keras.Model) -> int:
    """The side of the input square the output of ``model``'s last block sees."""
    return architecture.receptive_fields(model)[models.block_names(model)[-1] + "_pool"]


def chapter2_deep_stacks(settings: config.Settings, seed: int) -> Measured:
    """Chapter 2, cells 15-16 and 18-19: the output spread of the four 20-layer stacks at
    initialization, and their final training loss. ``seed`` stands wherever
    the chapter uses 0 (the stack images' shuffling, each stack's initialization and training), and the
    steps run in the chapter's order, since each training pass reshuffles the same dataset."""
    size = settings.stack_image_size
    stack_train, stack_validation, _ = data.load_datasets(data.prepare_data(settings), size, settings.batch_size, seed)
    images, _ = data.first_batch(stack_train)
    spread = {}
    for name, switches in architecture.STACK_VARIANTS.items():
        config.set_seed(seed)
        stack = architecture.build_deep_stack((size, size, 3), 20, **switches)
        spread[name] = architecture.activation_moments(stack, images, [f"out{i}" for i in range(1, 21)])[1]
    runs = architecture.run_ablation(architecture.deep_stacks(settings), settings, stack_train, stack_validation,
                                     settings.stack_epochs, (seed,))
    final_loss = {run.variant: run.history["loss"][-1] for run in runs}
    return {"ch2.signal_at_initialization": [{f"{name} {end}": spread[name][index] for name in spread
                                              for end, index in (("first", 0), ("last", -1))}],
            "ch2.plain_stack_does_not_learn": [{"plain": final_loss["plain"],
                                                "residual_and_batch_norm": final_loss["residual + batch norm"]}]}


def shifted_ablation_seeds(settings: config.Settings, seed: int) -> tuple[int, ...]:
    """The chapter's ablation seeds moved past those of every lower benchmark seed: (0, 1, 2) becomes
    (3s, 3s + 1, 3s + 2) for benchmark seed s, so seed 0 keeps the chapter's and no two seeds share one."""
    span = max(settings.ablation_seeds) + 1
    return tuple(ablation_seed + span * seed for ablation_seed in settings.ablation_seeds)


def chapter2_ablation(settings: config.Settings, seed: int) -> Measured:
    """Chapter 2, cells 4, 21 and 23: the five variants trained once per ablation seed, the readings checked
    in each and the model without residuals on their mean. A benchmark seed is a whole replicate of the
    ablation: its :func:`shifted_ablation_seeds`, and the images shuffled with ``seed`` (the chapter: 0). It
    upholds the readings when every ablation seed does."""
    ablation_seeds = shifted_ablation_seeds(settings, seed)
    train_ds, validation_ds, _ = data.load_datasets(data.prepare_data(settings), settings.experiment_image_size,
                                                    settings.batch_size, seed)
    runs = architecture.run_ablation(architecture.ablation_variants(settings), settings, train_ds, validation_ds,
                                     settings.ablation_epochs, ablation_seeds)
    summary = architecture.summarize_runs(runs)
    return {"ch2.ablation_readings": list(architecture.best_accuracies_per_seed(runs).values()),
            "ch2.five_blocks_learn_without_residuals": [{"no residuals": summary["no residuals"].mean}]}


# Chapter 3.

def mini_xception_against_naive(settings: config.Settings, seed: int) -> Measured:
    """Chapter 3, cells 14, 17 and 21-22: both models, the mode's budget, best checkpoints on the test split."""
    best = chapter3_models(settings, seed)
    _, _, test_ds = data.load_datasets(data.prepare_data(settings), settings.image_size, settings.batch_size, seed)
    accuracy = {name: model.evaluate(test_ds, verbose=0)[1] for name, model in best.items()}
    return {"ch3.naive_learns": [{"naive": accuracy["naive_convnet"]}],
            "ch3.mini_beats_naive": [{"mini_xception": accuracy["mini_xception"], "naive": accuracy["naive_convnet"]}]}


def recorded_real_photograph_runs(settings: config.Settings, seed: int) -> Measured:
    """Chapter 3, cells 26, 33 and 38: the recorded full-mode runs and the committed real-photograph model
    on Chelsea. Nothing here depends on the seed: the records and the model are fixed, so every seed reads
    the same values (they are listed so that a changed record or model is checked like any claim)."""
    book, naive, fast = (train.load_record("full", name) for name in train.BOOK_TABLE_RUNS)
    p_dog = counterfactuals.dog_probability(real_model.load_committed(), real_model.chelsea()[None])[0]
    ladder = train.recipe_ladder()
    return {"ch3.records_rank_like_the_book": [{"mini_xception": book["test_accuracy"],
                                                "naive": naive["test_accuracy"]}],
            "ch3.each_change_steadies": [{**{f"swing_{n}": step["swing"] for n, step in enumerate(ladder)},
                                          **{f"val_{n}": step["val_accuracy"] for n, step in enumerate(ladder)}}],
            "ch3.fast_recipe_converges_sooner": [train.recipe_comparison(book["history"], fast["history"])],
            "ch3.real_model_sees_a_cat": [{"p_dog": float(p_dog)}]}


def augmentation_against_overfitting(settings: config.Settings, seed: int) -> Measured:
    """Chapter 3, cells 36, 38 and 39 (exercise 3.3): the mini Xception trained on 100 images per class with
    and without augmentation, each from ``seed``; training minus validation accuracy after the last epoch."""
    small = data.make_small_split(settings, {"train": 100, "validation": 100, "test": 20})
    small_train, small_validation, _ = data.load_datasets(small, settings.image_size, settings.batch_size, seed)
    gaps = {}
    for name, augmentation in (("augmented", True), ("plain", False)):
        config.set_seed(seed)
        history = train.train(train.build_for(settings, augmentation=augmentation), small_train, small_validation,
                              min(2 * settings.epochs, 12), verbose=0).history
        gaps[f"gap_{name}"] = history["accuracy"][-1] - history["val_accuracy"][-1]
    return {"ch3.augmentation_curbs_overfitting": [gaps]}


# Chapter 4.

def chapter4(settings: config.Settings, seed: int) -> Measured:
    """Chapter 4, cells 4, 6, 8, 12, 14 and 20-21: which of the first block's channels of the committed
    real-photograph model copy Chelsea's edges or brightness, trained and in five reinitialized copies
    (seeds ``5 * seed + 1`` to ``5 * seed + 5``: seed 0 draws the chapter's 1 to 5); the share of blank
    channels layer by layer in chapter 3's naive convnet and mini Xception, on 20 test images per class."""
    model = real_model.load_committed()
    photo = real_model.chelsea()[None]
    first = models.block_layers(model, "relu1")[0]
    trained = activations.activations(activations.activation_model(model, [first]), photo)[first][0]
    maps = activations.image_maps(photo[0], trained.shape[:2])
    draws = [activations.share_copying(activations.activations(activations.activation_model(
        sanity.reinitialized_copy(model, 5 * seed + draw), [first]), photo)[first][0], maps) for draw in range(1, 6)]
    copying = {"trained": activations.share_copying(trained, maps), "untrained": float(np.mean(draws))}
    chapter3 = chapter3_models(settings, seed)
    mini, naive = chapter3["mini_xception"], chapter3["naive_convnet"]
    sample = test_images(settings, per_class=20)
    naive_blank = blank_shares(naive, models.convolution_names(naive), sample)
    mini_blank = blank_shares(mini, [layer.name for layer in mini.layers if "_relu" in layer.name], sample)
    return {"ch4.first_layer_copies": [copying],
            "ch4.sparsity": [{"naive_first": naive_blank[0], "naive_last": naive_blank[-1],
                              "mini_before_block5": max(mini_blank[:-2])}]}


def blank_shares(model: keras.Model, layer_names: Sequence[str], images: np.ndarray) -> list[float]:
    """Each named layer's share of blank channels, averaged over ``images``."""
    found = activations.activations(activations.activation_model(model, layer_names), images)
    return [activations.mean_blank_fraction(found, name) for name in layer_names]


# Chapter 5.

def chapter5_explanations(settings: config.Settings, seed: int) -> Measured:
    """Chapter 5: the committed real-photograph model's filter patterns by gradient ascent from noise drawn
    with ``seed``, and the block whose Grad-CAM top tenth matters most on Chelsea (the deletion test's
    control pixels drawn with ``seed``); then on chapter 3's model, Grad-CAM and occlusion scored against
    the part masks, beside a reinitialized copy; the counterfactual edits; cascading randomization of
    the best block's Grad-CAM."""
    real = real_model.load_committed()
    ascent = filter_patterns.ascent_gains(
        filter_patterns.generate_filter_patterns(
            filter_patterns.feature_extractor(real, f"block{block}_sepconv2", image_size=112), range(16), seed=seed)
        for block in (1, 3, 4))
    photos, photo_labels, _ = real_model.real_photographs(settings, 1)
    drops = []
    for block_output in models.block_outputs(real):
        deletion = counterfactuals.deletion_test(real, photos, photo_labels, gradcam.grad_cam_for_labels(
            real, photos, photo_labels, block_output), seed=seed)
        drops.append(deletion.drop_at_top - deletion.drop_elsewhere)
    model = chapter3_models(settings, seed)["mini_xception"]
    base = data.prepare_data(settings)
    paths, labels = data.subset_files(base, "test", per_class=30)
    images = data.load_images(paths, settings.image_size)
    parts = data.load_part_masks(base, paths, settings.image_size)
    compared = {"trained": model, "untrained": sanity.reinitialized_copy(model, reinitialization_seed(seed))}
    table = sanity.explanation_scores(compared, images, labels, parts, models.block_outputs(model),
                                      EIGHT_CATS_EIGHT_DOGS)
    best_layer, lift = sanity.best_localizing(table, "trained")
    shifts = counterfactuals.probability_shifts(model, counterfactuals.EDITS, counterfactual_indices(settings),
                                                settings.toy_difficulty, settings.image_size)
    order = sanity.weighted_layer_names(model)
    steps = sorted({0, 1, 2, 4, *range(6, len(order) + 1, 4), len(order)})
    maps, _ = sanity.cascading_randomization(model, images[EIGHT_CATS_EIGHT_DOGS], labels[EIGHT_CATS_EIGHT_DOGS],
                                             best_layer, steps, reinitialization_seed(seed))
    means = sanity.rank_correlations(maps).mean(axis=0)
    return {"ch5.ascent_raises_the_responses": [ascent],
            "ch5.real_map_points_at_evidence": [{"margin": max(drops)}],
            "ch5.explanations_beat_uniform": [{"lift": lift,
                                               "occlusion_hits": table["trained", "occlusion"]["head"].hits,
                                               "head_area": sanity.uniform_scores(parts)["head"]}],
            "ch5.the_ears_decide": [{f"{label} {edit}": after - before
                                     for (label, edit), (before, after) in shifts.items()}],
            "ch5.randomization_changes_the_map": [{"logit_only": means[1],
                                                   "largest_later": float(np.abs(means[2:]).max())}]}


def chapter5_shortcut(settings: config.Settings, seed: int) -> Measured:
    """Chapter 5, cells 26-27, 29-30 and 32: the mini Xception trained where every dog is marked
    (``shortcut.MARKED_*``), scored on clean and marked test animals against chapter 3's model; its
    explanations scored against the mark; ``shortcut.CURE_EPOCHS`` on unmarked images, scored again.
    Both trainings take ``seed`` (the notebook's
    ``shortcut.train_on`` takes its default 0)."""
    model = chapter3_models(settings, seed)["mini_xception"]
    indices = counterfactual_indices(settings)
    cheat = shortcut.train_on(shortcut.marked_split(settings, shortcut.MARKED_PER_CLASS), settings,
                               epochs=shortcut.MARKED_EPOCHS, seed=seed).model
    caught = shortcut.evaluate_marks(cheat, model, indices, settings)
    marked_dogs = counterfactuals.edited_toy_pets("dog", indices, 0, settings.toy_difficulty, settings.image_size,
                                                  cue=shortcut.CUE)
    scores = sanity.explanation_scores({"marked-data model": cheat, "clean model": model}, marked_dogs,
                                       np.ones(len(marked_dogs), int), shortcut.cue_masks(indices, settings),
                                       models.block_outputs(model), np.arange(8), groups=sanity.CUE_GROUPS)
    _, lifts = shortcut.cue_lifts(scores)
    clean_split = data.make_small_split(settings, {"train": shortcut.CURE_PER_CLASS, "validation": 200,
                                                   "test": 200})
    cured = shortcut.train_on(clean_split, settings, epochs=shortcut.CURE_EPOCHS, seed=seed, model=cheat).model
    recovered = shortcut.evaluate_marks(cured, model, indices, settings)
    return {"ch5.shortcut_learned": [{"marked_clean": caught.accuracy_clean, "clean_clean": caught.reference_clean,
                                      "marked_cats_called_dogs": caught.marked_cats_called_dogs}],
            "ch5.shortcut_caught": [lifts],
            "ch5.shortcut_cured": [{"clean_before": caught.accuracy_clean, "clean_after": recovered.accuracy_clean,
                                    "called_dogs_before": caught.marked_cats_called_dogs,
                                    "called_dogs_after": recovered.marked_cats_called_dogs}]}


EXPERIMENTS = [
    Experiment("chapter 0: colour control and batch-norm momentum", 0, chapter0),
    Experiment("chapter 1: separable convolutions timed, correlations and kernels", 1, chapter1),
    Experiment("chapter 2: cost per block and receptive fields", 2, chapter2_costs_and_fields),
    Experiment("chapter 2: deep stacks at initialization and trained", 2, chapter2_deep_stacks),
    Experiment("chapter 2: ablation", 2, chapter2_ablation),
    Experiment("chapter 3: mini Xception against the naive convnet", 3, mini_xception_against_naive),
    Experiment("chapter 3: augmentation on 100 images per class", 3, augmentation_against_overfitting),
    Experiment("chapter 3: the recorded real-photograph runs and the committed model", 3,
               recorded_real_photograph_runs),
    Experiment("chapter 4: channels that copy the photograph, blank channels", 4, chapter4),
    Experiment("chapter 5: filter patterns, explanations scored, counterfactuals, randomization", 5,
               chapter5_explanations),
    Experiment("chapter 5: a shortcut learned, caught and cured", 5, chapter5_shortcut),
]


@dataclass
class Tally:
    """How many seeds upheld one claim, and what was measured in the ones that did not."""

    upheld: int = 0
    tried: int = 0
    failures: list[str] = field(default_factory=list)

    def record(self, seed: int, failed: list[Values]) -> None:
        """One seed, upheld unless some of its checks ``failed`` (their values)."""
        self.tried += 1
        self.upheld += not failed
        self.failures.extend(f"seed {seed}: {claims.describe(values)}" for values in failed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0 .. N-1 (default 5)")
    parser.add_argument("--chapters", type=int, nargs="*", help="only these chapters (default: all)")
    arguments = parser.parse_args(argv)
    # A data folder of its own: the models it trains must not replace the ones chapter 3 saved.
    settings = config.settings_for("tiny", "benchmarks/claims.py", config.data_dir() / "benchmark_claims",
                                   config.epochs_override())
    cut = f"; epochs cut to {settings.epochs_cut_to} (COURSE_EPOCHS)" if settings.epochs_cut_to else ""
    print(f"{hardware.device_description()} on {backend.version()}; tiny mode{cut}; seeds 0-{arguments.seeds - 1}",
          flush=True)

    def selected(chapter: int) -> bool:
        return not arguments.chapters or chapter in arguments.chapters

    tallies: dict[str, Tally] = {}
    for experiment in EXPERIMENTS:
        if not selected(experiment.chapter):
            continue
        for seed in range(arguments.seeds):
            start = time.perf_counter()
            # What the experiments print as they prepare data goes with the progress, leaving standard
            # output to the table.
            with contextlib.redirect_stdout(sys.stderr):
                measured = experiment.run(settings, seed)
            not_upheld = []
            for key, checks in measured.items():
                failed = [values for values in checks if not claims.holds(key, **values)]
                tallies.setdefault(key, Tally()).record(seed, failed)
                not_upheld += [key] if failed else []
            # Per seed as it ends, so that a run stopped after hours still says what it found, with every
            # measured value, upheld or not: the margins a changed claim must be read against.
            print(f"{experiment.name}, seed {seed}: {time.perf_counter() - start:.0f} s; "
                  f"not upheld: {', '.join(not_upheld) or 'none'}", file=sys.stderr, flush=True)
            for key, checks in measured.items():
                for values in checks:
                    print(f"    {key}: {claims.describe(values)}", file=sys.stderr, flush=True)
    for key, tally in tallies.items():
        print(f"{tally.upheld} of {tally.tried} seeds  {key}: {claims.CLAIMS[key].sentence}")
        for failure in tally.failures:
            print(f"    not upheld in {failure}")
    unmeasured = [key for key, claim in claims.CLAIMS.items() if selected(claim.chapter) and key not in tallies]
    for key in unmeasured:
        print(f"no experiment measures {key}: {claims.CLAIMS[key].sentence}")
    upheld = sum(tally.upheld == tally.tried for tally in tallies.values())
    total = len(tallies) + len(unmeasured)
    print(f"claims upheld: {upheld} of {total}")
    return 0 if upheld == total else 1


if __name__ == "__main__":
    raise SystemExit(main())
