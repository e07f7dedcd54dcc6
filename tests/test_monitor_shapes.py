"""GradientMonitor on the model shapes users train, checked against independent computations.

The references here share no code with ``gradcourse.monitoring`` or
``gradcourse.recurrent_states``: each layer's inputs come from a plain Keras sub-model
evaluated on the current weights, its states and gates from Keras' equations stepped in
NumPy (a masked step keeps the previous state), and gradients from a plain GradientTape.
"""

from __future__ import annotations

import gc
import warnings

import numpy as np
import pytest

from gradcourse._tensorflow import keras, tf
from gradcourse.layer_norm_rnn import LayerNormSimpleRNNCell
from gradcourse.monitoring import GradientMonitor

STEPS, FEATURES, UNITS, BATCH = 6, 3, 4, 16
MARGIN = 0.03  # |tanh| > 0.97, sigmoid within 0.03 of 0 or 1: the course's definition


def _sig(v):
    return 1 / (1 + np.exp(-v))


def _reference_states(cell, x, mask=None, backwards=False, h0=None):
    """Keras' cell equations stepped in float64; returns {state: (batch, time, units)}."""
    x = np.asarray(x, np.float64)
    batch, steps, _ = x.shape
    mask = np.ones((batch, steps), bool) if mask is None else np.asarray(mask, bool)
    order = range(steps - 1, -1, -1) if backwards else range(steps)
    k = np.asarray(cell.kernel, np.float64)
    r = np.asarray(cell.recurrent_kernel, np.float64)
    n = r.shape[0]
    h = np.zeros((batch, n)) if h0 is None else np.asarray(h0[0], np.float64)
    c = np.zeros((batch, n)) if h0 is None or len(h0) < 2 else np.asarray(h0[1], np.float64)
    out = {}
    for t in order:
        m = mask[:, t : t + 1]
        if isinstance(cell, keras.layers.LSTMCell):
            a = x[:, t] @ k + h @ r + np.asarray(cell.bias, np.float64)
            i, f, g, o = (a[:, j * n : (j + 1) * n] for j in range(4))
            i, f, o = _sig(i), _sig(f), _sig(o)
            c_new = f * c + i * np.tanh(g)
            h_new = o * np.tanh(c_new)
            gates = {"i": i, "f": f, "o": o}
            c = np.where(m, c_new, c)
        elif isinstance(cell, keras.layers.GRUCell):
            b = np.asarray(cell.bias, np.float64)
            ai, ah = x[:, t] @ k + b[0], h @ r + b[1]
            z = _sig(ai[:, :n] + ah[:, :n])
            rr = _sig(ai[:, n : 2 * n] + ah[:, n : 2 * n])
            h_new = z * h + (1 - z) * np.tanh(ai[:, 2 * n :] + rr * ah[:, 2 * n :])
            gates = {"z": z, "r": rr}
        elif isinstance(cell, LayerNormSimpleRNNCell):
            a = x[:, t] @ k + h @ r
            a = (a - a.mean(1, keepdims=True)) / np.sqrt(a.var(1, keepdims=True) + cell.epsilon)
            h_new = np.tanh(np.asarray(cell.scale) * a + np.asarray(cell.bias))
            gates = {}
        else:  # SimpleRNNCell, tanh
            h_new = np.tanh(x[:, t] @ k + h @ r + np.asarray(cell.bias, np.float64))
            gates = {}
        h = np.where(m, h_new, h)
        for name, value in {**gates, "h": h_new}.items():
            out.setdefault(name, {})[t] = value
    return {name: np.stack([v[t] for t in range(steps)], axis=1) for name, v in out.items()}


def _saturated(values, kind, mask):
    values = np.asarray(values)
    hit = (
        np.abs(values) > 1 - MARGIN if kind == "tanh" else (values < MARGIN) | (values > 1 - MARGIN)
    )
    return hit[np.asarray(mask, bool)].mean()


