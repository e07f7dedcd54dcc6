"""Every exercise, checked independently of its grader.

Each expected answer is recomputed here from first principles with NumPy (finite
differences, simulation, drawing and measuring a matrix), never read from the grader's
constants. Then: rounded answers pass at the precision the question asks for, one off in
the last digit fails, each common mistake gets its own hint, and blanks are not attempted.
"""

import functools
import math

import numpy as np
import pytest
from reference_math import bisect, central_difference, round_sig, sigmoid, slope

from gradcourse.exercises import all_exercises, get_exercise, grade

RNG = np.random.default_rng(2024)


def orthogonal(n, rng):
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def run_tanh_recurrence(w, h0, inputs):
    states, h = [], h0
    for x in inputs:
        h = np.tanh(w * h + x)
        states.append(h)
    return np.array(states)


def last_unit(x, digits):
    return 10.0 ** (math.floor(math.log10(abs(x))) - digits + 1)


def hint_of(key, answer):
    feedback = grade(key, answer)
    assert feedback.status == "hint", (key, answer, feedback)
    return feedback.message


# ============================================================ independent expected values
def expected_01_1():
    w, h_prev = 2.0, 0.1
    x = 0.5 - w * h_prev  # so that a_t = w h_(t-1) + x_t = 0.5
    return float(central_difference(lambda h: np.tanh(w * h + x), h_prev))


def expected_01_2():
    steps, gradient = 0, 1.0
    while gradient >= 1e-3:
        steps, gradient = steps + 1, gradient * 0.9
    return steps


def expected_02_1():
    x = np.linspace(-2, 2, 400_001)
    return float(np.max(slope(lambda z: sigmoid(3 * z), x)))


def saturated_fraction(s):
    """P(|tanh z| > 0.97) for z ~ N(0, s^2): P(|z| > t) = erfc(t / (s sqrt 2))."""
    threshold = bisect(lambda z: np.tanh(z) - 0.97, 0.0, 10.0)
    return math.erfc(threshold / (s * math.sqrt(2)))


def expected_02_2():
    return bisect(lambda s: saturated_fraction(s) - 0.05, 0.1, 10.0)


def gamma_sigmoid():
    a = np.linspace(-10, 10, 200_001)
    return float(np.max(slope(sigmoid, a)))


def expected_03_1():
    W = 2.0 * orthogonal(16, np.random.default_rng(0))  # largest singular value 2
    return (gamma_sigmoid() * np.linalg.norm(W, 2)) ** 10


def expected_03_2():
    return 1.0 / gamma_sigmoid()  # (gamma g)^T -> 0 exactly while gamma g < 1


@functools.lru_cache
def expected_04_1():
    # MSE of the best constant, by midpoint integration over (x1, x2) ~ U[0, 2]^2.
    grid = (np.arange(1000) + 0.5) / 1000 * 2.0
    sums = (grid[:, None] + grid[None, :]).ravel()
    constants = np.linspace(1.9, 2.1, 21)
    mses = [np.mean((sums - c) ** 2) for c in constants]
    assert constants[int(np.argmin(mses))] == pytest.approx(2.0)  # the best constant is the mean
    return float(min(mses))


def kept_after(f, steps=100):
    """Fraction of the cell state left after ``steps`` LSTM steps with input gate 0."""
    c = 1.0
    for _ in range(steps):
        c = f * c + 0.0 * np.tanh(1.0)  # c_t = f c_(t-1) + i g, with i = 0
    return c


def expected_04_2():
    return bisect(lambda f: kept_after(f) - 0.9, 0.9, 1.0)


def expected_05_3():
    g = np.array([3.0, 4.0])
    return float((g * min(1.0, 1.0 / np.linalg.norm(g)))[0])


NUMBER_EXERCISES = {  # key: (expected from first principles, significant digits asked)
    "01.1": (expected_01_1, 3),
    "02.1": (expected_02_1, 3),
    "02.2": (expected_02_2, 3),
    "03.1": (expected_03_1, 3),
    "03.2": (expected_03_2, 3),
    "04.1": (expected_04_1, 3),
    "04.2": (expected_04_2, 4),  # see lstm.py: 90% pins f to 4 digits
    "05.3": (expected_05_3, 3),
}


@pytest.mark.parametrize("key", NUMBER_EXERCISES)
def test_number_exercise_expected_value_is_right(key):
    compute, digits = NUMBER_EXERCISES[key]
    value = compute()
    assert grade(key, value).status == "correct"
    assert get_exercise(key).solution == pytest.approx(value, rel=1e-5)


