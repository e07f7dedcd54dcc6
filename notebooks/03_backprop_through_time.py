# %% [markdown] slideshow={"slide_type": "slide"}
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
# Folklore says "recurrent weights below one vanish". Two numbers do better. The
# **worst case**: the largest singular value of $W_{hh}$ times the bound on the
# activation's derivative (Pascanu et al.) says when gradients *must* vanish. The
# **average case**: the mean-field growth factor $\chi$ (Poole et al. 2016; Chen, Pennington &
# Schoenholz 2018) says where they actually vanish or explode, until the structure of
# $W_{hh}$ overrules it.
#
# **You will learn to**
# - write the backward pass of an RNN step by step, and check it against TensorFlow;
# - compute $\partial h_T/\partial h_t = \prod_j \mathrm{diag}(f'(a_j))\,W_{hh}$ and read its norm against the lag;
# - state and test Pascanu's sufficient condition for vanishing, and its contrapositive, a
#   *necessary* condition for explosion: above the threshold, explosion is possible, not guaranteed;
# - predict the regime from $\chi = (\lVert W \rVert_F^2/n)\,\mathbb E[f'(a)^2]$, and spot
#   structure (identity, non-normal matrices) that beats the average;
# - explain why singular values, not eigenvalues, bound short-horizon growth;
# - say what truncated BPTT cuts off.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Setup

# %% slideshow={"slide_type": "skip"}
import sys

if "google.colab" in sys.modules:
    %pip install -q "gradcourse @ git+https://github.com/gradcourse/gradcourse@v0.1.0"

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
import gradcourse as gc  # first: it quiets TensorFlow's start-up logs

# Every random draw below follows SEED (tools/check_seeds.py re-runs it with others).
SEED = 0
gc.setup_notebook(seed=SEED)

import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from gradcourse.activations import DERIVATIVE_BOUND, mean_field_chi, saturated_mask
from gradcourse.gradcheck import numerical_gradient, relative_error
from gradcourse.live import bptt_demo, bptt_figure, gradient_over_lag
from gradcourse.matrices import non_normal, scaled_orthogonal, singular_values, spectral_radius
from gradcourse.plotting import color_for, sequential_colors
from gradcourse.rnn import (
    RNNParams,
    driven_pre_activations,
    first_lag_below,
    gradient_norm_vs_lag,
    init_rnn,
    jacobian_norms,
    rnn_loss_and_grads,
)

# %% [markdown] slideshow={"slide_type": "slide"}
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

# %% slideshow={"slide_type": "-"}
rng = np.random.default_rng(SEED)
T, n_in, n_hidden = 12, 3, 8
params = init_rnn(n_in, n_hidden, output_size=1, recurrent_gain=1.0, seed=SEED)
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

# %% [markdown] slideshow={"slide_type": "subslide"}
# Now the same loss in TensorFlow, in float64, with the same weights; `GradientTape`
# gives the reference gradients.

# %% slideshow={"slide_type": "-"}
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

# %% [markdown] slideshow={"slide_type": "subslide"}
# Our hand-written BPTT agrees with TensorFlow to better than $10^{-8}$ for every
# weight. Central differences, which know nothing about the chain rule, agree too,
# and so does the package's vectorised version `rnn_loss_and_grads` (batched, used in
# later notebooks).

# %% slideshow={"slide_type": "-"}
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

# %% [markdown] slideshow={"slide_type": "slide"}
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

# %% slideshow={"slide_type": "subslide"}
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
ax.set_xlabel("lag $k = T - t$ (steps)")
ax.set_ylabel(r"$\|\partial h_T / \partial h_t\|_2$, $T = 60$")
ax.set_title("How much of $h_t$ still reaches $h_T$")
ax.legend()
plt.show()

print(f"||dh_60/dh_50|| (lag 10) = {norms[10]:.2e}, ||dh_60/dh_0|| (lag 60) = {norms[60]:.2e}: "
      f"a factor {norms[10] / norms[60]:.1e} apart")
assert np.all(np.diff(norms) <= 1e-12)  # never grows
# Over 20 draws (tools/spreads.py, seeds 0-19) the ratio was 8e5 to 6e13 (median 2e10).
assert norms[10] / norms[60] > 1e5  # at least five orders of magnitude

