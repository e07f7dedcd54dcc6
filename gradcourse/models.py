"""Keras model builders for the course (Keras 3 idioms: keras.Input, no input_shape=)."""

from __future__ import annotations

from typing import Any

from gradcourse._recurrent import recurrent_model
from gradcourse._tensorflow import keras
from gradcourse._validate import require_choice, require_float, require_int

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
    forget_bias: float | None = None,
    **layer_kwargs: Any,
) -> keras.Model:
    """One recurrent layer (``"SimpleRNN"``, ``"LSTM"`` or ``"GRU"``) reading the whole
    sequence, then a linear ``Dense(outputs)`` on its last state.

    Extra keyword arguments go to the recurrent layer (e.g. ``activation="relu"``,
    ``recurrent_initializer=...``, ``unit_forget_bias=False``). ``forget_bias`` (LSTM only)
    starts every forget gate's bias at that value instead of Keras' 1. The model is not
    compiled.
    """
    cell = require_choice("cell", cell, tuple(RECURRENT_LAYERS))
    units = require_int("units", units, minimum=1)
    if forget_bias is not None:
        if cell != "LSTM":
            raise ValueError(f"forget_bias applies to an LSTM only, not to a {cell}")
        if "unit_forget_bias" in layer_kwargs or "bias_initializer" in layer_kwargs:
            raise ValueError("give forget_bias, or unit_forget_bias/bias_initializer, not both")
        layer_kwargs.update(
            unit_forget_bias=False,
            bias_initializer=ForgetGateBias(require_float("forget_bias", forget_bias)),
        )

    def block(inputs: keras.KerasTensor) -> keras.KerasTensor:
        return RECURRENT_LAYERS[cell](units, name=cell.lower(), **layer_kwargs)(inputs)

    return recurrent_model(block, length, features, outputs, name or cell)


class ForgetGateBias(keras.initializers.Initializer):
    """An LSTM bias of 0 everywhere except the forget gates, which start at ``value``.

    Keras orders an LSTM's 4 * units biases as input, forget, candidate, output gates.
    """

    def __init__(self, value: float) -> None:
        self.value = require_float("value", value)

    def __call__(self, shape: tuple[int, ...], dtype: str | None = None) -> object:
        units = shape[0] // 4
        zeros = keras.ops.zeros((units,), dtype=dtype)
        forget = keras.ops.full((units,), self.value, dtype=dtype)
        return keras.ops.concatenate([zeros, forget, zeros, zeros])

    def get_config(self) -> dict:
        return {"value": self.value}