@pytest.mark.parametrize("key", NUMBER_EXERCISES)
def test_number_exercise_accepts_rounding_and_rejects_the_next_digit(key):
    compute, digits = NUMBER_EXERCISES[key]
    value = compute()
    rounded, unit = round_sig(value, digits), last_unit(value, digits)
    assert grade(key, rounded).status == "correct", rounded
    for neighbour in (rounded - unit, rounded + unit):
        assert grade(key, neighbour).status == "hint", neighbour


def test_01_2_count_is_exact():
    steps = expected_01_2()
    assert 0.9 ** (steps - 1) >= 1e-3 > 0.9**steps
    assert grade("01.2", steps).status == grade("01.2", float(steps)).status == "correct"
    assert grade("01.2", steps - 1).status == grade("01.2", steps + 1).status == "hint"


def test_03_1_bound_holds_for_a_real_sigmoid_rnn():
    rng = np.random.default_rng(1)
    W = 2.0 * orthogonal(16, rng)
    h, jacobian = np.zeros(16), np.eye(16)
    for _ in range(10):
        a = W @ h + rng.standard_normal(16)
        h = sigmoid(a)
        jacobian = np.diag(h * (1 - h)) @ W @ jacobian
    assert np.linalg.norm(jacobian, 2) <= expected_03_1()


def test_04_1_monte_carlo_agrees():
    sums = RNG.uniform(0, 2, size=(2, 1_000_000)).sum(axis=0)
    assert np.mean((sums - sums.mean()) ** 2) == pytest.approx(expected_04_1(), rel=5e-3)


def test_04_2_three_digits_would_not_keep_ninety_percent():
    assert abs(kept_after(round_sig(expected_04_2(), 4)) - 0.9) < 0.005  # "90%" holds
    assert abs(kept_after(0.998) - 0.9) > 0.05 and abs(kept_after(0.999) - 0.9) > 0.004


# 06.1: "about which s" -- draw the matrix and measure it.
def sigma_max_of_gaussian(s, draws=10, n=256, seed=0):
    rng = np.random.default_rng(seed)
    return np.array([np.linalg.norm(rng.normal(0.0, s, (n, n)), 2) for _ in range(draws)])


def test_06_1_measured_scale_is_accepted():
    s = 0.03125
    measured = sigma_max_of_gaussian(s, draws=20)
    assert np.all(np.abs(measured - 1) < 0.05)  # s puts sigma_max at about 1
    for answer in s / measured:  # what a learner who measures one matrix would answer
        assert grade("06.1", round_sig(answer, 3)).status == "correct", answer
    for answer in (0.0312, 0.0313, 0.031):
        assert grade("06.1", answer).status == "correct", answer


def test_06_1_rejects_scales_that_miss_one():
    for answer in (0.029, 0.034, 0.04):
        assert np.all(np.abs(sigma_max_of_gaussian(answer, draws=3) - 1) > 0.05)
        assert grade("06.1", answer).status == "hint", answer


# ============================================================ hints of the number exercises
NUMBER_HINTS = [
    ("01.1", 0.786, "multiplies by d a_t"),  # forgot w
    ("01.1", 1.5, "not 1 - a^2"),  # tanh'(a) taken as 1 - a^2
    ("01.1", 0.924, "w * tanh(a)"),  # tanh instead of tanh'
    ("01.2", 65, "still just above"),  # off by one, low
    ("01.2", 67, "already below"),  # off by one, high
    ("01.2", 65.56, "round up"),  # log ratio not rounded
    ("01.2", 65.4, "whole number"),
    ("02.1", 0.25, "adds a factor 3"),
    ("02.1", 3, "at most 1/4"),
    ("02.1", 0.0833, "does not divide"),
    ("02.1", 0.5, "function's value"),
    ("02.2", 2.09, "threshold on z"),
    ("02.2", 1.27, "two-sided"),
    ("02.2", 0.495, "bounds tanh(z)"),
    ("03.1", 1024, "sigmoid'"),
    ("03.1", 9.54e-7, "||W_hh||"),
    ("03.1", 5, "use a power"),
    ("03.1", 0.00195, "10 factors"),  # off by one
    ("03.1", 0.000488, "10 factors"),
    ("03.2", 1, "threshold for tanh"),
    ("03.2", 0.25, "1/gamma"),
    ("04.1", 0.167, "U[0, 1]"),
    ("04.1", 0.333, "variances add"),
    ("04.1", 1.33, "not uniform"),
    ("04.1", 0.816, "standard deviation"),
    ("04.1", 2, "best constant itself"),
    ("04.2", 0.9, "not f = 0.9"),
    ("04.2", 0.999, "first-order"),
    ("04.2", 0.9772, "kept, not lost"),
    ("04.2", 2.656e-5, "solve f^100"),
    ("05.3", 1, "clipvalue"),
    ("05.3", 3, "must be rescaled"),
    ("05.3", 0.12, "not by its square"),
    ("05.3", 0.8, "second component"),
    ("05.3", 0.2, "common scale"),
    ("06.1", 0.0625, "spectral radius"),
    ("06.1", 0.0039, "sqrt(n), not n"),
    ("06.1", 0.05, "Keras' default"),
]


