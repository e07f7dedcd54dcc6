# %% [markdown] slideshow={"slide_type": "slide"}
# # 01 · The chain rule: why a gradient through many steps is a product
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/gradcourse/gradcourse/blob/main/notebooks/01_chain_rule.ipynb)
#
# Notation: every symbol is defined once for the whole course on the
# [notation page](https://github.com/gradcourse/gradcourse/blob/main/docs/notation.md).
#
# A recurrent network applies the same function again and again. Backpropagation
# differentiates that chain with the chain rule, so the gradient that reaches an early
# step is a **product of one local factor per step**. A product of many numbers below
# one shrinks geometrically; above one it grows geometrically. That single fact is
# the root of vanishing and exploding gradients, and this notebook makes you see it.
#
# **You will learn to**
# - differentiate a composition by hand and check it two independent ways;
# - write $\partial h_T / \partial h_0$ of a recurrence as a product of $T$ local factors;
# - read a log-scale plot of that product against $T$, and see why `tanh` pulls the
#   factors below $|w|$.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Setup
# On Colab the first cell installs the course package (TensorFlow is already there).

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

from gradcourse.gradcheck import numerical_gradient, relative_error
from gradcourse.live import chain_factors, chain_rule_demo, chain_rule_figure
from gradcourse.plotting import sequential_colors

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. A composition, differentiated three ways
#
# Take $y = f(x) = \tanh(2x + 1)^2$ and name the intermediate values:
#
# $$a = 2x + 1, \qquad b = \tanh(a), \qquad y = b^2 .$$
#
# The chain rule multiplies the local derivatives along the chain:
#
# $$\frac{dy}{dx} = \frac{dy}{db}\,\frac{db}{da}\,\frac{da}{dx} = 2b \cdot (1 - b^2) \cdot 2 .$$

# %% slideshow={"slide_type": "-"}
def f(x):
    return np.tanh(2 * x + 1) ** 2


def df_by_hand(x):
    b = np.tanh(2 * x + 1)
    return 2 * b * (1 - b**2) * 2


x0 = 0.3
by_hand = df_by_hand(x0)
by_differences = numerical_gradient(f, x0)  # (f(x+e) - f(x-e)) / 2e
x_tf = tf.Variable(x0, dtype=tf.float64)
with tf.GradientTape() as tape:
    y_tf = tf.tanh(2 * x_tf + 1) ** 2
by_tape = tape.gradient(y_tf, x_tf).numpy()

print(f"by hand:               {by_hand:.8f}")
print(f"central differences:   {float(by_differences):.8f}")
print(f"tf.GradientTape:       {by_tape:.8f}")
assert relative_error(by_hand, by_differences) < 1e-8
assert relative_error(by_hand, by_tape) < 1e-12

# %% [markdown] slideshow={"slide_type": "subslide"}
# Three independent methods agree: to better than $10^{-8}$ for finite differences
# (their error is $O(\varepsilon^2)$ plus round-off), and to $10^{-12}$ for
# `GradientTape`, which applies exactly the chain rule we wrote.
# We will check every hand-written gradient of this course this way.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. Many steps: a product of local factors
#
# Now apply one function $T$ times, each time with a new input $x_t$:
#
# $$h_t = \tanh(w\,h_{t-1} + x_t), \qquad t = 1, \dots, T .$$
#
# The chain rule through all $T$ steps gives one local factor per step:
#
# $$\frac{\partial h_T}{\partial h_0} = \prod_{t=1}^{T} \frac{\partial h_t}{\partial h_{t-1}}
#   = \prod_{t=1}^{T} w\,\bigl(1 - h_t^2\bigr),
# \qquad \text{because } \tanh'(a) = 1 - \tanh(a)^2 .$$

# %% slideshow={"slide_type": "-"}
def run_recurrence(w, h0, inputs):
    """The states h_1..h_T of h_t = tanh(w h_(t-1) + x_t)."""
    states, h = [], h0
    for x in inputs:
        h = np.tanh(w * h + x)
        states.append(h)
    return np.array(states)


