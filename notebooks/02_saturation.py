# %% [markdown] slideshow={"slide_type": "slide"}
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
# - say where the standard gains 1, $5/3$ and $\sqrt 2$ come from, and check them;
# - read per-layer activation and gradient statistics (per unit, not only pooled), and
#   tell a good initialisation from a bad one;
# - see that saturation does not imply vanishing gradients.

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

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from gradcourse.activations import (
    activation,
    derivative,
    gaussian_expectation,
    mean_field_chi,
    saturated_mask,
)
from gradcourse.gradcheck import relative_error
from gradcourse.plotting import color_for, histogram_grid
from gradcourse.probes import layer_table, probe_layers

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Three activations and their derivatives
#
# $$\sigma(a) = \frac{1}{1 + e^{-a}}, \quad \sigma'(a) = \sigma(a)\,(1 - \sigma(a)); \qquad
#   \tanh'(a) = 1 - \tanh^2(a); \qquad \mathrm{relu}'(a) = [a > 0].$$
#
# First we check the closed forms against `tf.GradientTape`.

# %% slideshow={"slide_type": "subslide"}
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

# %% slideshow={"slide_type": "subslide"}
sigmoid_prime, tanh_prime = derivative("sigmoid")(a), derivative("tanh")(a)
print(f"max sigmoid' = {sigmoid_prime.max():.4f} at a = {a[sigmoid_prime.argmax()]:.3f}")
print(f"max tanh'    = {tanh_prime.max():.4f} at a = {a[tanh_prime.argmax()]:.3f}")
assert np.isclose(derivative("sigmoid")(0.0), 0.25) and np.all(sigmoid_prime <= 0.25)
assert np.isclose(derivative("tanh")(0.0), 1.0) and np.all(tanh_prime <= 1.0)

# %% [markdown] slideshow={"slide_type": "subslide"}
# The sigmoid's derivative is **at most 1/4**, so every sigmoid layer or time step
# shrinks the gradient at least fourfold unless the weights make up for it. tanh's
# derivative reaches 1, but only at $a = 0$; both fall towards zero for large $|a|$:
# the unit **saturates**, its output barely changes, and little gradient passes through
# (at $|h| = 0.97$, the threshold used below, $\tanh' = 1 - h^2 \approx 0.06$).
# ReLU does not saturate for $a > 0$, but passes *nothing* for $a < 0$.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Saturation against scale
#
# If the pre-activations are $a \sim \mathcal N(0, s_a^2)$, how many units saturate
# ($|\tanh a| > 0.97$; sigmoid output within 0.03 of 0 or 1), and what is the mean
# derivative? We use one fixed sample and scale it, so the curves are exact functions of $s_a$.

# %% slideshow={"slide_type": "subslide"}
z = np.random.default_rng(SEED).standard_normal(200_000)
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

# %% slideshow={"slide_type": "subslide"}
for name in ("tanh", "sigmoid"):
    assert np.all(np.diff(saturated[name]) >= 0) and np.all(np.diff(mean_derivative[name]) < 0)
at_1, at_5 = np.searchsorted(scales, 1.0), np.searchsorted(scales, 5.0)
for at in (at_1, at_5):
    print(f"tanh at s_a = {scales[at]:.2f}: {saturated['tanh'][at]:.1%} saturated, "
          f"mean tanh' = {mean_derivative['tanh'][at]:.2f}")
assert 0.03 < saturated["tanh"][at_1] < 0.05 and saturated["tanh"][at_5] > 0.6
assert mean_derivative["tanh"][at_5] < 0.2

