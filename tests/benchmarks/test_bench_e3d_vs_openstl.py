"""The keras_stlstm vs OpenSTL E3D benchmark at toy size: OpenSTL's vendored model, the parameter check, the rows, the report."""

import numpy as np
import pytest

import keras

pytest.importorskip("torch", reason="OpenSTL's E3D-LSTM runs on PyTorch")


def test_openstl_count_equals_the_count_predicted_from_keras_weights(load_benchmark):
    bench = load_benchmark("bench_e3d_vs_openstl")
    cfg = bench.TOY
    parts = bench.keras_parameter_breakdown(bench.build_keras_model(cfg))
    # Toy: 2 layers of F = 4, kernel 2x5x5 (50 taps, OpenSTL's), patched channels 4, blocks 2x4x4.
    f, taps, cin = 4, 50, 4
    assert parts["kernel_m"] == 2 * taps * f * 3 * f
    assert parts["biases"] == 2 * 7 * f + cin  # gate biases + the decoder's
    assert parts["norm_recall"] == 2 * 2 * f
    for padding in ("openstl", "same"):
        port = bench.build_openstl_model(cfg, padding)
        assert type(port).__module__ == "benchmarks.openstl_vendor.e3dlstm_model"  # OpenSTL's own class
        assert sum(p.numel() for p in port.parameters()) == bench.openstl_count_from_keras(parts, cfg)


def test_openstl_forward_and_depth_padding(load_benchmark):
    import torch

    bench = load_benchmark("bench_e3d_vs_openstl")
    cfg = bench.TOY
    frames = torch.from_numpy(bench.patch(bench._clip(cfg), cfg["patch"]))
    assert tuple(frames.shape) == (2, 4, 4, 4, 4)
    mask = torch.ones((2, cfg["future"] - 1, 4, 4, 4))
    torch.manual_seed(0)
    port = bench.build_openstl_model(cfg, "openstl")
    predicted, loss = port(frames, mask)
    assert tuple(predicted.shape) == (2, 3, 4, 4, 4) and torch.isfinite(loss)
    # OpenSTL's depth padding 0 computes one slice and repeats it; 'same' computes both,
    # with the same weights: its first slice (kernel taps 0 and 1 over frames 0 and 1) is OpenSTL's one.
    x = torch.randn(1, 4, 2, 4, 4)
    as_run = port.cell_list[0].conv_x(x)
    assert torch.equal(as_run[:, :, 0], as_run[:, :, 1])
    torch.manual_seed(0)
    same = bench.build_openstl_model(cfg, "same").cell_list[0].conv_x(x)
    assert same.shape == as_run.shape and not torch.equal(same[:, :, 0], same[:, :, 1])
    torch.testing.assert_close(same[:, :, 0], as_run[:, :, 0])


def test_rows_measure_in_process(load_benchmark):
    bench = load_benchmark("bench_e3d_vs_openstl")
    for row in ("openstl-same-ftz", f"keras-{keras.backend.backend()}"):
        result = bench.run_row(row, bench.TOY, warmup=0, repeats=1)
        assert result["row"] == row and 0 < result["best"] <= result["median"] and result["cpu_best"] > 0
        assert result["peak_rss_mb"] > 0 and result["params"] > 0


def test_report_gives_ratios_and_the_parameter_check(load_benchmark):
    bench = load_benchmark("bench_e3d_vs_openstl")
    parts = {"kernel_m": 3, "biases": 1, "norm_recall": 1, "other": 5}

    def row(name, best, rss, **extra):
        return {"row": name, "label": bench.LABELS[name], "best": best, "median": best, "cpu_best": 2 * best,
                "peak_rss_mb": rss,
                "params": 10, "backend": name.split("-")[-1], **extra}

    results = [
        row("keras-jax", 1.0, 300.0, parts=parts, openstl_params_predicted=10),
        row("openstl", 1.5, 150.0),
        row("openstl-same", 4.0, 100.0),
        row("openstl-same-ftz", 2.0, 200.0),
    ]
    text = bench.report(results, {"keras-torch": "exit code 1: boom"}, bench.TOY, "toy")
    # Time against each reference; CPU time and memory against the faster equal-work row (the flushed one).
    assert "| keras_stlstm, JAX | 10 | 1.00 (1.00) | 2.00 | 300 | 0.67x | 0.25x | 0.50x | 0.50x | 1.50x |" in text
    assert "Fastest keras_stlstm row: keras_stlstm, JAX, 2.00x the speed of the fastest OpenSTL row" in text
    assert "failed: exit code 1: boom" in text
    assert "OpenSTL's count predicted from these weights 10: equal." in text
    assert np.isclose(float(text.split("per step), peak RSS ")[1].split("x")[0]), 1.5)


def test_before_rows_undo_the_speedups_and_report_the_ratio(load_benchmark):
    from keras_stlstm.layers import eidetic_3d_lstm

    bench = load_benchmark("bench_e3d_vs_openstl")
    backend = keras.backend.backend()
    cell = eidetic_3d_lstm.Eidetic3DLSTMCell
    saved = cell.__dict__["_same_conv"], eidetic_3d_lstm.recall_for_training
    try:
        before = bench.run_row(f"keras-{backend}-before", bench.TOY, warmup=0, repeats=1)
        assert eidetic_3d_lstm.recall_for_training() is eidetic_3d_lstm.recall_rematerialized
        assert cell.__dict__["_same_conv"] is not saved[0]
    finally:  # the patched module serves the rest of the test session
        cell._same_conv, eidetic_3d_lstm.recall_for_training = saved
    assert before["params"] == bench.run_row(f"keras-{backend}", bench.TOY, warmup=0, repeats=1)["params"]
    now = {"row": "keras-torch", "label": "now", "best": 1.0, "cpu_best": 2.0, "peak_rss_mb": 100.0}
    before = {"row": "keras-torch-before", "label": "then", "best": 1.5, "cpu_best": 3.0, "peak_rss_mb": 90.0}
    assert bench.before_after([now, before])[-1] == (
        "- now: 1.50x the speed of before (1.00 s vs 1.50 s per step; CPU 2.00 s vs 3.00 s), peak RSS 100 MB vs 90 MB.")
