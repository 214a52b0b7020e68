"""Loads a script of benchmarks/ as a module, for the tests that keep those scripts from rotting."""

import importlib.util
import pathlib

import pytest

BENCHMARKS = pathlib.Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture
def load_benchmark():
    """`load_benchmark("bench_e3d")` -> the module benchmarks/bench_e3d.py, freshly executed."""

    def load(name):
        spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load