# %% [markdown] slideshow={"slide_type": "subslide"}
# With Keras' default recurrent initialisation (orthogonal, all singular values 1) and
# tanh, the norm never grows and falls by about nine orders of magnitude (a factor of
# about $2 \times 10^9$) between lag 10 and lag 60: every $\tanh' < 1$ takes a bite. How
# far it falls depends on the draw: over 20 draws of weights and inputs, by a factor of
# $10^6$ to $10^{14}$ (about $10^{10}$ typically).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Pascanu's conditions
#
# Because $\lVert AB \rVert \le \lVert A \rVert \lVert B \rVert$ and
# $\lVert \mathrm{diag}(f'(a)) \rVert \le \gamma$ (the largest $|f'|$: $\gamma = 1$ for
# tanh, $\gamma = 1/4$ for sigmoid):
#
# $$\Bigl\lVert \frac{\partial h_T}{\partial h_0} \Bigr\rVert \le (\gamma\,\lambda_1)^T ,$$
#
# where $\lambda_1$ is the largest singular value of $W_{hh}$. So if
# $\lambda_1 < 1/\gamma$, gradients **must** vanish: a *sufficient* condition. Its
# contrapositive: if the gradients do not vanish, then $\lambda_1 \ge 1/\gamma$; and to
# *grow* they need $\lambda_1 > 1/\gamma$ (with $\gamma\lambda_1 \le 1$ the bound is at most 1).
# So $\lambda_1 > 1/\gamma$ is *necessary* for explosion, not sufficient: it allows
# explosion but does not cause it. We test both with $W_{hh} = g\,Q$, $Q$ orthogonal, so
# that $\lambda_1 = g$, on 32 units driven by random inputs ($W_{xh} = I$, inputs
# $\mathcal N(0, 1)$, $T = 100$ steps). `gradient_norm_vs_lag` returns
# $\lVert \partial h_{100}/\partial h_{100-k} \rVert$ for every lag $k = 0, \dots, 100$.

# %% slideshow={"slide_type": "subslide"}
steps, width = 100, 32
gains = [0.5, 1.0, 1.5, 2.0, 3.0, 4.0]
lags = np.arange(steps + 1)
sweep = {
    act: {g: gradient_norm_vs_lag(scaled_orthogonal(width, g, seed=SEED + 1), steps, act,
                                 seed=SEED) for g in gains}
    for act in ("tanh", "sigmoid")
}

fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
for ax, act in zip(axes, ("tanh", "sigmoid"), strict=True):
    gamma = DERIVATIVE_BOUND[act]  # 1 for tanh, 1/4 for sigmoid
    for g, color in zip(gains, sequential_colors(len(gains)), strict=True):
        ax.semilogy(lags, sweep[act][g], color=color, label=f"g = {g}")
    ax.set_title(f"{act}: $\\gamma = {gamma}$, vanishing guaranteed for $g < {1 / gamma:g}$")
    ax.set_xlabel("lag $k$ (steps)")
    ax.set_ylim(1e-40, 1e12)
axes[0].set_ylabel(r"$\|\partial h_{100} / \partial h_{100-k}\|_2$")
axes[0].legend(ncol=2)
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# Every curve with $g < 1/\gamma$ lies below its bound $(\gamma g)^k$; a sigmoid RNN
# vanishes even at $g = 3$, where tanh already explodes.

# %% slideshow={"slide_type": "-"}
for act in ("tanh", "sigmoid"):
    gamma = DERIVATIVE_BOUND[act]
    for g in gains:
        if g < 1 / gamma:
            assert np.all(sweep[act][g] <= (gamma * g) ** lags * (1 + 1e-9)), (act, g)
print(f"sigmoid, g = 3:  ||dh_100/dh_0|| = {sweep['sigmoid'][3.0][-1]:.1e}  "
      f"(bound {(DERIVATIVE_BOUND['sigmoid'] * 3) ** 100:.1e})")
print(f"tanh,    g = 3:  ||dh_100/dh_0|| = {sweep['tanh'][3.0][-1]:.1e}")
print(f"tanh,    g = 1.5: ||dh_100/dh_0|| = {sweep['tanh'][1.5][-1]:.1e}")
assert sweep["sigmoid"][3.0][-1] < 1e-12 and sweep["tanh"][3.0][-1] > 1e6
assert sweep["tanh"][1.5][-1] < 1e-3  # above tanh's threshold, and still vanishing

