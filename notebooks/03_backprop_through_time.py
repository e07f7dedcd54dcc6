# %% [markdown]
# # 03 · Backpropagation through time, and when gradients must vanish or may explode
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/gradcourse/gradcourse/blob/main/notebooks/03_backprop_through_time.ipynb)
#
# Notation: every symbol is defined once for the whole course on the
# [notation page](https://github.com/gradcourse/gradcourse/blob/main/docs/notation.md).
#
# This is the mathematical core of the course. You will write backpropagation through
# time (BPTT) for a vanilla RNN yourself, see the Jacobian product that multiplies at
# every step, and test Pascanu, Mikolov and Bengio's (2013) conditions on real matrices.
# Folklore says "recurrent weights below one vanish". What decides it is the **largest
# singular value of $W_{hh}$ times the bound on the activation's derivative**.
#
# **You will learn to**
# - write the backward pass of an RNN step by step, and check it against TensorFlow;
# - compute $\partial h_T/\partial h_t = \prod_j \mathrm{diag}(f'(a_j))\,W_{hh}$ and read its norm against the lag;
# - state and test Pascanu's sufficient condition for vanishing, and see that its
#   converse fails: above the threshold, explosion is possible, not guaranteed;
# - explain why singular values, not eigenvalues, bound short-horizon growth;
# - say what truncated BPTT cuts off.

# %% [markdown]
# ## Setup

# %%
import sys

if "google.colab" in sys.modules:
    %pip install -q "gradcourse @ git+https://github.com/gradcourse/gradcourse@v0.1.0"

# %%
# NBVAL_IGNORE_OUTPUT
import gradcourse as gc  # first: it quiets TensorFlow's start-up logs

gc.setup_notebook(seed=0)

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from gradcourse.activations import DERIVATIVE_BOUND
from gradcourse.gradcheck import numerical_gradient, relative_error
from gradcourse.matrices import non_normal, scaled_orthogonal, singular_values, spectral_radius
from gradcourse.plotting import color_for, sequential_colors
from gradcourse.rnn import RNNParams, gradient_norm_vs_lag, init_rnn, rnn_loss_and_grads

# %% [markdown]
# ## 1. A vanilla RNN, forward and backward, by hand
#
# For one sequence $x_1, \dots, x_T$ and $h_0 = 0$:
#
# $$a_t = W_{xh} x_t + W_{hh} h_{t-1} + b, \qquad h_t = \tanh(a_t), \qquad
#   \hat y = W_{hy} h_T + b_y, \qquad L = \tfrac12 \lVert \hat y - y \rVert^2 .$$
#
# The backward pass walks the same steps in reverse. With
# $\delta_t = \partial L / \partial a_t$:
#
# $$\frac{\partial L}{\partial h_T} = W_{hy}^\top (\hat y - y), \qquad
#   \delta_t = \frac{\partial L}{\partial h_t} \odot \tanh'(a_t), \qquad
#   \frac{\partial L}{\partial h_{t-1}} = W_{hh}^\top \delta_t ,$$
#
# and every step adds its share to the weight gradients:
# $\partial L/\partial W_{hh} \mathrel{+}= \delta_t h_{t-1}^\top$,
# $\partial L/\partial W_{xh} \mathrel{+}= \delta_t x_t^\top$, $\partial L/\partial b \mathrel{+}= \delta_t$.

# %%
rng = np.random.default_rng(0)
T, n_in, n_hidden = 12, 3, 8
params = init_rnn(n_in, n_hidden, output_size=1, recurrent_gain=1.0, seed=0)
W_xh, W_hh, b, W_hy, b_y = params.W_xh, params.W_hh, params.b, params.W_hy, params.b_y
xs = rng.standard_normal((T, n_in))
y = np.array([0.5])

# Forward: keep every pre-activation a_t and state h_t for the backward pass.
h = [np.zeros(n_hidden)]
a = []
for t in range(T):
    a.append(W_xh @ xs[t] + W_hh @ h[-1] + b)
    h.append(np.tanh(a[-1]))
y_hat = W_hy @ h[-1] + b_y
loss = 0.5 * np.sum((y_hat - y) ** 2)

# Backward: one step at a time, from t = T down to t = 1.
dW_xh, dW_hh, db = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros_like(b)
dW_hy = np.outer(y_hat - y, h[-1])
db_y = y_hat - y
d_h = W_hy.T @ (y_hat - y)  # dL/dh_T
for t in reversed(range(T)):
    delta = d_h * (1 - np.tanh(a[t]) ** 2)  # dL/da_t
    dW_xh += np.outer(delta, xs[t])
    dW_hh += np.outer(delta, h[t])  # h[t] is h_(t-1) in the maths: h[0] = h_0
    db += delta
    d_h = W_hh.T @ delta  # dL/dh_(t-1)

