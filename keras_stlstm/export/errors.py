"""The exception raised by the export functions."""


class ExportError(ValueError):
    """A model cannot be exported as asked (unknown time length, unwritable path,
    missing optional package, conversion failure); the message says what to change."""
