"""The command line answers --help without importing Keras or TensorFlow (so at once and with
nothing on stderr), has --version, shows defaults in help, takes `zoo-evaluate --data` like
`evaluate --data`, and shows progress bars only on a terminal."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from keras_stlstm.cli import MODULE_COMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("keras", "tensorflow", "jax")


def run_cli_in_a_fresh_process(*argv):
    """(stdout, stderr, seconds, heavy modules imported) of `keras-stlstm ARGV` in a new interpreter."""
    code = (
        "import sys\n"
        "from keras_stlstm.cli import main\n"
        "try:\n"
        f"    main({list(argv)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print('HEAVY', sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}))\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    seconds = time.perf_counter() - start
    out, heavy = result.stdout.rsplit("HEAVY ", 1)
    return out, result.stderr, seconds, heavy.strip()


def test_help_imports_no_keras_and_writes_nothing_to_stderr():
    out, err, seconds, heavy = run_cli_in_a_fresh_process("--help")
    assert heavy == "[]" and err == ""
    for command in ("list", "classify", "train", "zoo-evaluate", "zoo-evaluate-gestures", "zoo-publish", "export"):
        assert f"    {command}" in out
    assert seconds < 10  # a loose bound for a loaded CI machine; about 0.3 s on an idle one


def test_version():
    from keras_stlstm import __version__

    out, err, _, heavy = run_cli_in_a_fresh_process("--version")
    assert out.strip() == f"keras-stlstm {__version__}" and heavy == "[]"


def test_the_stub_help_lines_match_the_modules_parsers():
    def help_lines(parser):
        sub = next(a for a in parser._actions if a.dest == "command")
        return {a.dest: a.help for a in sub._choices_actions}

    full, light = help_lines(build_parser()), help_lines(build_parser(["--help"]))
    assert full == light
    assert set(MODULE_COMMANDS) <= set(full)


def test_help_shows_defaults(capsys):
    with pytest.raises(SystemExit):
        build_parser(["classify"]).parse_args(["classify", "--help"])
    out = capsys.readouterr().out
    assert "classes to print, most probable first (default: 5)" in " ".join(out.split())


def test_zoo_evaluate_takes_data_like_evaluate_and_keeps_digits():
    for flag in ("--data", "--digits"):
        args = build_parser(["zoo-evaluate"]).parse_args(["zoo-evaluate", flag, "keras"])
        assert args.digits == "keras"


def test_fit_shows_a_progress_bar_only_on_a_terminal(monkeypatch):
    from keras_stlstm.training.train import fit_verbosity

    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    assert fit_verbosity("auto") == 2
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert fit_verbosity("auto") == 1 and fit_verbosity(0) == 0


@pytest.mark.parametrize("command", ["zoo-evaluate", "zoo-evaluate-gestures"])
def test_zoo_commands_take_positional_names_like_the_others(command):
    parse = build_parser([command]).parse_args
    assert parse([command]).presets is None  # every preset of the kind
    assert parse([command, "a", "b"]).presets == ["a", "b"]
    assert parse([command, "--presets", "a", "b"]).presets == ["a", "b"]
    assert parse([command, "a", "--presets", "b"]).presets == ["a", "b"]