rng = np.random.default_rng(SEED)
T, h0 = 30, 0.1
inputs = 0.1 * rng.standard_normal(T)

for w in [0.9, 1.5]:
    states = run_recurrence(w, h0, inputs)
    local_factors = w * (1 - states**2)
    product = np.prod(local_factors)

    h0_tf = tf.Variable(h0, dtype=tf.float64)
    with tf.GradientTape() as tape:
        h = h0_tf
        for x in inputs:
            h = tf.tanh(w * h + x)
    from_tape = tape.gradient(h, h0_tf).numpy()

    print(f"w = {w}: product of {T} factors = {product:.4e}, GradientTape = {from_tape:.4e}")
    assert relative_error(product, from_tape) < 1e-10
# At w = 1.5 the product over 20 draws of inputs (tools/spreads.py): 4e-11 to 2e-3.
assert product < 1e-2  # the last w, 1.5: a weight above one, a small gradient

# %% [markdown] slideshow={"slide_type": "subslide"}
# The product of local factors *is* the gradient: `GradientTape` agrees to ten digits.
# Notice that $w = 1.5$, a weight above one, still gave a small gradient (below $10^{-2}$
# for every one of 20 draws of the inputs we tried). Section 3 explains why.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Geometric decay or growth
#
# Remove the `tanh` first. For the linear recurrence $h_t = w\,h_{t-1} + x_t$ every
# factor is exactly $w$, so $\partial h_T/\partial h_0 = w^T$: the one-line rule
# **factors below one vanish, factors above one explode**, geometrically in $T$.
#
# With `tanh`, each factor is $w\,(1 - h_t^2)$, never larger than $|w|$ in size, and
# smaller the more the unit saturates ($|h_t| \to 1$). We compute the product for every
# $T$ at once with a cumulative product along one long trajectory.

# %% slideshow={"slide_type": "subslide"}
T_max = 100
inputs = 0.1 * rng.standard_normal(T_max)
weights = [0.5, 0.9, 1.0, 1.1, 2.0]
lags = np.arange(1, T_max + 1)

linear_gradients, tanh_gradients = {}, {}
for w in weights:
    linear_gradients[w] = np.abs(w) ** lags  # every factor is w
    states = run_recurrence(w, h0, inputs)
    tanh_gradients[w] = np.abs(np.cumprod(w * (1 - states**2)))

fig, (ax_linear, ax_tanh) = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
for w, color in zip(weights, sequential_colors(len(weights)), strict=True):
    ax_linear.plot(lags, linear_gradients[w], color=color, label=f"w = {w}")
    ax_tanh.plot(lags, tanh_gradients[w], color=color, label=f"w = {w}")
ax_linear.set_title(r"linear: $h_t = w\,h_{t-1} + x_t$")
ax_tanh.set_title(r"tanh: $h_t = \tanh(w\,h_{t-1} + x_t)$")
for ax in (ax_linear, ax_tanh):
    ax.set_yscale("log")
    ax.set_xlabel("number of steps T")
    ax.set_ylim(1e-30, 1e30)
ax_linear.set_ylabel(r"$|\partial h_T / \partial h_0|$")
ax_linear.legend()
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# Left, the rule holds exactly: straight lines on a log scale, down for $w < 1$, up
# for $w > 1$. Right, `tanh` changes the picture: the curves for $w = 1.1$ and $w = 2$
# *fall*. Why? For $w > 1$ the state is drawn to a fixed point $h^* = \tanh(w\,h^*) \neq 0$
# (about $\pm 0.50$ for $w = 1.1$, $\pm 0.96$ for $w = 2$), and that fixed point is
# *stable* precisely because the local factor there, $w\,(1 - {h^*}^2)$, is below one
# (0.82 and 0.17): the factor that pulls the state back is the factor that shrinks the
# gradient. Near $h = 0$, the unstable fixed point, the factor is above one (for
# $w = 1.1$ while $|h| < \sqrt{1 - 1/w} \approx 0.30$); the more steps the small inputs
# keep the state there, the less the $w = 1.1$ curve falls. Let us check these claims
# with numbers.