# %% [markdown] slideshow={"slide_type": "subslide"}
# Pascanu's bound is a **worst case**: it assumes every step stretches the gradient by
# the most it can. Yet tanh at $g = 1.5$, above its threshold $1/\gamma = 1$, still
# vanished. Where does the real boundary lie?
#
# ### The average case: $\chi$
#
# One step multiplies a vector $v$ by $\mathrm{diag}(f'(a))\,W_{hh}$. For a random
# direction $v$, $\lVert W_{hh} v \rVert^2$ is on average $\lVert W_{hh} \rVert_F^2/n$ times
# $\lVert v \rVert^2$, and the diagonal then scales each component by $f'(a_i)$. So, on
# average, the squared norm is multiplied per step by
#
# $$\chi = \frac{\lVert W_{hh} \rVert_F^2}{n}\; \mathbb E\bigl[f'(a)^2\bigr],$$
#
# the mean-field growth factor of Poole et al. (2016) and Chen, Pennington & Schoenholz (2018),
# and after $k$ steps the norm is about $\chi^{k/2}$: $\chi < 1$ vanishes, $\chi > 1$ grows.
# For $W_{hh} = g\,Q$, $\lVert W_{hh} \rVert_F^2/n = g^2$; $\mathbb E[f'(a)^2]$ is the mean
# over the pre-activations the network actually visits, and it falls as $g$ grows because
# larger states saturate more units. We compute $\chi$ from the same matrices and
# pre-activations as the gradient norms, and draw $\chi = 1$ on a phase picture of the
# tanh sweep: gain against lag, colour $= \log_{10}$ of the gradient norm, orange
# contour = norm 1.

# %% slideshow={"slide_type": "subslide"}
phase_gains = np.linspace(0.5, 3.0, 26)
phase, chi_phase = [], []
for g in phase_gains:
    W = scaled_orthogonal(width, g, seed=SEED + 1)
    # the same run as gradient_norm_vs_lag's
    pre = driven_pre_activations(W, steps, "tanh", seed=SEED)
    phase.append(np.log10(jacobian_norms(W, pre, "tanh")))
    chi_phase.append(mean_field_chi(W, pre, "tanh"))
phase, chi_phase = np.array(phase), np.array(chi_phase)
sigmoid_gains = [1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0]
sigmoid_rate, sigmoid_chi = [], []
for g in sigmoid_gains:
    W = scaled_orthogonal(width, g, seed=SEED + 1)
    pre = driven_pre_activations(W, steps, "sigmoid", seed=SEED)
    sigmoid_rate.append(np.log10(jacobian_norms(W, pre, "sigmoid")[-1]) / steps)
    sigmoid_chi.append(mean_field_chi(W, pre, "sigmoid"))
sigmoid_rate, sigmoid_chi = np.array(sigmoid_rate), np.array(sigmoid_chi)

# Where chi crosses 1, and where the measured norm at lag 100 crosses 1 (linear interpolation).
g_chi = np.interp(0.0, np.log(chi_phase), phase_gains)
g_measured = np.interp(0.0, phase[:, -1], phase_gains)

fig, (ax, ax_rate) = plt.subplots(1, 2, figsize=(13, 4.8))
image = ax.pcolormesh(lags, phase_gains, np.clip(phase, -20, 20), cmap="RdBu_r", vmin=-20,
                      vmax=20, shading="auto")
ax.contour(lags, phase_gains, phase, levels=[0.0], colors="#E69F00", linewidths=2.5)
fig.colorbar(image, ax=ax, label=r"$\log_{10} \|\partial h_{100} / \partial h_{100-k}\|$")
ax.plot([], [], color="#E69F00", lw=2.5, label="measured norm = 1")  # the contour's legend entry
ax.axhline(g_chi, color="black", lw=2.5, label=r"$\chi = 1$ (mean field)")
ax.axhline(1.0, color="black", ls="--", lw=1.5, label=r"$\lambda_1 = 1/\gamma$ (Pascanu)")
ax.set_xlabel("lag $k$ (steps)")
ax.set_ylabel(r"gain $g$ = largest singular value $\lambda_1$")
ax.set_title("tanh RNN: where the gradient norm crosses 1")
ax.legend(loc="lower right", fontsize=10)

tanh_rate = phase[:, -1] / steps
for act, chi_values, rate in (("tanh", chi_phase, tanh_rate),
                              ("sigmoid", sigmoid_chi, sigmoid_rate)):
    ax_rate.plot(0.5 * np.log10(chi_values), rate, "o", color=color_for(act), label=act)
diagonal = np.array([-0.7, 0.15])
ax_rate.plot(diagonal, diagonal, color="gray", ls=":", label="prediction = measurement")
ax_rate.axhline(0.0, color="black", lw=1)
ax_rate.axvline(0.0, color="black", lw=1)
ax_rate.set_xlabel(r"predicted: $\frac{1}{2}\log_{10}\chi$ (decades per step)")
ax_rate.set_ylabel(r"measured: $\frac{1}{100}\log_{10}\|\partial h_{100}/\partial h_0\|$")
ax_rate.set_title("growth per step, one point per gain")
ax_rate.legend()
plt.show()

