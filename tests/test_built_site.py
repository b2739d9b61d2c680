"""Checks of the built site, _build/html, which `make book` produces.

`make test` runs before any build, so without a site these tests skip; .ci/run builds
the book and then runs them with REQUIRE_BUILT_SITE=1, where a missing site fails.
"""

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
SITE = ROOT / "_build" / "html"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
NOISE = ("absl::InitializeLog", "oneDNN custom operations", "cuInit", "cuda_platform", "Traceback")

if not SITE.is_dir():
    if os.environ.get("REQUIRE_BUILT_SITE"):
        raise RuntimeError(f"{SITE} is missing: run `make book` first.")
    pytest.skip("the site is not built (make book)", allow_module_level=True)


@pytest.fixture(params=NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def notebook(request) -> Path:
    return request.param


@pytest.fixture
def page(notebook) -> str:
    path = SITE / "notebooks" / f"{notebook.stem}.html"
    assert path.is_file(), f"{path.name} was not built"
    return path.read_text()


def test_no_tensorflow_log_lines_or_tracebacks(page):
    for noise in NOISE:
        assert noise not in page


def test_every_figure_was_written(page):
    sources = re.findall(r'<img[^>]+src="\.\./(_images/[^"]+)"', page)
    assert sources, "every chapter shows figures"
    for source in sources:
        assert (SITE / source).stat().st_size > 1000, source


def test_every_solution_is_collapsed(notebook, page):
    solutions = notebook.read_text().count("{solution-start}")
    assert solutions > 0 and page.count('class="solution dropdown') == solutions


def test_the_mode_banner_is_on_the_page(page):
    assert "Mode: " in page and "Keras 3." in page
