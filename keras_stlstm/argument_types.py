"""argparse value types shared by the command line's parsers (`keras_stlstm.cli`, `keras_stlstm.demo`).

Standard library only: the parsers are built for `keras-stlstm --help`, which
must answer without importing NumPy's users, Keras or TensorFlow.
"""

import argparse


def positive_int(text):
    """argparse type of a count (--batch-size, --top-k, ...): an integer >= 1.

    Raises:
        argparse.ArgumentTypeError: naming the value, so argparse prints one line.
    """
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value
