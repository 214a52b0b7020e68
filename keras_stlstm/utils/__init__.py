"""Utilities: parameter and multiply-add counts of the recurrent layers."""

from keras_stlstm.utils.complexity import Complexity, complexity
