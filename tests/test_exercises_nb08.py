"""Exercises of notebook 08, checked independently of their graders.

Each expected answer is recomputed here from first principles (a simulated ReLU RNN,
Keras' own clipping, matrix powers), never read from the grader's constants; then rounded
answers pass, each common mistake gets its own hint, and blanks are not attempted.
"""

import math

import numpy as np
import pytest

from gradcourse._tensorflow import keras, tf
from gradcourse.exercises import get_exercise, grade

RNG = np.random.default_rng(8)


def hint_of(key, answer):
    feedback = grade(key, answer)
    assert feedback.status == "hint", (key, answer, feedback)
    return feedback.message


def relu_mean_squared_gain(gain, n=400, steps=60, seed=0):
    """Per-step mean squared gain of a random vector sent back through a ReLU RNN, W = gain * Q."""
    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    W = gain * q * np.sign(np.diag(r))
    h, masks = np.zeros(n), []
    for _ in range(steps):  # drive with N(0, 1) inputs; record which units are active
        a = W @ h + rng.standard_normal(n)
        masks.append(a > 0)
        h = np.maximum(a, 0.0)
    v = rng.standard_normal(n)
    v /= np.linalg.norm(v)
    for mask in reversed(masks[10:]):  # dL/dh_(t-1) = W^T (f'(a_t) * dL/dh_t)
        v = W.T @ (mask * v)
    return np.linalg.norm(v) ** (2 / (steps - 10))


# ---------------------------------------------------------------------------------- 08.1
def test_08_1_the_edge_gain_measured_in_a_simulated_relu_rnn():
    edge = get_exercise("08.1").solution
    assert relu_mean_squared_gain(edge) == pytest.approx(1.0, abs=0.1)
    assert relu_mean_squared_gain(1.0) == pytest.approx(
        0.5, abs=0.07
    )  # Keras' default gain: chi = 1/2
    assert relu_mean_squared_gain(2.0) == pytest.approx(2.0, abs=0.25)


@pytest.mark.parametrize("answer", [1.41, 1.414, 1.4142, math.sqrt(2)])
def test_08_1_rounded_answers_pass(answer):
    assert grade("08.1", answer).status == "correct"


@pytest.mark.parametrize(
    "answer, words",
    [
        (1, "mask costs a factor"),
        (2, "g squared"),
        (0.707, "chi at 1/4"),
        (0.5, "the mask's share"),
        (1.42, "check the last digits"),
        (1.0e3, "Re-read"),
    ],
)
def test_08_1_hints(answer, words):
    assert words in hint_of("08.1", answer)


# ---------------------------------------------------------------------------------- 08.2
def test_08_2_keras_clipping_keeps_the_share_of_early_steps():
    # Two "contributions", one from an early step and one from a late one, clipped by Keras.
    early, late = np.full(3, 1e-6), np.full(3, 10.0)
    weights = [tf.Variable(np.zeros(3)), tf.Variable(np.zeros(3))]
    keras.optimizers.SGD(learning_rate=1.0, global_clipnorm=1.0).apply(
        [tf.constant(early), tf.constant(late)], weights
    )
    step_early, step_late = (-w.numpy() for w in weights)
    assert np.linalg.norm(step_late) == pytest.approx(1.0, rel=1e-6)  # it did clip
    assert np.linalg.norm(step_early) / np.linalg.norm(step_late) == pytest.approx(
        np.linalg.norm(early) / np.linalg.norm(late), rel=1e-6
    )
    assert grade("08.2", "unchanged").status == "correct"
    assert grade("08.2", " Unchanged ").status == "correct"


@pytest.mark.parametrize(
    "answer, words",
    [
        ("larger", "never by more than 1"),
        ("smaller", "scaled alike"),
        ("bigger", "Answer with one of"),
    ],
)
def test_08_2_hints(answer, words):
    assert words in hint_of("08.2", answer)


# ---------------------------------------------------------------------------------- 08.3
def closed_form_peak(r, c, max_power):
    """W^k = [[r^k, k c r^(k-1)], [0, r^k]]; the spectral norm of [[a, b], [0, a]] is
    (|b| + sqrt(b^2 + 4 a^2)) / 2."""
    best = 0.0
    for k in range(1, max_power + 1):
        a, b = r**k, k * c * r ** (k - 1)
        best = max(best, (abs(b) + math.sqrt(b * b + 4 * a * a)) / 2)
    return best


@pytest.mark.parametrize(
    "r, c, max_power",
    [(0.9, 3.0, 100), (0.5, 1.0, 10), (0.99, 0.5, 300), (0.8, 0.0, 20), (0.3, 5.0, 4)],
)
def test_08_3_reference_matches_the_closed_form(r, c, max_power):
    assert get_exercise("08.3").solution(r, c, max_power) == pytest.approx(
        closed_form_peak(r, c, max_power), rel=1e-9
    )


def test_08_3_the_notebook_example():
    assert closed_form_peak(0.9, 3.0, 100) == pytest.approx(11.6, abs=0.05)  # "about 11.6 at k = 9"
    norms = [closed_form_peak(0.9, 3.0, k) for k in range(1, 30)]
    assert int(np.argmax(np.diff(norms) <= 0)) + 1 == 9


def test_08_3_a_correct_learner_function_passes():
    def mine(r, c, max_power):
        W = np.array([[r, c], [0.0, r]])
        return max(np.linalg.norm(np.linalg.matrix_power(W, k), 2) for k in range(1, max_power + 1))

    assert grade("08.3", mine).status == "correct"


@pytest.mark.parametrize(
    "answer, words",
    [
        (lambda r, c, m: r, "spectral radius"),
        (lambda r, c, m: np.linalg.norm([[r, c], [0, r]], 2), "the peak comes later"),
        (
            lambda r, c, m: max(k * c * r ** (k - 1) for k in range(1, m + 1)),
            "also counts the diagonal",
        ),
        (
            lambda r, c, m: np.linalg.norm(
                np.linalg.matrix_power(np.array([[r, c], [0.0, r]]), m), 2
            ),
            "last power only",
        ),
    ],
)
def test_08_3_hints(answer, words):
    assert words in hint_of("08.3", answer)


def test_08_3_stub_and_bad_arguments():
    def stub(r, c, max_power):
        raise NotImplementedError

    assert grade("08.3", stub).status == "not attempted"
    solution = get_exercise("08.3").solution
    with pytest.raises(ValueError, match="max_power must be >= 1"):
        solution(0.9, 1.0, 0)
    with pytest.raises(TypeError, match="max_power must be an integer"):
        solution(0.9, 1.0, 2.5)