print(f"tanh: chi = 1 at g = {g_chi:.2f}; measured norm at lag 100 = 1 at g = {g_measured:.2f}; "
      f"Pascanu's guarantee ends at g = 1")
print(f"sigmoid: chi = {sigmoid_chi[5]:.3f} at g = 8, {sigmoid_chi[6]:.3f} at g = 10 "
      f"(Pascanu's guarantee ends at g = 4)")
predicted = 0.5 * np.log10(np.concatenate([chi_phase, sigmoid_chi]))
measured = np.concatenate([tanh_rate, sigmoid_rate])
print(f"largest |measured - predicted| growth per step: {np.max(np.abs(measured - predicted)):.3f} "
      f"decades, over {len(measured)} gains")
assert np.all(phase[phase_gains < 1.0][:, 1:] < 0)  # Pascanu: below g = 1, always vanishing
# Over 20 draws (tools/spreads.py): chi = 1 at g = 1.80 to 1.93, the measured boundary
# within 0.13 of it; |measured - predicted| at most 0.014 to 0.052 decades per step; the
# sigmoid's chi 0.67-1.07 at g = 8 and 0.84-1.35 at g = 10.
assert np.all(phase[(phase_gains > 1.0) & (phase_gains < 1.6), -1] < 0)  # allowed, not seen
assert 1.75 < g_chi < 2.0 and abs(g_measured - g_chi) < 0.2  # chi = 1 is the boundary
assert np.max(np.abs(measured - predicted)) < 0.07  # the rate, within 0.07 decades/step ...
clear = np.abs(predicted) > 0.07  # ... so wherever chi is not within that of 1,
assert np.all(np.sign(measured[clear]) == np.sign(predicted[clear]))  # chi names the regime
assert np.all(sigmoid_chi[:5] < 1) and np.all(sigmoid_rate[:5] < 0)  # sigmoid up to g = 6

# %% [markdown] slideshow={"slide_type": "subslide"}
# - Below $g = 1$ the picture is blue everywhere, as Pascanu's bound guarantees.
# - Between $g = 1$ and $g \approx 1.9$ the bound allows growth, but tanh's gradients still
#   vanish: its units spend enough time away from $a = 0$ that $\mathbb E[\tanh'(a)^2]$
#   keeps $\chi$ below 1.
# - The measured boundary (orange) lies where $\chi = 1$ ($g \approx 1.9$; 1.8 to 1.93
#   over 20 draws of matrix and inputs, the measured boundary within 0.13 of it), and
#   every point of the right panel sits near the diagonal: for these random orthogonal
#   matrices, $\tfrac12 \log_{10}\chi$ predicts the growth per step within 0.03 decades
#   here (at most 0.014 to 0.052 over 20 draws), for tanh and for the sigmoid, whose
#   $\chi$ reaches 1 only near $g = 8$ to $10$ (below 1 up to $g = 6$ in every draw), far
#   above $g = 4$, where its guarantee ends.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Above the threshold: possible, not guaranteed
#
# With $g > 1/\gamma$, whether the gradient explodes depends on $\mathbb E[f'(a)^2]$, and
# so on how saturated the units are, which depends on the inputs. One matrix,
# $W_{hh} = 1.5\,Q$ (above tanh's threshold), driven by inputs of four scales:

# %% slideshow={"slide_type": "subslide"}
W_big = scaled_orthogonal(width, 1.5, seed=SEED + 1)
input_scales = [0.1, 0.3, 1.0, 3.0]
by_scale = {}
for scale in input_scales:
    pre = driven_pre_activations(W_big, steps, "tanh", input_scale=scale, seed=SEED)
    by_scale[scale] = {"norms": jacobian_norms(W_big, pre, "tanh"),
                       "chi": mean_field_chi(W_big, pre, "tanh"),
                       "saturated": saturated_mask(np.tanh(pre), "tanh").mean()}

fig, ax = plt.subplots()
for scale, color in zip(input_scales, sequential_colors(len(input_scales)), strict=True):
    ax.semilogy(lags, by_scale[scale]["norms"], color=color, label=f"input scale {scale}")
ax.semilogy(lags, 1.5**lags, color="gray", ls=":", label="$1.5^k$ (Pascanu's bound)")
ax.axhline(1.0, color="black", lw=1)
ax.set_xlabel("lag $k$ (steps)")
ax.set_ylabel(r"$\|\partial h_{100} / \partial h_{100-k}\|_2$")
ax.set_title("tanh RNN, $W_{hh} = 1.5\\,Q$: the inputs decide")
ax.legend()
plt.show()