def _last(monitor):
    return {key: values[-1] for key, values in monitor.history.saturation.items()}


def _fit(model, x, y, epochs=2, **kwargs):
    monitor = GradientMonitor(x, y, every=1)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss=kwargs.pop("loss", "mse"))
    model.fit(x, y, epochs=epochs, batch_size=8, verbose=0, callbacks=[monitor], **kwargs)
    return monitor


def _data(seed=0, scale=3.0):
    rng = np.random.default_rng(seed)
    x = (scale * rng.normal(size=(BATCH, STEPS, FEATURES))).astype(np.float32)
    return x, rng.normal(size=(BATCH, 1)).astype(np.float32)


def _inputs_of(model, layer, x):
    """A layer's input on the current model: a plain Keras sub-model, evaluated now."""
    return np.asarray(keras.Model(model.inputs, layer.input)([x]))


def _check_layer(monitor, key_prefix, cell, x, mask=None, backwards=False, h0=None):
    states = _reference_states(cell, x, mask, backwards, h0)
    mask = np.ones(x.shape[:2], bool) if mask is None else mask
    recorded = _last(monitor)
    checked = 0
    for name, values in states.items():
        if name == "h" and isinstance(cell, keras.layers.LSTMCell | keras.layers.GRUCell):
            continue
        key = f"{key_prefix}/{name} gate" if name != "h" else f"{key_prefix}/h (tanh)"
        expected = _saturated(values, "tanh" if name == "h" else "sigmoid", mask)
        assert recorded[key] == pytest.approx(expected, abs=1.5 / mask.sum() / UNITS), key
        checked += 1
    assert checked


def test_stacked_layers_use_their_inputs_on_the_current_model():
    keras.utils.set_random_seed(0)
    x, y = _data()
    first = keras.layers.LSTM(UNITS, return_sequences=True, name="first")
    big = keras.initializers.RandomNormal(stddev=4.0)  # so that some gates saturate
    second = keras.layers.LSTM(UNITS, kernel_initializer=big, name="second")
    model = keras.Sequential([keras.Input((STEPS, FEATURES)), first, second, keras.layers.Dense(1)])
    monitor = _fit(model, x, y, epochs=3)
    _check_layer(monitor, "first", first.cell, x)
    _check_layer(monitor, "second", second.cell, _inputs_of(model, second, x))
    history = monitor.history
    assert len(history.saturation["second/f gate"]) == len(history.steps) == 6
    # the second layer's saturation changes between records: its inputs are not frozen
    assert len(set(history.saturation["second/i gate"])) > 1


def test_gradients_match_a_plain_gradient_tape():
    keras.utils.set_random_seed(1)
    x, y = _data(1)
    model = keras.Sequential(
        [keras.Input((STEPS, FEATURES)), keras.layers.GRU(UNITS), keras.layers.Dense(1)]
    )
    monitor = _fit(model, x, y)
    with tf.GradientTape() as tape:
        xt = tf.constant(x)
        tape.watch(xt)
        loss = tf.reduce_mean(tf.square(model(xt) - y))
    grads = tape.gradient(loss, [*model.trainable_variables, xt])
    norms = [np.linalg.norm(g) for g in grads[:-1]]
    np.testing.assert_allclose(monitor.history.variable_norms[-1], norms, rtol=1e-4)
    over_time = np.sqrt(np.sum(np.asarray(grads[-1]) ** 2, axis=(0, 2)))
    np.testing.assert_allclose(monitor.history.gradient_over_time[2], over_time, rtol=1e-4)
    assert monitor.history.probe_losses[-1] == pytest.approx(float(loss), rel=1e-5)


