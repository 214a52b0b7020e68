"""Named configurations of the task models: look-up plus explicit overrides."""


def resolve_named_config(table, config, kind, overrides):
    """`table[config]` (default "paper") with every non-None override applied.

    Args:
        table: dict of configuration name -> dict of arguments.
        config: a name of `table`, or None for "paper".
        kind: what the table configures, for the error message.
        overrides: dict of explicit arguments; None values are ignored.

    Returns:
        A new dict.

    Raises:
        ValueError: unknown configuration name (the message lists the valid ones).
    """
    name = "paper" if config is None else config
    if not isinstance(name, str) or name not in table:
        raise ValueError(
            f"Unknown {kind} configuration {config!r}; expected one of "
            f"{sorted(table)} or None (= 'paper')."
        )
    resolved = dict(table[name])
    resolved.update({k: v for k, v in overrides.items() if v is not None})
    return resolved


def jsonable(value):
    """Tuples become lists (what a config round-trip through JSON gives)."""
    return list(value) if isinstance(value, tuple) else value


def check_clip_shape(model_name, shape, expected, hint):
    """Raises a ValueError unless `shape` is (batch,) + `expected` (None matches anything).

    Args:
        model_name: the model class name, for the message.
        shape: the received input shape, batch axis included.
        expected: per-sample (frames, height, width, channels).
        hint: how to fix it, appended to the message.
    """
    shape = tuple(shape)
    if len(shape) != len(expected) + 1 or any(
        got is not None and got != want for got, want in zip(shape[1:], expected)
    ):
        raise ValueError(
            f"{model_name} expects clips of shape (batch, frames, height, width, channels) "
            f"= (batch, {', '.join(map(str, expected))}); received shape {shape}. {hint}"
        )
