"""The model of a recipe's [model] section: built from its arguments, or from a preset with a new head.

    [model]
    class = "GestureRecognizer"
    preset = "gesture_a_synthetic"   # a registered name, hf:// handle, folder or .keras file
    num_classes = 3                  # differs from the preset's: a new, freshly initialised head

With `preset`, the other [model] keys are overrides (as in `from_preset(NAME, **overrides)`):
every weight whose layer and shape still match is the preset's. The class names of a
labelled data source (the class folders of source = "folder") are stored in the model
when it has none for the same number of classes, so the saved run names its classes.
"""

from keras_stlstm.models.common import check_class_names
from keras_stlstm.training import data_sources
from keras_stlstm.training.recipe import resolve_model_class


def build_recipe_model(model_section, data_section):
    """The model a validated recipe trains (see the module docstring)."""
    cls = resolve_model_class(model_section["class"])
    arguments = {k: v for k, v in model_section.items() if k not in ("class", "preset")}
    preset = model_section.get("preset")
    model = cls(**arguments) if preset is None else cls.from_preset(preset, **arguments)
    names = data_sources.class_names(data_section)
    if names and getattr(model, "class_names", "absent") is None and len(names) == model.num_classes:
        model.class_names = check_class_names(names, model.num_classes)
    return model
