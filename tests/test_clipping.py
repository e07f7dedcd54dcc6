import keras
import numpy as np
import pytest
import tensorflow as tf

from gradcourse.clipping import (
    clip_by_global_norm,
    clip_by_value,
    clip_each_by_norm,
    cosine_similarity,
    global_norm,
)
from gradcourse.monitoring import GradientLog, with_gradient_logging

GRADS = [np.array([[3.0, -4.0], [0.5, 0.0]]), np.array([12.0, -0.1])]


def test_global_norm_matches_tensorflow():
    assert global_norm(GRADS) == pytest.approx(
        float(tf.linalg.global_norm([tf.constant(g) for g in GRADS]))
    )


def test_clip_by_global_norm_matches_tensorflow_and_keeps_direction():
    clipped = clip_by_global_norm(GRADS, 2.0)
    expected, _ = tf.clip_by_global_norm([tf.constant(g) for g in GRADS], 2.0)
    for a, b in zip(clipped, expected, strict=True):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-12)
    assert global_norm(clipped) == pytest.approx(2.0)
    assert cosine_similarity(GRADS, clipped) == pytest.approx(1.0)


def test_small_gradients_are_never_scaled_up():
    small = [1e-6 * g for g in GRADS]
    for clip in (clip_by_global_norm, clip_each_by_norm):
        for a, b in zip(clip(small, 1.0), small, strict=True):
            np.testing.assert_array_equal(a, b)


def test_clip_each_by_norm_matches_tensorflow_per_variable():
    for a, g in zip(clip_each_by_norm(GRADS, 1.0), GRADS, strict=True):
        np.testing.assert_allclose(a, tf.clip_by_norm(tf.constant(g), 1.0).numpy(), rtol=1e-12)
    assert cosine_similarity(GRADS, clip_each_by_norm(GRADS, 1.0)) < 0.99


def test_clip_by_value_is_elementwise():
    clipped = clip_by_value(GRADS, 1.0)
    assert max(np.max(np.abs(c)) for c in clipped) == 1.0
    np.testing.assert_array_equal(clipped[0], [[1.0, -1.0], [0.5, 0.0]])


@pytest.mark.parametrize(
    "option, ours",
    [
        ("clipnorm", clip_each_by_norm),
        ("global_clipnorm", clip_by_global_norm),
        ("clipvalue", clip_by_value),
    ],
)
def test_keras_optimizers_clip_as_documented(option, ours):
    weights = [tf.Variable(np.zeros_like(g)) for g in GRADS]
    keras.optimizers.SGD(learning_rate=1.0, **{option: 1.0}).apply(
        [tf.constant(g) for g in GRADS], weights
    )
    for w, expected in zip(weights, ours(GRADS, 1.0), strict=True):
        np.testing.assert_allclose(-w.numpy(), expected, rtol=1e-6)


def _tiny_model():
    inputs = keras.Input(shape=(3,))
    return keras.Model(
        inputs, keras.layers.Dense(1)(keras.layers.Dense(4, activation="tanh")(inputs))
    )


def test_gradient_log_records_every_step_before_clipping():
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).standard_normal((64, 3)).astype(np.float32)
    y = (100.0 * x[:, :1]).astype(np.float32)  # large errors: large gradients
    model = with_gradient_logging(_tiny_model())
    model.compile(optimizer=keras.optimizers.SGD(1e-3, global_clipnorm=0.1), loss="mse")
    log = GradientLog()
    model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0, callbacks=[log])
    assert len(log.losses) == len(log.global_norms) == 8
    assert np.asarray(log.variable_norms).shape == (8, 4)
    assert min(log.global_norms) > 0.1  # recorded before clipping to 0.1
    assert log.first_nan_step is None
    # The first logged norm equals a hand computation on the first batch at the initial weights.
    keras.utils.set_random_seed(0)
    fresh = with_gradient_logging(_tiny_model())
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((fresh(x[:16]) - y[:16]) ** 2)
    expected = float(tf.linalg.global_norm(tape.gradient(loss, fresh.trainable_variables)))
    assert log.global_norms[0] == pytest.approx(expected, rel=1e-4)


def test_gradient_log_stops_at_the_first_nan():
    keras.utils.set_random_seed(0)
    x = np.ones((32, 3), np.float32)
    y = np.full((32, 1), np.nan, np.float32)
    model = with_gradient_logging(_tiny_model())
    model.compile(optimizer="sgd", loss="mse")
    log = GradientLog()
    model.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=[log])
    assert log.first_nan_step == 0 and len(log.losses) == 1


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda: global_norm(np.zeros(3)), TypeError),
        (lambda: global_norm([]), TypeError),
        (lambda: clip_by_global_norm(GRADS, 0.0), ValueError),
        (lambda: clip_each_by_norm(GRADS, -1.0), ValueError),
        (lambda: clip_by_value(GRADS, "1"), TypeError),
        (lambda: cosine_similarity(GRADS, GRADS[:1]), ValueError),
        (lambda: cosine_similarity([np.zeros(2)], [np.ones(2)]), ValueError),
        (lambda: with_gradient_logging("model"), TypeError),
    ],
)
def test_bad_input_is_rejected(call, error):
    with pytest.raises(error):
        call()


def test_gradient_log_needs_a_logging_model():
    model = _tiny_model()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(TypeError):
        model.fit(np.zeros((4, 3)), np.zeros((4, 1)), verbose=0, callbacks=[GradientLog()])