def test_encoder_decoder_with_repeat_vector_and_with_initial_state():
    keras.utils.set_random_seed(2)
    x, _ = _data(2)
    labels = np.random.default_rng(2).integers(0, 5, size=(BATCH, STEPS))
    encoder = keras.layers.LSTM(UNITS, name="encoder")
    decoder = keras.layers.LSTM(UNITS, return_sequences=True, name="decoder")
    model = keras.Sequential(
        [
            keras.Input((STEPS, FEATURES)),
            encoder,
            keras.layers.RepeatVector(STEPS),
            decoder,
            keras.layers.TimeDistributed(keras.layers.Dense(5, activation="softmax")),
        ]
    )
    monitor = _fit(model, x, labels, loss="sparse_categorical_crossentropy")
    _check_layer(monitor, "decoder", decoder.cell, _inputs_of(model, decoder, x))
    # a decoder started from the encoder's states (Keras' seq2seq example)
    inputs = keras.Input((STEPS, FEATURES))
    _, h, c = keras.layers.LSTM(UNITS, return_state=True, name="enc")(inputs)
    decoded = keras.layers.GRU(UNITS, return_sequences=True, name="dec")(inputs, initial_state=h)
    model = keras.Model(inputs, keras.layers.Dense(5, activation="softmax")(decoded))
    monitor = _fit(model, x, labels, loss="sparse_categorical_crossentropy")
    h0 = keras.Model(inputs, h)(x)
    _check_layer(monitor, "dec", model.get_layer("dec").cell, x, h0=[h0])
    del c


def test_bidirectional_reports_both_directions_by_name():
    keras.utils.set_random_seed(3)
    x, y = _data(3)
    bidirectional = keras.layers.Bidirectional(
        keras.layers.GRU(UNITS, return_sequences=True), name="bi"
    )
    top = keras.layers.SimpleRNN(UNITS, name="top")
    model = keras.Sequential(
        [keras.Input((STEPS, FEATURES)), bidirectional, top, keras.layers.Dense(1)]
    )
    monitor = _fit(model, x, y)
    _check_layer(monitor, "bi/forward", bidirectional.forward_layer.cell, x)
    _check_layer(monitor, "bi/backward", bidirectional.backward_layer.cell, x, backwards=True)
    _check_layer(monitor, "top", top.cell, _inputs_of(model, top, x))
    only = keras.Sequential(
        [
            keras.Input((STEPS, FEATURES)),
            keras.layers.Bidirectional(keras.layers.LSTM(UNITS)),
            keras.layers.Dense(1),
        ]
    )
    keys = _fit(only, x, y, epochs=1).history.saturation
    assert {k.split("/")[1] for k in keys} == {"forward", "backward"}


@pytest.mark.parametrize(
    "cell",
    [
        lambda: keras.layers.SimpleRNNCell(UNITS),
        lambda: keras.layers.LSTMCell(UNITS),
        lambda: keras.layers.GRUCell(UNITS),
        lambda: LayerNormSimpleRNNCell(UNITS),
    ],
    ids=["SimpleRNNCell", "LSTMCell", "GRUCell", "LayerNormSimpleRNNCell"],
)
def test_rnn_of_a_cell(cell):
    keras.utils.set_random_seed(4)
    x, y = _data(4)
    layer = keras.layers.RNN(cell(), name="wrapped")
    model = keras.Sequential([keras.Input((STEPS, FEATURES)), layer, keras.layers.Dense(1)])
    monitor = _fit(model, x, y)
    _check_layer(monitor, "wrapped", layer.cell, x)


def _padded(seed, lengths):
    rng = np.random.default_rng(seed)
    x = 3 * rng.normal(size=(BATCH, STEPS, FEATURES)).astype(np.float32)
    mask = np.arange(STEPS)[None, :] >= STEPS - np.asarray(lengths)[:, None]  # pre-padding
    x[~mask] = 0.0
    return x, mask


