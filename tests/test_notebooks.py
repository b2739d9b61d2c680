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
TEMPLATE = ROOT / "templates" / "chapter.ipynb"  # a new chapter starts as a copy: it follows every rule
MAX_CELL_LINES = 15
MAX_ALGORITHM_LINES = 40  # a cell that writes out an algorithm the chapter teaches (tests/test_chapter_code.py)
MAX_LINE_WIDTH = 79  # wider code scrolls sideways in the book's text column


@pytest.fixture(params=[*NOTEBOOKS, TEMPLATE], ids=[p.stem for p in [*NOTEBOOKS, TEMPLATE]])
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


def defines_a_taught_algorithm(cell) -> bool:
    from tests.test_chapter_code import TAUGHT

    return any(re.search(rf"^def {function.__name__}\(", cell.source, flags=re.M) for _, function in TAUGHT)


def test_cells_stay_short_and_narrow(notebook):
    for cell in code_cells(notebook):
        lines = cell.source.splitlines()
        cap = MAX_ALGORITHM_LINES if defines_a_taught_algorithm(cell) else MAX_CELL_LINES
        assert len(lines) <= cap, cell.source[:80]
        assert all(len(line) <= MAX_LINE_WIDTH for line in lines), cell.source[:80]


MACHINERY_IN_PROSE = re.compile(r"\(checked|the cell checks|the check reads|is computed from|\bREADME\b|benchmarks/")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_the_prose_speaks_of_convnets_not_of_the_machinery(path):
    """Claims are asserted in hidden cells; a chapter's text states what holds, not that a cell checks
    it, and sends the reader to the book's pages rather than to the repository's files (the template
    speaks to authors, so it may)."""
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown":
            found = MACHINERY_IN_PROSE.search(cell.source)
            assert found is None, f"the prose speaks of the machinery: ...{cell.source[max(0, found.start() - 60):found.end() + 20]}..."


# What a run measures reads as a decimal, a percentage or a factor ("0.693", "60%", "2.3x"); a shape
# ("3x3", "180x180") or a count ("20 layers") is not one. Such a number in the prose comes from a glue
# role, never typed: typed, it goes stale the day the run changes.
MEASURED_NUMBER = re.compile(r"(?<![\w.,])(\d+(?:\.\d+)?\s?%|\d+(?:\.\d+)?x(?![\d\w])|\d+(?:\.\d+)+)")
NOT_PROSE = re.compile(r"\{[a-z:]+\}`[^`]*`|`[^`]*`|\$[^$]*\$|\]\([^)]*\)|^:\w+:.*$|<[^>]+>", re.M)
# Numbers that name something rather than measure it: the book's sections and exercises, the book's
# published figures, and chance for two balanced classes.
CITED_NUMBER = re.compile(r"(?:[Ss]ections?|[Ee]xercises?|[Ss]ections? [\d.]+ and)\s+$")
BOOK_FIGURES = {"90.8%", "83.5%", "7.3"}  # 7.3: the points between them
CHANCE = "50%"


def typed_measurements(markdown: str) -> list[str]:
    """The measured-looking numbers of ``markdown`` that no glue role puts there, each with the words
    before it."""
    text = NOT_PROSE.sub(" ", markdown)
    found = []
    for match in MEASURED_NUMBER.finditer(text):
        before = text[max(0, match.start() - 40):match.start()]
        number = match.group().replace(" ", "")
        if CITED_NUMBER.search(before) or number in BOOK_FIGURES or number == CHANCE:
            continue
        found.append(f"...{before.strip()[-30:]} {number}")
    return found


def test_typed_measurements_are_found():
    found = typed_measurements("reaches 60% after 0.693 and 2.3x, as {glue:text}`acc:.1%` said")
    assert [hit.split()[-1] for hit in found] == ["60%", "0.693", "2.3x"]
    assert typed_measurements("a 3x3 kernel at 180x180, section 9.3.5 and 9.4.2, exercise 2.1, the book's 90.8%, "
                              "chance is 50%, {glue:text}`acc:.1%` and `0.5`") == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_no_measured_number_is_typed_in_the_prose(path):
    """Every decimal, percentage and factor in a chapter's text is glued from the run or the library
    (a setting, a claim's threshold), except the book's published figures and section numbers."""
    typed = [hit for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "markdown"
             for hit in typed_measurements(cell.source)]
    assert not typed, f"numbers typed in the prose, not glued: {typed}"


