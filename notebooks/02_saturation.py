# %% [markdown]
# # 02 · Saturation: why tanh and sigmoid make the factors small
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/gradcourse/gradcourse/blob/main/notebooks/02_saturation.ipynb)
#
# Notation: every symbol is defined once for the whole course on the
# [notation page](https://github.com/gradcourse/gradcourse/blob/main/docs/notation.md).
#
# Notebook 01 showed that a gradient through many steps is a product of local factors,
# and that each factor contains the derivative of the activation. This notebook shows
# where small factors come from: **saturating activations** (tanh, sigmoid) and the
# **scale of the weights** that decides how far into saturation the units are pushed.
# We look first at one unit, then at a 10-layer network, the way Karpathy (2022)
# diagnoses one in his video *makemore part 3*.
#
# **You will learn to**
# - state and check the derivative bounds $\sigma' \le 1/4$ and $\tanh' \le 1$;
# - relate the scale of the pre-activations to the fraction of saturated units;
# - read per-layer activation and gradient statistics, and tell a good initialisation
#   from a bad one.

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

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from gradcourse.activations import activation, derivative, saturated_mask
from gradcourse.gradcheck import relative_error
from gradcourse.plotting import color_for, histogram_grid
from gradcourse.probes import layer_table, probe_layers

# %% [markdown]
# ## 1. Three activations and their derivatives
#
# $$\sigma(a) = \frac{1}{1 + e^{-a}}, \quad \sigma'(a) = \sigma(a)\,(1 - \sigma(a)); \qquad
#   \tanh'(a) = 1 - \tanh^2(a); \qquad \mathrm{relu}'(a) = [a > 0].$$
#
# First we check the closed forms against `tf.GradientTape`.

# %%
a = np.linspace(-6, 6, 1201) + 0.0025  # the offset avoids ReLU's kink at exactly 0
a_tf = tf.constant(a)
tf_functions = {"sigmoid": tf.sigmoid, "tanh": tf.tanh, "relu": tf.nn.relu}
for name, tf_fn in tf_functions.items():
    with tf.GradientTape() as tape:
        tape.watch(a_tf)
        out = tf_fn(a_tf)
    assert relative_error(derivative(name)(a), tape.gradient(out, a_tf).numpy()) < 1e-12
print("closed-form derivatives agree with GradientTape for sigmoid, tanh and relu")

fig, (ax_f, ax_d) = plt.subplots(1, 2, figsize=(12, 4.2))
for name in tf_functions:
    ax_f.plot(a, activation(name)(a), color=color_for(name), label=name)
    ax_d.plot(a, derivative(name)(a), color=color_for(name), label=f"{name}'")
ax_f.set_ylim(-1.5, 3)
ax_f.set_title("activation $f(a)$")
ax_d.set_title("derivative $f'(a)$")
for ax in (ax_f, ax_d):
    ax.set_xlabel("pre-activation $a$")
    ax.legend()
plt.show()

# %%
sigmoid_prime, tanh_prime = derivative("sigmoid")(a), derivative("tanh")(a)
print(f"max sigmoid' = {sigmoid_prime.max():.4f} at a = {a[sigmoid_prime.argmax()]:.3f}")
print(f"max tanh'    = {tanh_prime.max():.4f} at a = {a[tanh_prime.argmax()]:.3f}")
assert np.isclose(derivative("sigmoid")(0.0), 0.25) and np.all(sigmoid_prime <= 0.25)
assert np.isclose(derivative("tanh")(0.0), 1.0) and np.all(tanh_prime <= 1.0)

# %% [markdown]
# The sigmoid's derivative is **at most 1/4**, so every sigmoid layer or time step
# shrinks the gradient at least fourfold unless the weights make up for it. tanh's
# derivative reaches 1, but only at $a = 0$; both fall towards zero for large $|a|$:
# the unit **saturates**, its output stops changing, and no gradient passes through.
# ReLU does not saturate for $a > 0$, but passes *nothing* for $a < 0$.