@pytest.mark.parametrize("key, answer, expected_text", NUMBER_HINTS)
def test_number_hint_for_a_common_mistake(key, answer, expected_text):
    assert expected_text in hint_of(key, answer)


def test_06_1_hints_are_what_the_mistakes_measure():
    assert sigma_max_of_gaussian(0.0625, draws=2).mean() == pytest.approx(
        2.0, rel=0.05
    )  # 1/sqrt(n)
    assert sigma_max_of_gaussian(0.05, draws=2).mean() == pytest.approx(
        1.6, rel=0.05
    )  # Keras' default


# ============================================================ choice exercises
def test_04_3_neither_gradient_reaches_the_first_step_at_initialisation():
    """A Keras-initialised SimpleRNN and LSTM (32 units) on an adding-problem sequence of
    length 60 (notebook 04's): ||dh_T/dx_0|| / ||dh_T/dx_(T-1)||, by complex-step
    differentiation (exact even for tiny derivatives); the question asks for 1/10 or more."""
    rng, units, length = np.random.default_rng(0), 32, 60
    values, markers = rng.uniform(size=length), np.zeros(length)
    markers[[rng.integers(length // 2), length // 2 + rng.integers(length // 2)]] = 1.0
    x = np.stack([values, markers], axis=1)

    def glorot(fan_in, fan_out):
        limit = math.sqrt(6 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, (fan_in, fan_out))

    W_x, W_h = glorot(2, units), orthogonal(units, rng)

    def simple_rnn(xs):
        h = np.zeros(units, dtype=xs.dtype)
        for x_t in xs:
            h = np.tanh(x_t @ W_x + h @ W_h)
        return h

    # Keras' Orthogonal for a (32, 128) kernel: orthonormal rows.
    K_x, K_h = glorot(2, 4 * units), orthogonal(4 * units, rng)[:units]
    bias = np.zeros(4 * units)
    bias[units : 2 * units] = 1.0  # unit_forget_bias: forget gates start near sigmoid(1) = 0.73

    def lstm(xs):
        h = c = np.zeros(units, dtype=xs.dtype)
        for x_t in xs:
            z = x_t @ K_x + h @ K_h + bias
            i, f, o = sigmoid(z[:units]), sigmoid(z[units : 2 * units]), sigmoid(z[3 * units :])
            c = f * c + i * np.tanh(z[2 * units : 3 * units])
            h = o * np.tanh(c)
        return h

    def input_gradient_norm(model, step, eps=1e-30):
        columns = []
        for feature in range(2):
            xs = x.astype(complex)
            xs[step, feature] += 1j * eps
            columns.append(model(xs).imag / eps)
        return np.linalg.norm(columns)

    for model in (simple_rnn, lstm):
        assert input_gradient_norm(model, 0) < 0.1 * input_gradient_norm(model, length - 1), (
            model.__name__
        )
    assert grade("04.3", "neither").status == "correct"


def test_05_2_only_global_norm_clipping_keeps_the_direction():
    grads = [np.array([3.0, 0.5]), np.array([[0.1, -0.2], [0.05, 0.0]])]
    flat = np.concatenate([g.ravel() for g in grads])

    def cosine(clipped):
        v = np.concatenate([g.ravel() for g in clipped])
        return v @ flat / np.linalg.norm(v) / np.linalg.norm(flat)

    by_value = [np.clip(g, -1, 1) for g in grads]
    each_by_norm = [g * min(1, 1 / np.linalg.norm(g)) for g in grads]
    by_global_norm = [g * min(1, 1 / np.linalg.norm(flat)) for g in grads]
    assert cosine(by_value) < 0.99 and cosine(each_by_norm) < 0.99
    assert cosine(by_global_norm) == pytest.approx(1.0)
    assert grade("05.2", "global_clipnorm").status == "correct"


def test_06_2_a_large_singular_value_allows_but_does_not_force_growth():
    rng, n = np.random.default_rng(0), 256
    limit = math.sqrt(6 / (n + n))  # glorot_uniform
    W = rng.uniform(-limit, limit, (n, n))
    assert np.abs(W).max() < 1 < np.linalg.norm(W, 2) == pytest.approx(2.0, rel=0.05)  # B's premise
    singular = np.linalg.svd(W, compute_uv=False)
    assert np.mean(singular < 1) > 0.5  # C's premise: most singular values are below one ...
    assert np.mean(singular**2) == pytest.approx(1.0, rel=0.05)  # ... yet on average neutral

    def jacobian_norm(input_scale):
        h, jacobian = np.zeros(n), np.eye(n)
        for _ in range(100):
            h = np.tanh(W @ h + input_scale * rng.standard_normal(n))
            jacobian = (1 - h**2)[:, None] * W @ jacobian
        return np.linalg.norm(jacobian, 2)

    assert jacobian_norm(1.0) < 1e-6  # with saturating inputs the gradient vanished anyway (A) ...
    assert jacobian_norm(0.0) > 1.0  # ... although without them the same W grows (not C)
    assert grade("06.2", "A").status == "correct"


CHOICE_HINTS = [
    ("04.3", "LSTM", "dashed LSTM curve"),
    ("04.3", "SimpleRNN", "orders of magnitude"),
    ("04.3", "both", "compare"),
    ("05.2", "clipvalue", "element"),
    ("05.2", "clipnorm", "its own factor"),
    ("06.2", "B", "scalar intuition"),
    ("06.2", "C", "does not decide a product"),
]


@pytest.mark.parametrize("key, answer, expected_text", CHOICE_HINTS)
def test_choice_hint_for_each_wrong_choice(key, answer, expected_text):
    assert expected_text in hint_of(key, answer)
    assert expected_text in hint_of(key, f"  {answer.upper()} ")  # case and spaces do not matter


@pytest.mark.parametrize(
    "key, correct", [("04.3", "Neither"), ("05.2", "GLOBAL_CLIPNORM"), ("06.2", "a")]
)
def test_choice_correct_and_invalid(key, correct):
    assert grade(key, correct).status == "correct"
    assert hint_of(key, "maybe").startswith("Answer with one of")
    assert hint_of(key, 1).startswith("Answer with one of")


# ============================================================ function exercises
def test_01_3_matches_finite_differences_on_each_input():
    for w in (0.9, 1.6, -1.1):
        inputs = 0.5 * RNG.standard_normal(8)
        states = run_tanh_recurrence(w, 0.0, inputs)
        for t in range(1, 9):

            def last_state(x_t, w=w, t=t, inputs=inputs):  # h_T as a function of x_t alone
                return run_tanh_recurrence(
                    w, 0.0, np.concatenate([inputs[: t - 1], [x_t], inputs[t:]])
                )[-1]

            by_differences = central_difference(last_state, inputs[t - 1])
            assert get_exercise("01.3").solution(w, states, t) == pytest.approx(
                by_differences, rel=1e-6, abs=1e-12
            )

    def learner(w, states, t):
        gradient = 1 - states[t - 1] ** 2
        for h in states[t:]:
            gradient *= w * (1 - h**2)
        return gradient

    assert grade("01.3", learner).status == "correct"


def backward_by_differences(activation, d_h, a, W_hh):
    """dL/dh_(t-1) for L = d_h . f(W_hh h_(t-1) + c), with h_(t-1) and c chosen so that the
    pre-activation is a."""
    h_prev = RNG.standard_normal(len(a))
    c = a - W_hh @ h_prev
    return central_difference(lambda h: d_h @ activation(W_hh @ h + c), h_prev)


def test_03_3_matches_finite_differences():
    for _ in range(3):
        d_h, a, W = RNG.standard_normal(5), 2 * RNG.standard_normal(5), RNG.standard_normal((5, 5))
        expected = backward_by_differences(sigmoid, d_h, a, W)
        assert np.allclose(
            get_exercise("03.3").solution(d_h, sigmoid(a), W), expected, rtol=1e-6, atol=1e-9
        )
    assert grade("03.3", lambda d_h, h, W_hh: W_hh.T @ (d_h * (h - h * h))).status == "correct"


def test_05_1_matches_a_simulated_keras_sgd():
    def simulate(learning_rate, max_norm, momentum, steps, gradients):
        velocity = np.zeros(3)
        for g in gradients[:steps]:
            g = g * min(1.0, max_norm / np.linalg.norm(g))  # global_clipnorm
            velocity = momentum * velocity - learning_rate * g
        return np.linalg.norm(velocity)

    largest_step = get_exercise("05.1").solution
    for args in [
        (0.01, 1.0, 0.9, 30),
        (0.1, 2.0, 0.5, 3),
        (0.05, 0.5, 0.99, 200),
        (1.0, 1.0, 0.0, 5),
    ]:
        aligned = [np.array([5.0, 0.0, 0.0])] * args[
            3
        ]  # every clipped gradient the same way: the worst case
        assert largest_step(*args) == pytest.approx(simulate(*args, aligned))
        for _ in range(5):
            random = list(RNG.standard_normal((args[3], 3)) * 10)
            assert simulate(*args, random) <= largest_step(*args) * (1 + 1e-12)
    assert grade("05.1", lambda lr, c, m, k: lr * c * (1 - m**k) / (1 - m)).status == "correct"


FUNCTION_HINTS = [
    ("01.3", lambda w, s, t: np.prod(w * (1 - s[t - 1 :] ** 2)), "no factor w"),  # off by one
    ("01.3", lambda w, s, t: np.prod(w * (1 - s[t:] ** 2)), "dh_T/dh_t"),
    ("01.3", lambda w, s, t: (1 - s[t] ** 2) * np.prod(w * (1 - s[t + 1 :] ** 2)), "states[t - 1]"),
    ("01.3", lambda w, s, t: np.prod(w * (1 - s**2)), "dh_T/dh_0"),
    ("03.3", lambda d_h, h, W: (d_h * (1 - h**2)) @ W, "tanh's derivative"),
    (
        "03.3",
        lambda d_h, h, W: (d_h * sigmoid(h) * (1 - sigmoid(h))) @ W,
        "without applying sigmoid again",
    ),
    ("03.3", lambda d_h, h, W: (d_h * h * (1 - h)) @ W.T, "not d_a @ W_hh.T"),
    ("03.3", lambda d_h, h, W: d_h @ W, "h (1 - h) is missing"),
    ("05.1", lambda lr, c, m, k: lr * c, "momentum keeps adding"),
    ("05.1", lambda lr, c, m, k: lr * c / (1 - m), "limit for many steps"),
    (
        "05.1",
        lambda lr, c, m, k: lr * c * (1 - m ** (k + 1)) / (1 - m),
        "k gradients",
    ),  # off by one
    ("05.1", lambda lr, c, m, k: c * (1 - m**k) / (1 - m), "learning rate"),
]


@pytest.mark.parametrize("key, answer, expected_text", FUNCTION_HINTS)
def test_function_hint_for_a_common_mistake(key, answer, expected_text):
    assert expected_text in hint_of(key, answer)


def _mutating_answers():
    yield "01.3", lambda w, s, t: float(np.multiply(s, 0.0, out=s)[0])
    yield "03.3", lambda d_h, h, W: np.multiply(d_h, h * (1 - h), out=d_h) @ W


@pytest.mark.parametrize(
    "key, answer", list(_mutating_answers()), ids=lambda x: x if isinstance(x, str) else ""
)
def test_writing_into_the_inputs_gets_a_hint(key, answer):
    assert "in place" in hint_of(key, answer)


FUNCTION_KEYS = ["01.3", "03.3", "05.1"]


@pytest.mark.parametrize("key", FUNCTION_KEYS)
def test_function_stub_and_placeholders_are_not_attempted(key):
    def stub(*args):
        raise NotImplementedError  # your code here

    for blank in (stub, None, ...):
        assert grade(key, blank).status == "not attempted"


@pytest.mark.parametrize("key", FUNCTION_KEYS)
def test_function_crash_is_the_learners(key):
    assert (
        hint_of(key, lambda *args: [][0])
        == "Your function raised IndexError: list index out of range"
    )


@pytest.mark.parametrize("key", [e.key for e in all_exercises() if e.key not in FUNCTION_KEYS])
def test_value_placeholders_are_not_attempted(key):
    assert grade(key, None).status == grade(key, ...).status == "not attempted"