# %% [markdown] slideshow={"slide_type": "subslide"}
# The larger the pre-activations, the more units saturate and the smaller the average
# derivative: from about 4% saturated at $s_a \approx 1$ to over 60% at $s_a \approx 5$, where
# the mean $\tanh'$ is below 0.2. The scale of the pre-activations is set by the scale of
# the **weights**, which is what initialisation chooses.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Depth: ten layers, three activations, three gains
#
# A 10-layer MLP ($n = 64$ units per layer) on one fixed random batch of 512 examples.
# Every hidden layer draws its weights with variance
# $g^2 \cdot \frac{2}{\text{fan}_\text{in} + \text{fan}_\text{out}} = g^2/n$ (one draw of
# Glorot's uniform scheme, the same for every network, times a gain $g$). Each activation
# gets its **standard gain**: 1 for sigmoid, $5/3$ for tanh, $\sqrt 2$ for ReLU, the values
# in PyTorch's `torch.nn.init.calculate_gain` (Keras has no such table: you pass
# `scale=g**2` to `VarianceScaling` yourself). We also try **half** and
# **double** the standard gain.
#
# ### Where the standard gains come from
#
# Layer $\ell + 1$ computes $a_{\ell+1} = W h_\ell$, $h_\ell = f(a_\ell)$. With independent
# weights of variance $g^2/n$, one layer multiplies the mean square of the signal going
# forward, and of the gradient going backward, by
#
# $$\text{forward: } \frac{\mathbb E[a_{\ell+1}^2]}{\mathbb E[a_\ell^2]}
#   = \frac{g^2\,\mathbb E[f(a_\ell)^2]}{\mathbb E[a_\ell^2]}, \qquad
#   \text{backward: } \frac{\mathbb E[(\partial L/\partial h_\ell)^2]}
#   {\mathbb E[(\partial L/\partial h_{\ell+1})^2]}
#   \approx g^2\,\mathbb E[f'(a_{\ell+1})^2] .$$
#
# A gain keeps the scale when its factor is 1:
# - **1**: Glorot & Bengio (2010) assume the units work in their *linear regime* around
#   0, with $f'(0) = 1$ (as tanh): then $f(a) \approx a$ and both factors are $g^2$, so $g = 1$.
# - **$\sqrt 2$** (He et al. 2015): ReLU keeps exactly half of a symmetric signal,
#   $\mathbb E[\mathrm{relu}(a)^2] = \mathbb E[a^2]/2$ and $\mathbb E[\mathrm{relu}'(a)^2] = 1/2$,
#   at any scale: $g = \sqrt 2$.
# - **$5/3$** for tanh: PyTorch's table states it without a derivation. A computation
#   shows why it is sensible: tanh squashes, and for unit-variance $a$,
#   $\mathbb E[\tanh(a)^2] \approx 0.394$,
#   so the gain that gives the next layer unit-variance pre-activations again is
#   $1/\sqrt{0.394} \approx 1.59$. $5/3 \approx 1.67$ is a slightly larger round value.
# - **sigmoid**: $\sigma'(0) = 1/4$, so in its linear regime $\sigma(a) \approx 1/2 + a/4$:
#   the part of the signal that varies with the input, and the gradient, shrink by
#   $g/4$ per layer, and the variance-preserving gain is about **4**. The standard gain 1
#   (Glorot's, Keras' default, PyTorch's table) is four times too small for the sigmoid.
#   (The constant $1/2$ comes back at the end of this section.)
#
# `gaussian_expectation(fn, s_a)` computes $\mathbb E[\mathrm{fn}(a)]$ for
# $a \sim \mathcal N(0, s_a^2)$ exactly enough (by quadrature, no sampling) to check each.

# %% slideshow={"slide_type": "-"}
tanh, relu = activation("tanh"), activation("relu")
tanh_prime, sigmoid_prime, relu_prime = (derivative(name) for name in ("tanh", "sigmoid", "relu"))
LINEAR_REGIME = 0.01  # s_a: pre-activations this small see f(a) ~ f(0) + f'(0) a


def gain_for(mean_square):
    """The gain g that makes g^2 * mean_square = 1."""
    return 1 / np.sqrt(mean_square)


gain_tanh_linear = gain_for(gaussian_expectation(lambda a: tanh_prime(a) ** 2, LINEAR_REGIME))
gain_sigmoid_linear = gain_for(gaussian_expectation(lambda a: sigmoid_prime(a) ** 2,
                                                    LINEAR_REGIME))
gain_relu_backward = gain_for(gaussian_expectation(lambda a: relu_prime(a) ** 2))
gain_relu_forward = gain_for(gaussian_expectation(lambda a: relu(a) ** 2))  # a has E[a^2] = 1
tanh_squared_mean = gaussian_expectation(lambda a: tanh(a) ** 2)  # a ~ N(0, 1)
gain_tanh_unit = gain_for(tanh_squared_mean)

# With g = 5/3 the layers settle where s_a^2 = g^2 E[tanh(a)^2]: iterate to the fixed point.
s_star = 1.0
for _ in range(100):
    s_star = 5 / 3 * np.sqrt(gaussian_expectation(lambda a: tanh(a) ** 2, s_star))