# %% [markdown]
# ## 2. Saturation against scale
#
# If the pre-activations are $a \sim \mathcal N(0, s_a^2)$, how many units saturate
# ($|\tanh a| > 0.97$; sigmoid output within 0.03 of 0 or 1), and what is the mean
# derivative? We use one fixed sample and scale it, so the curves are exact functions of $s_a$.

# %%
z = np.random.default_rng(0).standard_normal(200_000)
scales = np.logspace(-1, 1.3, 40)
saturated = {name: np.array([saturated_mask(activation(name)(s * z), name).mean() for s in scales])
             for name in ("tanh", "sigmoid")}
mean_derivative = {name: np.array([derivative(name)(s * z).mean() for s in scales])
                   for name in ("tanh", "sigmoid")}

fig, (ax_s, ax_m) = plt.subplots(1, 2, figsize=(12, 4.2))
for name in ("tanh", "sigmoid"):
    ax_s.semilogx(scales, 100 * saturated[name], color=color_for(name), label=name)
    ax_m.semilogx(scales, mean_derivative[name], color=color_for(name), label=name)
ax_s.set_ylabel("saturated units (%)")
ax_m.set_ylabel("mean derivative $E[f'(a)]$")
for ax in (ax_s, ax_m):
    ax.set_xlabel("pre-activation scale $s_a$ (std of $a$)")
    ax.legend()
plt.show()

# %%
for name in ("tanh", "sigmoid"):
    assert np.all(np.diff(saturated[name]) >= 0) and np.all(np.diff(mean_derivative[name]) < 0)
at_1, at_5 = np.searchsorted(scales, 1.0), np.searchsorted(scales, 5.0)
for at in (at_1, at_5):
    print(f"tanh at s_a = {scales[at]:.2f}: {saturated['tanh'][at]:.1%} saturated, "
          f"mean tanh' = {mean_derivative['tanh'][at]:.2f}")
assert saturated["tanh"][at_1] < 0.05 and saturated["tanh"][at_5] > 0.6
assert mean_derivative["tanh"][at_5] < 0.2

# %% [markdown]
# The larger the pre-activations, the more units saturate and the smaller the average
# derivative: from about 4% saturated at $s_a \approx 1$ to over 60% at $s_a \approx 5$, where
# the mean $\tanh'$ is below 0.2. The scale of the pre-activations is set by the scale of
# the **weights**, which is what initialisation chooses.

# %% [markdown]
# ## 3. Depth: ten layers, three activations, three initialisations
#
# A 10-layer MLP (64 units per layer) on one fixed random batch. Every hidden layer uses
# weights with variance $g^2 \cdot \frac{2}{\text{fan}_\text{in} + \text{fan}_\text{out}}$
# (Glorot's uniform scheme times a gain $g$). The *appropriate* gain is 1 for sigmoid
# (Glorot & Bengio 2010), $5/3$ for tanh, and $\sqrt 2$ for ReLU (He et al. 2015); we also
# try half and twice that.
# `probe_layers` runs one forward and backward pass and returns, for every layer, its
# output $h_\ell$ and the gradient $\partial L/\partial h_\ell$.

# %%
DEPTH, WIDTH = 10, 64
APPROPRIATE_GAIN = {"sigmoid": 1.0, "tanh": 5 / 3, "relu": np.sqrt(2)}
INIT_FACTORS = {"too small": 0.5, "appropriate": 1.0, "too large": 2.0}


def deep_mlp(act, gain):
    inputs = keras.Input(shape=(WIDTH,))
    h = inputs
    for layer in range(DEPTH):
        init = keras.initializers.VarianceScaling(gain**2, mode="fan_avg", distribution="uniform",
                                                  seed=layer)
        h = keras.layers.Dense(WIDTH, activation=act, kernel_initializer=init)(h)
    readout_init = keras.initializers.GlorotUniform(seed=DEPTH)
    outputs = keras.layers.Dense(1, kernel_initializer=readout_init)(h)
    return keras.Model(inputs, outputs)