def test_masking_leaves_padded_steps_out():
    keras.utils.set_random_seed(5)
    lengths = np.resize([2, 3, 4, 1], BATCH)  # steps 0 and 1: padding everywhere
    x, mask = _padded(5, lengths)
    y = np.random.default_rng(5).normal(size=(BATCH, 1)).astype(np.float32)
    lstm = keras.layers.LSTM(UNITS, name="lstm")
    model = keras.Sequential(
        [keras.Input((STEPS, FEATURES)), keras.layers.Masking(0.0), lstm, keras.layers.Dense(1)]
    )
    monitor = _fit(model, x, y)
    _check_layer(monitor, "lstm", lstm.cell, x, mask)
    history = monitor.history
    np.testing.assert_allclose(history.unmasked_fraction[2], mask.mean(axis=0))
    with tf.GradientTape() as tape:
        xt = tf.constant(x)
        tape.watch(xt)
        loss = tf.reduce_mean(tf.square(model(xt) - y))
    g = np.asarray(tape.gradient(loss, xt))
    expected = np.sqrt(np.sum((g**2).sum(-1) * mask, axis=0))
    curve = history.gradient_over_time[2]
    assert np.isnan(curve[:2]).all() and np.isfinite(curve[2:]).all()  # shown as masked
    np.testing.assert_allclose(curve[2:], expected[2:], rtol=1e-4)


def test_embedding_with_mask_zero_takes_the_gradient_at_the_embedding_output():
    keras.utils.set_random_seed(6)
    rng = np.random.default_rng(6)
    tokens = rng.integers(1, 20, size=(BATCH, STEPS))
    tokens[:, :2] = 0  # padding
    tokens[::2, 2] = 0
    y = rng.normal(size=(BATCH, 1)).astype(np.float32)
    embedding = keras.layers.Embedding(20, FEATURES, mask_zero=True)
    gru = keras.layers.GRU(UNITS, name="gru")
    dense = keras.layers.Dense(1)
    model = keras.Sequential([keras.Input((STEPS,), dtype="int32"), embedding, gru, dense])
    monitor = _fit(model, tokens, y)
    mask = tokens != 0
    vectors = np.asarray(embedding(tokens))
    _check_layer(monitor, "gru", gru.cell, vectors, mask)
    with tf.GradientTape() as tape:
        e = tf.constant(vectors)
        tape.watch(e)
        loss = tf.reduce_mean(tf.square(dense(gru(e, mask=tf.constant(mask))) - y))
    g = np.asarray(tape.gradient(loss, e))
    expected = np.sqrt(np.sum((g**2).sum(-1) * mask, axis=0))
    curve = monitor.history.gradient_over_time[2]
    assert np.isnan(curve[:2]).all() and "'gru'" in monitor.history.time_input
    np.testing.assert_allclose(curve[2:], expected[2:], rtol=1e-4)


def test_two_branches_of_a_functional_model_and_a_dataset_with_validation():
    keras.utils.set_random_seed(7)
    x, y = _data(7)
    inputs = keras.Input((STEPS, FEATURES))
    left = keras.layers.LSTM(UNITS, name="left")(inputs)
    right = keras.layers.SimpleRNN(UNITS, name="right")(inputs)
    model = keras.Model([inputs], keras.layers.Dense(1)(keras.layers.Concatenate()([left, right])))
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
    monitor = GradientMonitor(x, y, every=1)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*structure of `inputs`")  # none from the monitor
        model.fit(
            data, validation_data=data, epochs=2, verbose=0, shuffle=False, callbacks=[monitor]
        )
    _check_layer(monitor, "left", model.get_layer("left").cell, x)
    _check_layer(monitor, "right", model.get_layer("right").cell, x)
    assert monitor.history.steps == [0, 1, 2, 3]


def test_repeated_fits_continue_one_history():
    keras.utils.set_random_seed(8)
    x, y = _data(8)
    model = keras.Sequential(
        [keras.Input((STEPS, FEATURES)), keras.layers.LSTM(UNITS), keras.layers.Dense(1)]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    monitor = GradientMonitor(x, y, every=1)
    seconds = []
    for _ in range(3):
        model.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[monitor])
        seconds.append(monitor.history.training_seconds)
    history = monitor.history
    assert history.steps == list(range(6)) and history.epochs == [0, 0, 1, 1, 2, 2]
    assert sorted(history.gradient_over_time) == [0, 1, 2, 3] and history.fits == 3
    assert seconds[0] < seconds[1] < seconds[2]
    assert 0 <= history.compile_seconds < history.monitor_seconds < history.training_seconds


