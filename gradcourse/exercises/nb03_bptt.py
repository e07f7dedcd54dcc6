"""Exercises of notebook 03 (backpropagation through time)."""

from __future__ import annotations

import functools

import numpy as np

from gradcourse._validate import require_array
from gradcourse.activations import sigmoid
from gradcourse.exercises.core import (
    Exercise,
    Measurement,
    Variants,
    function_grader,
    measured_number,
    near,
    number_grader,
    prediction_grader,
    register,
    register_variants,
    significant,
)
from gradcourse.matrices import scaled_orthogonal
from gradcourse.rnn import first_lag_below, gradient_norm_vs_lag

# 03.1: the sufficient bound (gamma * lambda_1)^T.
_GAMMA = 0.25  # sigmoid


def _exercise_03_1(lam: float, T: int) -> Exercise:
    bound = (_GAMMA * lam) ** T
    return Exercise(
        key="03.1",
        question=(
            f"A sigmoid RNN has a recurrent matrix with largest singular value {lam}. What "
            f"upper bound does Pascanu et al.'s argument give for ||dh_T/dh_0|| at T = {T}?"
        ),
        grade=number_grader(  # no precision asked: 3 significant digits (0.000977)
            bound,
            hints=[
                (near(lam**T), "each factor also carries |sigmoid'| <= 1/4."),
                (near(_GAMMA**T), "each factor also carries ||W_hh|| = lambda_1."),
                (
                    near(_GAMMA * lam * T),
                    "the factors multiply: use a power, not a product by T.",
                ),
                (
                    lambda v: (
                        near((_GAMMA * lam) ** (T - 1))(v) or near((_GAMMA * lam) ** (T + 1))(v)
                    ),
                    f"h_0 to h_{T} takes {T} steps, so {T} factors.",
                ),
            ],
        ),
        solution=bound,
        explanation=(
            "||dh_T/dh_0|| <= prod_t ||diag(f'(a_t))|| ||W_hh|| <= (gamma * lambda_1)^T\n"
            f"             = ({_GAMMA} * {lam})^{T} = {bound:.3e}"
        ),
    )


register_variants(
    Variants(
        base={"lam": 2.0, "T": 10},
        # lambda_1 < 4 = 1/gamma: the bound shrinks with T, as in the notebook.
        draw=lambda rng: {
            "lam": round(float(rng.uniform(1.2, 3.6)), 1),
            "T": int(rng.integers(5, 16)),
        },
        build=_exercise_03_1,
        mistakes=lambda lam, T: [
            (significant(lam**T), "|sigmoid'| <= 1/4"),
            (significant(_GAMMA**T), "||W_hh|| = lambda_1"),
            (significant(_GAMMA * lam * T), "use a power"),
            (significant((_GAMMA * lam) ** (T - 1)), f"so {T} factors"),
            (significant((_GAMMA * lam) ** (T + 1)), f"so {T} factors"),
        ],
    )
)


# 03.2: the gain at which the sufficient condition stops applying for sigmoid (variants:
# a sigmoid with its input scaled by k, whose derivative is at most k/4).
def _exercise_03_2(k: float) -> Exercise:
    gamma, edge = k / 4, 4 / k
    if k == 1.0:
        model, bound, why = "a *sigmoid* RNN", "sigmoid' is at most 1/4", "for sigmoid gamma = 1/4"
    else:
        model = f"an RNN with the activation f(a) = sigmoid({k:g} a)"
        bound = f"here f' is at most {gamma:g}"
        why = f"for sigmoid({k:g} a) gamma = {k:g}/4 = {gamma:g}"
    return Exercise(
        key="03.2",
        question=(
            "W_hh = g * Q with Q orthogonal. Above which gain g does Pascanu et al.'s "
            f"sufficient condition stop guaranteeing that {model}'s gradients vanish?"
        ),
        grade=number_grader(  # no precision asked: 3 significant digits (4.00)
            edge,
            hints=[
                (near(1.0), f"g = 1 is the threshold for tanh (gamma = 1); {bound}."),
                (near(gamma), "the condition is g < 1/gamma, not g < gamma."),
            ],
        ),
        solution=edge,
        explanation=(f"Vanishing is guaranteed while g < 1/gamma; {why}, so up to g = {edge:g}."),
    )


