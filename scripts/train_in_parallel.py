"""Several ``python -m lib.train --record --resume`` runs at once, one process each, on one machine.

Made for a lent GPU machine, where one small model leaves most of the GPU idle and a session has
minutes, not hours: it prepares the data once, starts every run in the plan, and at ``--deadline``
seconds stops the runs still going (each keeps its state file, so ``python -m lib.train`` with the
same arguments and ``--state-file`` resumes it anywhere). Then it packs each run into
``OUTPUT/{run}.tar``: its record, its log, its best checkpoint without the optimizer's state (a
third of the size) and, if unfinished, its state file; and prints one line per run.

    COURSE_MODE=full COURSE_DATA_DIR=... python scripts/train_in_parallel.py --output OUT

The plan (:data:`PLAN`) is the one that trained ``results/full/``: the book's recipe for both
models at the book's 100 epochs, and the faster recipe's trials at 40 (chapter 3).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# Each run: the arguments of `python -m lib.train` after --record --resume. Every run trains in
# float32, so its checkpoint computes the same way on any machine it is loaded on.
FLOAT32 = ["--set", "precision=float32"]
TRIAL = ["--set", "epochs=40", "--set", "batch_norm_momentum=0.9", "--set", "warmup_epochs=2"]
PLAN: dict[str, list[str]] = {
    "mini_xception": ["--model", "mini_xception"],
    "naive_convnet": ["--model", "naive_convnet"],
    "mini_xception_trial_rmsprop_constant": [*TRIAL, "--set", "recipe=trial_rmsprop_constant",
                                             "--set", "warmup_epochs=0"],
    "mini_xception_trial_rmsprop_cosine": [*TRIAL, "--set", "recipe=trial_rmsprop_cosine", "--set", "schedule=cosine"],
    "mini_xception_trial_adam_cosine": [*TRIAL, "--set", "recipe=trial_adam_cosine", "--set", "schedule=cosine",
                                        "--set", "optimizer=adam"],
    "mini_xception_trial_adam_cosine_smoothing": [*TRIAL, "--set", "recipe=trial_adam_cosine_smoothing",
                                                  "--set", "schedule=cosine", "--set", "optimizer=adam",
                                                  "--set", "learning_rate=2e-3", "--set", "label_smoothing=0.1"],
    "mini_xception_trial_adamw_cosine_smoothing": [*TRIAL, "--set", "recipe=trial_adamw_cosine_smoothing",
                                                   "--set", "schedule=cosine", "--set", "optimizer=adamw",
                                                   "--set", "learning_rate=2e-3", "--set", "weight_decay=0.05",
                                                   "--set", "label_smoothing=0.1"],
    # The second round: the first trials ended still learning (training accuracy 90-91% at epoch 40,
    # against 96% for the book's recipe at 100), so more updates per epoch, or larger ones.
    "mini_xception_trial_rmsprop_cosine_batch16": [*TRIAL, "--set", "recipe=trial_rmsprop_cosine_batch16",
                                                   "--set", "schedule=cosine", "--set", "batch_size=16"],
    "mini_xception_trial_adam_cosine_batch16": [*TRIAL, "--set", "recipe=trial_adam_cosine_batch16",
                                                "--set", "schedule=cosine", "--set", "optimizer=adam",
                                                "--set", "batch_size=16"],
    "mini_xception_trial_rmsprop_cosine_lr2e3": [*TRIAL, "--set", "recipe=trial_rmsprop_cosine_lr2e3",
                                                 "--set", "schedule=cosine", "--set", "learning_rate=2e-3"],
    "mini_xception_trial_adam_cosine_lr3e3": [*TRIAL, "--set", "recipe=trial_adam_cosine_lr3e3",
                                              "--set", "schedule=cosine", "--set", "optimizer=adam",
                                              "--set", "learning_rate=3e-3"],
}
FIRST_ROUND = list(PLAN)[:7]


def without_optimizer(checkpoint: Path, target: Path) -> Path:
    """The model of a ``.keras`` checkpoint saved again without its optimizer's state, at ``target``."""
    import keras

    from lib import models

    best = models.load_model(checkpoint)
    slim = keras.Model.from_config(best.get_config())
    slim.set_weights(best.get_weights())
    slim.save(target)
    return target


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, required=True, help="folder for one .tar per run")
    parser.add_argument("--deadline", type=float, default=480, help="seconds after which unfinished runs stop")
    parser.add_argument("--only", nargs="*", help="runs of the plan to start (default: the first round)")
    parser.add_argument("--note", default="", help="said in every record's provenance")
    parser.add_argument("--epochs", type=int, help="cut every run to this many epochs (a rehearsal)")
    arguments = parser.parse_args(argv)
    start = time.monotonic()
    plan = {name: PLAN[name] for name in (arguments.only or FIRST_ROUND)}
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")  # this process leaves the GPU to the runs
    from lib import config, data, train

    settings = config.current_settings()
    data.prepare_data(settings)  # once, before the runs: each would build the same folders at once
    arguments.output.mkdir(parents=True, exist_ok=True)
    states = Path(tempfile.mkdtemp(prefix="run_states_"))
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", "XLA_PYTHON_CLIENT_PREALLOCATE": "true",
                   # Every process may take a share of the GPU's memory, not JAX's default of 75%.
                   "XLA_PYTHON_CLIENT_MEM_FRACTION": f"{0.9 / len(plan):.3f}"}
    processes = {}
    for name, extra in plan.items():
        command = [sys.executable, "-m", "lib.train", "--record", "--resume",
                   "--state-file", str(states / f"{name}.zip"), "--note", arguments.note, *FLOAT32, *extra]
        if arguments.epochs:
            command += ["--epochs", str(arguments.epochs)]
        log = open(arguments.output / f"{name}.log", "w")
        process = subprocess.Popen(command, cwd=REPO, env=environment, stdout=log, stderr=subprocess.STDOUT)
        processes[name] = (process, log)
    while any(p.poll() is None for p, _ in processes.values()) and time.monotonic() - start < arguments.deadline:
        time.sleep(5)
    for name, (process, log) in processes.items():
        if process.poll() is None:
            process.terminate()
            process.wait(60)
        log.close()
    for name, (process, _) in processes.items():
        # A checkpoint's path depends on the run's name, the mode and any cut of its epochs.
        run_settings = config.cut_epochs(settings, arguments.epochs) if arguments.epochs else settings
        checkpoint = config.model_path(run_settings, name)
        finished = process.returncode == 0
        log = arguments.output / f"{name}.log"
        files = [log] + ([train.record_path(settings.mode, name)] if finished else [])
        if finished and checkpoint.is_file():
            files.append(without_optimizer(checkpoint, arguments.output / checkpoint.name))
        state = states / f"{name}.zip"
        if not finished and state.is_file():
            files.append(state)
        with tarfile.open(arguments.output / f"{name}.tar", "w") as packed:
            for path in files:
                if path.is_file():
                    packed.add(path, arcname=path.name)
        record = json.loads(files[1].read_text()) if finished and files[1].is_file() else {}
        status = "finished" if finished else f"stopped (exit {process.returncode}), last lines:\n" + \
            log.read_text()[-1200:].replace("\r", "\n")
        print(f"{name}: {status}; " + ", ".join(f"{k} {record[k]}" for k in
              ("epochs", "best_epoch", "val_accuracy", "test_accuracy", "seconds_per_epoch") if k in record))
        for path in files:
            if path.parent == arguments.output:
                path.unlink(missing_ok=True)
    print(f"all done after {time.monotonic() - start:.0f} s")


if __name__ == "__main__":
    main()
