"""Keras model builders for the course (Keras 3 idioms: keras.Input, no input_shape=)."""

from __future__ import annotations

from gradcourse._tensorflow import keras
from gradcourse._validate import require_choice, require_int

RECURRENT_LAYERS = {
    "SimpleRNN": keras.layers.SimpleRNN,
    "LSTM": keras.layers.LSTM,
    "GRU": keras.layers.GRU,
}


def build_recurrent_model(
    cell: str,
    length: int,
    features: int,
    units: int = 32,
    outputs: int = 1,
    name: str | None = None,
    **layer_kwargs,
) -> keras.Model:
    """One recurrent layer (``"SimpleRNN"``, ``"LSTM"`` or ``"GRU"``) reading the whole
    sequence, then a linear ``Dense(outputs)`` on its last state.

    Extra keyword arguments go to the recurrent layer (e.g. ``activation="relu"``,
    ``recurrent_initializer=...``, ``unit_forget_bias=False``). The model is not compiled.
    """
    cell = require_choice("cell", cell, tuple(RECURRENT_LAYERS))
    length = require_int("length", length, minimum=1)
    features = require_int("features", features, minimum=1)
    units = require_int("units", units, minimum=1)
    outputs = require_int("outputs", outputs, minimum=1)
    inputs = keras.Input(shape=(length, features))
    state = RECURRENT_LAYERS[cell](units, name=cell.lower(), **layer_kwargs)(inputs)
    prediction = keras.layers.Dense(outputs, name="readout")(state)
    return keras.Model(inputs, prediction, name=name or cell)