# %% slideshow={"slide_type": "-"}
for w in weights:
    assert np.all(tanh_gradients[w] <= np.abs(w) ** lags * (1 + 1e-12))  # tanh' <= 1
assert linear_gradients[0.9][-1] < 1e-4 and linear_gradients[1.1][-1] > 1e4

for w, h_star, factor in ((1.1, 0.50, 0.82), (2.0, 0.96, 0.17)):
    fixed = 1.0
    for _ in range(500):
        fixed = np.tanh(w * fixed)  # iterate to the stable fixed point h* = tanh(w h*)
    assert abs(fixed - h_star) < 0.005 and abs(w * (1 - fixed**2) - factor) < 0.005
    assert factor < 1  # stable: the local factor at h* is below one
# w = 1.1 over 20 fixed draws of the inputs: it always falls, how fast depends on the draw
factors_11 = [
    np.abs(1.1 * (1 - run_recurrence(1.1, h0, 0.1 * draw.standard_normal(T_max)) ** 2))
    for draw in map(np.random.default_rng, range(20))
]
ends_11 = [np.prod(factors) for factors in factors_11]
steps_near_0 = [np.sum(factors > 1) for factors in factors_11]  # |h| < 0.30
ranks = [np.argsort(np.argsort(values)) for values in (ends_11, steps_near_0)]
agreement = np.corrcoef(*ranks)[0, 1]  # Spearman rank correlation (ties broken by order)
print(f"w = 1.1, 20 draws: |dh_100/dh_0| from {min(ends_11):.0e} to {max(ends_11):.1f}; "
      f"steps near 0 from {min(steps_near_0)} to {max(steps_near_0)}; "
      f"rank correlation of the two {agreement:.2f}")
assert max(ends_11) < 1 and max(ends_11) > 1e6 * min(ends_11)
assert agreement > 0.7  # more steps near the unstable point, more gradient left

states = run_recurrence(2.0, h0, inputs)
mean_factor = np.exp(np.mean(np.log(np.abs(2.0 * (1 - states**2)))))
print(f"w = 2, tanh: mean |h_t| = {np.mean(np.abs(states)):.3f}, "
      f"geometric-mean factor = {mean_factor:.3f}, |dh_100/dh_0| = {tanh_gradients[2.0][-1]:.1e}")
# Over 20 draws (tools/spreads.py): mean |h_t| 0.90 to 0.94, geometric-mean factor 0.17 to
# 0.20, |dh_100/dh_0| 1e-76 to 2e-70.
assert mean_factor < 1 and tanh_gradients[2.0][-1] < 1e-10

# %% [markdown] slideshow={"slide_type": "subslide"}
# With $w = 2$ the units sit near $\pm 0.93$ on average, a typical factor is about
# $0.18$ (the geometric mean printed above; 0.17 to 0.20 over 20 draws of the inputs),
# and after 100 steps the gradient is below
# $10^{-10}$: it vanished although the weight is *larger* than one. So "weights below
# one vanish, above one explode" is only the linear, scalar intuition. The derivative of the activation is
# part of every factor, and saturating activations make it small. That is the subject
# of notebook 02.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Turn the knobs
#
# Run the next cell and move the sliders: the weight $w$, the number of steps $T$ and the
# activation $f$ of $h_t = f(w\,h_{t-1} + x_t)$. Left, the local factors
# $\partial h_t/\partial h_{t-1} = w\,f'(a_t)$, one per step; right, their product
# $|\partial h_T/\partial h_0|$, with the linear rule $|w|^T$ dotted. Things to try:
#
# - `linear`, with $w$ just below and just above 1: the straight lines of section 3;
# - `tanh` at $w = 2$, then $w = 1$: where do the factors settle, and why?
# - `sigmoid`: no factor exceeds $w/4$ (notebook 02 shows why);
# - `relu`: a factor is $w$ or exactly 0, and one 0 ends the product.
#
# The figure below the widget is its starting point ($w = 2$, $T = 100$, `tanh`), for
# readers of the web page.

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
# (a widget's view holds a model id that changes at every run)
chain_rule_demo()

