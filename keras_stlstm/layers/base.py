"""Shared machinery for spatial recurrent cells and the layers that drive them.

Every recurrent layer in this package is a pair:

- a *cell* (subclass of `SpatialCell`): one time step, `cell(x_t, states) ->
  (output, new_states)`, plus `get_initial_state(batch_size)`. The single step is
  what streaming inference and TFLite export run.
- a *layer* (subclass of `SpatialRNN`): a `keras.layers.RNN` that builds its cell
  from its own arguments and drives it over the time axis, so `return_sequences`,
  `return_state`, `initial_state`, `stateful`, `unroll` and `go_backwards` behave
  exactly as in Keras' own recurrent layers.

Keras' `RNN` needs integer state sizes to infer shapes symbolically; spatial states
are tensors, so (as `keras.layers.ConvLSTM2D` does) cells declare
`state_size = -1` and the layer overrides `compute_output_shape`.
"""

import inspect

import keras
from keras import ops

# Arguments of keras.layers.RNN that every layer of this package takes (defaults False).
RNN_FLAGS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll")


def normalize_tuple(value, n, name):
    """Turns an int or a sequence into an n-tuple of positive ints.

    Raises a ValueError naming `name` when the value is not positive or has the
    wrong length.
    """
    if isinstance(value, int):
        value = (value,) * n
    value = tuple(value)
    if len(value) != n or not all(isinstance(v, int) for v in value):
        raise ValueError(
            f"Argument `{name}` must be an int or a tuple of {n} ints. "
            f"Received: {name}={value}"
        )
    if any(v <= 0 for v in value):
        raise ValueError(
            f"Argument `{name}` must be positive. Received: {name}={value}"
        )
    return value


def check_positive_int(value, name):
    """Raises a ValueError naming `name` unless `value` is a positive int."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(
            f"Argument `{name}` must be a positive integer. "
            f"Received: {name}={value!r}"
        )
    return value


def cell_layer_signature(cell_class, exclude=()):
    """Constructor signature of a layer that builds a `cell_class` cell.

    Args:
        cell_class: a `SpatialCell` subclass.
        exclude: names of cell arguments the layer does not take.

    Returns:
        An `inspect.Signature`: the cell's positional-or-keyword arguments (with
        their defaults) but `exclude`, then the `RNN_FLAGS` (default False), then
        `**kwargs` for the base layer.
    """
    cell_parameters = [
        p
        for p in list(inspect.signature(cell_class.__init__).parameters.values())[1:]
        if p.kind is p.POSITIONAL_OR_KEYWORD and p.name not in exclude
    ]
    flags = [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=False) for n in RNN_FLAGS]
    return inspect.Signature(
        cell_parameters + flags + [inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD)]
    )


class SpatialCell(keras.layers.Layer):
    """Base class of the single-step cells.

    Subclasses set `spatial_rank` (2 for H x W inputs) and implement:

    - `build_weights(input_channels)`: create the weights;
    - `state_shapes()`: per-sample shapes of the states (list of tuples), valid
      once the cell is built;
    - `output_shape_per_sample()`: per-sample shape of the step output;
    - `call(inputs, states, training=False)` -> `(output, new_states)`.

    The base class records the spatial size of the input at build time, checks
    the rank and channel count of every input, and makes the zero initial state.
    """

    spatial_rank = 2

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.state_size = -1  # Spatial states: shapes come from state_shapes().
        self.spatial_dims = None
        self.input_channels = None

    @property
    def input_ndim(self):
        """Rank of one step's input, batch axis included."""
        return self.spatial_rank + 2

    def build(self, input_shape, states_shape=None):
        input_shape = tuple(input_shape)
        self.check_input_shape(input_shape)
        self.spatial_dims = tuple(input_shape[1:-1])
        if any(d is None for d in self.spatial_dims):
            raise ValueError(
                f"{type(self).__name__} needs static spatial dimensions; received "
                f"an input of shape {input_shape}. Give the model's Input a fixed "
                "shape (e.g. keras.Input((frames, 28, 28, 256)))."
            )
        self.input_channels = int(input_shape[-1])
        self.build_weights(self.input_channels)
        self.built = True

    def check_input_shape(self, input_shape):
        """Raises a ValueError if one step's input has the wrong rank or channels."""
        if len(input_shape) != self.input_ndim:
            raise ValueError(
                f"{type(self).__name__} expects one step's input of rank "
                f"{self.input_ndim} (batch, "
                + ", ".join(["spatial"] * self.spatial_rank)
                + f", channels); received shape {tuple(input_shape)}."
            )
        if input_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} needs a known channel count (last axis); "
                f"received shape {tuple(input_shape)}."
            )
        if self.input_channels is not None and (
            int(input_shape[-1]) != self.input_channels
            or tuple(input_shape[1:-1]) != self.spatial_dims
        ):
            raise ValueError(
                f"{type(self).__name__} was built for inputs of per-step shape "
                f"{self.spatial_dims + (self.input_channels,)} (spatial..., "
                f"channels); received per-step shape {tuple(input_shape[1:])}."
            )

    def build_weights(self, input_channels):
        raise NotImplementedError

    def state_shapes(self):
        raise NotImplementedError

    def output_shape_per_sample(self):
        raise NotImplementedError

    def get_initial_state(self, batch_size=None):
        """Zero states, one tensor per entry of `state_shapes()`."""
        return [
            ops.zeros((batch_size,) + tuple(shape), dtype=self.compute_dtype)
            for shape in self.state_shapes()
        ]

    def compute_output_shape(self, inputs_shape, states_shape=None):
        batch = inputs_shape[0]
        states = [(batch,) + tuple(s) for s in self.state_shapes()]
        return (batch,) + tuple(self.output_shape_per_sample()), states


