"""benchmarks/bench_export.py --quick runs end to end and reports sensible numbers."""

import importlib.util
from pathlib import Path

import keras
import pytest

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="export traces models with TensorFlow"
)


def test_bench_export_quick(capsys):
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_export.py"
    spec = importlib.util.spec_from_file_location("bench_export", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows, sizes = bench.run("tiny", quick=True)
    assert all(wall > 0 and cpu >= 0 for _, wall, cpu in rows) and len(rows) == 5
    assert sizes["streaming float16"] < sizes["streaming float32"]
    assert sizes["streaming dynamic_int8"] < sizes["streaming float16"]
    assert "TFLite streaming float32 (1 thread)" in capsys.readouterr().out