print("input scale | saturated units | chi   | ||dh_100/dh_0||")
for scale, row in by_scale.items():
    print(f"{scale:>11} | {row['saturated']:>15.1%} | {row['chi']:.3f} | {row['norms'][-1]:.2e}")
final = [by_scale[scale]["norms"][-1] for scale in input_scales]
assert np.all(np.diff(final) < 0)  # larger inputs, smaller gradient
# Over 20 draws (tools/spreads.py): 1e3 to 2e4 at scale 0.1, 5 to 500 at 0.3, 5e-8 to
# 1.3e-5 at 1, 8e-28 to 8e-23 at 3.
assert final[0] > 100 and final[1] > 1  # weak inputs: it grows
assert final[2] < 1e-4 and final[3] < 1e-20  # strong inputs: it vanishes
assert np.all(np.diff([row["chi"] for row in by_scale.values()]) < 0)
assert np.all(np.diff([row["saturated"] for row in by_scale.values()]) > 0)
assert by_scale[0.1]["saturated"] < 0.05 and by_scale[3.0]["saturated"] > 0.45
assert by_scale[0.3]["chi"] > 1 > by_scale[1.0]["chi"]  # chi crosses 1 where the regime flips
assert all(np.sign(np.log(row["chi"])) == np.sign(np.log(row["norms"][-1]))
           for row in by_scale.values())

# %% [markdown] slideshow={"slide_type": "subslide"}
# Same matrix, same $\lambda_1 = 1.5$: with weak inputs (scale 0.1 and 0.3) the gradient
# **explodes** (more than a thousandfold and tenfold by lag 100 here; over 20 draws
# $10^3$ to $2 \times 10^4$ and 5 to 500); with inputs of scale 1 and 3 it **vanishes**
# (below $10^{-6}$ and $10^{-20}$ here; at most $1.3 \times 10^{-5}$ and $10^{-22}$ over 20 draws).
# Stronger inputs push more units into saturation (from under 5% to about half),
# $\mathbb E[\tanh'(a)^2]$ falls, and
# $\chi$ crosses 1 between input scales 0.3 and 1, exactly where the regime flips.
# Saturation pulls a gradient from exploding to vanishing; $\lambda_1 > 1/\gamma$ only
# made explosion *possible*.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Turn the knobs
#
# The same experiment with sliders: the gain $g$ of $W_{hh} = g\,Q$ (so $\lambda_1 = g$),
# the input scale (on a log scale) and the activation. The curve is
# $\lVert \partial h_{100}/\partial h_{100-k} \rVert$; dotted, Pascanu's bound
# $(\gamma g)^k$; dashed, the mean-field prediction $\chi^{k/2}$. Things to try:
#
# - at $g = 1.5$, slide the input scale from 1 down to 0.1: $\chi$ crosses 1 and the
#   gradient flips from vanishing to exploding;
# - bring $g$ below 1: no input scale makes the curve rise above the dotted bound;
# - switch to `sigmoid`: with $\gamma = 1/4$ the bound $(g/4)^k$ allows growth only
#   above $g = 4$, the end of the slider.
#
# The figure below the widget is its starting point ($g = 1.5$, input scale 1, tanh).

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
# (a widget's view holds a model id that changes at every run)
bptt_demo()

# %% slideshow={"slide_type": "subslide"}
# The demo's starting point is the run at input scale 1 above: the same matrix and inputs.
start = gradient_over_lag(1.5, 1.0, "tanh", matrix_seed=SEED + 1, input_seed=SEED)
assert np.array_equal(start.norms, by_scale[1.0]["norms"]) and start.chi == by_scale[1.0]["chi"]

bptt_figure(gain=1.5, input_scale=1.0, activation="tanh")
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. Singular values, not eigenvalues, and structure that beats the average
#
# The spectral radius $\rho$ (largest $|$eigenvalue$|$) decides what happens to
# $W^k$ as $k \to \infty$; the largest singular value bounds every single step. For a
# *non-normal* matrix they differ. Below, every eigenvalue is $0.9$, but
# $\lambda_1 \approx 1.5$: a linear RNN's gradient (here exactly $\lVert W_{hh}^k \rVert$)
# first **grows**, then decays. We also draw the mean-field prediction $\chi^{k/2}$.