class SpatialRNN(keras.layers.RNN):
    """A `keras.layers.RNN` over a `SpatialCell`, with shape inference for spatial states.

    Used two ways:

    - `SpatialRNN(cell, return_sequences=False, ...)` drives a ready-made cell; every
      keyword argument goes to `keras.layers.RNN`.
    - A subclass that sets `cell_class` (and `cell_name`) builds its own cell. Its
      constructor signature is derived from the cell's (see `cell_layer_signature`):
      the cell's arguments with the cell's defaults, then `return_sequences`,
      `return_state`, `go_backwards`, `stateful`, `unroll`, then the base layer's
      keyword arguments (name, dtype, ...). The cell arguments and their defaults are
      so written once, in the cell, and `inspect.signature(Layer)` still shows them.

    `get_config` flattens the cell's arguments into the layer's so the layer
    round-trips through `from_config(**config)` like Keras' ConvLSTM2D.
    """

    # The SpatialCell subclass the layer builds, and the name of that cell.
    cell_class = None
    cell_name = None
    # Cell arguments the layer sets itself: left out of the layer's signature.
    derived_cell_arguments = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.cell_class is not None:
            cls.__signature__ = cell_layer_signature(cls.cell_class, cls.derived_cell_arguments)

    def __init__(self, *args, **kwargs):
        if self.cell_class is None:
            super().__init__(*args, **kwargs)
        else:
            cell, rnn_kwargs = self._build_cell(args, kwargs)
            super().__init__(cell, **rnn_kwargs)
        # Masks are not supported: the JAX backend cannot mask spatial states
        # outside an unrolled loop (see shared/spec/platform.md).
        self.supports_masking = False

    def _build_cell(self, args, kwargs):
        """Splits the constructor arguments; returns (cell, keyword arguments of RNN)."""
        bound = self.__signature__.bind(*args, **kwargs)
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        layer_kwargs = arguments.pop("kwargs")
        rnn_kwargs = {name: arguments.pop(name) for name in RNN_FLAGS}
        cell = self.cell_class(**arguments, name=self.cell_name, dtype=layer_kwargs.get("dtype"))
        return cell, {**rnn_kwargs, **layer_kwargs}

    def build(self, sequences_shape, initial_state_shape=None):
        sequences_shape = tuple(sequences_shape)
        expected = self.cell.input_ndim + 1
        if len(sequences_shape) != expected:
            raise ValueError(
                f"{type(self).__name__} expects inputs of rank {expected} (batch, "
                "time, "
                + ", ".join(["spatial"] * self.cell.spatial_rank)
                + f", channels); received shape {sequences_shape}."
            )
        super().build(sequences_shape, initial_state_shape)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        # Checked on every call, not only at build: a built layer fed a differently
        # shaped input must fail with a clear message, not deep inside a conv.
        shape = tuple(sequences.shape)
        if len(shape) != self.cell.input_ndim + 1:
            self.build(shape)  # raises the rank error
        self.cell.check_input_shape((shape[0],) + shape[2:])
        return super().call(
            sequences, initial_state=initial_state, mask=mask, training=training
        )

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        if not self.cell.built:
            self.build(sequences_shape)
        batch, steps = sequences_shape[0], sequences_shape[1]
        out = tuple(self.cell.output_shape_per_sample())
        output_shape = (batch, steps) + out if self.return_sequences else (batch,) + out
        if self.return_state:
            states = [(batch,) + tuple(s) for s in self.cell.state_shapes()]
            return (output_shape, *states)
        return output_shape

    def compute_mask(self, _, mask):
        if self.return_state:
            return [None] * (1 + len(self.cell.state_shapes()))
        return None

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        config.pop("zero_output_for_mask", None)
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        return {**config, **cell_config}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
