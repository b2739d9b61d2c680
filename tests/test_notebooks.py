"""The chapters' form: clean outputs, the Pythia sections, small cells, and checked exercises.

nbval (configured in pyproject.toml) runs every notebook; these tests check what running cannot.
"""

import os
import re
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MAX_CELL_LINES = 15
MAX_LINE_WIDTH = 79  # wider code scrolls sideways in the book's text column


@pytest.fixture(params=NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def notebook(request):
    return nbformat.read(request.param, as_version=4)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds the chapters"


def test_outputs_are_cleared(notebook):
    for cell in code_cells(notebook):
        assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


def test_kernel_is_python3(notebook):
    assert notebook.metadata.kernelspec.name == "python3"


def test_first_code_cell_sets_up_colab_and_is_the_same_everywhere(notebook):
    """Colab opens one notebook without the course around it: the first cell fetches the course.

    It is hidden in the book (``remove-cell``) and identical in every chapter, so a fix reaches all.
    """
    first = code_cells(notebook)[0]
    reference = code_cells(nbformat.read(NOTEBOOKS[0], as_version=4))[0]
    assert first.source == reference.source and "google.colab" in first.source
    assert "remove-cell" in first.metadata.get("tags", [])
    repository = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert f'REPOSITORY = "{repository}"' in first.source, "clone the repository the launch buttons point to"


def test_the_colab_cell_does_nothing_elsewhere(notebook):
    before = list(sys.path)
    namespace: dict = {}
    exec(code_cells(notebook)[0].source, namespace)  # noqa: S102 (the notebook's own cell)
    assert sys.path == before and not os.path.isdir(namespace["COURSE"])


def test_second_code_cell_prints_the_mode_banner(notebook):
    assert "print(config.banner())" in code_cells(notebook)[1].source


def test_pythia_sections(notebook):
    headings = [line for c in notebook.cells if c.cell_type == "markdown" for line in c.source.splitlines()
                if line.startswith("## ")]
    for section in ("## Overview", "## Prerequisites", "## Imports", "## Summary", "## Resources"):
        assert section in headings


def test_cells_stay_short_and_narrow(notebook):
    for cell in code_cells(notebook):
        lines = cell.source.splitlines()
        assert len(lines) <= MAX_CELL_LINES, cell.source[:80]
        assert all(len(line) <= MAX_LINE_WIDTH for line in lines), cell.source[:80]


def test_every_exercise_has_a_checked_solution(notebook):
    """Between {solution-start} and {solution-end}, some code cell must call a lib.checks function."""
    exercises = [m for c in notebook.cells if c.cell_type == "markdown"
                 for m in re.findall(r"```\{exercise\}.*?:label: (\S+)", c.source, flags=re.S)]
    assert exercises, "every chapter has exercises"
    for label in exercises:
        start = next(i for i, c in enumerate(notebook.cells) if f"{{solution-start}} {label}" in c.source)
        end = next(i for i, c in enumerate(notebook.cells) if i > start and "{solution-end}" in c.source)
        solution_code = [c.source for c in notebook.cells[start:end] if c.cell_type == "code"]
        assert any("checks." in code for code in solution_code), f"{label}: the solution runs its check"
