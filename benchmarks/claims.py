"""Do the chapters' claims hold for the seeds a student may use, not only for the one the book ran?

Runs the chapters themselves (nbclient), once per seed, in tiny mode: ``COURSE_SEED`` set to the
seed (0 repeats the book build), each seed in a data folder of its own, and ``COURSE_CLAIMS_LOG``
set, so that every claim a chapter checks is recorded, upheld or not, instead of stopping the
notebook (:func:`lib.claims.check`). One implementation of every experiment: the chapter's.
Prints per claim how many seeds uphold it, then ``claims upheld: K of N`` (N claims of the chapters
run, K of them upheld in every seed), and writes that table to ``results/benchmarks/``, where the
book's page "Reproducing the results" reads it.

    python benchmarks/claims.py [--seeds 5] [--chapters 0 3] [--notebooks DIR]

A claim that fails in some seed is fragile: change the experiment or the claim, never the seed. A
chapter stopped by an error leaves its later claims unmeasured in that seed, and the table says so.
Each chapter's time and what its claims measured go to standard error as it ends: a run stopped
after hours still says what it found.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from lib import backend, claims, config, hardware, reproducing

NOTEBOOKS = config.REPO_ROOT / "notebooks"


def chapter_of(notebook: Path) -> int:
    """A chapter's number, from its file name (``03_mini_xception.ipynb``: 3)."""
    return int(notebook.name.split("_", 1)[0])


def run_chapter(notebook: Path, seed: int, root: Path) -> tuple[list[dict], str | None]:
    """Execute ``notebook`` in tiny mode from ``seed`` with its data in ``root``: the claims it
    checked (each a dict of :func:`lib.claims.check`'s log), and the error that stopped it, if any."""
    log = root / "claims.jsonl"
    root.mkdir(parents=True, exist_ok=True)
    log.unlink(missing_ok=True)
    variables = {"COURSE_MODE": "tiny", "COURSE_SEED": str(seed), "COURSE_DATA_DIR": str(root),
                 claims.LOG_VARIABLE: str(log)}
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)  # the kernel inherits this process's environment
    error = None
    try:
        NotebookClient(nbformat.read(notebook, as_version=4), timeout=3600, kernel_name="python3",
                       resources={"metadata": {"path": str(notebook.parent)}}).execute()
    except CellExecutionError as failure:
        error = str(failure).strip().splitlines()[-1]
    finally:
        for name, value in saved.items():
            if value is None:
                del os.environ[name]
            else:
                os.environ[name] = value
    checked = [json.loads(line) for line in log.read_text().splitlines()] if log.is_file() else []
    return checked, error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0 .. N-1 (default 5)")
    parser.add_argument("--chapters", type=int, nargs="*", help="only these chapters (default: all)")
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS, help="where the chapters are")
    arguments = parser.parse_args(argv)
    started = time.perf_counter()
    notebooks = [nb for nb in sorted(arguments.notebooks.glob("[0-9]*.ipynb"))
                 if not arguments.chapters or chapter_of(nb) in arguments.chapters]
    chapters = {chapter_of(nb) for nb in notebooks}
    cut = config.epochs_override()
    print(f"{hardware.device_description()} on {backend.version()}; tiny mode"
          f"{f'; epochs cut to {cut} (COURSE_EPOCHS)' if cut else ''}; seeds 0-{arguments.seeds - 1}; "
          f"chapters {', '.join(map(str, sorted(chapters)))}", flush=True)
    upheld_in: dict[str, dict[int, bool]] = defaultdict(dict)
    failures: dict[str, list[str]] = defaultdict(list)
    stopped: list[str] = []
    for seed in range(arguments.seeds):
        # A data folder per seed: the models a chapter saves must not be another seed's.
        root = config.data_dir() / "benchmark_claims" / f"seed{seed}"
        for notebook in notebooks:
            start = time.perf_counter()
            checked, error = run_chapter(notebook, seed, root)
            for check in checked:
                key = check["claim"]
                upheld_in[key][seed] = upheld_in[key].get(seed, True) and check["upheld"]
                if not check["upheld"]:
                    failures[key].append(f"seed {seed}: {check['measured']}")
            if error:
                stopped.append(f"{notebook.stem}, seed {seed}: {error}")
            print(f"{notebook.stem}, seed {seed}: {time.perf_counter() - start:.0f} s"
                  f"{f'; stopped by {error}' if error else ''}", file=sys.stderr, flush=True)
            for check in checked:
                print(f"    {'upheld' if check['upheld'] else 'NOT upheld'} {check['claim']}: {check['measured']}",
                      file=sys.stderr, flush=True)
    rows = []
    for key, claim in claims.CLAIMS.items():
        if claim.chapter not in chapters:
            continue
        seeds = upheld_in.get(key, {})
        upheld = sum(seeds.values())
        rows.append({"claim": key, "seeds that uphold it": f"{upheld} of {arguments.seeds}",
                     "what it says": claim.sentence})
        print(f"{upheld} of {arguments.seeds} seeds  {key}: {claim.sentence}")
        for failure in failures[key]:
            print(f"    not upheld in {failure}")
        for seed in sorted(set(range(arguments.seeds)) - set(seeds)):
            print(f"    not measured in seed {seed}")
    for line in stopped:
        print(f"stopped: {line}")
    upheld = sum(row["seeds that uphold it"] == f"{arguments.seeds} of {arguments.seeds}" for row in rows)
    summary = f"{upheld} of {len(rows)}"
    name = "claims" + ("_chapters_" + "_".join(map(str, sorted(chapters))) if arguments.chapters else "")
    command = " ".join(["python benchmarks/claims.py", *(sys.argv[1:] if argv is None else argv)])
    budget = f"epochs cut to {cut} (COURSE_EPOCHS)" if cut else "tiny mode's full budget"
    path = reproducing.write_result(name, command, time.perf_counter() - started, rows,
                                    {"claims upheld": summary, "budget": budget})
    print(f"written to {config.display_path(path)}", file=sys.stderr)
    print(f"claims upheld: {summary}")
    return 0 if upheld == len(rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
