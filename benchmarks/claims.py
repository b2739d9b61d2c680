"""Do the chapters' claims hold for the seeds a student may use, not only for the one the book ran?

Every comparison a chapter states in words is a claim of ``lib/claims.py``, checked by the cell
that measures it. This script reruns the experiments behind them in tiny mode, with the same
``lib`` functions the chapters call, once per seed, and prints how many seeds uphold each claim,
then a last line ``claims upheld: K of N`` (N claims, K of them upheld in every seed).

    python benchmarks/claims.py [--seeds 5] [--chapters 0 2 3 5]

A claim that fails in some seed is fragile: change the experiment or the claim, never the seed.
Expect minutes per seed and chapter on two CPU cores; progress goes to standard error.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from lib import backend, claims, config, controls, data, train  # noqa: E402

Measured = dict[str, dict[str, float]]  # claim key -> the values its test takes


@dataclass(frozen=True)
class Experiment:
    """What a chapter runs to back some of its claims, as a function of the settings and a seed."""

    name: str
    chapter: int
    run: Callable[[config.Settings, int], Measured]


def chapter0(settings: config.Settings, seed: int) -> Measured:
    """Chapter 0: the colour-only control, on the toy pets and with tinted cats; three epochs with
    batch-norm momentum 0.99 and 0.9; the convnet against colour."""
    base = data.prepare_data(settings)
    splits = {subset: data.load_folder(base / subset, settings.image_size)
              for subset in ("train", "validation", "test")}
    colour = controls.best_on_validation(controls.colour_only_fits(splits, seed=seed)).test_accuracy
    tinted = {name: (tint_cats(x, y), y) for name, (x, y) in splits.items()}
    caught = controls.best_on_validation(controls.colour_only_fits(tinted, seed=seed)).test_accuracy
    datasets = data.load_datasets(base, settings.image_size, settings.batch_size, seed)
    compared = train.momentum_comparison(settings, *datasets, (0.99, 0.9), epochs=3, seed=seed)
    return {"ch0.colour_is_no_shortcut": {"colour_only_test_accuracy": colour},
            "ch0.control_catches_a_tint": {"tinted": caught, "untinted": colour},
            "ch0.momentum": {"momentum_099": compared[0.99]["val_accuracy"],
                             "momentum_09": compared[0.9]["val_accuracy"]},
            "ch0.shape_beats_colour": {"convnet": compared[0.9]["test_accuracy"], "colour": colour}}


def tint_cats(images, labels):
    """Exercise 0.3's solution: every cat 60 levels redder."""
    import numpy as np

    tinted = images.astype(int)
    tinted[labels == 0, ..., 0] += 60
    return np.clip(tinted, 0, 255).astype(np.uint8)


def mini_xception_against_naive(settings: config.Settings, seed: int) -> Measured:
    """Chapter 3: both models, the mode's budget, best checkpoints on the test split."""
    accuracy = {}
    for name in train.BUILDERS:
        _, (_, _, test_ds) = train.train_model(settings, name, seed, verbose=0)
        accuracy[name] = keras.models.load_model(config.model_path(settings, name)).evaluate(test_ds, verbose=0)[1]
    return {"ch3.naive_learns": {"naive": accuracy["naive_convnet"]},
            "ch3.mini_beats_naive": {"mini_xception": accuracy["mini_xception"], "naive": accuracy["naive_convnet"]}}


EXPERIMENTS = [
    Experiment("chapter 0: colour control and batch-norm momentum", 0, chapter0),
    Experiment("chapter 3: mini Xception against the naive convnet", 3, mini_xception_against_naive),
]


@dataclass
class Tally:
    """How many seeds upheld one claim, and what was measured in the ones that did not."""

    upheld: int = 0
    tried: int = 0
    failures: list[str] = field(default_factory=list)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0 .. N-1 (default 5)")
    parser.add_argument("--chapters", type=int, nargs="*", help="only these chapters (default: all)")
    arguments = parser.parse_args(argv)
    # A data folder of its own: the models it trains must not replace the ones chapter 3 saved.
    settings = config.settings_for("tiny", "benchmarks/claims.py", config.data_dir() / "benchmark_claims")
    print(f"{backend.device_description()} on {backend.version()}; tiny mode; seeds 0-{arguments.seeds - 1}",
          flush=True)
    tallies: dict[str, Tally] = {}
    for experiment in EXPERIMENTS:
        if arguments.chapters and experiment.chapter not in arguments.chapters:
            continue
        for seed in range(arguments.seeds):
            start = time.perf_counter()
            measured = experiment.run(settings, seed)
            print(f"{experiment.name}, seed {seed}: {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
            for key, values in measured.items():
                tally = tallies.setdefault(key, Tally())
                tally.tried += 1
                if claims.holds(key, **values):
                    tally.upheld += 1
                else:
                    tally.failures.append(f"seed {seed}: {claims.describe(values)}")
    for key, tally in tallies.items():
        print(f"{tally.upheld} of {tally.tried} seeds  {key}: {claims.CLAIMS[key].sentence}")
        for failure in tally.failures:
            print(f"    not upheld in {failure}")
    upheld = sum(tally.upheld == tally.tried for tally in tallies.values())
    print(f"claims upheld: {upheld} of {len(tallies)}")
    return 0 if upheld == len(tallies) else 1


if __name__ == "__main__":
    raise SystemExit(main())
