"""README.md is what a newcomer runs first, so everything in it is checked here.

- The first bash block sets up the package and runs the offline demo; the second is
  the test command CI runs (.ci/run).
- Every other command line parses with the real argument parsers (nothing is run).
- Every ```python block runs, each in a fresh namespace in a temporary folder. A
  block that loads a named preset is skipped only while that name is not
  registered (`keras_stlstm.list_presets()`), so it runs once the preset lands.
- Every ```toml block is a valid training recipe; every relative link resolves.
- The preset table between the markers is exactly what
  `python -m keras_stlstm.zoo.readme --write` generates from the registry.
"""

import re
import shlex
import tomllib
from pathlib import Path

import pytest

from keras_stlstm.cli import build_parser
from keras_stlstm.zoo import readme as readme_table

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DEMO_COMMAND = "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/keras-stlstm demo"
# A block that loads a registered preset by name: from_preset("NAME"), Class.from_preset("NAME", ...).
PRESET_CALL = re.compile(r"""from_preset\(\s*["']([A-Za-z0-9_.-]+)["']""")


def blocks(language):
    """The fenced code blocks of README.md in `language`, in order."""
    return re.findall(rf"^```{language}\n(.*?)^```", README.read_text(encoding="utf-8"), flags=re.S | re.M)


def command_lines():
    """(block index, line) of every command in the bash blocks after the first two."""
    return [
        (index, line.strip())
        for index, block in enumerate(blocks("bash"))
        if index >= 2
        for line in block.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


# --------------------------------------------------------------------- the first two blocks


def test_first_block_sets_up_and_runs_the_offline_demo():
    assert blocks("bash")[0].strip() == DEMO_COMMAND
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert pyproject["scripts"]["keras-stlstm"] == "keras_stlstm.cli:main"
    # `pip install -e .` (no extras) must bring the demo's TFLite runtime: TensorFlow's
    # tf.lite.Interpreter, used when ai-edge-litert (the "litert" extra) is absent.
    core = {re.split(r"[<>=!;\[ ]", requirement)[0] for requirement in pyproject["dependencies"]}
    assert {"tensorflow", "keras", "huggingface-hub", "opencv-python-headless", "tqdm"} <= core
    from keras_stlstm import demo

    assert build_parser().parse_args(["demo"]).func is demo.run_demo


def test_second_block_is_the_command_ci_runs():
    ci_lines = [
        line
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.startswith(("#", "set ", "cd "))
    ]
    assert len(ci_lines) == 1
    assert blocks("bash")[1].strip() == ci_lines[0]


# --------------------------------------------------------------------- other commands


def _without_env_prefix(words):
    """Drops leading VAR=value assignments (KERAS_BACKEND=tensorflow python ...)."""
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*", words[0]):
        words = words[1:]
    return words


def _parse(parser, args, line):
    try:
        return parser.parse_args(args)
    except SystemExit:
        pytest.fail(f"README command does not parse: {line}")


@pytest.mark.parametrize("index, line", command_lines(), ids=lambda v: v if isinstance(v, str) else None)
def test_command_line_parses(index, line):
    words = _without_env_prefix(shlex.split(line, comments=True))
    if words[0] == "keras-stlstm":
        _parse(build_parser(), words[1:], line)
    elif words[:3] == ["python", "-m", "keras_stlstm.zoo.readme"]:
        _parse(readme_table.build_parser(), words[3:], line)
    elif words[0] == "python" and words[1].startswith("benchmarks/"):
        script = ROOT / words[1]
        assert script.is_file(), f"README runs {words[1]}, which does not exist"
        source = script.read_text(encoding="utf-8")
        for flag in (w for w in words[2:] if w.startswith("--")):
            assert f'"{flag}"' in source, f"{words[1]} has no {flag} option"
    else:
        pytest.fail(f"README command of an unknown kind (teach tests/test_readme.py to check it): {line}")


def test_every_cli_command_is_shown():
    parser = build_parser()
    subcommands = next(a for a in parser._actions if a.dest == "command").choices
    shown = {shlex.split(line, comments=True)[1] for _, line in command_lines() if line.startswith("keras-stlstm ")}
    assert set(subcommands) - shown == set(), "commands missing from the README's command line section"


# --------------------------------------------------------------------- snippets, recipes, links


def _python_params():
    return [pytest.param(i, code, id=f"python block {i}") for i, code in enumerate(blocks("python"))]


@pytest.mark.parametrize("index, code", _python_params())
def test_python_snippet_runs(index, code, run_markdown_snippet):
    import keras_stlstm

    needed = sorted(set(PRESET_CALL.findall(code)))
    missing = [name for name in needed if name not in keras_stlstm.list_presets()]
    if missing:
        pytest.skip(f"needs preset(s) {', '.join(missing)}, not registered yet (keras_stlstm.list_presets() "
                    "lacks them); this snippet runs once they are")
    run_markdown_snippet(code, f"README.md:python block {index}")


def test_readme_has_python_snippets_for_every_task():
    code = "\n".join(blocks("python"))
    for call in ("from_preset(", "predict_frames(", "num_classes=", ".fit(", "export_saved_model(",
                 "export_tflite(", "streaming=True", "train("):
        assert call in code, f"no README snippet shows {call}"


def test_toml_blocks_are_valid_recipes():
    from keras_stlstm.training import load_recipe

    recipes = blocks("toml")
    assert recipes
    for text in recipes:
        recipe = load_recipe(tomllib.loads(text))  # raises ValueError naming a bad key
        assert recipe["training"]["time_budget_clock"] in ("wall", "cpu")


def test_relative_links_resolve():
    text = README.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto: ...
        assert (ROOT / target).exists(), f"README.md links to missing {target}"


# --------------------------------------------------------------------- the preset table


def test_preset_table_matches_the_registry():
    from keras_stlstm.presets import list_presets

    absent = [i.name for i in list_presets(with_info=True) if readme_table.local_preset_folder(i) is None]
    if absent:
        pytest.skip(f"registered preset(s) {', '.join(absent)} are not on this machine (weights/ or the HF "
                    "cache); the table reads their parameter counts and sizes from the files")
    diff = readme_table.check_readme(README)
    assert not diff, (
        "README.md's preset table differs from the registry; run `python -m keras_stlstm.zoo.readme --write`:\n"
        + "\n".join(diff)
    )
