"""state_jacobian_norms: the per-lag Jacobian norms of a Keras SimpleRNN, checked by autodiff."""

import numpy as np
import pytest

from gradcourse._tensorflow import keras, tf
from gradcourse.models import build_recurrent_model
from gradcourse.recurrent_states import _state_sequence, state_jacobian_norms

STEPS, UNITS = 6, 4


@pytest.fixture(scope="module", params=["tanh", "relu"])
def model_and_inputs(request):
    keras.utils.set_random_seed(0)
    model = build_recurrent_model("SimpleRNN", STEPS, 2, units=UNITS, activation=request.param)
    x = np.random.default_rng(0).normal(size=(3, STEPS, 2))
    return model, x


def _autodiff_norm(layer, x, example, lag):
    """||dh_T/dh_(T-k)||_2 by stepping Keras' own cell from h_(T-k) under a tape."""
    states = _state_sequence(layer, x)
    start = tf.Variable(states[example : example + 1, STEPS - 1 - lag].astype(np.float32))
    with tf.GradientTape() as tape:
        state = start
        for t in range(STEPS - lag, STEPS):
            state, _ = layer.cell(
                tf.constant(x[example : example + 1, t].astype(np.float32)), [state]
            )
    jacobian = tape.jacobian(state, start).numpy().reshape(UNITS, UNITS)
    return np.linalg.norm(jacobian, 2)


def test_matches_autodiff_at_every_lag(model_and_inputs):
    model, x = model_and_inputs
    layer = model.get_layer("simplernn")
    norms = state_jacobian_norms(layer, x)
    assert norms.shape == (3, STEPS)
    assert np.all(norms[:, 0] == 1.0)  # lag 0: the identity
    for example in range(3):
        for lag in range(1, STEPS):
            assert np.isclose(
                norms[example, lag], _autodiff_norm(layer, x, example, lag), rtol=1e-4
            )


def test_rejects_other_layers_and_shapes(model_and_inputs):
    model, x = model_and_inputs
    with pytest.raises(TypeError, match="layer must be a Keras SimpleRNN, got Dense"):
        state_jacobian_norms(model.get_layer("readout"), x)
    with pytest.raises(ValueError, match="x must have shape \\(batch, time, 2\\) for this layer"):
        state_jacobian_norms(model.get_layer("simplernn"), x[:, :, :1])


def test_pre_activations_give_keras_states(model_and_inputs):
    from gradcourse.recurrent_states import simple_rnn_pre_activations

    model, x = model_and_inputs
    layer = model.get_layer("simplernn")
    pre = simple_rnn_pre_activations(layer, x)
    f = np.tanh if layer.activation is keras.activations.tanh else (lambda a: np.maximum(a, 0))
    np.testing.assert_allclose(f(pre), _state_sequence(layer, x), atol=1e-6)