# %% slideshow={"slide_type": "subslide"}
W_nn = non_normal(width, radius=0.9, coupling=1.0, seed=SEED + 2)
rho, lambda_1 = spectral_radius(W_nn), singular_values(W_nn).max()
transient = gradient_norm_vs_lag(W_nn, 60, "linear", seed=SEED)
pre_nn = driven_pre_activations(W_nn, 60, "linear", seed=SEED)
chi_nn = mean_field_chi(W_nn, pre_nn, "linear")
short_lags = np.arange(61)

fig, ax = plt.subplots()
ax.semilogy(short_lags, transient, color=color_for("linear"), label="non-normal $W_{hh}$")
ax.semilogy(short_lags, rho**short_lags, color="gray", ls=":", label=r"$\rho^k$ (eigenvalues)")
ax.semilogy(short_lags, chi_nn ** (short_lags / 2), color="gray", ls="--",
            label=r"$\chi^{k/2}$ (mean field)")
ax.axhline(1.0, color="black", lw=1)
ax.set_xlabel("lag $k$ (steps)")
ax.set_ylabel(r"$\|\partial h_{60} / \partial h_{60-k}\|_2 = \|W_{hh}^k\|_2$")
ax.set_title(f"spectral radius {rho:.2f}, largest singular value {lambda_1:.2f}")
ax.legend()
plt.show()

peak = int(np.argmax(transient))
print(f"rho = {rho:.2f}, lambda_1 = {lambda_1:.3f}, chi = {chi_nn:.3f}")
print(f"measured: peak {transient[peak]:.2f} at lag {peak}, {transient[60]:.3f} at lag 60; "
      f"rho^60 = {rho**60:.1e}, chi^30 = {chi_nn**30:.1e}")
assert rho < 1 < 1.45 < lambda_1 < 1.6
assert 3.5 < transient[peak] < 4 and peak <= 10  # almost fourfold within ten steps ...
assert transient[60] < 1  # ... then it decays,
assert chi_nn > 1.3 and chi_nn**30 > 1e3  # although chi predicts growth at every step

# %% [markdown] slideshow={"slide_type": "subslide"}
# "Weights below one" is the wrong summary: this matrix's eigenvalues are all below
# one, yet gradients grow almost fourfold (3.9) within ten steps. For bounds over a finite
# horizon, look at singular values. The average case fails here too: $\chi \approx 1.31$
# predicts growth at every step (over a thousandfold by lag 60), while the gradient is
# below 1 again by then. $\chi$ describes a *random* direction through a *random*
# matrix; a fixed matrix applied again and again has structure the average ignores.
#
# ### The identity with ReLU
#
# A second structure, the one behind the IRNN (Le et al. 2015, notebook 06):
# $W_{hh} = I$ with ReLU units. About one unit-step in eight is inactive ($f' = 0$),
# so $\chi = \mathbb E[f'(a)^2] < 1$ predicts vanishing.

# %% slideshow={"slide_type": "subslide"}
W_id = np.eye(width)
pre_id = driven_pre_activations(W_id, steps, "relu", seed=SEED)
identity_flow = jacobian_norms(W_id, pre_id, "relu")
chi_id = mean_field_chi(W_id, pre_id, "relu")
# dh_100/dh_(100-k) = diag(product of the last k ReLU masks): which units stayed active?
survivors = np.array([np.all(pre_id[steps - k:] > 0, axis=0).sum() for k in lags])
active_throughout = {k: int(survivors[k]) for k in (10, 50, 99, 100)}

fig, ax = plt.subplots()
ax.semilogy(lags, np.where(identity_flow > 0, identity_flow, np.nan), color=color_for("relu"),
            label="ReLU, $W_{hh} = I$ (measured)")
ax.semilogy(lags, chi_id ** (lags / 2), color="gray", ls="--", label=r"$\chi^{k/2}$ (mean field)")
ax.axvline(steps, color=color_for("relu"), ls=":", label="exactly 0 from here")
ax.set_xlabel("lag $k$ (steps)")
ax.set_ylabel(r"$\|\partial h_{100} / \partial h_{100-k}\|_2$")
ax.legend()
plt.show()

print(f"chi = {chi_id:.3f}: predicts chi^(99/2) = {chi_id ** 49.5:.1e} at lag 99")
last_one = int(np.max(np.flatnonzero(survivors > 0)))
print(f"measured: exactly 1 at every lag from 1 to {last_one}, {identity_flow[100]:g} at lag 100")
print("units active at each of the last k steps:",
      ", ".join(f"k = {k}: {count}" for k, count in active_throughout.items()))