print(f"loss = {loss:.6f}")

# %% [markdown]
# Now the same loss in TensorFlow, in float64, with the same weights; `GradientTape`
# gives the reference gradients.

# %%
# NBVAL_IGNORE_OUTPUT
# (round-off differs between machines; the asserts hold everywhere)
weights_tf = {name: tf.Variable(value) for name, value in params.as_dict().items()}
with tf.GradientTape() as tape:
    state = tf.zeros(n_hidden, dtype=tf.float64)
    for t in range(T):
        state = tf.tanh(tf.linalg.matvec(weights_tf["W_xh"], xs[t])
                        + tf.linalg.matvec(weights_tf["W_hh"], state) + weights_tf["b"])
    output = tf.linalg.matvec(weights_tf["W_hy"], state) + weights_tf["b_y"]
    loss_tf = 0.5 * tf.reduce_sum((output - y) ** 2)
grads_tf = tape.gradient(loss_tf, weights_tf)

by_hand = {"W_xh": dW_xh, "W_hh": dW_hh, "b": db, "W_hy": dW_hy, "b_y": db_y}
for name, grad in by_hand.items():
    error = relative_error(grad, grads_tf[name].numpy())
    print(f"{name:5s} relative error vs GradientTape: {error:.1e}")
    assert error < 1e-8

# %% [markdown]
# Our hand-written BPTT agrees with TensorFlow to better than $10^{-8}$ for every
# weight. Central differences, which know nothing about the chain rule, agree too,
# and so does the package's vectorised version `rnn_loss_and_grads` (batched, used in
# later notebooks).

# %%
# NBVAL_IGNORE_OUTPUT
# (round-off differs between machines; the asserts hold everywhere)
def loss_for_recurrent_weights(matrix):
    weights = params.as_dict() | {"W_hh": matrix}
    loss, _ = rnn_loss_and_grads(RNNParams(**weights), xs[None], y[None])
    return loss


numeric_dW_hh = numerical_gradient(loss_for_recurrent_weights, W_hh)
package_loss, package_grads = rnn_loss_and_grads(params, xs[None], y[None])
print(f"central differences vs hand, dL/dW_hh: {relative_error(numeric_dW_hh, dW_hh):.1e}")
print(f"package vs hand, dL/dW_hh:             {relative_error(package_grads.W_hh, dW_hh):.1e}")
assert relative_error(numeric_dW_hh, dW_hh) < 1e-6
assert all(relative_error(getattr(package_grads, name), grad) < 1e-12
           for name, grad in by_hand.items())

# %% [markdown]
# ## 2. The Jacobian product
#
# Unrolling $\partial L/\partial h_{t-1} = W_{hh}^\top \bigl(\partial L/\partial h_t \odot f'(a_t)\bigr)$
# over many steps, the gradient that reaches $h_t$ from $h_T$ is carried by
#
# $$\frac{\partial h_T}{\partial h_t} = \prod_{j=t+1}^{T} \frac{\partial h_j}{\partial h_{j-1}}
#   = \prod_{j=t+1}^{T} \mathrm{diag}\bigl(f'(a_j)\bigr)\, W_{hh} .$$
#
# In one dimension this is notebook 01's product $\prod_j w\,(1-h_j^2)$; now each factor
# is a matrix. We compute the product explicitly on a longer sequence.

# %%
T_long = 60
xs_long = rng.standard_normal((T_long, n_in))
h_t, pre_acts = np.zeros(n_hidden), []
for t in range(T_long):
    pre_acts.append(W_xh @ xs_long[t] + W_hh @ h_t + b)
    h_t = np.tanh(pre_acts[-1])

jacobian = np.eye(n_hidden)  # dh_T/dh_T
norms = [1.0]
for t in reversed(range(T_long)):
    local = np.diag(1 - np.tanh(pre_acts[t]) ** 2) @ W_hh  # dh_(t+1)/dh_t in maths indexing
    jacobian = jacobian @ local
    norms.append(np.linalg.norm(jacobian, ord=2))
norms = np.array(norms)

fig, ax = plt.subplots()
ax.semilogy(np.arange(T_long + 1), norms, color=color_for("tanh"),
            label="tanh RNN, $W_{hh}$ orthogonal")