h_std_star = np.sqrt(gaussian_expectation(lambda a: tanh(a) ** 2, s_star))
saturated_star = gaussian_expectation(lambda a: saturated_mask(tanh(a), "tanh"), s_star)

print(f"linear regime:  tanh gain {gain_tanh_linear:.3f},  sigmoid gain {gain_sigmoid_linear:.3f}")
print(f"ReLU (He):      backward gain {gain_relu_backward:.4f}, forward gain "
      f"{gain_relu_forward:.4f}, sqrt(2) = {np.sqrt(2):.4f}")
print(f"tanh, s_a = 1:  E[tanh(a)^2] = {tanh_squared_mean:.3f}, gain {gain_tanh_unit:.3f} "
      f"(PyTorch: 5/3 = {5 / 3:.3f})")
print(f"with g = 5/3:   s_a settles at {s_star:.3f}; there std(h) = {h_std_star:.3f} and "
      f"{saturated_star:.1%} of tanh units saturate")
assert abs(gain_tanh_linear - 1) < 1e-3 and abs(gain_sigmoid_linear - 4) < 1e-3
assert abs(gain_relu_backward - np.sqrt(2)) < 1e-9 and abs(gain_relu_forward - np.sqrt(2)) < 1e-9
assert abs(tanh_squared_mean - 0.394) < 5e-4 and 1.58 < gain_tanh_unit < 1.60
assert abs(5 / 3 - gain_tanh_unit) < 0.1  # close to 5/3, not equal to it
assert 1.05 < s_star < 1.15 and 0.05 < saturated_star < 0.07

# %% [markdown] slideshow={"slide_type": "subslide"}
# So 1 and $\sqrt 2$ are exact for what they assume (the linear regime, and ReLU), 4 is
# the sigmoid's counterpart of 1, and $5/3$ is a good round value for tanh: with it the
# pre-activations settle at $s_a \approx 1.09$, where 6% of tanh units are saturated.
# Now the experiment. `probe_layers` runs one forward and backward pass and returns,
# for every layer, its output $h_\ell$ and the gradient $\partial L/\partial h_\ell$.

# %% slideshow={"slide_type": "-"}
DEPTH, WIDTH = 10, 64
STANDARD_GAIN = {"sigmoid": 1.0, "tanh": 5 / 3, "relu": np.sqrt(2)}
GAIN_FACTORS = {"half": 0.5, "standard": 1.0, "double": 2.0}


# One draw of Glorot's uniform weights per layer (and the readout), scaled by each gain:
# every network below differs from the others only in its activation and its gain.
glorot = [keras.ops.convert_to_numpy(keras.initializers.GlorotUniform(seed=100 * SEED + layer)(
    (WIDTH, WIDTH if layer < DEPTH else 1))) for layer in range(DEPTH + 1)]


def deep_mlp(act, gain):
    inputs = keras.Input(shape=(WIDTH,))
    h = inputs
    for _ in range(DEPTH):
        h = keras.layers.Dense(WIDTH, activation=act)(h)
    outputs = keras.layers.Dense(1)(h)
    model = keras.Model(inputs, outputs)
    for dense, kernel in zip(model.layers[1:], glorot, strict=True):  # layers[0]: the input
        scale = gain if dense is not model.layers[-1] else 1.0  # the readout keeps Glorot's
        dense.set_weights([scale * kernel, np.zeros(kernel.shape[1])])
    return model


rng = np.random.default_rng(SEED)
x_batch, y_batch = rng.standard_normal((512, WIDTH)), rng.standard_normal((512, 1))
models, probes = {}, {}
for act, gain in STANDARD_GAIN.items():
    for init_name, factor in GAIN_FACTORS.items():
        models[act, init_name] = deep_mlp(act, factor * gain)
        probes[act, init_name] = probe_layers(models[act, init_name], x_batch, y_batch)
hidden = slice(0, DEPTH)  # the last probed layer is the linear output

# %% slideshow={"slide_type": "subslide"}
histogram_grid({f"{act}, {init} gain": p.activations[hidden]
                for (act, init), p in probes.items() if act != "relu"},
               title="Activations per layer (dark = layer 1, light = layer 10)",
               xlabel="activation value $h$")
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ReLU outputs are exactly 0 for about half the units, and the rest span several orders
# of magnitude: a histogram of $h$ would be a spike at 0. We plot $\log_{10} h$ of the
# non-zero outputs, and count the zeros.