# Structure, in every draw: exactly 1 while a unit has stayed active, exactly 0 after.
assert np.allclose(identity_flow, np.where(survivors > 0, 1.0, 0.0), rtol=1e-12, atol=0)
# Over 20 draws (tools/spreads.py): chi 0.86 to 0.92 (chi^49.5 = 6e-4 to 2e-2); units
# active throughout all 100 steps: 0 to 5 (none in 7 draws).
assert 0.8 < chi_id < 0.95 and chi_id**49.5 < 0.05  # 8-14% inactive: the average vanishes

# %% [markdown] slideshow={"slide_type": "subslide"}
# $\chi \approx 0.87$ predicts a gradient of about $10^{-3}$ at lag 99 ($10^{-3}$ to
# $10^{-2}$ over 20 draws); the measured norm is **exactly 1** at every lag up to 99.
# With $W_{hh} = I$ the Jacobian is a product of diagonal masks,
# $\mathrm{diag}\bigl(\prod_j f'(a_j)\bigr)$: the mask commutes with $I$, so a unit that
# stayed active at every step passes its gradient unchanged, and the norm is 1 as long
# as one unit did (the printout counts them). $\chi$ averages over the units; the norm
# follows the best one. When none is left (lag 100 here, because at the
# first step $h_0 = 0$ and the inputs alone switched the last survivor off) it is exactly 0.
# That depends on the draw: over 20 draws, in 7 no unit stayed active for all 100 steps,
# in the other 13 one to five did, and the norm stayed exactly 1 at every lag.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5. Aside: truncated BPTT
#
# Truncated BPTT stops the backward pass after $k$ steps. It saves memory and time but
# drops every path longer than $k$: the model cannot learn a dependency it never sees.
# How much of the gradient is lost depends on the regime.

# %% slideshow={"slide_type": "subslide"}
batch = rng.standard_normal((16, 50, n_in))
targets = rng.standard_normal((16, 1))
truncations = [1, 2, 5, 10, 20, 30, 40]


def truncated_gradient(model, k):
    """dL/dW_hh when the backward pass stops after k steps."""
    _, grads = rnn_loss_and_grads(model, batch, targets, truncate=k)
    return grads.W_hh


truncation_error = {}  # gain g -> {truncation length k: relative error}
for g in (0.5, 1.5):
    model = init_rnn(n_in, n_hidden, recurrent_gain=g, seed=SEED)
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
# Over 20 draws (tools/spreads.py): 4e-6 to 1.4e-4 at g = 0.5, 0.064 to 0.53 at g = 1.5.
assert truncation_error[0.5][10] < 1e-3 and truncation_error[1.5][10] > 0.03
untruncated = truncated_gradient(model, 50)  # k = T: nothing is cut
assert relative_error(untruncated, full.W_hh) == 0.0

# %% [markdown] slideshow={"slide_type": "subslide"}
# When gradients vanish fast ($g = 0.5$), truncating at 10 steps changes almost nothing
# (a relative error below $10^{-3}$), because almost nothing was coming from further
# back. With $g = 1.5$, above Pascanu's threshold, truncating at 10 steps discards a real
# part of the gradient (a relative error above 10% here; 6% to 53% over 20 draws).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - Hand-written BPTT agrees with `tf.GradientTape` to better than $10^{-8}$ (float64),
#   and with central differences.
# - The gradient from step $T$ back to step $t$ is carried by
#   $\prod_j \mathrm{diag}(f'(a_j))\,W_{hh}$; with orthogonal $W_{hh}$ and tanh its norm
#   fell by about nine orders of magnitude between lag 10 and lag 60 (6 to 14 over 20
#   draws).
# - **Worst case** (Pascanu et al.):
#   $\lVert \partial h_T/\partial h_{T-k} \rVert \le (\gamma \lambda_1)^k$,
#   so $\lambda_1 < 1/\gamma$ is sufficient for vanishing, and its contrapositive makes
#   $\lambda_1 > 1/\gamma$ necessary, not sufficient, for explosion. A sigmoid RNN
#   vanished even at $g = 3$; tanh at $g = 1.5$ vanished too.
# - **Average case** (mean field): $\chi = (\lVert W \rVert_F^2/n)\,\mathbb E[f'(a)^2]$
#   computed from the pre-activations put the tanh boundary at $g \approx 1.9$, where the
#   measured one lies (within 0.1; within 0.13 over 20 draws), and predicted the growth
#   per step within 0.03 decades for every tanh and sigmoid gain (within 0.052 over 20
#   draws); the sigmoid's $\chi$ reaches 1 only near $g = 8$ to $10$.
# - One matrix, $\lambda_1 = 1.5$: inputs of scale 0.1 and 0.3 made the gradient explode,
#   inputs of scale 1 and 3 saturated the units (up to about half of them) and made it
#   vanish; $\chi$ crossed 1 where the regime flipped.
# - **Structure** beats both: a matrix whose eigenvalues are all $0.9$ made the gradient
#   grow almost fourfold before decaying (singular values bound the short horizon), while
#   $\chi \approx 1.31$ predicted growth forever; ReLU with $W_{hh} = I$ passed a gradient
#   of exactly 1 over 99 steps (as long as one unit stayed active) where
#   $\chi \approx 0.87$ predicted about $10^{-3}$.
# - Truncated BPTT at 10 steps lost almost nothing when gradients vanished fast
#   (relative error below $10^{-3}$) and over 10% of the gradient at $g = 1.5$ (6% to 53%
#   over 20 draws).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Replace `None` with your answer and run the cell; `gc.show_solution("03.1")` shows a
# reference solution.
#
# **Exercise 03.1.** A sigmoid RNN's recurrent matrix has largest singular value 2.
# What upper bound does the argument of section 3 give for
# $\lVert \partial h_{10}/\partial h_0 \rVert$?

