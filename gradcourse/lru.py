"""The linear recurrent unit (LRU) of Orvieto et al. (2023), for ``keras.layers.RNN``.

"Resurrecting Recurrent Neural Networks for Long Sequences" (ICML 2023) strips the
nonlinearity out of the recurrence and makes it diagonal and complex:

    s_t = Lambda s_(t-1) + gamma * (B u_t)      (s_t in C^N; Lambda and gamma diagonal)
    y_t = Re(C s_t) + D u_t

with the eigenvalues in the exponential parameterisation of the paper,

    lambda_j = exp(-exp(nu_log_j) + i exp(theta_log_j))   (so 0 < |lambda_j| < 1 always)

initialised uniformly on a ring of the complex plane, r_min <= |lambda_j| <= r_max, phases
in [0, max_phase], and the normalisation gamma_j = sqrt(1 - |lambda_j|^2) (a trainable
vector, stored as its log ``gamma_log``, started at that value), which keeps the state's
variance near that of the input whatever |lambda_j| is, for zero-mean white (i.i.d.)
input (correlated input is not normalised by it). B and C are complex (stored as real
and imaginary parts), B ~ N(0, 1/(2 features)), C ~ N(0, 1/N); D ~ N(0, 1) is a full
(features, units) matrix. Deviation from the paper: there D is element-wise (a vector,
the input and output of one size); the full matrix lets them differ, and it does not
touch the recurrence or its gradient over time.

``parameterization="direct"`` trains the real and imaginary parts of each lambda_j
themselves (weights ``lambda_re``, ``lambda_im``, started on the same ring): the diagonal
complex recurrence of the paper's section 3 before its exponential parameterisation, with
nothing keeping |lambda_j| below 1 during training. It is the control of the curse of
memory (Zucchet & Orvieto 2024), where the sensitivity to the trained parameter is that to
lambda itself.

Because the recurrence is linear and diagonal, ``ds_t/ds_(t-k) = Lambda^k`` exactly: the
gradient through mode j over a lag k is |lambda_j|^k, whatever the inputs. The paper
follows the LRU with a nonlinear block (MLP or GLU); ``build_lru_model`` adds a per-step
ReLU encoder before it (a linear recurrence of the raw inputs cannot form products such
as value * marker) and an MLP readout after it.

Weight layout (Keras' convention, features first): ``B_re``, ``B_im`` (features, N);
``C_re``, ``C_im`` (N, units); ``D`` (features, units); ``nu_log``, ``theta_log``
(or ``lambda_re``, ``lambda_im``), ``gamma_log`` (N,). The state is ``[Re s, Im s]``
side by side, 2N numbers.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from gradcourse._recurrent import (
    ConfigFromAttributes,
    InitializerLike,
    recurrent_model,
    step_features,
)
from gradcourse._tensorflow import keras, tf
from gradcourse._validate import require_choice, require_float, require_int

__all__ = ["LRU", "LRUCell", "build_lru_model", "ring_eigenvalues", "lru_eigenvalues"]

PARAMETERIZATIONS = ("exponential", "direct")


def ring_eigenvalues(
    uniform_radius: ArrayLike,
    uniform_phase: ArrayLike,
    r_min: float,
    r_max: float,
    max_phase: float,
) -> tuple[np.ndarray, np.ndarray]:
    """``(nu_log, theta_log)`` of the paper's initialisation from two uniform [0, 1) draws.

    |lambda| is drawn so that the eigenvalues are uniform *in area* on the ring
    r_min <= |lambda| <= r_max: |lambda|^2 = u (r_max^2 - r_min^2) + r_min^2, and
    nu = -log|lambda| = -log(|lambda|^2) / 2, stored as log(nu); the phase is
    theta = max_phase * v, stored as log(theta).
    """
    u = np.asarray(uniform_radius, dtype=np.float64)
    v = np.asarray(uniform_phase, dtype=np.float64)
    nu = -0.5 * np.log(u * (r_max**2 - r_min**2) + r_min**2)
    return np.log(nu), np.log(max_phase * v + 1e-12)  # 1e-12: a phase drawn as exactly 0


def lru_eigenvalues(nu_log: ArrayLike, theta_log: ArrayLike) -> np.ndarray:
    """The complex eigenvalues exp(-exp(nu_log) + i exp(theta_log)), as a NumPy array."""
    nu_log = np.asarray(nu_log, dtype=np.float64)
    theta_log = np.asarray(theta_log, dtype=np.float64)
    return np.exp(-np.exp(nu_log) + 1j * np.exp(theta_log))


def _add_lru_weights(layer: _LinearRecurrentUnit, features: int) -> None:
    """The LRU's weights on ``layer`` (an ``LRUCell`` or ``LRU``), initialised as in the paper."""
    self, n = layer, layer.n
    draw = keras.initializers.RandomUniform(0.0, 1.0)  # reproducible under set_random_seed
    u = np.asarray(draw((n,)), dtype=np.float64)
    v = np.asarray(draw((n,)), dtype=np.float64)
    nu_log, theta_log = ring_eigenvalues(u, v, self.r_min, self.r_max, self.max_phase)

    def weight(
        name: str, shape: tuple[int, ...], initializer: InitializerLike = "zeros"
    ) -> keras.Variable:
        return self.add_weight(shape=shape, name=name, initializer=initializer)

    if self.parameterization == "exponential":
        self.nu_log = weight("nu_log", (n,))
        self.theta_log = weight("theta_log", (n,))
        self.nu_log.assign(nu_log.astype(self.nu_log.dtype))
        self.theta_log.assign(theta_log.astype(self.theta_log.dtype))
    else:  # "direct": the same initial eigenvalues, stored as real and imaginary parts
        initial = lru_eigenvalues(nu_log, theta_log)
        self.lambda_re = weight("lambda_re", (n,))
        self.lambda_im = weight("lambda_im", (n,))
        self.lambda_re.assign(np.real(initial).astype(self.lambda_re.dtype))
        self.lambda_im.assign(np.imag(initial).astype(self.lambda_im.dtype))
    if self.normalization:
        modulus = np.exp(-np.exp(nu_log))
        self.gamma_log = weight("gamma_log", (n,))
        self.gamma_log.assign(np.log(np.sqrt(1 - modulus**2)).astype(self.gamma_log.dtype))
    b_scale = 1.0 / math.sqrt(2 * features)
    self.B_re = weight("B_re", (features, n), keras.initializers.RandomNormal(0.0, b_scale))
    self.B_im = weight("B_im", (features, n), keras.initializers.RandomNormal(0.0, b_scale))
    c_scale = 1.0 / math.sqrt(n)
    self.C_re = weight("C_re", (n, self.units), keras.initializers.RandomNormal(0.0, c_scale))
    self.C_im = weight("C_im", (n, self.units), keras.initializers.RandomNormal(0.0, c_scale))
    self.D = weight("D", (features, self.units), keras.initializers.RandomNormal(0.0, 1.0))


