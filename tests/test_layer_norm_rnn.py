"""The layer-normalised recurrent cell: shapes, a NumPy step written out by hand, the gradient
against central finite differences (float64), normalisation facts, and bad input."""

import numpy as np
import pytest

from gradcourse._tensorflow import keras, tf
from gradcourse.layer_norm_rnn import (
    DEFAULT_EPSILON,
    LayerNormSimpleRNNCell,
    build_layer_norm_rnn_model,
)

RNG = np.random.default_rng(8)


def numpy_step(x, h, kernel, recurrent_kernel, scale, bias, epsilon=DEFAULT_EPSILON, f=np.tanh):
    """Ba, Kiros & Hinton (2016), recurrent case: normalise the summed inputs over the units."""
    a = x @ kernel + h @ recurrent_kernel
    mu = a.mean(axis=1, keepdims=True)
    v = ((a - mu) ** 2).mean(axis=1, keepdims=True)
    return f(scale * (a - mu) / np.sqrt(v + epsilon) + bias)


def numpy_sequence(x, weights, epsilon=DEFAULT_EPSILON, f=np.tanh):
    h = np.zeros((x.shape[0], weights[1].shape[0]))
    for t in range(x.shape[1]):
        h = numpy_step(x[:, t], h, *weights, epsilon=epsilon, f=f)
    return h


def random_weights(cell):
    """Non-trivial values for every weight (scale and bias away from their 1 and 0)."""
    values = [RNG.normal(size=w.shape) * (0.5 if w.ndim == 2 else 1.0) for w in cell.weights]
    cell.set_weights(values)
    return [np.asarray(w, dtype=np.float64) for w in cell.get_weights()]


def test_shapes_in_an_rnn_layer():
    cell = LayerNormSimpleRNNCell(5)
    layer = keras.layers.RNN(cell, return_sequences=True, return_state=True)
    sequences, last = layer(np.zeros((3, 7, 2), np.float32))
    assert tuple(sequences.shape) == (3, 7, 5) and tuple(last.shape) == (3, 5)
    assert [tuple(w.shape) for w in cell.weights] == [(2, 5), (5, 5), (5,), (5,)]
    assert [w.name for w in cell.weights] == ["kernel", "recurrent_kernel", "scale", "bias"]
    assert cell.state_size == cell.output_size == 5


def test_model_builder():
    model = build_layer_norm_rnn_model(11, 2, units=4)
    assert tuple(model.input.shape) == (None, 11, 2) and tuple(model.output.shape) == (None, 1)
    assert isinstance(model.get_layer("layer_norm_rnn").cell, LayerNormSimpleRNNCell)
    assert model.count_params() == (2 * 4 + 4 * 4 + 4 + 4) + (4 + 1)


def test_keras_defaults_for_the_initializers():
    keras.utils.set_random_seed(0)
    cell = LayerNormSimpleRNNCell(16)
    cell.build((None, 3))
    recurrent = cell.recurrent_kernel.numpy()
    assert np.allclose(recurrent @ recurrent.T, np.eye(16), atol=1e-5)  # orthogonal, as SimpleRNN's
    assert np.array_equal(cell.scale.numpy(), np.ones(16)) and np.array_equal(
        cell.bias.numpy(), np.zeros(16)
    )


def test_one_step_equals_the_numpy_step():
    cell = LayerNormSimpleRNNCell(6)
    cell.build((None, 3))
    weights = random_weights(cell)
    x, h = RNG.normal(size=(4, 3)), RNG.normal(size=(4, 6))
    output, (state,) = cell(x.astype(np.float32), [h.astype(np.float32)])
    expected = numpy_step(x, h, *weights)
    assert np.allclose(output.numpy(), expected, atol=1e-5)
    assert np.array_equal(output.numpy(), state.numpy())


def test_a_whole_sequence_equals_the_numpy_loop_with_relu():
    cell = LayerNormSimpleRNNCell(5, activation="relu", epsilon=1e-5)
    layer = keras.layers.RNN(cell)
    x = RNG.normal(size=(3, 9, 2))
    layer(x.astype(np.float32))
    weights = random_weights(cell)
    expected = numpy_sequence(x, weights, epsilon=1e-5, f=lambda a: np.maximum(a, 0.0))
    assert np.allclose(layer(x.astype(np.float32)).numpy(), expected, atol=1e-5)


def test_normalisation_is_per_example_and_ignores_the_batch():
    # Zero mean, unit variance over the units for every example; one example alone gives
    # the same output as inside a batch (batch normalisation would not).
    cell = LayerNormSimpleRNNCell(8, activation="linear", epsilon=1e-6)
    cell.build((None, 2))
    random_weights(cell)
    cell.scale.assign(np.ones(8, np.float32))
    cell.bias.assign(np.zeros(8, np.float32))
    x, h = RNG.normal(size=(5, 2)).astype(np.float32), RNG.normal(size=(5, 8)).astype(np.float32)
    out, _ = cell(x, [h])
    out = out.numpy()
    assert np.allclose(out.mean(axis=1), 0.0, atol=1e-5) and np.allclose(
        out.var(axis=1), 1.0, atol=1e-4
    )
    alone, _ = cell(x[2:3], [h[2:3]])
    assert np.allclose(alone.numpy(), out[2:3], atol=1e-6)


