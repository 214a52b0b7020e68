"""Bookkeeping for the single-step ("streaming") graphs of the task models.

A task model's `streaming_model()` re-wires the model's own layers (so weights are
shared) on one step's input plus explicit state tensors. `StreamingGraph` hands out
the state inputs ("state_0", "state_1", ...) and collects the matching new states
("new_state_0", ...) in the same order, so the step model's signature is
`[step_input, *states] -> [output, *new_states]` as the export helper expects.
"""

import numpy as np

import keras
from keras import ops

from keras_stlstm.models.building_blocks import CausalConv3D


class StreamingGraph:
    """Collects the state inputs and new-state outputs of a step graph.

    Example:

    >>> graph = StreamingGraph()
    >>> past = graph.state((2, 4, 4, 3))
    >>> graph.update(past, past * 2.0)
    >>> [t.name for t in graph.state_inputs]
    ['state_0']
    """

    def __init__(self):
        self.state_inputs = []
        self._new_states = {}

    def state(self, shape):
        """A new state input of per-sample `shape` (named state_<i>)."""
        tensor = keras.Input(shape=tuple(shape), name=f"state_{len(self.state_inputs)}")
        self.state_inputs.append(tensor)
        return tensor

    def update(self, state, new_state):
        """Records `new_state` as the next value of the state input `state`."""
        index = next(i for i, t in enumerate(self.state_inputs) if t is state)
        self._new_states[index] = keras.layers.Identity(name=f"new_state_{index}")(new_state)

    @property
    def new_states(self):
        missing = [i for i in range(len(self.state_inputs)) if i not in self._new_states]
        if missing:
            raise RuntimeError(f"States {missing} of the step graph were never updated.")
        return [self._new_states[i] for i in range(len(self.state_inputs))]

    def model(self, step_input, outputs, name):
        """The step model: [step_input, *states] -> [*outputs, *new_states]."""
        return keras.Model(
            inputs=[step_input, *self.state_inputs],
            outputs=list(outputs) + self.new_states,
            name=name,
        )


def conv_step(layer, inputs, graph=None, training=None):
    """Applies a (possibly causal) convolution in whole-clip or streaming mode.

    With `graph` and a `CausalConv3D`, the layer's `buffer_frames` past input
    frames come from a state and the new state keeps the last ones, so the layer
    sees exactly the frames it would see inside a whole clip.
    """
    if graph is None or not isinstance(layer, CausalConv3D):
        return layer(inputs)
    frames = layer.buffer_frames
    if frames:
        past = graph.state((frames,) + tuple(inputs.shape[2:]))
        inputs = ops.concatenate([past, inputs], axis=1)
        graph.update(past, inputs[:, -frames:])
    return layer(inputs, streaming=True)


class InferenceCall(keras.layers.Layer):
    """Calls a layer with training=False whatever the caller asks.

    Its `call` takes no `training` argument, so a functional model never passes
    one down: batch normalisation inside a step graph always uses its moving
    statistics, even if the step model is called with training=True.
    """

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        self.layer = layer
        self.built = True

    def call(self, inputs):
        return self.layer(inputs, training=False)


def inference(layer, graph):
    """`layer` for whole clips; wrapped in `InferenceCall` inside a step graph."""
    return layer if graph is None else InferenceCall(layer, name=f"{layer.name}_inference")


class CellStep(keras.layers.Layer):
    """Calls a built recurrent cell as a uniquely named layer of a step graph.

    Cells of different layers may share a name (every ConvLSTM layer's cell is
    "conv_lstm_cell"), which a functional model does not allow; this wrapper gives
    each its own name and shares the cell's weights.
    """

    def __init__(self, cell, **kwargs):
        super().__init__(**kwargs)
        self.cell = cell
        self.built = True

    def call(self, inputs, states):
        return self.cell(inputs, states)


def recurrent_step(rnn_layer, inputs, graph):
    """One step of a built recurrent layer's cell with its states from `graph`.

    `inputs` is one step's input (batch, ...), without a time axis; returns the
    cell output (batch, ...).
    """
    cell = rnn_layer.cell
    states = [graph.state(shape) for shape in cell.state_shapes()]
    output, new_states = CellStep(cell, name=f"{rnn_layer.name}_step")(inputs, states)
    for state, new_state in zip(states, new_states):
        graph.update(state, new_state)
    return output


def zero_states(step_model, batch_size=1):
    """Zero NumPy float32 arrays matching the state inputs of a step model."""
    return [
        np.zeros((batch_size,) + tuple(t.shape[1:]), dtype="float32")
        for t in step_model.inputs[1:]
    ]


def run_streaming(model, clip):
    """Feeds `clip` (batch, time, ...) through `model.streaming_model()` step by step.

    Returns the list of per-step outputs (NumPy) of the step model's first output,
    and the final states. Handy for tests and demos; a deployed app keeps the
    states itself.
    """
    step_model = model.streaming_model()
    clip = np.asarray(clip, dtype="float32")
    per_step = model.streaming_frames_per_step
    if clip.shape[1] % per_step:
        raise ValueError(
            f"The clip's frame count ({clip.shape[1]}) must be a multiple of "
            f"streaming_frames_per_step={per_step}."
        )
    states = zero_states(step_model, clip.shape[0])
    outputs = []
    for start in range(0, clip.shape[1], per_step):
        # predict_on_batch compiles the step once (jit on JAX, a tf.function on
        # TensorFlow) instead of dispatching every op eagerly at every step.
        results = step_model.predict_on_batch([clip[:, start : start + per_step], *states])
        outputs.append(results[0])
        states = results[len(results) - len(states) :]
    return outputs, states