class _LinearRecurrentUnit(ConfigFromAttributes, keras.layers.Layer):
    """What ``LRUCell`` and ``LRU`` share: the checked arguments, the eigenvalues, the config."""

    # state_size is kept as self.n (a cell's state_size is Keras' 2N): get_config adds it
    config_attributes = (
        "units",
        "r_min",
        "r_max",
        "max_phase",
        "normalization",
        "parameterization",
    )

    def __init__(
        self,
        state_size: int,
        units: int,
        r_min: float = 0.0,
        r_max: float = 1.0 - 1e-3,
        max_phase: float = 2 * math.pi,
        normalization: bool = True,
        parameterization: str = "exponential",
        **kwargs: Any,
    ) -> None:
        state_size = require_int("state_size", state_size, minimum=1)
        units = require_int("units", units, minimum=1)
        r_min = require_float("r_min", r_min, minimum=0.0)
        r_max = require_float("r_max", r_max, minimum=0.0)
        if not r_min < r_max < 1.0:
            raise ValueError(f"need 0 <= r_min < r_max < 1, got r_min={r_min}, r_max={r_max}")
        max_phase = require_float(
            "max_phase", max_phase, minimum=0.0, maximum=2 * math.pi, strict_minimum=True
        )
        if not isinstance(normalization, bool):
            raise TypeError(
                f"normalization must be True or False, got {type(normalization).__name__}"
            )
        parameterization = require_choice("parameterization", parameterization, PARAMETERIZATIONS)
        super().__init__(**kwargs)
        self.n, self.units = state_size, units
        self.parameterization = parameterization
        self.r_min, self.r_max, self.max_phase = r_min, r_max, max_phase
        self.normalization = normalization

    def eigenvalues(self) -> np.ndarray:
        """The current complex eigenvalues lambda_j (NumPy, float64)."""
        if self.parameterization == "direct":
            return self.lambda_re.numpy().astype(np.float64) + 1j * self.lambda_im.numpy().astype(
                np.float64
            )
        return lru_eigenvalues(self.nu_log.numpy(), self.theta_log.numpy())

    def _eigenvalue_parts(self):
        """(Re lambda, Im lambda) as tensors, from the trained weights."""
        ops = keras.ops
        if self.parameterization == "direct":
            return self.lambda_re, self.lambda_im
        modulus, phase = ops.exp(-ops.exp(self.nu_log)), ops.exp(self.theta_log)
        return modulus * ops.cos(phase), modulus * ops.sin(phase)

    def _log_modulus_and_phase(self):
        """(log|lambda|, arg lambda) as tensors: lambda^k = exp(k log|lambda| + i k arg lambda)."""
        ops = keras.ops
        if self.parameterization == "direct":
            squared = ops.square(self.lambda_re) + ops.square(self.lambda_im)
            return 0.5 * ops.log(squared), ops.arctan2(self.lambda_im, self.lambda_re)
        return -ops.exp(self.nu_log), ops.exp(self.theta_log)

    def get_config(self) -> dict:
        return {**super().get_config(), "state_size": self.n}


