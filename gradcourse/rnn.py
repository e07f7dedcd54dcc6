"""A vanilla RNN in NumPy (float64): forward pass, BPTT and the Jacobian product.

    a_t = W_xh x_t + W_hh h_(t-1) + b,   h_t = f(a_t),   y_hat = W_hy h_T + b_y
    L   = mean over the batch of 1/2 ||y_hat - y||^2

Notebook 03 writes the backward pass out by hand; this is the vectorised version the
later notebooks use, checked against the same TensorFlow gradients in the unit tests.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import ArrayLike

from gradcourse._validate import require_array, require_choice, require_float, require_int
from gradcourse.activations import ACTIVATIONS, derivative
from gradcourse.activations import activation as activation_fn
from gradcourse.matrices import scaled_orthogonal


@dataclass
class RNNParams:
    """Weights of a vanilla RNN. Shapes: W_xh (H, D), W_hh (H, H), b (H,), W_hy (O, H), b_y (O,)."""

    W_xh: np.ndarray
    W_hh: np.ndarray
    b: np.ndarray
    W_hy: np.ndarray
    b_y: np.ndarray

    def __post_init__(self):
        for field in fields(self):
            ndim = 1 if field.name.startswith("b") else 2
            setattr(
                self, field.name, require_array(field.name, getattr(self, field.name), ndim=ndim)
            )
        hidden, outputs = self.W_xh.shape[0], self.W_hy.shape[0]
        expected = {
            "W_hh": (hidden, hidden),
            "b": (hidden,),
            "W_hy": (outputs, hidden),
            "b_y": (outputs,),
        }
        for name, shape in expected.items():
            if getattr(self, name).shape != shape:
                raise ValueError(
                    f"{name} must have shape {shape} to match W_xh and W_hy, got "
                    f"{getattr(self, name).shape}"
                )

    @property
    def hidden_size(self) -> int:
        return self.W_hh.shape[0]

    def as_dict(self) -> dict[str, np.ndarray]:
        return {field.name: getattr(self, field.name) for field in fields(self)}


def init_rnn(
    input_size: int,
    hidden_size: int,
    output_size: int = 1,
    recurrent_gain: float = 1.0,
    seed: int = 0,
) -> RNNParams:
    """Random weights: ``W_hh = gain * orthogonal`` (largest singular value = gain),
    ``W_xh`` and ``W_hy`` Gaussian with variance 1 / fan-in, zero biases."""
    input_size = require_int("input_size", input_size, minimum=1)
    hidden_size = require_int("hidden_size", hidden_size, minimum=1)
    output_size = require_int("output_size", output_size, minimum=1)
    rng = np.random.default_rng(require_int("seed", seed, minimum=0))
    return RNNParams(
        W_xh=rng.standard_normal((hidden_size, input_size)) / np.sqrt(input_size),
        W_hh=scaled_orthogonal(hidden_size, recurrent_gain, seed=seed + 1),
        b=np.zeros(hidden_size),
        W_hy=rng.standard_normal((output_size, hidden_size)) / np.sqrt(hidden_size),
        b_y=np.zeros(output_size),
    )


def _check_inputs(params: RNNParams, x: ArrayLike) -> np.ndarray:
    if not isinstance(params, RNNParams):
        raise TypeError(f"params must be RNNParams, got {type(params).__name__}")
    x = require_array("x", x, ndim=3)
    if x.shape[2] != params.W_xh.shape[1]:
        raise ValueError(f"x must have shape (batch, time, {params.W_xh.shape[1]}), got {x.shape}")
    if x.shape[1] < 1:
        raise ValueError("x must have at least one time step")
    return x


def rnn_forward(
    params: RNNParams, x: ArrayLike, activation: str = "tanh"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run the RNN on ``x`` of shape (batch, time, inputs) from h_0 = 0.

    Returns ``(pre, states, y_hat)``: pre-activations (B, T, H), states h_0..h_T
    (B, T+1, H) and the output (B, O).
    """
    x = _check_inputs(params, x)
    f = activation_fn(require_choice("activation", activation, ACTIVATIONS))
    batch, steps, _ = x.shape
    pre = np.zeros((batch, steps, params.hidden_size))
    states = np.zeros((batch, steps + 1, params.hidden_size))
    for t in range(steps):
        pre[:, t] = x[:, t] @ params.W_xh.T + states[:, t] @ params.W_hh.T + params.b
        states[:, t + 1] = f(pre[:, t])
    y_hat = states[:, -1] @ params.W_hy.T + params.b_y
    return pre, states, y_hat