# %% slideshow={"slide_type": "subslide"}
# NBVAL_IGNORE_OUTPUT
# (percentages of Keras' random draws: another Keras draws other weights from the same seed)
histogram_grid({f"relu, {init} gain (h > 0 only)": [np.log10(h[h > 0]) for h in
                                                    probes["relu", init].activations[hidden]]
                for init in GAIN_FACTORS},
               title="ReLU activations per layer, non-zero part (dark = layer 1, light = layer 10)",
               xlabel=r"$\log_{10} h$ (outputs $h > 0$)")
plt.show()

zero_fraction = {init: np.array([np.mean(h == 0) for h in probes["relu", init].activations[hidden]])
                 for init in GAIN_FACTORS}
print("ReLU outputs exactly 0, layer 1 to 10:",
      " ".join(f"{z:.0%}" for z in zero_fraction["standard"]))
for init in GAIN_FACTORS:  # the same units at every gain: scaling W does not change signs
    assert np.array_equal(zero_fraction[init], zero_fraction["standard"])
# Over 20 draws (tools/spreads.py; the same on Keras 3.15 and 3.0): 37% to 61% zeros.
assert 0.3 < zero_fraction["standard"].min() and zero_fraction["standard"].max() < 0.7
# What the grids show: the typical non-zero ReLU output and tanh's spread, layer 1 vs layer 10.
median = {init: [np.median(h[h > 0]) for h in probes["relu", init].activations[hidden]]
          for init in GAIN_FACTORS}
assert median["half"][-1] < 0.01 * median["half"][0] and median["double"][-1] > 100 * median[
    "double"][0]
assert 1 / 3 < median["standard"][-1] / median["standard"][0] < 3
tanh_half = probes["tanh", "half"].activations
assert np.std(tanh_half[DEPTH - 1]) < 0.5 * np.std(tanh_half[0])  # half the gain: towards 0
assert all(np.mean(saturated_mask(h, "tanh")) > 0.4
           for h in probes["tanh", "double"].activations[hidden])  # double: piled up at +-1

# %% [markdown] slideshow={"slide_type": "subslide"}
# Read the grids row by row. **sigmoid**: outputs spread around 0.5 in every layer: they
# look healthy. The jagged lines from layer 3 on are the only hint that they are not
# (the next section shows why). **tanh**: half the gain shrinks the activations towards
# 0 layer after layer; double piles them up at $\pm 1$ (saturated).
# **ReLU**: about half of the outputs are exactly 0 in every layer (45% to 57% here, 37%
# to 61% over 20 draws; the same units at every gain, since scaling the weights does not
# change a sign); the non-zero
# part shifts left (shrinks) layer after layer with half the gain, stays in place with
# the standard gain, and shifts right (grows) with double.

# %% slideshow={"slide_type": "subslide"}
log_gradients = {f"{act}, {init} gain": [np.log10(np.abs(grad) + 1e-30)
                                         for grad in p.activation_gradients[hidden]]
                 for (act, init), p in probes.items()}
histogram_grid(log_gradients,
               title=r"Gradient sizes $\log_{10}|\partial L/\partial h_\ell|$ per layer",
               xlabel=r"$\log_{10}$ |gradient|")
plt.show()

# %% slideshow={"slide_type": "subslide"}
fig, axes = plt.subplots(1, 3, figsize=(14, 4.2), sharey=True)
init_colors = {"half": "#56B4E9", "standard": "#000000", "double": "#E69F00"}
layers = np.arange(1, DEPTH + 1)
gradient_norms = {key: np.array([np.linalg.norm(grad) for grad in p.activation_gradients[hidden]])
                  for key, p in probes.items()}
for ax, act in zip(axes, STANDARD_GAIN, strict=True):
    for init_name in GAIN_FACTORS:
        ax.semilogy(layers, gradient_norms[act, init_name], "o-", color=init_colors[init_name],
                    label=f"{init_name} gain")
    ax.set_title(act)
    ax.set_xlabel(r"layer $\ell$")
axes[0].set_ylabel(r"$\|\partial L / \partial h_\ell\|$")
axes[0].legend()
plt.show()
shrinks = [("sigmoid", init) for init in GAIN_FACTORS] + [("tanh", "half"), ("relu", "half")]
assert all(gradient_norms[key][0] < gradient_norms[key][-1] for key in shrinks)
assert all(gradient_norms[act, "double"][0] > gradient_norms[act, "double"][-1]
           for act in ("tanh", "relu"))

