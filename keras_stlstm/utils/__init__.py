"""Utilities: parameter and multiply-add counts of the recurrent layers (`complexity`), input checks (`inputs`).

`complexity` imports Keras, so it is loaded on first use: the command line imports
`keras_stlstm.utils.inputs` (NumPy only) while it builds its parser, and `--help`
must not pay for Keras.
"""

import importlib

_LAZY = {"Complexity": "keras_stlstm.utils.complexity", "complexity": "keras_stlstm.utils.complexity"}


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        # The import bound the submodule `complexity` here; the function takes its name back.
        globals()[name] = value
        return value
    raise AttributeError(f"module 'keras_stlstm.utils' has no attribute {name!r}")
