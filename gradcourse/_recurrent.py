"""What the course's own recurrent layers and their model builders share, written once.

- ``ConfigFromAttributes``: ``get_config`` for a layer that keeps each constructor argument
  as an attribute of the same name (initializers and activations serialised), so that a
  saved model loads again.
- ``step_features``: a cell's check of the one-step input shape it is built for.
- ``recurrent_model``: the course's model around one recurrent block, ``keras.Input`` ->
  the block (its last output) -> ``Dense(outputs)`` named ``readout``, with its arguments
  checked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from gradcourse._tensorflow import keras
from gradcourse._validate import require_int

# What a layer's *_initializer argument takes: a name, a config dict or an initializer.
InitializerLike = str | dict[str, Any] | keras.initializers.Initializer


def _serializable(value: object) -> object:
    if isinstance(value, keras.initializers.Initializer):
        return keras.initializers.serialize(value)
    if callable(value):  # an activation, as keras.activations.get returns it
        return keras.activations.serialize(value)
    return value


class ConfigFromAttributes:
    """Mixin (before ``keras.layers.Layer`` in the bases): ``get_config`` adds, to the
    layer's own config, each name in ``config_attributes`` with the value of the attribute
    of that name, an initializer or an activation serialised."""

    config_attributes: tuple[str, ...] = ()

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({name: _serializable(getattr(self, name)) for name in self.config_attributes})
        return config


def step_features(input_shape: Sequence[int | None]) -> int:
    """The number of features of a cell's one-step input ``(batch, features)``; a clear
    ValueError for any other shape."""
    if len(input_shape) != 2 or input_shape[-1] is None:
        raise ValueError(
            "a cell reads one step, (batch, features) with known features; "
            f"got {tuple(input_shape)}"
        )
    return int(input_shape[-1])


def recurrent_model(
    block: Callable[[keras.KerasTensor], keras.KerasTensor],
    length: int,
    features: int,
    outputs: int,
    name: str,
) -> keras.Model:
    """``keras.Input((length, features))`` -> ``block`` -> ``Dense(outputs, name="readout")``.

    ``block`` maps the input sequence to one vector per example (the recurrent layer's last
    output, with whatever comes before or after it); it is called after the arguments are
    checked. Not compiled.
    """
    length = require_int("length", length, minimum=1)
    features = require_int("features", features, minimum=1)
    outputs = require_int("outputs", outputs, minimum=1)
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    inputs = keras.Input(shape=(length, features))
    # The block's layers first, then the readout: an initializer without a seed draws one
    # when its layer is made, so this order keeps the weights of a seeded model.
    last = block(inputs)
    prediction = keras.layers.Dense(outputs, name="readout")(last)
    return keras.Model(inputs, prediction, name=name)