ax.set_xlabel("lag $T - t$ (steps)")
ax.set_ylabel(r"$\|\partial h_T / \partial h_t\|_2$")
ax.set_title("How much of $h_t$ still reaches $h_T$")
ax.legend()
plt.show()

print(f"||dh_T/dh_t|| at lag 10: {norms[10]:.2e}, at lag 60: {norms[60]:.2e}")
assert np.all(np.diff(norms) <= 1e-12) and norms[60] < 1e-3 * norms[10]

# %% [markdown]
# With Keras' default recurrent initialisation (orthogonal, all singular values 1) and
# tanh, the norm never grows and falls by more than three orders of magnitude between
# lag 10 and lag 60: every $\tanh' < 1$ takes a bite.

# %% [markdown]
# ## 3. Pascanu's conditions
#
# Because $\lVert AB \rVert \le \lVert A \rVert \lVert B \rVert$ and
# $\lVert \mathrm{diag}(f'(a)) \rVert \le \gamma$ (the largest $|f'|$: $\gamma = 1$ for
# tanh, $\gamma = 1/4$ for sigmoid):
#
# $$\Bigl\lVert \frac{\partial h_T}{\partial h_0} \Bigr\rVert \le (\gamma\,\lambda_1)^T ,$$
#
# where $\lambda_1$ is the largest singular value of $W_{hh}$. So if
# $\lambda_1 < 1/\gamma$, gradients **must** vanish (a sufficient condition). The
# converse is only *necessary*: $\lambda_1 > 1/\gamma$ allows explosion but does not
# cause it. We test both with $W_{hh} = g\,Q$, $Q$ orthogonal, so that $\lambda_1 = g$,
# on 32 units driven by random inputs.

# %%
steps, width = 100, 32
gains = [0.5, 1.0, 1.5, 2.0, 3.0, 4.0]
lags = np.arange(steps + 1)
sweep = {
    act: {g: gradient_norm_vs_lag(scaled_orthogonal(width, g, seed=1), steps, act) for g in gains}
    for act in ("tanh", "sigmoid")
}

fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
for ax, act in zip(axes, ("tanh", "sigmoid"), strict=True):
    gamma = DERIVATIVE_BOUND[act]  # 1 for tanh, 1/4 for sigmoid
    for g, color in zip(gains, sequential_colors(len(gains)), strict=True):
        ax.semilogy(lags, sweep[act][g], color=color, label=f"g = {g}")
    ax.set_title(f"{act}: $\\gamma = {gamma}$, vanishing guaranteed for $g < {1 / gamma:g}$")
    ax.set_xlabel("lag T (steps)")
    ax.set_ylim(1e-40, 1e12)
axes[0].set_ylabel(r"$\|\partial h_T / \partial h_0\|_2$")
axes[0].legend(ncol=2)
plt.show()

# %% [markdown]
# Every curve with $g < 1/\gamma$ lies below its bound $(\gamma g)^T$; a sigmoid RNN
# vanishes even at $g = 3$, where tanh already explodes.

# %%
for act in ("tanh", "sigmoid"):
    gamma = DERIVATIVE_BOUND[act]
    for g in gains:
        if g < 1 / gamma:
            assert np.all(sweep[act][g] <= (gamma * g) ** lags * (1 + 1e-9)), (act, g)
print(f"sigmoid, g = 3:  ||dh_100/dh_0|| = {sweep['sigmoid'][3.0][-1]:.1e}  "
      f"(bound {(DERIVATIVE_BOUND['sigmoid'] * 3) ** 100:.1e})")
print(f"tanh,    g = 3:  ||dh_100/dh_0|| = {sweep['tanh'][3.0][-1]:.1e}")
assert sweep["sigmoid"][3.0][-1] < 1e-12 and sweep["tanh"][3.0][-1] > 1e6

# %% [markdown]
# A phase picture summarises the tanh sweep: gain against lag, colour = $\log_{10}$ of
# the gradient norm. The white contour is norm 1.

# %%
phase_gains = np.linspace(0.5, 3.0, 26)
phase = np.array([np.log10(gradient_norm_vs_lag(scaled_orthogonal(width, g, seed=1), steps, "tanh"))
                  for g in phase_gains])

fig, ax = plt.subplots()
image = ax.pcolormesh(lags, phase_gains, np.clip(phase, -20, 20), cmap="RdBu_r", vmin=-20, vmax=20,
                      shading="auto")