rng = np.random.default_rng(0)
x_batch, y_batch = rng.standard_normal((512, WIDTH)), rng.standard_normal((512, 1))
probes = {}
for act, gain in APPROPRIATE_GAIN.items():
    for init_name, factor in INIT_FACTORS.items():
        probe = probe_layers(deep_mlp(act, factor * gain), x_batch, y_batch)
        probes[act, init_name] = probe
hidden = slice(0, DEPTH)  # the last probed layer is the linear output

# %%
histogram_grid({f"{act}, {init}": p.activations[hidden] for (act, init), p in probes.items()},
               title="Activations per layer (dark = layer 1, light = layer 10)",
               xlabel="activation value")
plt.show()

# %% [markdown]
# Read the grid row by row. **sigmoid**: outputs bunch around 0.5 from layer 2 on.
# **tanh**: too small an init shrinks the activations towards 0 layer after layer; too
# large piles them up at $\pm 1$ (saturated). **ReLU**: too small collapses them to 0,
# too large lets them grow layer after layer (notice the x-axes).

# %%
log_gradients = {f"{act}, {init}": [np.log10(np.abs(grad) + 1e-30)
                                    for grad in p.activation_gradients[hidden]]
                 for (act, init), p in probes.items()}
histogram_grid(log_gradients,
               title=r"Gradient sizes $\log_{10}|\partial L/\partial h_\ell|$ per layer",
               xlabel=r"$\log_{10}$ |gradient|")
plt.show()

# %%
fig, axes = plt.subplots(1, 3, figsize=(14, 4.2), sharey=True)
init_colors = {"too small": "#56B4E9", "appropriate": "#000000", "too large": "#E69F00"}
layers = np.arange(1, DEPTH + 1)
gradient_norms = {key: np.array([np.linalg.norm(grad) for grad in p.activation_gradients[hidden]])
                  for key, p in probes.items()}
for ax, act in zip(axes, APPROPRIATE_GAIN, strict=True):
    for init_name in INIT_FACTORS:
        ax.semilogy(layers, gradient_norms[act, init_name], "o-", color=init_colors[init_name],
                    label=init_name)
    ax.set_title(act)
    ax.set_xlabel("layer")
axes[0].set_ylabel(r"$\|\partial L / \partial h_\ell\|$")
axes[0].legend()
plt.show()

# %% [markdown]
# The gradient sizes shift layer by layer: to the left (smaller) towards layer 1 for
# sigmoid and for the too-small inits; they stay in place for the appropriate tanh and
# ReLU inits.
#
# The gradient norms tell the story in one picture: with a flat line the first layer
# learns as fast as the last. Now the numbers. Per layer: mean and standard deviation of
# the activations, and the percentage of saturated units (for ReLU: units at 0, which
# pass no gradient).

# %%
# NBVAL_IGNORE_OUTPUT
# (270 rounded float32 statistics: a last digit may differ on another CPU)
for act in APPROPRIATE_GAIN:
    print(f"{act:>8} | " + " | ".join(f"{init:^22}" for init in INIT_FACTORS))
    print(f"{'layer':>8} | " + " | ".join(f"{'mean':>6} {'std':>7} {'sat%':>6}"
                                          for _ in INIT_FACTORS))
    tables = [layer_table(probes[act, init], act)[hidden] for init in INIT_FACTORS]
    for layer in range(DEPTH):
        cells = [f"{round(t[layer]['mean'], 2) + 0.0:>6.2f} {t[layer]['std']:>7.3g} "
                 f"{100 * t[layer]['saturated']:>6.1f}" for t in tables]
        print(f"{layer + 1:>8} | " + " | ".join(cells))
    print()

# %% [markdown]
# Now we assert what the figures and tables show. The ratio that matters is how much
# gradient reaches the first layer compared with the last hidden layer.

# %%
def first_to_last(act, init):
    norms = gradient_norms[act, init]
    return norms[0] / norms[-1]


for act in APPROPRIATE_GAIN:
    print(f"{act:>8}: " + ", ".join(f"{init} {first_to_last(act, init):.1e}"
                                    for init in INIT_FACTORS))

