"""The normalised LSTM: the plain setting against Keras' LSTM, every normalisation against a
NumPy LSTM written out from the papers' equations, the moving statistics, and bad input."""

import numpy as np
import pytest

from gradcourse._tensorflow import keras
from gradcourse.normalized_lstm import NormalizedLSTM, build_normalized_lstm_model

RNG = np.random.default_rng(24)
EPS = 1e-3


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def standardise(value, axis):
    mean = value.mean(axis=axis, keepdims=True)
    return (value - mean) / np.sqrt(value.var(axis=axis, keepdims=True) + EPS)


def numpy_lstm(x, weights, normalization):
    """Cooijmans et al. (2016) eq. 6-8 (batch statistics at each step), Ba et al. (2016)
    (statistics over the features), Laurent et al. (2016) (input term only, statistics over
    batch and steps), or the plain LSTM; gates in Keras' order i, f, c, o."""
    kernel, recurrent, bias, *norm = weights
    batch, steps, _ = x.shape
    units = recurrent.shape[0]
    h = c = np.zeros((batch, units))
    x_terms = x @ kernel
    if normalization == "batch_shared":
        x_terms = norm[0] * standardise(x_terms.reshape(-1, 4 * units), 0).reshape(x_terms.shape)
    axis = {"batch_per_step": 0, "layer": 1}.get(normalization)
    for t in range(steps):
        x_term, h_term = x_terms[:, t], h @ recurrent
        if axis is not None:
            x_term = norm[0] * standardise(x_term, axis)
            h_term = norm[1] * standardise(h_term, axis)
        z = x_term + h_term + bias
        i, f, g, o = np.split(z, 4, axis=1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        c_out = c if axis is None else norm[2] * standardise(c, axis) + norm[3]
        h = sigmoid(o) * np.tanh(c_out)
    return h


def random_layer(normalization, units=4, steps=6, features=3, **options):
    layer = NormalizedLSTM(units, normalization, **options)
    layer.build((None, steps, features))
    trainable = [RNG.normal(size=w.shape) * 0.7 for w in layer.trainable_weights]
    for variable, value in zip(layer.trainable_weights, trainable, strict=True):
        variable.assign(value.astype("float32"))
    return layer, [np.asarray(w.numpy(), np.float64) for w in layer.trainable_weights]


@pytest.mark.parametrize("normalization", [None, "batch_per_step", "batch_shared", "layer"])
def test_training_forward_pass_against_numpy(normalization):
    layer, weights = random_layer(normalization)
    x = RNG.normal(size=(16, 6, 3))
    out = layer(x.astype("float32"), training=True).numpy()
    np.testing.assert_allclose(out, numpy_lstm(x, weights, normalization), atol=2e-5)


def test_plain_setting_is_keras_lstm():
    layer, weights = random_layer(None, units=5, steps=7, features=2)
    keras_lstm = keras.layers.LSTM(5)
    keras_lstm.build((None, 7, 2))
    keras_lstm.set_weights([w.astype("float32") for w in weights])
    x = RNG.normal(size=(8, 7, 2)).astype("float32")
    np.testing.assert_allclose(layer(x).numpy(), keras_lstm(x).numpy(), atol=1e-5)


def test_defaults_scale_and_forget_bias():
    for normalization, scale in (("batch_per_step", 0.1), ("batch_shared", 0.1), ("layer", 1.0)):
        layer = NormalizedLSTM(3, normalization)
        layer.build((None, 4, 2))
        assert np.allclose(layer.scale_x.numpy(), scale)  # Cooijmans et al.: 0.1
    assert np.array_equal(layer.bias.numpy(), [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])


def test_per_step_moving_statistics_reproduce_the_training_pass():
    """With momentum 0 one training pass stores every step's own batch statistics; inference
    on the same batch then computes what training computed, step by step."""
    layer, weights = random_layer("batch_per_step", momentum=0.0)
    x = RNG.normal(size=(32, 6, 3)).astype("float32")
    trained = layer(x, training=True).numpy()
    mean_x, _ = layer._moving["x"]
    per_step = (x.astype(np.float64) @ weights[0]).mean(axis=0)  # (steps, 4 units)
    np.testing.assert_allclose(mean_x.numpy(), per_step, atol=1e-5)
    np.testing.assert_allclose(layer(x, training=False).numpy(), trained, atol=1e-4)


def test_shared_moving_statistics_are_one_set_for_all_steps():
    layer, weights = random_layer("batch_shared", momentum=0.0)
    x = RNG.normal(size=(32, 6, 3)).astype("float32")
    trained = layer(x, training=True).numpy()
    mean_x, _ = layer._moving["x"]
    assert tuple(mean_x.shape) == (16,)
    x_terms = x.astype(np.float64) @ weights[0]
    np.testing.assert_allclose(mean_x.numpy(), x_terms.mean(axis=(0, 1)), atol=1e-5)
    np.testing.assert_allclose(layer(x, training=False).numpy(), trained, atol=1e-4)


def test_momentum_update():
    layer, weights = random_layer("batch_per_step", momentum=0.9)
    x = RNG.normal(size=(32, 6, 3)).astype("float32")
    layer(x, training=True)
    _, variance_x = layer._moving["x"]
    expected = 0.9 * 1.0 + 0.1 * (x.astype(np.float64) @ weights[0]).var(axis=0)
    np.testing.assert_allclose(variance_x.numpy(), expected, rtol=1e-4)


def test_model_builder_and_gradients_are_finite():
    model = build_normalized_lstm_model(5, 2, "batch_per_step", units=3)
    assert tuple(model.output.shape) == (None, 1) and model.name == "LSTM_batch_per_step"
    x = RNG.normal(size=(4, 5, 2)).astype("float32")
    from gradcourse._tensorflow import tf

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
        ({"units": 1, "normalization": "layer"}, ValueError, "at least 2 units"),
        ({"units": 4, "epsilon": 0.0}, ValueError, "epsilon"),
    ],
)
def test_bad_arguments(kwargs, error, words):
    with pytest.raises(error, match=words):
        NormalizedLSTM(**kwargs)


def test_bad_input_shape():
    with pytest.raises(ValueError, match="batch, steps, features"):
        NormalizedLSTM(3).build((None, 2))