register_variants(
    Variants(
        base={"k": 1.0},
        draw=lambda rng: {"k": int(rng.integers(1, 17)) / 2},  # 0.5 .. 8
        build=_exercise_03_2,
        mistakes=lambda k: [(1.0, "threshold for tanh"), (k / 4, "not g < gamma")],
    )
)


# 03.3: one step of the backward pass of a sigmoid RNN, from the state h_t (the notebook
# writes the tanh step, from the pre-activation, on screen).
def sigmoid_backward_step(d_h: np.ndarray, h: np.ndarray, W_hh: np.ndarray) -> np.ndarray:
    """dL/dh_(t-1) from dL/dh_t and the state h_t, for h_t = sigmoid(a_t),
    a_t = W_xh x_t + W_hh h_(t-1) + b."""
    d_h, h = require_array("d_h", d_h, ndim=1), require_array("h", h, ndim=1)
    return (d_h * h * (1.0 - h)) @ require_array("W_hh", W_hh, ndim=2)  # sigmoid'(a) = h (1 - h)


_rng = np.random.default_rng(33)
_CASES = [
    (_rng.standard_normal(5), sigmoid(2 * _rng.standard_normal(5)), _rng.standard_normal((5, 5)))
    for _ in range(3)
]
register(
    Exercise(
        key="03.3",
        question=(
            "Write sigmoid_backward_step(d_h, h, W_hh) that returns dL/dh_(t-1) for a "
            "sigmoid RNN, h_t = sigmoid(a_t) with a_t = W_xh x_t + W_hh h_(t-1) + b, given "
            "dL/dh_t (a vector d_h), the state h_t (not the pre-activation) and W_hh."
        ),
        grade=function_grader(
            sigmoid_backward_step,
            _CASES,
            hints=[
                (
                    lambda args, got: np.allclose(got, (args[0] * (1.0 - args[1] ** 2)) @ args[2]),
                    "1 - h^2 is tanh's derivative; sigmoid'(a) "
                    "= sigmoid(a) (1 - sigmoid(a)) = h (1 - h).",
                ),
                (
                    lambda args, got: np.allclose(
                        got, (args[0] * sigmoid(args[1]) * (1.0 - sigmoid(args[1]))) @ args[2]
                    ),
                    "h is already sigmoid(a_t): sigmoid'(a_t) = "
                    "h (1 - h), without applying sigmoid again.",
                ),
                (
                    lambda args, got: np.allclose(
                        got, (args[0] * args[1] * (1.0 - args[1])) @ args[2].T
                    ),
                    "dL/dh_(t-1) = W_hh^T dL/da_t; as a row "
                    "vector that is d_a @ W_hh, not d_a @ W_hh.T.",
                ),
                (
                    lambda args, got: np.allclose(got, args[0] @ args[2]),
                    "the sigmoid derivative h (1 - h) is missing.",
                ),
            ],
        ),
        solution=sigmoid_backward_step,
        explanation=(
            "sigmoid'(a) = sigmoid(a) (1 - sigmoid(a)) = "
            "h (1 - h), at most 1/4; then through W_hh:\n"
            "\n"
            "def sigmoid_backward_step(d_h, h, W_hh):\n"
            "    d_a = d_h * h * (1 - h)   # dL/da_t\n"
            "    return d_a @ W_hh         # dL/dh_(t-1) = W_hh^T dL/da_t"
        ),
    )
)


# 03.4 (predict, then measure): the lag at which a contracting tanh RNN forgets. Variants
# draw the gain from 0.80 to 0.95: the bound's lag (31 to 135 steps) stays within the 200
# steps measured, and tiny inputs keep the run on the bound (the tests run the experiment).
LAG_GAIN, LAG_INPUT_SCALE, LAG_LEVEL, LAG_WIDTH, LAG_STEPS = 0.9, 0.01, 1e-3, 32, 200
_LEVEL_TEXT = "1e-3"


def lag_by_bound(gain: float) -> float:
    """The lag k at which the bound gain^k reaches LAG_LEVEL (65.6 steps at gain 0.9)."""
    return float(np.log(LAG_LEVEL) / np.log(gain))


def lag_matrix_seed(seed: int) -> int:
    """The seed of notebook 03's orthogonal Q (``scaled_orthogonal(..., seed=SEED + 1)``)."""
    return seed + 1


