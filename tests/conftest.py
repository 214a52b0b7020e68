"""Fixtures shared by test folders."""

import keras
import pytest


@pytest.fixture
def run_markdown_snippet(tmp_path, monkeypatch):
    """Runs a ```python block of a Markdown page as a user would: in a fresh namespace,
    from an empty temporary folder (whatever it writes lands there), seeded.

    Call it as `run_markdown_snippet(code, origin)`; `origin` names the block in tracebacks.
    Export snippets trace models with TensorFlow, so they are skipped on other backends.
    """

    def run(code, origin):
        if "keras_stlstm.export" in code and keras.backend.backend() != "tensorflow":
            pytest.skip("export snippets trace models with TensorFlow")
        monkeypatch.chdir(tmp_path)
        keras.utils.set_random_seed(0)
        exec(compile(code, origin, "exec"), {"__name__": "__markdown_snippet__"})

    return run
