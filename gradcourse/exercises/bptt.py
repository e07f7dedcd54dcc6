"""Exercises of notebook 03 (backpropagation through time)."""

from __future__ import annotations

import math

import numpy as np

from gradcourse.exercises.core import Exercise, function_grader, number_grader, register

# 03.1: the sufficient bound (gamma * lambda_1)^T.
_GAMMA, _LAMBDA, _T = 0.25, 2.0, 10
_BOUND = (_GAMMA * _LAMBDA) ** _T
register(Exercise(
    key="03.1",
    question=(f"A sigmoid RNN has a recurrent matrix with largest singular value {_LAMBDA}. "
              f"What upper bound does Pascanu et al.'s argument give for ||dh_T/dh_0|| at T = {_T}?"),
    grade=number_grader(
        _BOUND, rel_tol=1e-3, abs_tol=0.0,
        hints=[
            (lambda v: math.isclose(v, _LAMBDA**_T, rel_tol=1e-3), "each factor also carries |sigmoid'| <= 1/4."),
            (lambda v: math.isclose(v, _GAMMA**_T, rel_tol=1e-3), "each factor also carries ||W_hh|| = lambda_1."),
            (lambda v: math.isclose(v, _GAMMA * _LAMBDA * _T, rel_tol=1e-3), "the factors multiply: use a power, not a product by T."),
        ],
    ),
    solution=_BOUND,
    explanation=(
        "||dh_T/dh_0|| <= prod_t ||diag(f'(a_t))|| ||W_hh|| <= (gamma * lambda_1)^T\n"
        f"             = ({_GAMMA} * {_LAMBDA})^{_T} = {_BOUND:.3e}"
    ),
))

# 03.2: the gain at which the sufficient condition stops applying for sigmoid.
register(Exercise(
    key="03.2",
    question=("W_hh = g * Q with Q orthogonal. Above which gain g does Pascanu et al.'s sufficient "
              "condition stop guaranteeing that a *sigmoid* RNN's gradients vanish?"),
    grade=number_grader(
        4.0,
        hints=[
            (lambda v: math.isclose(v, 1.0), "g = 1 is the threshold for tanh (gamma = 1); sigmoid' is at most 1/4."),
            (lambda v: math.isclose(v, 0.25), "the condition is g < 1/gamma, not g < gamma."),
        ],
    ),
    solution=4.0,
    explanation="Vanishing is guaranteed while g < 1/gamma; for sigmoid gamma = 1/4, so up to g = 4.",
))


# 03.3: one step of the backward pass.
def backward_step(d_h: np.ndarray, a: np.ndarray, W_hh: np.ndarray) -> np.ndarray:
    """dL/dh_(t-1) from dL/dh_t, for h_t = tanh(a_t), a_t = W_xh x_t + W_hh h_(t-1) + b."""
    return (np.asarray(d_h) * (1.0 - np.tanh(a) ** 2)) @ np.asarray(W_hh)


_rng = np.random.default_rng(3)
_CASES = [(_rng.standard_normal(4), _rng.standard_normal(4), _rng.standard_normal((4, 4))) for _ in range(3)]
register(Exercise(
    key="03.3",
    question=("Write backward_step(d_h, a, W_hh) that returns dL/dh_(t-1) given dL/dh_t (a vector), "
              "the pre-activation a_t and W_hh, for a tanh RNN."),
    grade=function_grader(
        backward_step, _CASES,
        hints=[
            (lambda args, got: np.allclose(got, (args[0] * (1 - np.tanh(args[1]) ** 2)) @ args[2].T),
             "dL/dh_(t-1) = W_hh^T dL/da_t; as a row vector that is d_a @ W_hh, not d_a @ W_hh.T."),
            (lambda args, got: np.allclose(got, args[0] @ args[2]), "the tanh derivative 1 - tanh(a)^2 is missing."),
        ],
    ),
    solution=backward_step,
    explanation=(
        "First through the activation, then through W_hh:\n\n"
        "def backward_step(d_h, a, W_hh):\n"
        "    d_a = d_h * (1 - np.tanh(a) ** 2)   # dL/da_t\n"
        "    return d_a @ W_hh                   # dL/dh_(t-1) = W_hh^T dL/da_t"
    ),
))