# %% slideshow={"slide_type": "-"}
answer_03_1 = None  # a number
gc.check("03.1", answer_03_1)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 03.2.** With $W_{hh} = g\,Q$, above which gain $g$ does the sufficient
# condition stop guaranteeing vanishing gradients for a **sigmoid** RNN?

# %% slideshow={"slide_type": "-"}
answer_03_2 = None  # a number
gc.check("03.2", answer_03_2)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 03.3.** Section 1 wrote the backward step of a tanh RNN. Now write it for a
# **sigmoid** RNN, $h_t = \sigma(a_t)$, from the state instead of the pre-activation:
# given $\partial L/\partial h_t$ (a vector `d_h`), the state $h_t$ (`h`) and $W_{hh}$,
# return $\partial L/\partial h_{t-1}$. Hint: $\sigma'(a_t)$ can be written with $h_t$ alone.

# %% slideshow={"slide_type": "-"}
def sigmoid_backward_step(d_h, h, W_hh):
    raise NotImplementedError  # your code here


gc.check("03.3", sigmoid_backward_step)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 03.4 (predict, then measure).** Change section 3's experiment: a tanh RNN
# with $W_{hh} = 0.9\,Q$ ($Q$ orthogonal), driven by tiny inputs (scale 0.01). At which
# lag $k$ does $\lVert\partial h_T/\partial h_{T-k}\rVert$ first fall below $10^{-3}$?
# Write your prediction first, then run the cell: it measures the lag in your run and
# grades your prediction against it.

# %% slideshow={"slide_type": "-"}
prediction_03_4 = None  # a whole number of steps
GAIN, INPUT_SCALE = 0.9, 0.01  # the change: section 3 used other gains and inputs of scale 1
norms = gradient_norm_vs_lag(scaled_orthogonal(width, GAIN, seed=SEED + 1), 200, "tanh",
                             input_scale=INPUT_SCALE, seed=SEED)
measured_lag = first_lag_below(norms, 1e-3)
gc.check("03.4", prediction_03_4,
         measured=gc.Measurement(measured_lag, gain=GAIN, input_scale=INPUT_SCALE))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# - Pascanu, Mikolov & Bengio (2013), *On the difficulty of training recurrent neural
#   networks*: the conditions of section 3, $\lambda_1 < 1/\gamma$ (sufficient for
#   vanishing) and $\lambda_1 > 1/\gamma$ (necessary for explosion).
# - Poole et al. (2016), *Exponential expressivity in deep neural networks through
#   transient chaos*: the mean-field growth factor $\chi$ and the order-to-chaos boundary $\chi = 1$.
# - Chen, Pennington & Schoenholz (2018), *Dynamical Isometry and a Mean Field Theory of
#   RNNs*: the same mean-field analysis for recurrent networks.
# - Le, Jaitly & Hinton (2015), *A Simple Way to Initialize Recurrent Networks of
#   Rectified Linear Units*: the IRNN (ReLU, identity), whose structure section 4 examines.
#
# Full citations: [references](https://github.com/gradcourse/gradcourse/blob/main/docs/references.md).

# %% [markdown] slideshow={"slide_type": "-"}
# ---
# **Next:** [04 · SimpleRNN vs LSTM: does the LSTM really fix it?](04_simplernn_vs_lstm.ipynb)
