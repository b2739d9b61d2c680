"""The book's sources without the exercises' solutions, for a class that should try them first.

``python -m lib.student_edition TARGET`` copies the book (``_config.yml``, ``_toc.yml``,
``_static/``, ``book/`` and ``notebooks/``) into ``TARGET`` with every solution removed:
from each ``{solution-start}`` up to its ``{solution-end}``, the cells in between included.
The exercises, their stubs and their self-checks stay. ``make book-student`` builds that copy.

(sphinx-exercise's own ``hide_solutions`` option hides only the solution's title: the code
cells of a gated solution would still be shown, and the build warns about the orphaned end.)
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import nbformat

from lib.config import REPO_ROOT

BOOK_FILES = ("_config.yml", "_toc.yml")
BOOK_FOLDERS = ("_static", "book")
START = re.compile(r"```\{solution-start\}.*?```\n?", re.S)
END = re.compile(r"```\{solution-end\}\s*```\n?", re.S)


def strip_solutions(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``notebook`` without the solutions: text before a solution's start and after
    its end is kept, everything in between goes. Raises ``ValueError`` on an unclosed solution."""
    kept, inside = [], False
    for cell in notebook.cells:
        text = cell.source
        if cell.cell_type == "markdown" and not inside and START.search(text):
            before, after = START.split(text, maxsplit=1)
            inside = True
            text = before
            if END.search(after):  # a solution within one cell
                text += END.split(after, maxsplit=1)[1]
                inside = False
        elif cell.cell_type == "markdown" and inside and END.search(text):
            text = END.split(text, maxsplit=1)[1]
            inside = False
        elif inside:
            continue
        if text.strip():
            kept.append(nbformat.from_dict({**cell, "source": text.strip("\n")}))
    if inside:
        raise ValueError("A {solution-start} has no {solution-end}: the notebook's solutions are not closed.")
    stripped = nbformat.from_dict(notebook)
    stripped.cells = kept
    return stripped


def build_sources(target: Path, root: Path = REPO_ROOT) -> Path:
    """Write the student edition's sources into ``target`` (replaced if it holds an earlier edition)."""
    target = Path(target)
    if target.exists():
        if not (target / "_toc.yml").is_file():
            raise FileExistsError(f"{target} exists and is not a student edition: choose another folder.")
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in BOOK_FILES:
        shutil.copy2(root / name, target / name)
    for name in BOOK_FOLDERS:
        if (root / name).is_dir():
            shutil.copytree(root / name, target / name)
    (target / "notebooks").mkdir()
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        nbformat.write(strip_solutions(nbformat.read(path, as_version=4)), target / "notebooks" / path.name)
    return target


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m lib.student_edition TARGET_FOLDER")
    print(f"Student edition sources in {build_sources(Path(sys.argv[1]))}")
