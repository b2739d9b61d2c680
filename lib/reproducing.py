"""The page "Reproducing the results" (``book/reproducing.md``), written when the book is built from the
files runs and benchmarks leave: the records of ``python -m lib.train --record`` (``results/{mode}/``)
and the results the scripts of ``benchmarks/`` write (``results/benchmarks/``, :func:`write_result`).
Every figure on that page comes from one of these files, beside the provenance the file holds (device
and CPU, backend, date, commit); a figure no file backs is not on it.
"""

from __future__ import annotations

import json
from pathlib import Path

from lib import config, models, provenance, train

BENCHMARKS_DIR = train.RESULTS_DIR / "benchmarks"


def write_result(name: str, command: str, seconds: float, rows: list[dict], summary: dict[str, float | str]) -> Path:
    """Write a benchmark's result to ``results/benchmarks/{name}.json``, replacing the one before: its
    ``rows`` (one dict per measured thing, the same keys in each), ``summary`` (the figures it ends
    with), the command that ran, how long it ran and where (:func:`lib.provenance.environment`)."""
    BENCHMARKS_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCHMARKS_DIR / f"{name}.json"
    result = {"benchmark": name, "command": command, "seconds": round(seconds), "rows": rows, "summary": summary,
              "provenance": provenance.environment()}
    path.write_text(json.dumps(result, indent=1) + "\n")
    return path


def benchmark_results() -> list[dict]:
    """Every benchmark result of ``results/benchmarks/``, by file name."""
    return [json.loads(p.read_text()) for p in sorted(BENCHMARKS_DIR.glob("*.json"))]


def cell_text(value) -> str:
    """A value as the page writes it: a float with three significant digits, anything else as it is."""
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def markdown_table(header: list[str], rows: list[list]) -> str:
    """A Markdown table of :func:`cell_text` cells."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    # A "|" inside a cell would end it.
    return "\n".join(lines + ["| " + " | ".join(cell_text(v).replace("|", "\\|") for v in row) + " |"
                               for row in rows])


def percent(accuracy: float) -> str:
    """An accuracy of 2,000 test images as a percentage to the one image it resolves (two decimals)."""
    return f"{accuracy:.2%}"


def origin(record_or_result: dict) -> str:
    """Where a record or benchmark result came from, in one cell: device, backend, date, commit."""
    where = record_or_result["provenance"]
    return f"{where['device']}; {where['backend']}; {where['date']}; commit {where['commit'][:10]}"


def books_table() -> str:
    """The book's table, reproduced: each run of :data:`lib.train.BOOK_TABLE_RUNS` that is recorded."""
    rows = []
    for name in train.BOOK_TABLE_RUNS:
        record = train.load_record("full", name)
        if record is None:
            continue
        recipe = train.recipe_of(record)
        book = models.BOOK_TEST_ACCURACY[record["model"]] if recipe == "book" else None
        rows.append([record["model"].replace("_", " "), recipe, record["epochs"], record["best_epoch"],
                     percent(record["val_accuracy"]), percent(record["test_accuracy"]),
                     "" if book is None else f"{book:.1%}", record["seconds_per_epoch"], record["precision"],
                     origin(record)])
    return markdown_table(["model", "recipe", "epochs", "best epoch", "validation", "test", "the book", "s/epoch",
                           "precision", "trained on"], rows)


def all_records_table() -> str:
    """Every recorded run, full mode's trials included, best validation accuracy first per mode, and
    below it what the runs noted of how they ran (each note once)."""
    records = {path: json.loads(path.read_text()) for path in train.record_files()}
    rows, notes = [], []
    for path, record in sorted(records.items(), key=lambda item: (item[1]["mode"], -item[1]["val_accuracy"])):
        reference = config.settings_for(record["mode"])
        recipe = train.changes(reference, train.settings_of(record)) or f"the {reference.recipe} recipe"
        rows.append([str(path.relative_to(train.RESULTS_DIR)), recipe, record["epochs"], record["best_epoch"],
                     percent(record["val_accuracy"]), percent(record["test_accuracy"]), record["seconds_per_epoch"],
                     origin(record)])
        note = record["provenance"].get("note")
        if note and note not in notes:
            notes.append(note)
    table = markdown_table(["record", "recipe (what differs from the mode's own)", "epochs", "best epoch",
                            "validation", "test", "s/epoch", "trained on"], rows)
    return "\n\n".join([table, *(f"Noted by the run: {note}." for note in notes)])


def result_section(result: dict) -> str:
    """One benchmark's result: the command and where it ran, its rows as a table, its summary figures."""
    header = list(result["rows"][0]) if result["rows"] else []
    summary = "\n".join(f"- {key}: **{cell_text(value)}**" for key, value in result["summary"].items())
    return "\n\n".join([f"**`{result['command']}`** ran {result['seconds']} s on {origin(result)}:",
                        markdown_table(header, [[row[k] for k in header] for row in result["rows"]]),
                        summary])


def records_part() -> str:
    """The records' part of the page: the book's table, then every recorded run."""
    return "\n\n".join(["**The book's table**, reproduced (`results/full/`):", books_table(),
                         "**Every recorded run**, trials included:", all_records_table()])


def benchmarks_part() -> str:
    """The benchmarks' part of the page: each result of ``results/benchmarks/``."""
    results = benchmark_results()
    if not results:
        return "No benchmark has written a result yet (`results/benchmarks/` is empty)."
    return "\n\n".join(result_section(r) for r in results)


def show(part: str) -> None:
    """Display the page's ``part`` ("records" or "benchmarks") in a notebook: the book's page runs
    this when it is built."""
    from IPython.display import Markdown, display

    display(Markdown({"records": records_part, "benchmarks": benchmarks_part}[part]()))