# %% [markdown] slideshow={"slide_type": "subslide"}
# The gradient sizes shift layer by layer: to the left (smaller) towards layer 1 for
# sigmoid and for half the gain, to the right (larger) for double the tanh and ReLU gain;
# they stay roughly in place for the standard tanh and ReLU gains. With a flat line the
# first layer learns as fast as the last.
#
# ### What a pooled histogram hides: the sigmoid's collapse
#
# A histogram pools every unit and every example. A unit's job is to *vary* with the
# input, so we also measure, for each unit, the standard deviation of its output over
# the 512 examples, and average over the units ("unit std"). Per layer: mean, pooled
# std, unit std and the percentage of saturated units (for ReLU: units at 0, which pass
# no gradient).

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
# (360 rounded float32 statistics: a last digit may differ on another CPU)
def unit_std(outputs):
    """Mean over the units of each unit's standard deviation over the batch."""
    return float(outputs.std(axis=0).mean())


tables = {key: layer_table(p, key[0])[hidden] for key, p in probes.items()}
unit_stds = {key: np.array([unit_std(h) for h in p.activations[hidden]])
             for key, p in probes.items()}
for act in STANDARD_GAIN:
    print(f"{act:>8} | " + " | ".join(f"{init + ' gain':^31}" for init in GAIN_FACTORS))
    print(f"{'layer':>8} | " + " | ".join(f"{'mean':>5} {'std':>6} {'unit std':>8} {'sat%':>6}"
                                          for _ in GAIN_FACTORS))
    for layer in range(DEPTH):
        cells = []
        for init in GAIN_FACTORS:
            row, spread = tables[act, init][layer], unit_stds[act, init][layer]
            cells.append(f"{round(row['mean'], 2) + 0.0:>5.2f} {row['std']:>6.3g} {spread:>8.2g} "
                         f"{100 * row['saturated']:>6.1f}")
        print(f"{layer + 1:>8} | " + " | ".join(cells))
    print()

sigmoid_pooled = np.array([row["std"] for row in tables["sigmoid", "standard"]])
sigmoid_unit = unit_stds["sigmoid", "standard"]
# Over 20 draws (tools/spreads.py): pooled std 0.097 to 0.21, unit std in layer 1 0.206 to
# 0.209 and in layer 7 3e-5 to 4e-5, per-layer factor 0.217 to 0.252.
assert np.all(sigmoid_pooled > 0.08)  # the pooled std stays near 0.1 or above ...
assert 0.19 < sigmoid_unit[0] < 0.23 and sigmoid_unit[6] < 1e-4  # ... while units stop varying
per_layer = sigmoid_unit[1:7] / sigmoid_unit[:6]
assert np.all((0.2 < per_layer) & (per_layer < 0.3))  # about 1/4 per layer
tanh_standard = tables["tanh", "standard"]
assert all(abs(row["std"] - h_std_star) < 0.03 for row in tanh_standard[3:])  # the fixed point
assert all(0.04 < row["saturated"] < 0.08 for row in tanh_standard[3:])

# %% [markdown] slideshow={"slide_type": "subslide"}
# The sigmoid's pooled std stays near 0.1 or above in every layer (0.097 at the least
# over 20 draws), but the unit std falls about
# fourfold per layer (by a factor between 0.2 and 0.3): from 0.21 in layer 1 to below
# $10^{-4}$ by layer 7. Every unit outputs (nearly) the same value for every example;
# the values differ between units, which is all the pooled histogram saw. The network has forgotten its input:
# the variation across examples is multiplied by about $g\,\sigma' \approx 1/4$ per layer,
# the same factor that shrinks the gradient. For tanh with the standard gain, layers 4 to
# 10 sit at the fixed point computed above: std of $h$ within 0.03 of 0.65, 4% to 8%
# saturated.
#
# Two pictures of single layers, units against examples: the sigmoid's layer 7, and the
# saturation map of tanh with double the gain (layer 5), white where $|h| > 0.97$.

# %% slideshow={"slide_type": "subslide"}
# NBVAL_IGNORE_OUTPUT
# (percentages of float32 outputs near the threshold: one example may flip on another CPU)
h_sigmoid = probes["sigmoid", "standard"].activations[6]  # layer 7, (examples, units)
h_tanh = probes["tanh", "double"].activations[4]  # layer 5
saturated_tanh = saturated_mask(h_tanh, "tanh")
per_unit = saturated_tanh.mean(axis=0)  # fraction of the examples on which each unit saturates

