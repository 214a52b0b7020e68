"""The ```python blocks of docs/*.md and docs/cells/*.md run, each in a fresh namespace.

A snippet states facts with `assert`s (shapes, parameter counts, equalities), so
running it checks the page. Relative links between the pages must resolve.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md")) + sorted((DOCS / "cells").glob("*.md"))
CELL_PAGES = (
    "conv_lstm.md",
    "pooled_gate_conv_lstm.md",
    "input_attention_conv_lstm.md",
    "gate_attention_conv_lstm.md",
    "spatiotemporal_lstm.md",
    "predrnn_plus_plus.md",
    "eidetic_3d_lstm.md",
)


def python_blocks(page):
    return re.findall(r"^```python\n(.*?)^```", page.read_text(encoding="utf-8"), flags=re.S | re.M)


SNIPPETS = [
    pytest.param(page, index, code, id=f"{page.relative_to(DOCS).as_posix()}#{index}")
    for page in PAGES
    for index, code in enumerate(python_blocks(page))
]


@pytest.mark.parametrize("page, index, code", SNIPPETS)
def test_snippet_runs(page, index, code, run_markdown_snippet):
    run_markdown_snippet(code, f"{page}:python block {index}")


def test_every_cell_has_a_page_with_a_tested_snippet():
    for name in CELL_PAGES:
        page = DOCS / "cells" / name
        assert page.exists(), f"missing docs/cells/{name}"
        assert python_blocks(page), f"docs/cells/{name} has no python snippet"
    assert python_blocks(DOCS / "architecture.md")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_relative_links_resolve(page):
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue  # http(s):, mailto: ...
        assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
