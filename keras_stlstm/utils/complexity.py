"""Parameter and multiply-add counts of the recurrent layers, as in the gesture paper's Table 1.

Each cell reports its own counts through `cell.complexity()` (a dict with
`weights`, `biases` and `mult_adds`, per sample and time step, for the built
cell); this module finds the recurrent layers, builds them if needed and adds
the counts up.
"""

import dataclasses
import math

from keras_stlstm.layers.base import SpatialCell


@dataclasses.dataclass(frozen=True)
class Complexity:
    """Counts of one recurrent layer, or the sum over a model's recurrent layers.

    Attributes:
        parameters: all parameters, biases included.
        parameters_without_biases: weights only.
        paper_mult_adds: multiply-adds per time step in the gesture paper's
            convention, weights without biases × number of positions (H·W, or
            D·H·W for 3D cells). Right for a ConvLSTM; an over-count for variants
            (a)-(d), whose pooled gates run once per step, not once per position.
        mult_adds: true multiply-adds per time step and sample: convolutions at
            every position, pooled gates once, depthwise and pointwise convolutions
            each counted as what they are. Pooling sums, activations and other
            elementwise ops are not counted.
        layers: per-layer counts (name, Complexity) when summed over a model.
    """

    parameters: int
    parameters_without_biases: int
    paper_mult_adds: int
    mult_adds: int
    layers: tuple = ()

    def as_dict(self):
        """The four counts as a plain dict (no per-layer breakdown)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "layers"}


def complexity(layer_or_model, input_shape=None):
    """Counts parameters and per-step multiply-adds of a recurrent layer or a model.

    Args:
        layer_or_model: a recurrent layer whose `cell` is a `SpatialCell` (e.g.
            `PooledGateConvLSTM`), such a cell, or any Keras layer or model
            containing recurrent layers (counts are summed over all of them; other
            layers are ignored).
        input_shape: the input shape without the batch axis, e.g.
            `(8, 28, 28, 256)` for a layer on 8 frames of 28×28×256 (the time
            length may be None; for a bare cell, one step's `(28, 28, 256)`).
            Needed only if the layer or model is not built yet.

    Returns:
        A `Complexity`.

    Raises:
        ValueError: if nothing recurrent is found, or the object is not built and
            no `input_shape` is given.
        NotImplementedError: if a recurrent cell does not implement
            `complexity()`.

    Example:

    >>> from keras_stlstm.layers import PooledGateConvLSTM
    >>> c = complexity(PooledGateConvLSTM(256, 3), (8, 28, 28, 256))
    >>> c.parameters_without_biases, round(c.paper_mult_adds / 1e6), round(c.mult_adds / 1e6)
    (528896, 415, 107)
    """
    _ensure_built(layer_or_model, input_shape)
    cells = _spatial_cells(layer_or_model)
    if not cells:
        raise ValueError(
            f"No recurrent layer (a layer whose `cell` is a SpatialCell) found in "
            f"{type(layer_or_model).__name__} {getattr(layer_or_model, 'name', '')!r}."
        )
    per_layer = tuple((name, _cell_complexity(cell)) for name, cell in cells)
    if len(per_layer) == 1:
        return dataclasses.replace(per_layer[0][1], layers=per_layer)
    totals = {
        f.name: sum(getattr(c, f.name) for _, c in per_layer)
        for f in dataclasses.fields(Complexity)
        if f.name != "layers"
    }
    return Complexity(**totals, layers=per_layer)


def _ensure_built(obj, input_shape):
    if obj.built:
        return
    if input_shape is None:
        raise ValueError(
            f"{type(obj).__name__} {obj.name!r} is not built: pass `input_shape` "
            "(the input shape without the batch axis, e.g. (8, 28, 28, 256))."
        )
    obj.build((None,) + tuple(input_shape))


def _spatial_cells(obj):
    """(layer name, cell) for every recurrent layer in `obj`, each once."""
    if isinstance(obj, SpatialCell):
        return [(obj.name, obj)]
    found, seen = [], set()
    # Keras' own traversal: covers functional, sequential and subclassed models
    # and layers nested as attributes.
    for layer in obj._flatten_layers(include_self=True, recursive=True):
        cell = getattr(layer, "cell", None)
        if isinstance(cell, SpatialCell) and id(cell) not in seen:
            seen.add(id(cell))
            found.append((layer.name, cell))
    return found


def _cell_complexity(cell):
    report = getattr(cell, "complexity", None)
    if report is None:
        raise NotImplementedError(
            f"{type(cell).__name__} does not report its counts: implement "
            "`complexity()` on the cell, returning {'weights', 'biases', "
            "'mult_adds'} per sample and time step."
        )
    counts = report()
    # A cell whose states carry more positions than its spatial input (E3D keeps
    # D frames per state) says so; 2D cells have H·W positions.
    positions = counts.get("positions", math.prod(cell.spatial_dims))
    return Complexity(
        parameters=counts["weights"] + counts["biases"],
        parameters_without_biases=counts["weights"],
        paper_mult_adds=counts["weights"] * positions,
        mult_adds=counts["mult_adds"],
    )