ax.contour(lags, phase_gains, phase, levels=[0.0], colors="white", linewidths=2)
fig.colorbar(image, ax=ax, label=r"$\log_{10} \|\partial h_T / \partial h_0\|$")
ax.axhline(1.0, color="black", ls="--", lw=1.5)
ax.set_xlabel("lag T (steps)")
ax.set_ylabel(r"gain $g$ = largest singular value $\lambda_1$")
ax.set_title("tanh RNN: below g = 1 always blue (vanishing)")
plt.show()
assert np.all(phase[phase_gains < 1.0][:, 1:] < 0)

# %% [markdown]
# ### Above the threshold: possible, not guaranteed
#
# With $g > 1$, whether tanh explodes depends on how saturated the units are, which
# depends on the inputs. The same $W_{hh}$ with $g = 1.5$ vanishes when strong inputs
# saturate the units; a linear RNN with the same matrix explodes exactly as $g^T$.

# %%
W_big = scaled_orthogonal(width, 1.5, seed=1)
tanh_saturated = gradient_norm_vs_lag(W_big, steps, "tanh", input_scale=3.0)
linear = gradient_norm_vs_lag(W_big, steps, "linear", input_scale=3.0)

fig, ax = plt.subplots()
ax.semilogy(lags, linear, color=color_for("linear"), label="linear, g = 1.5")
ax.semilogy(lags, tanh_saturated, color=color_for("tanh"), label="tanh, g = 1.5, strong inputs")
ax.semilogy(lags, 1.5**lags, color="gray", ls=":", label="$1.5^T$ (the bound)")
ax.set_xlabel("lag T (steps)")
ax.set_ylabel(r"$\|\partial h_T / \partial h_0\|_2$")
ax.legend()
plt.show()

mean_derivative = np.mean(1 - np.tanh(3.0 * rng.standard_normal(10_000)) ** 2)
print(f"linear: {linear[-1]:.2e} = 1.5^100;  tanh: {tanh_saturated[-1]:.1e};  "
      f"mean tanh' at input scale 3: about {mean_derivative:.2f}")
assert relative_error(linear, 1.5**lags) < 1e-9
assert tanh_saturated[-1] < 1e-12

# %% [markdown]
# ## 4. Singular values, not eigenvalues
#
# The spectral radius $\rho$ (largest $|$eigenvalue$|$) decides what happens to
# $W^k$ as $k \to \infty$; the largest singular value bounds every single step. For a
# *non-normal* matrix they differ. Below, every eigenvalue is $0.9$, but
# $\lambda_1 \approx 1.5$: a linear RNN's gradient first **grows**, then decays.

# %%
W_nn = non_normal(width, radius=0.9, coupling=1.0, seed=2)
rho, lambda_1 = spectral_radius(W_nn), singular_values(W_nn).max()
transient = gradient_norm_vs_lag(W_nn, 60, "linear")

fig, ax = plt.subplots()
ax.semilogy(np.arange(61), transient, color=color_for("linear"), label="non-normal $W_{hh}$")
ax.semilogy(np.arange(61), rho ** np.arange(61), color="gray", ls=":", label=r"$\rho^T$")
ax.axhline(1.0, color="black", lw=1)
ax.set_xlabel("lag T (steps)")
ax.set_ylabel(r"$\|\partial h_T / \partial h_0\|_2$")
ax.set_title(f"spectral radius {rho:.2f}, largest singular value {lambda_1:.2f}")
ax.legend()
plt.show()

peak = int(np.argmax(transient))
print(f"peak {transient[peak]:.2f} at lag {peak}; lag 60: {transient[60]:.3f}")
assert rho < 1 < lambda_1
assert transient[peak] > 3 and transient[60] < 1

# %% [markdown]
# "Weights below one" is the wrong summary: this matrix's eigenvalues are all below
# one, yet gradients grow almost fourfold over ten steps. For bounds over a finite
# horizon, look at singular values.

# %% [markdown]
# ## 5. Aside: truncated BPTT
#
# Truncated BPTT stops the backward pass after $k$ steps. It saves memory and time but
# drops every path longer than $k$: the model cannot learn a dependency it never sees.
# How much of the gradient is lost depends on the regime.

# %%
batch = rng.standard_normal((16, 50, n_in))
targets = rng.standard_normal((16, 1))
truncations = [1, 2, 5, 10, 20, 30, 40]


def truncated_gradient(model, k):
    """dL/dW_hh when the backward pass stops after k steps."""
    _, grads = rnn_loss_and_grads(model, batch, targets, truncate=k)
    return grads.W_hh


