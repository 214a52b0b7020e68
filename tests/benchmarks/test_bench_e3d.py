"""The E3D benchmark script runs (tiny --quick mode) so it cannot rot."""

import pytest


def test_worker_measures_in_process(load_benchmark):
    bench = load_benchmark("bench_e3d")
    args = bench.parse_args(["--quick"])
    result = bench.run_worker("e3d-window5", args)
    assert result["name"].endswith("window 5") and result["params"] > 0
    assert 0 < result["forward"] <= result["forward_median"]
    assert 0 < result["train"] <= result["train_median"]
    assert result["rss_base_mb"] <= result["rss_forward_mb"] <= result["rss_train_mb"]


@pytest.mark.slow
def test_quick_run_in_a_subprocess(capsys, load_benchmark):
    bench = load_benchmark("bench_e3d")
    results = bench.main(["--quick", "--configs", "e3d-window5"])
    out = capsys.readouterr().out
    assert [r["key"] for r in results] == ["e3d-window5"]
    assert f"| {results[0]['name']} | {results[0]['params']:,} |" in out


def test_table_reports_ratios(load_benchmark):
    bench = load_benchmark("bench_e3d")
    row = {"params": 10, "forward_median": 1.0, "train_median": 1.0, "rss_base_mb": 100.0}
    full = {**row, "key": "e3d-full", "name": "full", "forward": 0.6, "train": 1.5,
            "rss_forward_mb": 140.0, "rss_train_mb": 500.0}
    window = {**row, "key": "e3d-window5", "name": "window", "forward": 0.2, "train": 0.5,
              "rss_forward_mb": 120.0, "rss_train_mb": 200.0}
    text = bench.table([full, window])
    assert "| full | 10 | 600 (1,000) | 1,500 (1,000) | 140 / 500 | 40 / 400 |" in text
    assert "forward time 3.00x, train step time 3.00x, memory growth forward 2.00x, train 4.00x" in text
    assert "Full history" not in bench.table([window])


def test_section_for_bench_layers_builds_models(load_benchmark):
    bench = load_benchmark("bench_e3d")
    rows = bench.e3d_section(bench.parse_args(["--quick"]))
    assert [name for name, _ in rows][1].endswith("window 5")
    model = rows[0][1]()
    assert model.output_shape == (None, 3, 2, 6, 6, 3)
