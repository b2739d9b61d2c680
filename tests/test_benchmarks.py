"""The benchmarks run and print the ratios their docstrings promise (a smoke test at a toy size:
what they measure is read from their output on a real run, never asserted here)."""

from __future__ import annotations

import json
import runpy
import sys

import nbformat

from lib import backend, claims, config, hardware, reproducing


def test_the_throughput_benchmark_measures_bfloat16_where_the_cpu_has_it(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(reproducing, "BENCHMARKS_DIR", tmp_path)
    # AMX: where TensorFlow and JAX train in float32, so bfloat16 is there only because it is measured.
    monkeypatch.setattr(hardware, "read_cpuinfo", lambda: "flags\t\t: avx512f avx512_bf16 amx_bf16 amx_tile")
    monkeypatch.setattr(sys, "argv", ["train_throughput.py", "--images-per-class", "4", "--epochs", "1",
                                      "--image-size", "32"])
    runpy.run_path(str(config.REPO_ROOT / "benchmarks" / "train_throughput.py"), run_name="__main__")
    lines = capsys.readouterr().out.splitlines()
    measured = [line for line in lines if line.startswith("epoch 1 ")]
    grouped = ["course with Keras' grouped convolution"] if backend.name() == "jax" else []
    assert [line.split(":")[0].split(maxsplit=2)[2].strip() for line in measured] == [
        "seed", "course in float32", "course in mixed_bfloat16", *grouped], "one measured epoch of each pipeline"
    assert any(line.startswith("course in mixed_bfloat16/course in float32 training throughput: ") for line in lines)
    if grouped:
        assert any(line.startswith(f"course in float32/{grouped[0]} training throughput: ") for line in lines)
    assert lines[-1].startswith("course/seed training throughput: ")
    result = json.loads((tmp_path / f"train_throughput_{backend.name()}_32.json").read_text())
    assert [row["pipeline"] for row in result["rows"]] == [
        "seed", "course in float32", "course in mixed_bfloat16", *grouped], "the file holds what was printed"
    assert f"course/seed training throughput: {result['summary']['course/seed training throughput']:.2f}" == lines[-1]


def test_the_claims_benchmark_runs_the_chapters_per_seed_and_records_a_failed_claim_without_stopping(
        tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(reproducing, "BENCHMARKS_DIR", tmp_path / "results")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("COURSE_EPOCHS", raising=False)  # calibrated: outside the benchmark, a failed claim raises
    # A chapter 0 whose first claim fails in seed 1 only, and whose second claim comes after it.
    chapter = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}})
    chapter.cells = [nbformat.v4.new_code_cell(
        "from lib import claims, config\n"
        "seed = config.current_settings().seed\n"
        "claims.check('ch0.colour_is_no_shortcut', colour_only_test_accuracy=0.5 + 0.3 * seed)\n"
        "claims.check('ch0.control_catches_a_tint', tinted=0.9, untinted=0.5)")]
    nbformat.write(chapter, tmp_path / "00_probe.ipynb")
    benchmark = runpy.run_path(str(config.REPO_ROOT / "benchmarks" / "claims.py"))
    assert benchmark["main"](["--seeds", "2", "--notebooks", str(tmp_path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert "1 of 2 seeds  ch0.colour_is_no_shortcut: " + claims.CLAIMS["ch0.colour_is_no_shortcut"].sentence in lines
    assert "    not upheld in seed 1: colour_only_test_accuracy = 80.0%" in lines
    assert any(line.startswith("2 of 2 seeds  ch0.control_catches_a_tint") for line in lines), "the claim after it"
    assert any(line.startswith("0 of 2 seeds  ch0.momentum") for line in lines)
    assert lines[-1] == "claims upheld: 1 of 4"
    assert sorted(p.name for p in (tmp_path / "data" / "benchmark_claims").iterdir()) == ["seed0", "seed1"]
    result = json.loads((tmp_path / "results" / "claims.json").read_text())
    assert result["summary"]["claims upheld"] == "1 of 4" and len(result["rows"]) == 4
