"""The benchmarks run and print the ratios their docstrings promise (a smoke test at a toy size:
what they measure is read from their output on a real run, never asserted here)."""

from __future__ import annotations

import runpy
import sys

from lib import backend, config, hardware


def test_the_throughput_benchmark_measures_bfloat16_where_the_cpu_has_it(monkeypatch, capsys):
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


def test_the_claims_benchmark_reads_the_recorded_runs_and_the_committed_model():
    benchmark = runpy.run_path(str(config.REPO_ROOT / "benchmarks" / "claims.py"))
    measured = benchmark["recorded_real_photograph_runs"](config.settings_for("tiny"), 0)
    from lib import claims

    assert set(measured) == {"ch3.records_rank_like_the_book", "ch3.each_change_steadies",
                             "ch3.fast_recipe_converges_sooner", "ch3.real_model_sees_a_cat"}
    assert all(claims.holds(key, **values) for key, checks in measured.items() for values in checks), measured