def rnn_loss_and_grads(
    params: RNNParams,
    x: ArrayLike,
    y: ArrayLike,
    activation: str = "tanh",
    truncate: int | None = None,
) -> tuple[float, RNNParams]:
    """Loss and its gradient for every weight, by backpropagation through time.

    With ``truncate=k`` the backward pass stops after the last ``k`` steps
    (truncated BPTT): contributions from further back are dropped.
    """
    pre, states, y_hat = rnn_forward(params, x, activation)
    x = np.asarray(x, dtype=np.float64)
    y = require_array("y", y, ndim=2)
    if y.shape != y_hat.shape:
        raise ValueError(f"y must have shape {y_hat.shape}, got {y.shape}")
    steps = x.shape[1]
    if truncate is not None:
        truncate = require_int("truncate", truncate, minimum=1)
    first_step = 0 if truncate is None else max(0, steps - truncate)
    f_prime = derivative(activation)

    batch = x.shape[0]
    error = y_hat - y
    loss = 0.5 * float(np.sum(error**2)) / batch
    d_y = error / batch
    grads = {name: np.zeros_like(value) for name, value in params.as_dict().items()}
    grads["W_hy"] = d_y.T @ states[:, -1]
    grads["b_y"] = d_y.sum(axis=0)
    d_h = d_y @ params.W_hy  # dL/dh_T
    for t in range(steps - 1, first_step - 1, -1):
        d_a = d_h * f_prime(pre[:, t])  # dL/da_t
        grads["W_xh"] += d_a.T @ x[:, t]
        grads["W_hh"] += d_a.T @ states[:, t]
        grads["b"] += d_a.sum(axis=0)
        d_h = d_a @ params.W_hh  # dL/dh_(t-1)
    return loss, RNNParams(**grads)


def state_jacobians(W_hh: ArrayLike, pre: ArrayLike, activation: str = "tanh") -> np.ndarray:
    """``J[k] = dh_T / dh_(T-k)`` for k = 0..T, for one sequence's pre-activations (T, H).

    Each step back multiplies by the local Jacobian ``diag(f'(a_t)) W_hh``.
    """
    W_hh = require_array("W_hh", W_hh, ndim=2)
    pre = require_array("pre", pre, ndim=2)
    if W_hh.shape[0] != W_hh.shape[1] or pre.shape[1] != W_hh.shape[0]:
        raise ValueError(
            f"need square W_hh (H, H) and pre (T, H); got {W_hh.shape} and {pre.shape}"
        )
    f_prime = derivative(require_choice("activation", activation, ACTIVATIONS))
    steps, hidden = pre.shape
    jacobians = np.zeros((steps + 1, hidden, hidden))
    jacobians[0] = np.eye(hidden)
    for k in range(1, steps + 1):
        t = steps - k  # a_t produced h_(t+1); dh_(t+1)/dh_t = diag(f'(a_t)) W_hh
        jacobians[k] = jacobians[k - 1] @ (f_prime(pre[t])[:, None] * W_hh)
    return jacobians


def jacobian_norms(W_hh: ArrayLike, pre: ArrayLike, activation: str = "tanh") -> np.ndarray:
    """Spectral norms ``||dh_T / dh_(T-k)||_2`` for k = 0..T (index = lag)."""
    return np.linalg.norm(state_jacobians(W_hh, pre, activation), ord=2, axis=(1, 2))


def driven_pre_activations(
    W_hh: ArrayLike, steps: int, activation: str = "tanh", input_scale: float = 1.0, seed: int = 0
) -> np.ndarray:
    """Pre-activations (steps, H) of an RNN with recurrent matrix ``W_hh``, run from h_0 = 0
    on N(0, input_scale^2) inputs that enter directly as pre-activation noise (``W_xh = I``,
    no bias): the setting of ``gradient_norm_vs_lag`` and of Pascanu et al.'s analysis."""
    W_hh = require_array("W_hh", W_hh, ndim=2)
    steps = require_int("steps", steps, minimum=1)
    input_scale = require_float("input_scale", input_scale, minimum=0.0)
    hidden = W_hh.shape[0]
    params = RNNParams(np.eye(hidden), W_hh, np.zeros(hidden), np.zeros((1, hidden)), np.zeros(1))
    rng = np.random.default_rng(require_int("seed", seed, minimum=0))
    x = input_scale * rng.standard_normal((1, steps, hidden))
    pre, _, _ = rnn_forward(params, x, activation)
    return pre[0]


def gradient_norm_vs_lag(
    W_hh: ArrayLike, steps: int, activation: str = "tanh", input_scale: float = 1.0, seed: int = 0
) -> np.ndarray:
    """``||dh_T/dh_(T-k)||_2`` for k = 0..steps, driving the RNN with N(0, input_scale^2) inputs.

    The inputs enter directly as pre-activation noise (``W_xh = I``), so the only
    weights that matter are ``W_hh``: the setting of Pascanu et al.'s analysis.
    ``T = steps``; the pre-activations are ``driven_pre_activations(...)``.
    """
    pre = driven_pre_activations(W_hh, steps, activation, input_scale, seed)
    return jacobian_norms(W_hh, pre, activation)


def first_lag_below(norms: ArrayLike, level: float) -> int | None:
    """The first lag k with ``norms[k] < level`` (``norms`` indexed by lag, as
    ``gradient_norm_vs_lag`` returns them), or None if the norm never falls below it."""
    norms = require_array("norms", norms, ndim=1)
    level = require_float("level", level, minimum=0.0)
    below = np.flatnonzero(norms < level)
    return int(below[0]) if below.size else None
