"""Checks of the built site's HTML, _build/html, which `make book` produces (see tests/site.py)."""

import html as html_module
import json
import re
from pathlib import Path

import nbformat
import pytest

from lib import reproducing, train
from tests.site import NOTEBOOKS, SITE, require_site

NOISE = ("absl::InitializeLog", "oneDNN custom operations", "cuInit", "cuda_platform")

require_site()


@pytest.fixture(params=NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def notebook(request) -> Path:
    return request.param


@pytest.fixture
def page(notebook) -> str:
    path = SITE / "notebooks" / f"{notebook.stem}.html"
    assert path.is_file(), f"{path.name} was not built"
    return path.read_text()


def test_no_tensorflow_log_lines_or_tracebacks(notebook, page):
    for noise in NOISE:
        assert noise not in page
    cells = nbformat.read(notebook, as_version=4).cells
    meant_to_fail = sum("raises-exception" in c.metadata.get("tags", []) for c in cells)
    assert page.count("Traceback (most recent call last)") == meant_to_fail, "only the cells that show an error"


def test_every_figure_was_written(page):
    sources = re.findall(r'<img[^>]+src="\.\./(_images/[^"]+)"', page)
    assert sources, "every chapter shows figures"
    for source in sources:
        assert (SITE / source).stat().st_size > 1000, source


def test_every_figure_says_in_words_what_it_shows(page):
    """Alt text (the cell's ``mystnb.image.alt``) for readers who do not see the figure; myst-nb's
    default is the image's file path."""
    for tag in re.findall(r'<img[^>]+src="\.\./_images/[^>]+>', page):
        alt = html_module.unescape(re.search(r'alt="([^"]*)"', tag).group(1))
        assert "_images" not in alt and len(alt.split()) >= 8, f"a figure's alt text says only {alt!r}"


def test_every_solution_is_collapsed(notebook, page):
    solutions = notebook.read_text().count("{solution-start}")
    assert solutions > 0 and page.count('class="solution dropdown') == solutions


def test_the_mode_banner_is_on_the_page(page):
    assert "Mode: " in page and "Keras 3." in page


def test_exercise_checks_print_the_number_the_page_gives(page):
    numbered = set(re.findall(r'<span class="caption-number">Exercise ([\d.]+) </span>', page))
    checked = set(re.findall(r"Exercise ([\d.]+): (?:not answered yet|passed|answered)", page))
    assert checked, "every chapter's exercises are checked"
    assert checked <= numbered, \
        f"checks print exercises {sorted(checked - numbered)}, the page numbers {sorted(numbered)}"


# Sphinx prints straight quotes as typographic ones (smartquotes): the same words to a reader.
TYPOGRAPHIC_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def test_the_reproducing_page_shows_every_record_and_benchmark_as_its_file_holds_it():
    html = (SITE / "book" / "reproducing.html").read_text().translate(TYPOGRAPHIC_QUOTES)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", html, flags=re.S)
    text = html_module.unescape(" ".join(re.sub(r"<[^>]+>", "", cell).strip() for cell in cells))
    for path in train.record_files():
        record = json.loads(path.read_text())
        assert str(path.relative_to(train.RESULTS_DIR)) in text, path
        for figure in (f"{record['val_accuracy']:.2%}", f"{record['test_accuracy']:.2%}",
                       record["provenance"]["commit"][:10]):
            assert figure in text, f"{path.name}: {figure}"
    words = html_module.unescape(re.sub(r"<[^>]+>", "", html))
    for result in reproducing.benchmark_results():
        assert result["command"] in words and result["provenance"]["commit"][:10] in words, result["benchmark"]
        for row in result["rows"]:
            for value in row.values():
                assert reproducing.cell_text(value) in text, f"{result['benchmark']}: {value}"
        for key, value in result["summary"].items():
            assert f"{key}: {reproducing.cell_text(value)}" in words, f"{result['benchmark']}: {key}"
