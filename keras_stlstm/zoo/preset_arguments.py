"""The presets a zoo command scores: positional NAMEs, as the other commands take them, or --presets."""

import argparse


class _AddPresets(argparse.Action):
    """Adds positional NAMEs to the --presets list (either form, or both, may be given)."""

    def __call__(self, parser, namespace, values, option_string=None):
        if values:
            namespace.presets = list(namespace.presets or []) + list(values)


def add_preset_arguments(parser, everything):
    """`NAME ...` and `--presets NAME ...`, both filling `args.presets` (None: `everything`)."""
    parser.add_argument("names", nargs="*", metavar="NAME", action=_AddPresets, default=argparse.SUPPRESS,
                        help=f"presets to score (default: {everything})")
    parser.add_argument("--presets", nargs="+", action="extend", default=None, metavar="NAME",
                        help="the same as NAME ...")