fig, (ax_s, ax_t) = plt.subplots(1, 2, figsize=(13, 4.6))
image = ax_s.imshow(h_sigmoid.T, aspect="auto", cmap="viridis", interpolation="nearest")
fig.colorbar(image, ax=ax_s, label="output $h$")
ax_s.set_title("sigmoid, standard gain, layer 7: one value per unit")
ax_t.imshow(saturated_tanh.T, aspect="auto", cmap="gray", interpolation="nearest")
ax_t.set_title(r"tanh, double gain, layer 5: white = $|h| > 0.97$")
for ax in (ax_s, ax_t):
    ax.set_xlabel("example (of 512)")
    ax.set_ylabel("unit (of 64)")
    ax.grid(False)
plt.show()

print(f"tanh, double gain, layer 5: {saturated_tanh.mean():.0%} saturated; each unit on "
      f"{per_unit.min():.0%} to {per_unit.max():.0%} of the examples")
assert np.all(h_sigmoid.std(axis=0) < 1e-3 * h_sigmoid.std())  # rows: constant per unit
assert 0.4 < saturated_tanh.mean() < 0.55
# Over 20 draws (tools/spreads.py): 45% to 48% saturated; the least saturated unit on 29% to
# 36% of the examples, the most on 55% to 65%.
assert 0.2 < per_unit.min() and per_unit.max() < 0.8  # no unit saturated on every example

# %% [markdown] slideshow={"slide_type": "subslide"}
# The sigmoid layer is made of horizontal stripes: each unit is constant across the
# examples. The tanh layer is about half white, but no row is all white: every unit
# saturates on some examples (between about a quarter and two thirds of them, over 20
# draws) and passes a
# gradient on the others. A unit saturated on *every* example, a white row, would be
# dead: no gradient would ever reach its weights.
#
# ### How much gradient reaches the first layer
#
# The ratio that matters is the gradient at the first layer over the gradient at the
# last hidden layer. The backward factor above predicts it: each layer multiplies the
# mean square of the gradient by about
# $\chi_\ell = (\lVert W_\ell \rVert_F^2/n)\,\mathbb E[f'(a_\ell)^2]$
# (notebook 03 meets this $\chi$ again), computed here from each layer's weights and
# pre-activations, so the ratio should be about $\sqrt{\chi_2 \chi_3 \cdots \chi_{10}}$.

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
# (ratios from Keras' random draws: another Keras draws other weights from the same seed)
def first_to_last(act, init):
    norms = gradient_norms[act, init]
    return norms[0] / norms[-1]


for act in STANDARD_GAIN:
    print(f"{act:>8}: " + ", ".join(f"{init} gain {first_to_last(act, init):.1e}"
                                    for init in GAIN_FACTORS))

# Over 20 draws (tools/spreads.py): sigmoid 1e-6 to 3e-6; tanh 1.7 to 2.5 (standard), 0.08
# to 0.18 (half), 20 to 27 (double); ReLU 0.7 to 1.9 (standard), 1e-3 to 4e-3 (half).
assert first_to_last("sigmoid", "standard") < 1e-4  # sigmoid vanishes with Glorot's gain
assert 0.1 < first_to_last("tanh", "standard") < 10  # tanh with gain 5/3 keeps it
assert 0.1 < first_to_last("relu", "standard") < 10  # ReLU with He's gain keeps it
assert first_to_last("tanh", "half") < 0.5 and first_to_last("relu", "half") < 1e-2
assert first_to_last("tanh", "double") > 10  # tanh, double gain: the gradient GROWS ...
assert min(row["saturated"] for row in tables["tanh", "double"]) > 0.4  # ... with >40% saturated
relu_double = tables["relu", "double"]
assert relu_double[-1]["std"] > 100 * relu_double[0]["std"]  # ReLU's activations blow up too


# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
# (chi from float32 activations: a last digit may differ on another CPU)
def layer_chis(model, act):
    """chi of every hidden layer, from its kernel and the pre-activations it computes."""
    chis, h = [], x_batch
    for layer in model.layers[1:DEPTH + 1]:  # layers[0] is the input
        kernel, bias = (np.asarray(w, dtype=np.float64) for w in layer.get_weights())
        pre = h @ kernel + bias
        chis.append(mean_field_chi(kernel, pre, act))
        h = activation(act)(pre)
    return np.array(chis)