assert first_to_last("sigmoid", "appropriate") < 1e-4  # sigmoid vanishes even with Glorot
assert 0.1 < first_to_last("tanh", "appropriate") < 10  # tanh with gain 5/3 keeps it
assert 0.1 < first_to_last("relu", "appropriate") < 10  # ReLU with He init keeps it
assert first_to_last("tanh", "too small") < 0.5 and first_to_last("relu", "too small") < 1e-2
tanh_large = layer_table(probes["tanh", "too large"], "tanh")[hidden]
relu_large = layer_table(probes["relu", "too large"], "relu")[hidden]
assert min(row["saturated"] for row in tanh_large) > 0.3  # too large: tanh saturates
assert relu_large[-1]["std"] > 100 * relu_large[0]["std"]  # too large: ReLU activations blow up

# %% [markdown]
# - **sigmoid** with Glorot init: the first layer's gradient is more than $10^4$ times
#   smaller than the last one's. Each layer multiplies by $\sigma' \le 1/4$; Glorot's
#   variance does not compensate.
# - **tanh** with gain $5/3$ and **ReLU** with He init keep the ratio between $0.1$ and
#   $10$ over ten layers: the gain compensates for the average shrinkage of the derivative.
# - Half the gain and the gradient shrinks layer by layer; twice the gain and tanh
#   saturates (over 30% of units in every layer) while ReLU's activations grow over
#   100-fold from the first to the last layer.

# %% [markdown]
# ## 4. The bridge to recurrent networks
#
# In this MLP every layer had its **own** weights, so a careful initialisation could set
# each layer's scale. A recurrent network applies the **same** $W_{hh}$ and the same
# activation at every time step: the per-layer picture becomes a per-*step* picture,
# and nothing lets the scale differ by step. Whatever factor one step applies, a hundred
# steps apply a hundred times. Notebook 03 writes that product down for a real RNN and
# finds what decides whether it vanishes.

# %% [markdown]
# ## Summary
#
# - $\max \sigma' = 1/4$ and $\max \tanh' = 1$, both at $a = 0$ (asserted); the closed
#   forms agree with `GradientTape`.
# - For $a \sim \mathcal N(0, s_a^2)$ the saturated fraction rises and the mean derivative
#   falls with $s_a$: under 5% saturated tanh units at $s_a \approx 1$, over 60% at $s_a \approx 5$.
# - In a 10-layer MLP, sigmoid with Glorot init shrinks the gradient over $10^4$-fold
#   from the last layer to the first; tanh with gain $5/3$ and ReLU with He init keep it
#   within a factor of 10; half or twice the gain breaks that.
# - An RNN reuses one weight matrix at every step, so it cannot tune the scale per step.

# %% [markdown]
# ## Exercises
#
# Replace `None` with your answer and run the cell; `gc.show_solution("02.1")` shows a
# reference solution.
#
# **Exercise 02.1.** What is the largest value of the derivative of
# $x \mapsto \sigma(3x)$?

# %%
answer_02_1 = None  # a number
gc.check("02.1", answer_02_1)

# %% [markdown]
# **Exercise 02.2.** Pre-activations are $a \sim \mathcal N(0, s_a^2)$. What is the largest
# $s_a$ for which at most 5% of tanh units are saturated ($|\tanh a| > 0.97$)? Hint:
# `np.arctanh` and `statistics.NormalDist().inv_cdf` help. Check your answer against
# the curve of section 2.

# %%
answer_02_2 = None  # a number
gc.check("02.2", answer_02_2)

# %% [markdown]
# ## References
#
# - Karpathy (2022), *Building makemore Part 3: Activations & Gradients, BatchNorm*
#   (video): the per-layer diagnosis of section 3.
# - Glorot & Bengio (2010), *Understanding the difficulty of training deep feedforward
#   neural networks*: Glorot's initialisation.
# - He et al. (2015), *Delving deep into rectifiers*: He's initialisation, gain $\sqrt 2$ for ReLU.
#
# Full citations: [references](https://github.com/gradcourse/gradcourse/blob/main/docs/references.md).

# %% [markdown]
# ---
# **Next:** [03 · Backpropagation through time, and when gradients must vanish or may explode](03_backprop_through_time.ipynb)