truncation_error = {}  # gain g -> {truncation length k: relative error}
for g in (0.5, 1.5):
    model = init_rnn(n_in, n_hidden, recurrent_gain=g, seed=0)
    _, full = rnn_loss_and_grads(model, batch, targets)
    truncation_error[g] = {k: relative_error(truncated_gradient(model, k), full.W_hh)
                           for k in truncations}

fig, ax = plt.subplots()
for g, color in zip(truncation_error, ["#0072B2", "#D55E00"], strict=True):
    ax.semilogy(truncations, [truncation_error[g][k] for k in truncations], "o-", color=color,
                label=f"g = {g}")
ax.set_xlabel("truncation length k (steps)")
ax.set_ylabel(r"relative error of $\partial L/\partial W_{hh}$")
ax.legend()
plt.show()
for g, errors in truncation_error.items():
    print(f"g = {g}: relative error of the gradient truncated at k = 10: {errors[10]:.1e}")
assert truncation_error[0.5][10] < 1e-3 < truncation_error[1.5][10]
untruncated = truncated_gradient(model, 50)  # k = T: nothing is cut
assert relative_error(untruncated, full.W_hh) == 0.0

# %% [markdown]
# When gradients vanish ($g = 0.5$), truncating at 10 steps changes almost nothing,
# because almost nothing was coming from further back. Near or above the edge
# ($g = 1.5$), truncation discards a real part of the gradient.

# %% [markdown]
# ## Summary
#
# - Hand-written BPTT agrees with `tf.GradientTape` to better than $10^{-8}$ (float64),
#   and with central differences.
# - The gradient from step $T$ back to step $t$ is carried by
#   $\prod_j \mathrm{diag}(f'(a_j))\,W_{hh}$; with orthogonal $W_{hh}$ and tanh its norm
#   fell more than a thousandfold between lag 10 and lag 60.
# - $\lVert \partial h_T/\partial h_0 \rVert \le (\gamma \lambda_1)^T$: below
#   $\lambda_1 = 1/\gamma$ gradients must vanish. A sigmoid RNN vanished even at $g = 3$.
# - Above the threshold, explosion is possible, not certain: with $g = 1.5$ a linear RNN
#   exploded as $1.5^T$ while a saturated tanh RNN vanished; at $g = 3$ tanh exploded.
# - A matrix whose eigenvalues are all $0.9$ made the gradient grow more than threefold
#   before decaying: singular values bound the short horizon.
# - Truncated BPTT loses little when gradients vanish anyway, and a real part of the
#   gradient near the edge.

# %% [markdown]
# ## Exercises
#
# Replace `None` with your answer and run the cell; `gc.show_solution("03.1")` shows a
# reference solution.
#
# **Exercise 03.1.** A sigmoid RNN's recurrent matrix has largest singular value 2.
# What upper bound does the argument of section 3 give for
# $\lVert \partial h_{10}/\partial h_0 \rVert$?

# %%
answer_03_1 = None  # a number
gc.check("03.1", answer_03_1)

# %% [markdown]
# **Exercise 03.2.** With $W_{hh} = g\,Q$, above which gain $g$ does the sufficient
# condition stop guaranteeing vanishing gradients for a **sigmoid** RNN?

# %%
answer_03_2 = None  # a number
gc.check("03.2", answer_03_2)

# %% [markdown]
# **Exercise 03.3.** Section 1 wrote the backward step of a tanh RNN. Now write it for a
# **sigmoid** RNN, $h_t = \sigma(a_t)$, from the state instead of the pre-activation:
# given $\partial L/\partial h_t$ (a vector `d_h`), the state $h_t$ (`h`) and $W_{hh}$,
# return $\partial L/\partial h_{t-1}$. Hint: $\sigma'(a_t)$ can be written with $h_t$ alone.

# %%
def sigmoid_backward_step(d_h, h, W_hh):
    raise NotImplementedError  # your code here


gc.check("03.3", sigmoid_backward_step)

# %% [markdown]
# ## References
#
# - Pascanu, Mikolov & Bengio (2013), *On the difficulty of training recurrent neural
#   networks*: the conditions of section 3, $\lambda_1 < 1/\gamma$ (vanishing) and
#   $\lambda_1 > 1/\gamma$ (necessary for explosion).
#
# Full citations: [references](https://github.com/gradcourse/gradcourse/blob/main/docs/references.md).

# %% [markdown]
# ---
# **Next:** [04 · SimpleRNN vs LSTM: does the LSTM really fix it?](04_simplernn_vs_lstm.ipynb)