MAX_PROSE_WORDS = 2_200  # a chapter read in one sitting; chapter 5 was split in two to keep to it
ONE_SITTING = ("05_filters_and_heatmaps", "06_testing_explanations")


def prose_words(notebook) -> int:
    """Words of a chapter's markdown, a role such as {glue:text}`name` counting as one and a
    directive's fence and option lines (```{exercise}, :label:) as none."""
    text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    text = re.sub(r"^```.*$|^:\w+:.*$", "", text, flags=re.M)
    return len(re.sub(r"\{[a-z:]+\}`[^`]*`", "X", text).split())


@pytest.mark.parametrize("chapter", ONE_SITTING)
def test_the_interpretation_chapters_read_in_one_sitting(chapter):
    words = prose_words(nbformat.read(ROOT / "notebooks" / f"{chapter}.ipynb", as_version=4))
    assert words <= MAX_PROSE_WORDS, f"{chapter} has {words:,} words of prose, over {MAX_PROSE_WORDS:,}"


CHECK_CALL = re.compile(r"\bchecks\.(\w+)\(")


def exercise_cells(notebook) -> dict[str, tuple[list[str], list[str]]]:
    """For each exercise label: the code of the cells from the exercise to its solution (the stub),
    and the code of the solution's cells."""
    cells = notebook.cells
    found = {}
    for index, cell in enumerate(cells):
        for label in re.findall(r"```\{exercise\}.*?:label: (\S+)", cell.source, flags=re.S):
            start = next(i for i, c in enumerate(cells) if f"{{solution-start}} {label}" in c.source)
            end = next(i for i, c in enumerate(cells) if i > start and "{solution-end}" in c.source)
            code = lambda part: [c.source for c in part if c.cell_type == "code"]  # noqa: E731
            found[label] = (code(cells[index + 1:start]), code(cells[start:end]))
    return found


def test_every_solution_answers_an_exercise_of_its_chapter(notebook):
    """A solution whose exercise was edited away renders as an orphan and stops the book build
    ("undefined label"), which only the book build, after every notebook has run, would tell."""
    solved = {label for c in notebook.cells if c.cell_type == "markdown"
              for label in re.findall(r"\{solution-start\} (\S+)", c.source)}
    assert solved, "every chapter has solutions"
    assert solved == set(exercise_cells(notebook)), (
        f"solutions without an exercise in this chapter: {sorted(solved - set(exercise_cells(notebook)))}")


def test_every_exercise_has_a_stub_with_its_check_and_a_solution_that_passes_the_same_check(notebook):
    """The stub cell calls the chapter's own check (silent until answered); the solution calls that same
    check on its answer, and nbval and the book run it, so a solution that stops passing fails the build."""
    import importlib

    chapter = re.search(r"from lib\.checks import (chapter\d+) as checks", "\n".join(
        c.source for c in notebook.cells if c.cell_type == "code"))
    assert chapter, "the imports bring this chapter's checks: from lib.checks import chapterN as checks"
    module = importlib.import_module(f"lib.checks.{chapter[1]}")
    exercises = exercise_cells(notebook)
    assert exercises, "every chapter has exercises"
    for label, (stub, solution) in exercises.items():
        asked = {name for code in stub for name in CHECK_CALL.findall(code)}
        answered = {name for code in solution for name in CHECK_CALL.findall(code)}
        assert len(asked) == 1, f"{label}: the stub cell calls one check of lib/checks/{chapter[1]}.py, got {asked}"
        assert asked <= answered, f"{label}: the solution runs the stub's check {asked}, got {answered}"
        assert all(hasattr(module, name) for name in asked), f"{label}: {asked} is not in lib.checks.{chapter[1]}"