@keras.saving.register_keras_serializable(package="gradcourse")
class LRUCell(_LinearRecurrentUnit):
    """One step of the linear recurrent unit; wrap it in ``keras.layers.RNN``.

    Args:
        state_size: N, the number of complex eigenvalues (the state holds 2N reals).
        units: the size of the output y_t.
        r_min, r_max: the ring of initial |lambda|, 0 <= r_min < r_max < 1.
        max_phase: initial phases in [0, max_phase], 0 < max_phase <= 2 pi.
        normalization: True (the paper): gamma trainable, started at sqrt(1 - |lambda|^2);
            False: no gamma (gamma = 1), the control of the curse-of-memory section.
        parameterization: "exponential" (the paper): lambda = exp(-exp(nu_log) +
            i exp(theta_log)), so |lambda| < 1 always; "direct": Re and Im of lambda trained
            themselves (``lambda_re``, ``lambda_im``), |lambda| free to pass 1.

    Example::

        layer = keras.layers.RNN(LRUCell(16, 8, r_min=0.9, r_max=0.999))
        y_last = layer(np.zeros((4, 100, 3), "float32"))   # (4, 8)
    """

    def __init__(self, state_size: int, units: int, **kwargs: Any) -> None:
        super().__init__(state_size, units, **kwargs)
        self.state_size = 2 * self.n
        self.output_size = self.units

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        _add_lru_weights(self, step_features(input_shape))
        super().build(input_shape)

    def call(
        self, inputs: tf.Tensor, states: tf.Tensor | list[tf.Tensor], training: bool = False
    ) -> tuple[tf.Tensor, tf.Tensor | list[tf.Tensor]]:
        ops = keras.ops
        previous = states[0] if isinstance(states, (list, tuple)) else states
        s_re, s_im = previous[:, : self.n], previous[:, self.n :]
        l_re, l_im = self._eigenvalue_parts()
        b_re, b_im = ops.matmul(inputs, self.B_re), ops.matmul(inputs, self.B_im)
        if self.normalization:
            gamma = ops.exp(self.gamma_log)
            b_re, b_im = gamma * b_re, gamma * b_im
        new_re = l_re * s_re - l_im * s_im + b_re
        new_im = l_re * s_im + l_im * s_re + b_im
        output = (
            ops.matmul(new_re, self.C_re)
            - ops.matmul(new_im, self.C_im)
            + ops.matmul(inputs, self.D)
        )
        state = ops.concatenate([new_re, new_im], axis=-1)
        return output, ([state] if isinstance(states, (list, tuple)) else state)

    def get_initial_state(self, batch_size: int | None = None) -> list[tf.Tensor]:
        return [keras.ops.zeros((batch_size, 2 * self.n), dtype=self.compute_dtype)]


