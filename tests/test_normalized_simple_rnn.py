"""The normalised tanh SimpleRNN: the plain setting against Keras' SimpleRNN, every
normalisation against a NumPy SimpleRNN written out from the equations (batch statistics of
each step in training, the stored moving statistics in inference), and save/load."""

import numpy as np
import pytest

from gradcourse._tensorflow import keras
from gradcourse.normalized_lstm import (
    NormalizedLSTM,
    NormalizedSimpleRNN,
    build_normalized_lstm_model,
    build_normalized_simple_rnn_model,
)

RNG = np.random.default_rng(31)
EPS = 1e-3


def standardise(value, mean, variance):
    return (value - mean) / np.sqrt(variance + EPS)


def numpy_simple_rnn(x, weights, normalization, moving=None):
    """h_t = tanh(N(W_h h_(t-1)) + N(W_x x_t) + b). Training (``moving`` None): per-step
    statistics over the batch (Cooijmans et al. 2016), statistics over the units (Ba et al.
    2016) or over batch and steps of the input term (Laurent et al. 2016). Inference: the
    given moving statistics, ``{term: (mean, variance)}``, indexed by step when per step."""
    kernel, recurrent, bias, *scales = weights
    batch, steps, _ = x.shape
    h = np.zeros((batch, recurrent.shape[0]))
    x_terms = x @ kernel
    if normalization == "batch_shared":
        if moving is None:
            flat = x_terms.reshape(-1, x_terms.shape[-1])
            mean, variance = flat.mean(axis=0), flat.var(axis=0)
        else:
            mean, variance = moving["x"]
        x_terms = scales[0] * standardise(x_terms, mean, variance)
    for t in range(steps):
        terms = {"x": x_terms[:, t], "h": h @ recurrent}
        if normalization in ("batch_per_step", "layer"):
            for k, (term, value) in enumerate(list(terms.items())):
                if normalization == "layer":
                    mean = value.mean(axis=1, keepdims=True)
                    variance = value.var(axis=1, keepdims=True)
                elif moving is None:
                    mean, variance = value.mean(axis=0), value.var(axis=0)
                else:
                    mean, variance = moving[term][0][t], moving[term][1][t]
                terms[term] = scales[k] * standardise(value, mean, variance)
        h = np.tanh(terms["x"] + terms["h"] + bias)
    return h


def random_layer(normalization, units=4, steps=6, features=3, **options):
    layer = NormalizedSimpleRNN(units, normalization, **options)
    layer.build((None, steps, features))
    for variable in layer.trainable_weights:
        variable.assign((RNG.normal(size=variable.shape) * 0.7).astype("float32"))
    return layer, [np.asarray(w.numpy(), np.float64) for w in layer.trainable_weights]


NORMALIZATIONS = [None, "batch_per_step", "batch_shared", "layer"]


@pytest.mark.parametrize("normalization", NORMALIZATIONS)
def test_training_forward_pass_against_numpy(normalization):
    layer, weights = random_layer(normalization)
    x = RNG.normal(size=(16, 6, 3))
    out = layer(x.astype("float32"), training=True).numpy()
    np.testing.assert_allclose(out, numpy_simple_rnn(x, weights, normalization), atol=2e-5)


@pytest.mark.parametrize("normalization", ["batch_per_step", "batch_shared"])
def test_inference_uses_the_moving_statistics(normalization):
    """Random stored statistics (not the batch's): inference must use them, step by step."""
    layer, weights = random_layer(normalization)
    moving = {}
    for term, (mean, variance) in layer._moving.items():
        mean.assign(RNG.normal(size=mean.shape).astype("float32"))
        variance.assign(RNG.uniform(0.5, 2.0, size=variance.shape).astype("float32"))
        moving[term] = (mean.numpy().astype(np.float64), variance.numpy().astype(np.float64))
    x = RNG.normal(size=(5, 6, 3))
    out = layer(x.astype("float32"), training=False).numpy()
    expected = numpy_simple_rnn(x, weights, normalization, moving)
    np.testing.assert_allclose(out, expected, atol=2e-5)
    # and not the batch's own statistics
    assert not np.allclose(out, numpy_simple_rnn(x, weights, normalization), atol=1e-3)


def test_longer_sequences_reuse_the_last_steps_statistics():
    layer, weights = random_layer("batch_per_step")
    moving = {}
    for term, (mean, _variance) in layer._moving.items():
        mean.assign(RNG.normal(size=mean.shape).astype("float32"))
        moving[term] = (
            np.concatenate([mean.numpy(), np.repeat(mean.numpy()[-1:], 3, axis=0)]),
            np.ones((9, mean.shape[1])),
        )
    x = RNG.normal(size=(5, 9, 3))
    out = layer(x.astype("float32"), training=False).numpy()
    expected = numpy_simple_rnn(x, weights, "batch_per_step", moving)
    np.testing.assert_allclose(out, expected, atol=2e-5)


