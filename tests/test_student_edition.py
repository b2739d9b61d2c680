"""lib.student_edition: the book without solutions, exercises and checks kept."""

import nbformat
import pytest

from lib import student_edition
from tests.site import NOTEBOOKS, ROOT


def markdown(text):
    return nbformat.v4.new_markdown_cell(text)


def code(text):
    return nbformat.v4.new_code_cell(text)


def test_a_solution_goes_and_the_text_around_it_stays():
    notebook = nbformat.v4.new_notebook(cells=[
        markdown("```{exercise} One\n:label: ex-1\n\nDo it.\n```"),
        code("answer = ...\nchecks.one(answer)"),
        markdown("```{solution-start} ex-1\n:class: dropdown\n```\nThe idea."),
        code("answer = 42\nchecks.one(answer)"),
        markdown("Why it works.\n\n```{solution-end}\n```\n\n## Summary"),
    ])
    cells = student_edition.strip_solutions(notebook).cells
    assert [c.source for c in cells] == [notebook.cells[0].source, notebook.cells[1].source, "## Summary"]


def test_an_unclosed_solution_is_an_error():
    notebook = nbformat.v4.new_notebook(cells=[markdown("```{solution-start} ex-1\n```"), code("x = 1")])
    with pytest.raises(ValueError, match="no \\{solution-end\\}"):
        student_edition.strip_solutions(notebook)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_chapter_keeps_its_exercises_and_loses_its_solutions(path):
    original = nbformat.read(path, as_version=4)
    student = student_edition.strip_solutions(original)
    text = "\n".join(c.source for c in student.cells)
    assert "solution-start" not in text and "solution-end" not in text
    assert text.count("{exercise}") == "\n".join(c.source for c in original.cells).count("{exercise}") > 0
    assert "## Summary" in text and "## Resources" in text
    assert len(student.cells) < len(original.cells)


def test_build_sources_copies_the_book_and_refuses_a_foreign_folder(tmp_path):
    target = student_edition.build_sources(tmp_path / "student")
    assert (target / "_toc.yml").read_text() == (ROOT / "_toc.yml").read_text()
    assert (target / "book" / "references.bib").is_file()
    assert sorted(p.name for p in (target / "notebooks").glob("*.ipynb")) == [p.name for p in NOTEBOOKS]
    student_edition.build_sources(target)  # an earlier edition is replaced
    foreign = tmp_path / "essay"
    foreign.mkdir()
    (foreign / "draft.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not a student edition"):
        student_edition.build_sources(foreign)
    assert (foreign / "draft.txt").read_text() == "mine"
