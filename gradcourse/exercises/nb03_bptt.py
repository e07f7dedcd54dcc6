"""Exercises of notebook 03 (backpropagation through time)."""

from __future__ import annotations

import numpy as np

from gradcourse._validate import require_array
from gradcourse.exercises.core import Exercise, function_grader, near, number_grader, register

# 03.1: the sufficient bound (gamma * lambda_1)^T.
_GAMMA, _LAMBDA, _T = 0.25, 2.0, 10
_BOUND = (_GAMMA * _LAMBDA) ** _T
register(
    Exercise(
        key="03.1",
        question=(
            f"A sigmoid RNN has a recurrent matrix with largest singular value {_LAMBDA}. What "
            f"upper bound does Pascanu et al.'s argument give for ||dh_T/dh_0|| at T = {_T}?"
        ),
        grade=number_grader(  # no precision asked: 3 significant digits (0.000977)
            _BOUND,
            hints=[
                (near(_LAMBDA**_T), "each factor also carries |sigmoid'| <= 1/4."),
                (near(_GAMMA**_T), "each factor also carries ||W_hh|| = lambda_1."),
                (
                    near(_GAMMA * _LAMBDA * _T),
                    "the factors multiply: use a power, not a product by T.",
                ),
                (
                    lambda v: (
                        near((_GAMMA * _LAMBDA) ** (_T - 1))(v)
                        or near((_GAMMA * _LAMBDA) ** (_T + 1))(v)
                    ),
                    f"h_0 to h_{_T} takes {_T} steps, so {_T} factors.",
                ),
            ],
        ),
        solution=_BOUND,
        explanation=(
            "||dh_T/dh_0|| <= prod_t ||diag(f'(a_t))|| ||W_hh|| <= (gamma * lambda_1)^T\n"
            f"             = ({_GAMMA} * {_LAMBDA})^{_T} = {_BOUND:.3e}"
        ),
    )
)

# 03.2: the gain at which the sufficient condition stops applying for sigmoid.
register(
    Exercise(
        key="03.2",
        question=(
            "W_hh = g * Q with Q orthogonal. Above which gain g does Pascanu et al.'s "
            "sufficient condition stop guaranteeing that a *sigmoid* RNN's gradients vanish?"
        ),
        grade=number_grader(  # no precision asked: 3 significant digits (4.00)
            4.0,
            hints=[
                (
                    near(1.0),
                    "g = 1 is the threshold for tanh (gamma = 1); sigmoid' is at most 1/4.",
                ),
                (near(0.25), "the condition is g < 1/gamma, not g < gamma."),
            ],
        ),
        solution=4.0,
        explanation=(
            "Vanishing is guaranteed while g < 1/gamma; for sigmoid gamma = 1/4, so up to g = 4."
        ),
    )
)


# 03.3: one step of the backward pass of a sigmoid RNN, from the state h_t (the notebook
# writes the tanh step, from the pre-activation, on screen).
def sigmoid_backward_step(d_h: np.ndarray, h: np.ndarray, W_hh: np.ndarray) -> np.ndarray:
    """dL/dh_(t-1) from dL/dh_t and the state h_t, for h_t = sigmoid(a_t),
    a_t = W_xh x_t + W_hh h_(t-1) + b."""
    d_h, h = require_array("d_h", d_h, ndim=1), require_array("h", h, ndim=1)
    return (d_h * h * (1.0 - h)) @ require_array("W_hh", W_hh, ndim=2)  # sigmoid'(a) = h (1 - h)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


_rng = np.random.default_rng(33)
_CASES = [
    (_rng.standard_normal(5), _sigmoid(2 * _rng.standard_normal(5)), _rng.standard_normal((5, 5)))
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
                        got, (args[0] * _sigmoid(args[1]) * (1.0 - _sigmoid(args[1]))) @ args[2]
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
