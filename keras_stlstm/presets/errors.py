"""The one exception class of the preset machinery."""


class PresetError(ValueError):
    """A preset could not be found, downloaded, verified or loaded.

    Subclasses ValueError so callers that already catch bad-argument errors keep
    working; the message always names the preset, file or argument at fault.
    """