@pytest.mark.parametrize(
    "layer, name",
    [
        (
            lambda: keras.layers.RNN(
                keras.layers.StackedRNNCells([keras.layers.LSTMCell(2), keras.layers.LSTMCell(2)]),
                name="stacked",
            ),
            "stacked",
        ),
        (
            lambda: keras.layers.Bidirectional(
                keras.layers.RNN(keras.layers.StackedRNNCells([keras.layers.GRUCell(2)])),
                name="bi_stacked",
            ),
            "bi_stacked",
        ),
    ],
)
def test_unsupported_layers_are_named(layer, name):
    x, y = _data()
    model = keras.Sequential([keras.Input((STEPS, FEATURES)), layer(), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(TypeError, match=rf"cannot watch layer '{name}'.*supports SimpleRNN"):
        model.fit(x, y, verbose=0, callbacks=[GradientMonitor(x, y)])


def test_time_distributed_recurrent_layer_is_refused():
    x = np.zeros((4, 2, STEPS, FEATURES), np.float32)
    y = np.zeros((4, 2, 1), np.float32)
    model = keras.Sequential(
        [
            keras.Input((2, STEPS, FEATURES)),
            keras.layers.TimeDistributed(keras.layers.LSTM(2), name="td"),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(TypeError, match="cannot watch layer 'td'"):
        model.fit(x, y, verbose=0, callbacks=[GradientMonitor(x, y)])


def test_the_runner_cache_forgets_deleted_layers_and_never_mixes_them_up():
    from gradcourse.recurrent_states import _SEQUENCE_RUNNERS, recurrent_states

    x = np.random.default_rng(9).normal(size=(2, STEPS, FEATURES))
    before = len(_SEQUENCE_RUNNERS)
    results = []
    for seed in (0, 1):
        keras.utils.set_random_seed(seed)
        layer = keras.layers.SimpleRNN(UNITS)
        layer(x.astype(np.float32))
        results.append((recurrent_states(layer, x)["h"], _reference_states(layer.cell, x)["h"]))
        del layer
        gc.collect()
    for got, expected in results:
        np.testing.assert_allclose(got, expected, atol=1e-5)
    assert len(_SEQUENCE_RUNNERS) <= before + 1  # the deleted layer's runner went with it


@pytest.mark.parametrize(
    "loss, y, expected",
    [
        ("mse", np.array([[1.0], [3.0]]), 1.0),  # predicting the mean 2: errors of 1
        ("sparse_categorical_crossentropy", np.array([0, 0, 1, 1]), np.log(2)),
        (
            keras.losses.BinaryCrossentropy(),
            np.array([[1.0], [0.0], [0.0], [0.0]]),
            -(0.25 * np.log(0.25) + 0.75 * np.log(0.75)),
        ),
        ("categorical_crossentropy", np.eye(4)[[0, 1, 2, 3]], np.log(4)),
        ("mae", np.array([[1.0], [3.0]]), None),  # not known: the learning check stays quiet
    ],
)
def test_the_constant_prediction_loss(loss, y, expected):
    x = np.zeros((len(y), STEPS, FEATURES), np.float32)
    units = y.shape[1] if y.ndim == 2 else 2
    model = keras.Sequential(
        [keras.Input((STEPS, FEATURES)), keras.layers.GRU(2), keras.layers.Dense(units)]
    )
    model.compile(optimizer="sgd", loss=loss)
    monitor = GradientMonitor(x, y, every=1)
    model.fit(x, y, epochs=1, batch_size=len(y), verbose=0, callbacks=[monitor])
    if expected is None:
        assert np.isnan(monitor.history.constant_loss)
    else:
        assert monitor.history.constant_loss == pytest.approx(expected)
