"""The layer benchmark script runs (tiny --quick mode) so it cannot rot."""


def test_quick_run_prints_every_layer(capsys, load_benchmark):
    bench = load_benchmark("bench_layers")
    tables = bench.main(["--quick", "--only", "convlstm"])
    out = capsys.readouterr().out
    rows = tables["convlstm"]
    names = [r.name for r in rows]
    assert names[0] == "keras ConvLSTM2D" and len(names) == 6
    for r in rows:
        assert r.params > 0 and r.forward.wall > 0 and r.train.wall > 0
        assert r.forward.cpu >= 0 and r.train.cpu >= 0
        assert f"| {r.name} |" in out
    # ConvLSTM and Keras' ConvLSTM2D have the same parameters.
    assert rows[0].params == rows[1].params
    assert rows[0].counts is None and rows[2].counts.mult_adds < rows[1].counts.mult_adds
    assert "1.00x / 1.00x" in out  # the reference row


def test_sections_and_arguments(load_benchmark):
    bench = load_benchmark("bench_layers")
    assert "convlstm" in bench.SECTIONS
    args = bench.parse_args(["--repeats", "3"])
    assert (args.batch, args.steps, args.size, args.channels, args.filters, args.kernel) == (2, 8, 28, 256, 256, 3)
    assert args.repeats == 3 and args.only == sorted(bench.SECTIONS)