chis = {key: layer_chis(model, key[0]) for key, model in models.items()}
print(f"{'':>17} | {'chi, layers 2-10':>16} | {'predicted ratio':>15} | {'measured':>8}")
for (act, init), chi_layers in chis.items():
    predicted = np.sqrt(np.prod(chi_layers[1:]))  # the backward pass crosses layers 10..2
    low, high = chi_layers[1:].min(), chi_layers[1:].max()
    print(f"{act + ', ' + init:>17} | {low:>7.2f} to {high:4.2f} | "
          f"{predicted:>15.1e} | {first_to_last(act, init):>8.1e}")
    # Over 20 draws (tools/spreads.py): at most 0.30 decades off (a factor 2).
    assert abs(np.log10(first_to_last(act, init) / predicted)) < 0.4  # a factor 2.5
assert np.all((1.5 < chis["tanh", "double"][1:]) & (chis["tanh", "double"][1:] < 2.5))
assert np.all(chis["sigmoid", "standard"] < 0.1)

# %% [markdown] slideshow={"slide_type": "subslide"}
# - **sigmoid** with the standard gain 1: the first layer's gradient is more than $10^4$
#   times smaller than the last one's ($\chi_\ell < 0.1$ in every layer:
#   $g^2\,\sigma'^2 \approx 1/16$).
# - **tanh** with gain $5/3$ and **ReLU** with gain $\sqrt 2$ keep the ratio between
#   $0.1$ and $10$ over ten layers.
# - Half the gain and the gradient shrinks layer by layer.
# - **Double the gain: tanh's gradient grows** more than tenfold towards the first layer,
#   although over 40% of its units are saturated in every layer. **Saturation does not
#   imply vanishing**: the units that are not saturated still pass a gradient, and
#   $g^2 = 100/9 \approx 11$ more than makes up for the rest: $\chi_\ell$ is between 1.5 and
#   2.5. ReLU's activations grow over 100-fold from the first to the last layer.
# - In every one of the nine networks, $\sqrt{\chi_2 \cdots \chi_{10}}$ predicts the
#   measured ratio within a factor 1.6 here (within a factor 2 over 20 draws).
#
# What about the sigmoid's own variance-preserving gain, 4?

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
# (statistics of float32 outputs: a rounded last digit may differ on another CPU)
model_4 = deep_mlp("sigmoid", 4.0)
probe_4 = probe_layers(model_4, x_batch, y_batch)
norms_4 = [np.linalg.norm(grad) for grad in probe_4.activation_gradients[hidden]]
chis_4 = layer_chis(model_4, "sigmoid")
# The offset: each unit's mean pre-activation over the batch, the same for every example.
offsets, h = [], x_batch
for layer in model_4.layers[1:DEPTH + 1]:
    kernel, bias = (np.asarray(w, dtype=np.float64) for w in layer.get_weights())
    pre = h @ kernel + bias
    offsets.append(pre.mean(axis=0).std())  # spread of the offsets across the units
    h = activation("sigmoid")(pre)
ratio_4 = norms_4[0] / norms_4[-1]
print(f"sigmoid, gain 4: first-to-last ratio {ratio_4:.0e} (gain 1: "
      f"{first_to_last('sigmoid', 'standard'):.0e}); chi per layer about "
      f"{np.median(chis_4[1:]):.1f}; offsets spread {np.min(offsets[1:]):.1f} to "
      f"{np.max(offsets[1:]):.1f} across the units")
assert 1e-3 < ratio_4 < 0.1 and ratio_4 > 100 * first_to_last("sigmoid", "standard")
assert np.all(chis_4[1:] < 0.6)
# Over 20 draws (tools/spreads.py): ratio 5e-3 to 3e-2, chi 0.30 to 0.50, offsets' spread
# 1.5 to 3.1 in layers 2-10.
assert 1.2 < min(offsets[1:]) and max(offsets[1:]) < 3.5  # about g/2 = 2

