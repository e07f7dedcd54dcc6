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


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: global_norm(np.zeros(3)), TypeError, "grads must be a non-empty list of arrays"),
        (lambda: global_norm([]), TypeError, "grads must be a non-empty list of arrays"),
        (lambda: clip_by_global_norm(GRADS, 0.0), ValueError, "max_norm must be > 0"),
        (lambda: clip_each_by_norm(GRADS, -1.0), ValueError, "max_norm must be > 0"),
        (lambda: clip_by_value(GRADS, "1"), TypeError, "value must be a real number"),
        (lambda: cosine_similarity(GRADS, GRADS[:1]), ValueError, "different sizes: 6 and 4"),
        (
            lambda: cosine_similarity([np.zeros(2)], [np.ones(2)]),
            ValueError,
            "undefined for a zero gradient",
        ),
    ],
)
def test_bad_input_is_rejected(call, error, match):
    with pytest.raises(error, match=match):
        call()