def test_invariant_to_the_scale_of_the_weights():
    # Multiplying W_xh and W_hh by the same factor leaves the output (almost) unchanged:
    # the property that lets a small recurrent matrix keep the gradient alive.
    cell = LayerNormSimpleRNNCell(6, epsilon=1e-8)
    layer = keras.layers.RNN(cell)
    x = RNG.normal(size=(2, 12, 3)).astype(np.float32)
    layer(x)
    kernel, recurrent, scale, bias = random_weights(cell)
    first = layer(x).numpy()
    cell.set_weights([0.01 * kernel, 0.01 * recurrent, scale, bias])
    assert np.allclose(layer(x).numpy(), first, atol=1e-3)  # float32 round-off over 12 steps


def test_gradient_matches_central_finite_differences_in_float64():
    keras.config.set_floatx("float64")
    try:
        cell = LayerNormSimpleRNNCell(4, epsilon=1e-3, dtype="float64")
        layer = keras.layers.RNN(cell, dtype="float64")
        x = RNG.normal(size=(2, 6, 3))
        layer(x)
        weights = random_weights(cell)
        readout = RNG.normal(size=(4,))

        def loss_numpy(values):
            return float(np.sum(numpy_sequence(x, values) @ readout))

        variables = cell.weights
        x_tf = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(x_tf)
            loss = tf.reduce_sum(layer(x_tf) @ tf.constant(readout[:, None]))
        grads = tape.gradient(loss, [x_tf, *variables])
        assert all(g.dtype == tf.float64 for g in grads)
        assert np.isclose(float(loss), loss_numpy(weights), rtol=1e-12)

        eps = 1e-6
        for index, (value, grad) in enumerate(zip(weights, grads[1:], strict=True)):
            numeric = np.zeros_like(value)
            for position in np.ndindex(value.shape):
                plus = [w.copy() for w in weights]
                minus = [w.copy() for w in weights]
                plus[index][position] += eps
                minus[index][position] -= eps
                numeric[position] = (loss_numpy(plus) - loss_numpy(minus)) / (2 * eps)
            error = np.max(np.abs(grad.numpy() - numeric)) / max(np.max(np.abs(numeric)), 1e-12)
            assert error < 1e-7, (variables[index].name, error)

        numeric_x = np.zeros_like(x)
        for position in np.ndindex(x.shape):
            plus, minus = x.copy(), x.copy()
            plus[position] += eps
            minus[position] -= eps
            numeric_x[position] = (
                np.sum(numpy_sequence(plus, weights) @ readout)
                - np.sum(numpy_sequence(minus, weights) @ readout)
            ) / (2 * eps)
        assert np.max(np.abs(grads[0].numpy() - numeric_x)) < 1e-7 * max(
            np.max(np.abs(numeric_x)), 1e-12
        )
    finally:
        keras.config.set_floatx("float32")


def test_config_round_trip():
    cell = LayerNormSimpleRNNCell(
        3, activation="relu", epsilon=1e-4, recurrent_initializer=keras.initializers.Identity()
    )
    clone = LayerNormSimpleRNNCell.from_config(cell.get_config())
    assert clone.units == 3 and clone.epsilon == 1e-4 and clone.activation is keras.activations.relu
    assert isinstance(clone.recurrent_initializer, keras.initializers.Identity)


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # inside Keras
def test_saved_and_loaded_model_gives_the_same_output(tmp_path):
    model = build_layer_norm_rnn_model(5, 2, units=3)
    x = RNG.normal(size=(2, 5, 2)).astype(np.float32)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert np.allclose(loaded(x).numpy(), model(x).numpy(), atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"units": 0}, ValueError, "units must be >= 2"),
        ({"units": 1}, ValueError, "units must be >= 2"),
        ({"units": 3.0}, TypeError, "units must be an integer"),
        ({"units": "4"}, TypeError, "units must be an integer"),
        ({"units": 4, "epsilon": 0.0}, ValueError, "epsilon must be > 0"),
        ({"units": 4, "epsilon": -1e-3}, ValueError, "epsilon must be > 0"),
        ({"units": 4, "epsilon": float("nan")}, ValueError, "epsilon must be finite"),
        ({"units": 4, "epsilon": "small"}, TypeError, "epsilon must be a real number"),
        ({"units": 4, "activation": "no_such_activation"}, ValueError, "unknown activation"),
        ({"units": 4, "activation": 3}, TypeError, "activation must be"),
    ],
)
def test_bad_arguments_are_refused_clearly(kwargs, error, message):
    with pytest.raises(error, match=message):
        LayerNormSimpleRNNCell(**kwargs)


def test_bad_input_shape_is_refused_clearly():
    cell = LayerNormSimpleRNNCell(4)
    with pytest.raises(ValueError, match=r"\(batch, features\)"):
        cell.build((None, 5, 3))


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"length": 0, "features": 2}, ValueError, "length must be >= 1"),
        ({"length": 10, "features": 2.5}, TypeError, "features must be an integer"),
        ({"length": 10, "features": 2, "units": 1}, ValueError, "units must be >= 2"),
        ({"length": 10, "features": 2, "outputs": 0}, ValueError, "outputs must be >= 1"),
        ({"length": 10, "features": 2, "name": 7}, TypeError, "name must be a string"),
    ],
)
def test_model_builder_refuses_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        build_layer_norm_rnn_model(**kwargs)