@keras.saving.register_keras_serializable(package="gradcourse")
class LRU(_LinearRecurrentUnit):
    """The whole linear recurrent unit over a sequence, returning its last output y_(T-1).

    The same weights and numbers as ``keras.layers.RNN(LRUCell(...))`` (tested), computed
    without a loop: a linear diagonal recurrence started at s = 0 has the closed form

        s_(T-1) = sum_t lambda^(T-1-t) * gamma * (B u_t),
        lambda^k = exp(k log|lambda|) * (cos(k arg lambda) + i sin(k arg lambda))

    (log|lambda| = -exp(nu_log) and arg lambda = exp(theta_log) in the exponential
    parameterisation; from ``lambda_re``, ``lambda_im`` with log and atan2 in the direct one)

    so one weighted sum over the steps replaces T sequential steps (XLA compiles it in a
    moment, where a loop with its gradient takes much longer). Reads (batch, T, features)
    with T and features known; arguments as ``LRUCell``.
    """

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        if len(input_shape) != 3 or input_shape[1] is None or input_shape[2] is None:
            raise ValueError(
                "LRU reads whole sequences, (batch, time, features) with known time and "
                f"features; got {tuple(input_shape)}"
            )
        self.length = int(input_shape[1])
        _add_lru_weights(self, int(input_shape[2]))
        super().build(input_shape)

    def call(self, inputs: tf.Tensor) -> tf.Tensor:
        ops = keras.ops
        lags = ops.cast(ops.arange(self.length - 1, -1, -1), inputs.dtype)[:, None]  # T-1-t
        log_modulus, phase = self._log_modulus_and_phase()
        modulus = ops.exp(lags * log_modulus)  # (T, N): |lambda|^k
        angle = lags * phase
        p_re, p_im = modulus * ops.cos(angle), modulus * ops.sin(angle)
        b_re = ops.einsum("btf,fn->btn", inputs, self.B_re)
        b_im = ops.einsum("btf,fn->btn", inputs, self.B_im)
        if self.normalization:
            gamma = ops.exp(self.gamma_log)
            b_re, b_im = gamma * b_re, gamma * b_im
        s_re = ops.sum(p_re * b_re - p_im * b_im, axis=1)
        s_im = ops.sum(p_re * b_im + p_im * b_re, axis=1)
        return (
            ops.matmul(s_re, self.C_re)
            - ops.matmul(s_im, self.C_im)
            + ops.matmul(inputs[:, -1], self.D)
        )

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, int]:
        return (input_shape[0], self.units)


def build_lru_model(
    length: int,
    features: int,
    state_size: int = 32,
    units: int = 32,
    outputs: int = 1,
    name: str = "LRU",
    **cell_kwargs: Any,
) -> keras.Model:
    """A one-block LRU model for sequence -> value tasks (not compiled):

    ``keras.Input`` -> ``Dense(units, relu)`` at every step (the encoder) -> ``LRU``
    (its last output y_(T-1)) -> ``Dense(units, relu)`` -> ``Dense(outputs)``.

    The layers are named ``encoder``, ``lru``, ``mlp`` and ``readout``; extra keyword
    arguments go to ``LRU`` (``r_min``, ``r_max``, ``max_phase``, ``normalization``,
    ``parameterization``).
    """
    units = require_int("units", units, minimum=1)

    def block(inputs: keras.KerasTensor) -> keras.KerasTensor:
        encoded = keras.layers.Dense(units, activation="relu", name="encoder")(inputs)
        last = LRU(state_size, units, name="lru", **cell_kwargs)(encoded)
        return keras.layers.Dense(units, activation="relu", name="mlp")(last)

    return recurrent_model(block, length, features, outputs, name)