def test_per_step_moving_statistics_are_each_steps_own():
    """Momentum 0: one training pass stores each step's batch mean and variance of both
    terms, which the NumPy pass computes independently."""
    layer, weights = random_layer("batch_per_step", momentum=0.0)
    x = RNG.normal(size=(32, 6, 3))
    trained = layer(x.astype("float32"), training=True).numpy()
    kernel, recurrent, bias, scale_x, scale_h = weights
    h = np.zeros((32, 4))
    for t in range(6):
        x_term, h_term = x[:, t] @ kernel, h @ recurrent
        for term, value in (("x", x_term), ("h", h_term)):
            mean, variance = layer._moving[term]
            np.testing.assert_allclose(mean.numpy()[t], value.mean(axis=0), atol=2e-5)
            np.testing.assert_allclose(variance.numpy()[t], value.var(axis=0), rtol=1e-4, atol=1e-6)
        h = np.tanh(
            scale_x * standardise(x_term, x_term.mean(0), x_term.var(0))
            + scale_h * standardise(h_term, h_term.mean(0), h_term.var(0))
            + bias
        )
    np.testing.assert_allclose(
        layer(x.astype("float32"), training=False).numpy(), trained, atol=1e-4
    )


def test_momentum_update():
    layer, weights = random_layer("batch_per_step", momentum=0.9)
    x = RNG.normal(size=(32, 6, 3))
    layer(x.astype("float32"), training=True)
    _, variance_x = layer._moving["x"]
    expected = 0.9 * 1.0 + 0.1 * (x @ weights[0]).var(axis=0)
    np.testing.assert_allclose(variance_x.numpy(), expected, rtol=1e-4)


def test_plain_setting_is_keras_simple_rnn():
    layer, weights = random_layer(None, units=5, steps=7, features=2)
    keras_rnn = keras.layers.SimpleRNN(5)
    keras_rnn.build((None, 7, 2))
    keras_rnn.set_weights([w.astype("float32") for w in weights])
    x = RNG.normal(size=(8, 7, 2)).astype("float32")
    np.testing.assert_allclose(layer(x).numpy(), keras_rnn(x).numpy(), atol=1e-5)


def test_defaults():
    layer = NormalizedSimpleRNN(3, "batch_per_step")
    layer.build((None, 4, 2))
    assert np.allclose(layer.scale_x.numpy(), 0.1) and np.allclose(layer.scale_h.numpy(), 0.1)
    assert np.array_equal(layer.bias.numpy(), [0, 0, 0])
    assert {term: tuple(v[0].shape) for term, v in layer._moving.items()} == {
        "x": (4, 3),
        "h": (4, 3),
    }
    assert len(layer.trainable_weights) == 5 and len(layer.non_trainable_weights) == 4


@pytest.mark.parametrize(
    "builder, layer_name, normalization",
    [
        (build_normalized_simple_rnn_model, "rnn", "batch_per_step"),
        (build_normalized_simple_rnn_model, "rnn", "batch_shared"),
        (build_normalized_simple_rnn_model, "rnn", "layer"),
        (build_normalized_lstm_model, "lstm", "batch_per_step"),
    ],
)
# Keras' own saving code converts its variables with np.array(x, copy=False), which
# NumPy 2 warns about (inside Keras, not here).
@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")
def test_save_and_load(tmp_path, builder, layer_name, normalization):
    model = builder(5, 2, normalization, units=3, momentum=0.5)
    x = RNG.normal(size=(8, 5, 2)).astype("float32")
    model(x, training=True)  # moves the moving statistics away from their start
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    layer = loaded.get_layer(layer_name)
    assert type(layer) is type(model.get_layer(layer_name))
    assert layer.normalization == normalization and layer.momentum == 0.5
    for a, b in zip(model.weights, loaded.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), atol=1e-6)


def test_builder_names_and_gradients():
    model = build_normalized_simple_rnn_model(5, 2, "batch_per_step", units=3)
    assert tuple(model.output.shape) == (None, 1) and model.name == "SimpleRNN_batch_per_step"
    assert build_normalized_simple_rnn_model(5, 2).name == "SimpleRNN_plain"
    assert build_normalized_lstm_model(5, 2).name == "LSTM_plain"
    from gradcourse._tensorflow import tf

    x = RNG.normal(size=(4, 5, 2)).astype("float32")
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(model(x, training=True) ** 2)
    grads = tape.gradient(loss, model.trainable_variables)
    assert all(np.all(np.isfinite(g.numpy())) for g in grads)


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"units": 4, "normalization": "batch"}, ValueError, "one of"),
        ({"units": 4, "normalization": 1}, TypeError, "None or a string"),
        ({"units": 0}, ValueError, "units"),
        ({"units": "4"}, TypeError, "units"),
        ({"units": 1, "normalization": "layer"}, ValueError, "at least 2 units"),
        ({"units": 4, "epsilon": 0.0}, ValueError, "epsilon"),
        ({"units": 4, "momentum": 1.5}, ValueError, "momentum"),
    ],
)
def test_bad_arguments(kwargs, error, words):
    with pytest.raises(error, match=words):
        NormalizedSimpleRNN(**kwargs)


def test_bad_input_shape_and_length():
    with pytest.raises(ValueError, match="NormalizedSimpleRNN reads"):
        NormalizedSimpleRNN(3).build((None, 2))
    layer = NormalizedSimpleRNN(3, "batch_per_step")
    layer.build((None, 4, 2))
    with pytest.raises(ValueError, match="built length 4"):
        layer(np.zeros((2, 5, 2), "float32"), training=True)
    with pytest.raises(TypeError, match="name"):
        build_normalized_simple_rnn_model(4, 2, name=3)
    assert NormalizedLSTM.GATES == 4 and NormalizedSimpleRNN.GATES == 1
