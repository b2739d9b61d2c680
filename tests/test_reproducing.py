"""The page "Reproducing the results" is generated from the files of results/, and the README types no
figure that a run or a benchmark produces."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from lib import config, provenance, reproducing, train


@pytest.fixture
def results(tmp_path, monkeypatch):
    """A copy of results/ that the page reads instead of the repository's."""
    copy = tmp_path / "results"
    shutil.copytree(train.RESULTS_DIR, copy)
    monkeypatch.setattr(train, "RESULTS_DIR", copy)
    monkeypatch.setattr(reproducing, "BENCHMARKS_DIR", copy / "benchmarks")
    return copy


def table_rows(markdown: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in markdown.splitlines()
            if line.startswith("| ")]


def test_the_books_table_shows_each_record_as_its_file_holds_it(results):
    rows = {(row[0], row[1]): row for row in table_rows(reproducing.books_table())[1:]}
    for name in train.BOOK_TABLE_RUNS:
        record = json.loads((results / "full" / f"{name}.json").read_text())
        row = rows[record["model"].replace("_", " "), train.recipe_of(record)]
        assert row[4:6] == [f"{record['val_accuracy']:.2%}", f"{record['test_accuracy']:.2%}"]
        assert record["provenance"]["commit"][:10] in row[-1] and record["provenance"]["device"] in row[-1]


def test_a_changed_record_changes_the_page(results):
    path = results / "full" / "naive_convnet.json"
    record = json.loads(path.read_text())
    record["test_accuracy"] = 0.5123
    path.write_text(json.dumps(record))
    assert "51.23%" in reproducing.records_part()


def test_every_record_is_a_row_of_the_page(results):
    rows = table_rows(reproducing.all_records_table())[1:]
    assert sorted(row[0] for row in rows) == sorted(str(p.relative_to(results)) for p in train.record_files())


def test_a_benchmarks_result_is_written_with_its_provenance_and_shown(results):
    path = reproducing.write_result("throughput_test", "python benchmarks/x.py --fast", 12.3,
                                    [{"pipeline": "seed", "median images/s": 31.5}], {"course/seed": 1.58})
    assert path.parent == results / "benchmarks"
    result = json.loads(path.read_text())
    assert set(result["provenance"]) == set(provenance.environment())
    part = reproducing.benchmarks_part()
    assert "python benchmarks/x.py --fast" in part and "| seed | 31.5 |" in part and "course/seed: **1.58**" in part
    assert result["provenance"]["device"] in part and result["provenance"]["commit"][:10] in part


def test_without_a_benchmarks_result_the_page_says_so(results):
    shutil.rmtree(results / "benchmarks", ignore_errors=True)
    assert "No benchmark has written a result yet" in reproducing.benchmarks_part()


# A figure a run or a benchmark produces: a number with a unit of time, speed, size or share.
MEASURED = re.compile(r"\b\d[\d.,]*\s*(?:%|images/s|s/epoch|s\b|seconds?\b|min(?:utes?)?\b|hours?\b|x\b|times\b)")


def test_the_readme_is_a_front_door_without_typed_figures():
    readme = (config.REPO_ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 100
    assert MEASURED.findall(readme) == [], "figures go on the page generated from results/, not the README"


def test_the_typed_figure_pattern_finds_what_the_readme_once_held():
    for typed in ("JAX 30.4 images/s", "took 47 minutes", "88.75%", "1.83x", "2.6 s/epoch", "138.5 images/s"):
        assert MEASURED.search(typed), typed