# %% [markdown] slideshow={"slide_type": "subslide"}
# Gain 4 helps a lot (a ratio of about $10^{-2}$ instead of $10^{-6}$) but does not fix the
# sigmoid. Its outputs have mean $1/2$, not 0, so every unit of the next layer receives a
# fixed offset $\tfrac12 \sum_j W_{ij}$, the same for every example, spread across the
# units with a standard deviation of about $g/2 = 2$ (1.5 to 3.1 over 20 draws). Many
# units sit away from 0, where $\sigma' < 1/4$, and $\chi_\ell$ stays below 0.6. tanh,
# centred on 0, has no such offset.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. The bridge to recurrent networks
#
# In this MLP every layer had its **own** weights, so a careful initialisation could set
# each layer's scale. A recurrent network applies the **same** $W_{hh}$ and the same
# activation at every time step: the per-layer picture becomes a per-*step* picture,
# and nothing lets the scale differ by step. Whatever factor one step applies, a hundred
# steps apply a hundred times: the per-layer $\chi_\ell$ becomes one $\chi$ per step.
# Notebook 03 writes that product down for a real RNN and finds what decides whether it
# vanishes.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - $\max \sigma' = 1/4$ and $\max \tanh' = 1$, both at $a = 0$ (asserted); the closed
#   forms agree with `GradientTape`.
# - For $a \sim \mathcal N(0, s_a^2)$ the saturated fraction rises and the mean derivative
#   falls with $s_a$: under 5% saturated tanh units at $s_a \approx 1$, over 60% at $s_a \approx 5$.
# - The standard gains, checked: 1 keeps the scale in the linear regime (Glorot & Bengio's
#   assumption, $f'(0) = 1$); $\sqrt 2$ is exact for ReLU (He et al.); $5/3$ is close to
#   $1/\sqrt{\mathbb E[\tanh(a)^2]} = 1.59$ for unit-variance $a$ and settles the layers at
#   $s_a \approx 1.09$; the sigmoid's linear-regime gain is 4, because $\sigma'(0) = 1/4$.
# - In a 10-layer MLP the sigmoid with gain 1 shrinks the gradient over $10^4$-fold from
#   the last layer to the first, and collapses forward too: each unit's std over the batch
#   falls about fourfold per layer, from 0.21 to below $10^{-4}$ by layer 7, while the
#   pooled std stays near 0.1 or above. Gain 4 helps (about $10^{-2}$) but the sigmoid's mean of
#   1/2 still offsets the units (by about $g/2 = 2$) and $\chi_\ell < 0.6$.
# - tanh with gain $5/3$ and ReLU with gain $\sqrt 2$ keep the ratio within a factor of
#   10; half the gain shrinks it (below 0.5 for tanh, below $10^{-2}$ for ReLU). About half
#   of the ReLU outputs are exactly 0.
# - Double the tanh gain: over 40% of the units saturate in every layer, yet the gradient
#   **grows** more than tenfold towards the first layer ($\chi_\ell \approx 2$):
#   saturation does not imply vanishing. No unit was saturated on every example.
# - $\sqrt{\chi_2 \cdots \chi_{10}}$, from each layer's weights and pre-activations,
#   predicted the first-to-last gradient ratio of all nine networks within a factor 1.6
#   (within a factor 2 over 20 draws).
# - An RNN reuses one weight matrix at every step, so it cannot tune the scale per step.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Replace `None` with your answer and run the cell; `gc.show_solution("02.1")` shows a
# reference solution.
#
# **Exercise 02.1.** What is the largest value of the derivative of
# $x \mapsto \sigma(3x)$?

# %% slideshow={"slide_type": "-"}
answer_02_1 = None  # a number
gc.check("02.1", answer_02_1)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 02.2.** Pre-activations are $a \sim \mathcal N(0, s_a^2)$. What is the largest
# $s_a$ for which at most 5% of tanh units are saturated ($|\tanh a| > 0.97$)? Hint:
# `np.arctanh` and `statistics.NormalDist().inv_cdf` help. Check your answer against
# the curve of section 2.

# %% slideshow={"slide_type": "-"}
answer_02_2 = None  # a number
gc.check("02.2", answer_02_2)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# - Karpathy (2022), *Building makemore Part 3: Activations & Gradients, BatchNorm*
#   (video): the per-layer diagnosis of section 3.
# - Glorot & Bengio (2010), *Understanding the difficulty of training deep feedforward
#   neural networks*: Glorot's initialisation, derived in the linear regime ($f'(0) = 1$).
# - He et al. (2015), *Delving deep into rectifiers*: He's initialisation, gain $\sqrt 2$ for ReLU.
#
# Full citations: [references](https://github.com/gradcourse/gradcourse/blob/main/docs/references.md).

# %% [markdown] slideshow={"slide_type": "-"}
# ---
# **Next:** [03 · Backpropagation through time, and when gradients must vanish or may explode](03_backprop_through_time.ipynb)