# %% slideshow={"slide_type": "subslide"}
# The demo's product is section 2's: the factors w (1 - h_t^2) along one trajectory.
chain = chain_factors(2.0, 100, "tanh")
by_section_2 = np.cumprod(2.0 * (1 - run_recurrence(2.0, h0, chain.inputs) ** 2))
assert np.allclose(chain.products, by_section_2, rtol=1e-12, atol=0)

chain_rule_figure(weight=2.0, T=100, activation="tanh")
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - The chain rule multiplies local derivatives; we checked a hand derivative against
#   central differences (relative error $< 10^{-8}$) and `GradientTape` ($< 10^{-12}$).
# - Through $T$ steps of $h_t = \tanh(w h_{t-1} + x_t)$ the gradient
#   $\partial h_T/\partial h_0$ is a product of $T$ factors $w(1-h_t^2)$; `GradientTape`
#   agrees to $10^{-10}$.
# - Linear recurrence: $|w|^T$, so $0.9^{100} < 10^{-4}$ and $1.1^{100} > 10^{4}$.
# - `tanh` never makes a factor larger than $|w|$, and saturation makes it much
#   smaller: with $w = 2$ the gradient after 100 steps is below $10^{-10}$.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Replace `None` with your answer and run the cell. To see a reference solution, run
# `gc.show_solution("01.1")` (or `"01.2"`, `"01.3"`).
#
# **Exercise 01.1.** For $h_t = \tanh(w\,h_{t-1} + x_t)$ with $w = 2$ the
# pre-activation at step $t$ is $a_t = 0.5$. What is the local factor
# $\partial h_t/\partial h_{t-1}$?

# %% slideshow={"slide_type": "-"}
answer_01_1 = None  # a number
gc.check("01.1", answer_01_1)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 01.2.** Every local factor equals $0.9$. After how many steps $T$ is
# $\partial h_T/\partial h_0 = 0.9^T$ smaller than $10^{-3}$ for the first time?

# %% slideshow={"slide_type": "-"}
answer_01_2 = None  # a whole number
gc.check("01.2", answer_01_2)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 01.3.** Section 2 followed the gradient back to $h_0$; now follow it to an
# input. Write `gradient_to_input(w, states, t)` that returns $\partial h_T/\partial x_t$
# for $h_t = \tanh(w\,h_{t-1} + x_t)$, given the array of states $h_1, \dots, h_T$
# (`states[0]` is $h_1$) and a step $1 \le t \le T$.

# %% slideshow={"slide_type": "-"}
def gradient_to_input(w, states, t):
    raise NotImplementedError  # your code here


gc.check("01.3", gradient_to_input)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# This notebook cites no paper. Further reading on the product of factors:
# - Bengio, Simard & Frasconi (1994), *Learning long-term dependencies with gradient
#   descent is difficult*: the early analysis of why long-range gradients vanish.
# - Pascanu, Mikolov & Bengio (2013), *On the difficulty of training recurrent neural
#   networks*: the conditions notebook 03 tests and the clipping notebook 05 uses.
#
# Full citations: [references](https://github.com/gradcourse/gradcourse/blob/main/docs/references.md).

# %% [markdown] slideshow={"slide_type": "-"}
# ---
# **Next:** [02 · Saturation: why tanh and sigmoid make the factors small](02_saturation.ipynb)