def measure_lag(seed: int = 0, gain: float = LAG_GAIN) -> Measurement:
    """Exercise 03.4's experiment, as the notebook runs it (``gain``: a variant's). Its
    setting is notebook 03's (``width``, the cell's 200 steps and 1e-3): a test compares
    them with the notebook's source."""
    W_hh = scaled_orthogonal(LAG_WIDTH, gain, seed=lag_matrix_seed(seed))
    norms = gradient_norm_vs_lag(W_hh, LAG_STEPS, "tanh", input_scale=LAG_INPUT_SCALE, seed=seed)
    return Measurement(first_lag_below(norms, LAG_LEVEL), gain=gain, input_scale=LAG_INPUT_SCALE)


def _exercise_03_4(gain: float) -> Exercise:
    decades = -np.log10(gain)  # what each step costs: 0.0458 decades at 0.9
    bound = lag_by_bound(gain)
    levels = round(-np.log10(LAG_LEVEL))  # 3 decades to fall
    solve = f"solve {gain:g}^k = {_LEVEL_TEXT}"
    explanation = (
        f"With W_hh = {gain:g} Q every singular value is {gain:g}, and tanh'(a) <= 1, so\n"
        f"||dh_T/dh_(T-k)|| <= {gain:g}^k. Tiny inputs keep every pre-activation near 0, "
        "where\n"
        f"tanh'(a) is about 1: the bound is nearly exact. {gain:g}^k < {_LEVEL_TEXT} first at\n"
        f"k = ceil({levels} / {decades:.4f}) = ceil({bound:.1f}) = {int(np.ceil(bound))}.\n"
    )
    if gain == LAG_GAIN:  # measured at this gain only (the tests check these lags)
        explanation += (
            "With inputs of scale 0.1 the units leave the linear zone a little, tanh' < 1, "
            "and\nthe gradient falls below 1e-3 earlier (at lag 52-53; 32 at scale 0.3): the "
            "bound is\nthen only a bound."
        )
    else:
        explanation += (
            "With larger inputs the units leave the linear zone, tanh' < 1, and the gradient\n"
            "falls below the level earlier: the bound is then only a bound."
        )
    return Exercise(
        key="03.4",
        question=(
            f"Change section 3's experiment: a tanh RNN with W_hh = {gain:g} Q (Q orthogonal), "
            f"driven by inputs of scale {LAG_INPUT_SCALE}. Predict the first lag k at which "
            f"||dh_T/dh_(T-k)|| falls below {LAG_LEVEL:g}, then measure it."
        ),
        grade=prediction_grader(
            {"gain": gain, "input_scale": LAG_INPUT_SCALE},
            measured_number(
                lambda lag: max(2.0, 0.05 * lag),  # the bound's lag and ln-approximations pass
                unit=" steps",
                hints=[
                    (lambda k, lag: k <= 0, "a lag counts steps back: it is positive."),
                    (
                        lambda k, lag: abs(k - levels / (1 - gain)) < 1,
                        f"each step multiplies the norm by {gain:g}, which is "
                        f"{decades:.3f} decades, not {1 - gain:.2g} decade: {solve}.",
                    ),
                    (
                        lambda k, lag: k > lag,
                        f"the norm falls at least as fast as {gain:g}^k (gamma = 1 for tanh), "
                        f"and with tiny inputs tanh'(a) is about 1: {solve}.",
                    ),
                    (
                        lambda k, lag: k < lag,
                        "with inputs this small, tanh'(a) is about 1 at every step, so the norm "
                        f"follows the bound {gain:g}^k closely: it does not fall faster.",
                    ),
                ],
            ),
        ),
        solution=float(np.ceil(bound)),
        explanation=explanation,
        measure=functools.partial(measure_lag, gain=gain),
    )


register_variants(
    Variants(
        base={"gain": LAG_GAIN},
        draw=lambda rng: {"gain": round(float(rng.uniform(0.80, 0.95)), 2)},
        build=_exercise_03_4,
        mistakes=lambda gain: [
            (-lag_by_bound(gain), "positive"),
            (round(-np.log10(LAG_LEVEL)) / (1 - gain), "decades"),
            (round(1.5 * lag_by_bound(gain)), "at least as fast"),
            (round(0.6 * lag_by_bound(gain)), "closely"),
        ],
        run=lambda gain: Measurement(
            float(np.ceil(lag_by_bound(gain))), gain=gain, input_scale=LAG_INPUT_SCALE
        ),
    )
)
