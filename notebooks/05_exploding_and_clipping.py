# %% [markdown]
# # 05 · Exploding gradients and clipping: clipvalue, clipnorm, global_clipnorm
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/gradcourse/gradcourse/blob/main/notebooks/05_exploding_and_clipping.ipynb)
#
# Notation: every symbol is defined once for the whole course on the
# [notation page](https://github.com/gradcourse/gradcourse/blob/main/docs/notation.md).
#
# Popular articles hand out `optimizers.Adam(clipnorm=1.0)` as *the* fix for exploding
# gradients. Two facts get lost. In Keras, `clipnorm` clips **each variable's** gradient
# on its own, which is not the norm clipping of Pascanu, Mikolov and Bengio (2013);
# `global_clipnorm` is. And clipping only ever scales gradients **down**, so it cannot
# help when they vanish. This notebook makes an RNN explode and shows exactly what each
# kind of clipping does to it.
#
# **You will learn to**
# - recognise an explosion: gradient-norm spikes, loss jumps, NaN, and detect it in code;
# - compare `clipvalue`, `clipnorm` and `global_clipnorm` on the same run;
# - see the geometry: which clipping keeps the gradient's direction;
# - choose a clipping threshold, and know what clipping cannot do.

# %% [markdown]
# ## Setup

# %%
import sys

if "google.colab" in sys.modules:
    %pip install -q "gradcourse @ git+https://github.com/gradcourse/gradcourse@v0.1.0"

# %%
# NBVAL_IGNORE_OUTPUT
import gradcourse as gc  # first: it quiets TensorFlow's start-up logs

SEED = 0
gc.setup_notebook(seed=SEED)

import inspect

import keras
import matplotlib.pyplot as plt
import numpy as np
import tensorflow as tf

from gradcourse.clipping import (
    clip_by_global_norm,
    clip_by_value,
    clip_each_by_norm,
    cosine_similarity,
    global_norm,
)
from gradcourse.models import build_recurrent_model
from gradcourse.monitoring import GradientLog, with_gradient_logging
from gradcourse.plotting import color_for
from gradcourse.probes import input_gradient_norms
from gradcourse.tasks import adding_problem
from gradcourse.training import default_optimizer, evaluate_mse, fit_compiled

# %% [markdown]
# ## 1. Make it explode
#
# Our model is a `SimpleRNN` with ReLU units whose recurrent matrix starts as the
# identity times a gain $g = 1.05$: an **IRNN** (Le et al. 2015) pushed just past the edge.
# ReLU does not saturate, and every singular value is 1.05, so $\lambda_1 = 1.05$ is above
# notebook 03's bound $1/\gamma = 1$: nothing bounds the state or the gradient. We train
# it on the adding problem with $T = 30$ using SGD with momentum, close to
# Pascanu et al.'s setting.
#
# `with_gradient_logging` wraps a model so that every training step records each
# variable's gradient norm **before** the optimizer clips it; the `GradientLog` callback
# collects them, and stops training at the first non-finite loss or gradient instead of
# letting NaN fill the rest of the run.

# %%
T, N_TRAIN, EPOCHS, BATCH = 30, 2_000, 15, 50
train = adding_problem(N_TRAIN, T, seed=10 * SEED + 1)
test = adding_problem(1_000, T, seed=10 * SEED + 2)
baseline = train.baseline_mse


def irnn():
    keras.utils.set_random_seed(SEED)
    return build_recurrent_model("SimpleRNN", T, 2, units=32, activation="relu",
                                 recurrent_initializer=keras.initializers.Identity(gain=1.05))


def train_with(clipping=None, threshold=1.0):
    """Train a fresh IRNN (SGD, lr 0.01, momentum 0.9) with the given clipping; return its log."""
    model = with_gradient_logging(irnn())
    options = {clipping: threshold} if clipping else {}
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, **options),
                  loss="mse")
    log = GradientLog()
    model.fit(train.x, train.y, epochs=EPOCHS, batch_size=BATCH, shuffle=False, verbose=0,
              callbacks=[log])
    return log


def final_loss(log):
    """Mean training loss over the last 50 steps (infinite if the run diverged)."""
    return float(np.mean(log.losses[-50:])) if log.first_nan_step is None else float("inf")


x0, y0 = tf.constant(train.x[:BATCH]), tf.constant(train.y[:BATCH])
model = irnn()
with tf.GradientTape() as tape:
    loss0 = tf.reduce_mean((model(x0) - y0) ** 2)
initial_gradients = [grad.numpy() for grad in tape.gradient(loss0, model.trainable_variables)]
print(f"at initialisation: loss {float(loss0):.2f} (baseline {baseline:.3f}), "
      f"gradient norm {global_norm(initial_gradients):.0f}")
assert global_norm(initial_gradients) > 100

# %% [markdown]
# The loss starts above the baseline (ReLU units add up and amplify inputs over 30
# steps) and the gradient norm is in the hundreds or more: one SGD step with learning
# rate 0.01 moves the weights by several units. Watch:

# %%
# NBVAL_IGNORE_OUTPUT
# (float32 norms of a diverging run: digits vary between machines)
runs = {"none": train_with(None)}
log = runs["none"]
print(f"no clipping: first non-finite loss or gradient at step {log.first_nan_step}; "
      f"gradient norms before it: {np.round(log.global_norms[:log.first_nan_step], 1)}")
assert log.first_nan_step is not None and log.first_nan_step < 10

# %% [markdown]
# Unclipped, the run **diverges within a few steps**: the first update is so large that
# the next forward pass overflows, and the loss becomes NaN. `GradientLog` caught it and
# stopped the run; the notebook goes on.

# %% [markdown]
# ## 2. Four runs, same seed and data
#
# Now the same model, data and optimizer with each of Keras' clipping options, all with
# threshold $\tau = 1$:
# - `clipvalue=1.0`: clip every gradient **element** to $[-1, 1]$;
# - `clipnorm=1.0`: rescale **each variable's** gradient to norm at most 1;
# - `global_clipnorm=1.0`: rescale **all** gradients together to global norm at most 1
#   (Pascanu et al.'s Algorithm 1).

# %%
# NBVAL_IGNORE_OUTPUT
# (timing-free, but a training run: digits vary between machines)
for clipping in ("clipvalue", "clipnorm"):
    runs[clipping] = train_with(clipping)

# %%
# NBVAL_IGNORE_OUTPUT
runs["global_clipnorm"] = train_with("global_clipnorm")

# %%
fig, (ax_loss, ax_norm) = plt.subplots(1, 2, figsize=(13, 4.5))
for name, log in runs.items():
    steps = np.arange(len(log.losses))
    ax_loss.semilogy(steps, log.losses, color=color_for(name), lw=1.5, label=name)
    ax_norm.semilogy(steps, log.global_norms, color=color_for(name), lw=1.2, label=name)
ax_loss.axhline(baseline, color="gray", ls="--", lw=1.5, label="baseline")
ax_loss.set_ylim(1e-2, 1e2)  # the unclipped run leaves the plot at once: it ends in NaN
ax_loss.annotate(f"none: NaN at step {runs['none'].first_nan_step}", xy=(0, 50), xytext=(60, 20),
                 color=color_for("none"),
                 arrowprops={"arrowstyle": "->", "color": color_for("none")})
ax_loss.set_ylabel("training loss (MSE)")
ax_norm.set_ylabel("global gradient norm, before clipping")
for ax in (ax_loss, ax_norm):
    ax.set_xlabel("training step")
ax_loss.legend()
plt.show()

# %%
# NBVAL_IGNORE_OUTPUT
# (the asserts below hold on every machine; the digits vary)
print(f"{'clipping':>16} | {'final loss':>10} | {'step of NaN':>11} | {'max norm':>9}")
for name, log in runs.items():
    nan_step = "-" if log.first_nan_step is None else log.first_nan_step
    print(f"{name:>16} | {final_loss(log):>10.3f} | {nan_step!s:>11} | "
          f"{np.nanmax(log.global_norms):>9.3g}")

clipped = ("clipvalue", "clipnorm", "global_clipnorm")
assert runs["none"].first_nan_step is not None  # unclipped: diverges
assert all(runs[name].first_nan_step is None for name in clipped)
assert final_loss(runs["global_clipnorm"]) < 0.9 * baseline  # global norm clipping trains
assert final_loss(runs["global_clipnorm"]) == min(final_loss(runs[name]) for name in clipped)
# clipvalue: stuck at the mean
assert abs(final_loss(runs["clipvalue"]) - baseline) < 0.1 * baseline

n_parameters = sum(int(np.prod(v.shape)) for v in irnn().trainable_variables)
print(f"{n_parameters} parameters: clipvalue=1 allows a step of norm up to sqrt({n_parameters}) = "
      f"{np.sqrt(n_parameters):.0f}, global_clipnorm=1 a step of norm 1 (times the learning rate)")
assert n_parameters == 1153

# %% [markdown]
# Every kind of clipping prevented the NaN: none of them lets a single step be huge. But
# they did not train equally (the asserts above check each sentence, for seeds 0, 1, 2):
# - `global_clipnorm` trained: it ended below the baseline, with the lowest loss of the three;
# - `clipvalue` ended at the baseline: the model learned only to predict the mean;
# - `clipnorm` we do not rank: across seeds its final loss ranges from below the
#   baseline to several times above it.
#
# Why would rules that all bound the step behave so differently? They differ in two
# ways at once. The **size** of the step: `clipvalue=1` bounds each of the 1153
# elements, so the step can be up to $\sqrt{1153} \approx 34$ times longer than under
# `global_clipnorm=1`. And its **direction**, which the next section looks at.

# %% [markdown]
# ## 3. Geometry: which clipping keeps the direction?
#
# A 2-D gradient $\nabla L = (3, 0.5)$ and threshold $\tau = 1$. Value clipping gives
# $(1, 0.5)$: the small component now weighs half as much as the large one, so the
# direction changes. Norm clipping gives $\tau\,\nabla L / \lVert \nabla L \rVert$:
# shorter, same direction.

# %%
gradient = np.array([3.0, 0.5])
(by_value,) = clip_by_value([gradient], 1.0)  # a list of one array in, one out
(by_norm,) = clip_by_global_norm([gradient], 1.0)

fig, ax = plt.subplots(figsize=(6.5, 3.6))
for vector, name in [(gradient, "none"), (by_value, "clipvalue"), (by_norm, "global_clipnorm")]:
    ax.annotate("", xy=vector, xytext=(0, 0),
                arrowprops={"arrowstyle": "->", "lw": 2.5, "color": color_for(name)})
    ax.text(*(vector + [0.05, 0.05]), name, color=color_for(name), fontsize=12)
ax.add_patch(plt.Rectangle((-1, -1), 2, 2, fill=False, ls=":", color=color_for("clipvalue")))
ax.add_patch(plt.Circle((0, 0), 1, fill=False, ls=":", color=color_for("global_clipnorm")))
ax.set_xlim(-0.3, 3.4)
ax.set_ylim(-0.3, 1.3)
ax.set_aspect("equal")
ax.set_xlabel(r"$(\nabla L)_1$")
ax.set_ylabel(r"$(\nabla L)_2$")
plt.show()

print(f"cosine with the original: clipvalue {cosine_similarity([gradient], [by_value]):.3f}, "
      f"norm clipping {cosine_similarity([gradient], [by_norm]):.3f}")
assert cosine_similarity([gradient], [by_value]) < 0.99
assert np.isclose(cosine_similarity([gradient], [by_norm]), 1.0)

# %% [markdown]
# With many variables, Keras' `clipnorm` applies norm clipping to each variable
# *separately*, with a different factor each: the full gradient's direction changes too.
# On the IRNN's real gradient at initialisation:

# %%
each_clipped = clip_each_by_norm(initial_gradients, 1.0)
jointly_clipped = clip_by_global_norm(initial_gradients, 1.0)
norms = [np.linalg.norm(grad) for grad in initial_gradients]
print("per-variable gradient norms:", np.round(norms, 1))
print(f"cosine with the full gradient: "
      f"clipnorm {cosine_similarity(initial_gradients, each_clipped):.3f}, "
      f"global_clipnorm {cosine_similarity(initial_gradients, jointly_clipped):.6f}")
assert cosine_similarity(initial_gradients, each_clipped) < 0.99
assert cosine_similarity(initial_gradients, jointly_clipped) > 1 - 1e-9

# %% [markdown]
# Pascanu et al.'s Algorithm 1 fits in five lines of NumPy: here is the package's
# `clip_by_global_norm` we used above, and the `global_norm` it calls. We check it against
# TensorFlow's `tf.clip_by_global_norm`, and we check what Keras' optimizers really do by
# taking one SGD step with learning rate 1 (so the step *is* the clipped gradient).

# %%
print(inspect.getsource(global_norm))
print(inspect.getsource(clip_by_global_norm))


def all_close(got, expected):
    """The same arrays, variable by variable, up to float32 round-off."""
    return all(np.allclose(a, b, rtol=1e-5) for a, b in zip(got, expected, strict=True))


ours = clip_by_global_norm(initial_gradients, 1.0)
theirs, _ = tf.clip_by_global_norm([tf.constant(grad) for grad in initial_gradients], 1.0)
assert all_close(ours, [grad.numpy() for grad in theirs])


def keras_step(**clipping):
    """The update Keras' SGD(learning_rate=1) applies for the IRNN's initial gradient."""
    weights = [tf.Variable(np.zeros_like(grad)) for grad in initial_gradients]
    gradients = [tf.constant(grad) for grad in initial_gradients]
    keras.optimizers.SGD(learning_rate=1.0, **clipping).apply(gradients, weights)
    return [-w.numpy() for w in weights]


assert all_close(keras_step(clipnorm=1.0), each_clipped)
assert all_close(keras_step(global_clipnorm=1.0), jointly_clipped)
assert all_close(keras_step(clipvalue=1.0), clip_by_value(initial_gradients, 1.0))
print("Keras: clipnorm clips each variable, global_clipnorm is Pascanu's algorithm, "
      "clipvalue clips elements.")

# %% [markdown]
# So `Adam(clipnorm=1.0)` from the articles is per-variable clipping. Write
# `global_clipnorm=1.0` when you mean gradient norm clipping.

# %% [markdown]
# ## 4. Choosing the threshold
#
# Pascanu et al.'s heuristic: look at the average gradient norm over many updates; they
# found that half to ten times that value still converged. We measure the average norm
# (before clipping) of our `global_clipnorm` run, then try the heuristic's most cautious
# choice (half the average), our choice of 1, and thresholds far below.

# %%
# NBVAL_IGNORE_OUTPUT
# (an average over a training run: the digits vary between machines and TensorFlow versions)
average_norm = float(np.mean(runs["global_clipnorm"].global_norms))
print(f"average gradient norm before clipping: {average_norm:.1f}; "
      f"heuristic range 0.5x-10x: {0.5 * average_norm:.0f} to {10 * average_norm:.0f}")
heuristic = round(0.5 * average_norm, 1)
thresholds = [0.01, 0.1, 1.0, heuristic]
threshold_runs = {1.0: runs["global_clipnorm"]}

# %%
# NBVAL_IGNORE_OUTPUT
for threshold in (0.01, heuristic):
    threshold_runs[threshold] = train_with("global_clipnorm", threshold)

# %%
# NBVAL_IGNORE_OUTPUT
threshold_runs[0.1] = train_with("global_clipnorm", 0.1)

# %%
# NBVAL_IGNORE_OUTPUT
# (the asserts below hold on every machine; the digits vary)
final_by_threshold = {t: final_loss(threshold_runs[t]) for t in thresholds}
fig, ax = plt.subplots(figsize=(7, 4))
ax.semilogx(thresholds, [final_by_threshold[t] for t in thresholds], "o-",
            color=color_for("global_clipnorm"))
ax.axhline(baseline, color="gray", ls="--", lw=1.5, label="baseline")
ax.axvspan(0.5 * average_norm, 10 * average_norm, color="gray", alpha=0.15,
           label="0.5x-10x average norm")
ax.set_xlabel(r"global_clipnorm threshold $\tau$")
ax.set_ylabel("final training loss")
ax.legend()
plt.show()
print({t: round(loss, 3) for t, loss in final_by_threshold.items()})
# far too small: training crawls
assert final_by_threshold[0.01] > 0.9 * baseline > final_by_threshold[1.0]
assert final_by_threshold[heuristic] > baseline / 2  # half the average norm: no learning here

# %% [markdown]
# A **far too small** threshold makes every step tiny: after the same 600 steps the
# loss is still at the baseline, training slowed to a crawl. But in this setting the
# heuristic did not work either: with momentum 0.9 and learning rate 0.01, half the
# average norm already allowed steps large enough to wreck the model, and the best of
# our thresholds was 1. The reason is that what clipping really bounds is the
# **step**, $\eta\,\tau$ (times the momentum's amplification): choose the
# threshold together with the learning rate. The average norm is a starting point for a
# search, not an answer.

# %% [markdown]
# ## 5. Clipping does not cure vanishing
#
# Some articles claim clipping also keeps gradients "from becoming too small". It
# cannot: Algorithm 1 only multiplies by $\tau/\lVert \nabla L\rVert$ when that factor
# is below one. A small gradient passes through unchanged:

# %%
tiny = [1e-9 * grad for grad in initial_gradients]
assert all(np.array_equal(a, b) for a, b in zip(clip_by_global_norm(tiny, 1.0), tiny, strict=True))
print(f"a gradient of norm {global_norm(tiny):.1e} after global_clipnorm=1: "
      f"{global_norm(clip_by_global_norm(tiny, 1.0)):.1e}")

# %% [markdown]
# And the symptom of vanishing stays: a tanh `SimpleRNN` on the adding problem at
# $T = 100$, trained with Adam and `global_clipnorm=1.0` (the recipe of notebook 04),
# still fails, and its gradient still does not reach the early steps.

# %%
# NBVAL_IGNORE_OUTPUT
long_train = adding_problem(10_000, 100, seed=10 * SEED + 3)
long_test = adding_problem(1_000, 100, seed=10 * SEED + 4)
keras.utils.set_random_seed(SEED)
simple_rnn = build_recurrent_model("SimpleRNN", 100, 2, units=32)
fit_compiled(simple_rnn, long_train, epochs=8, batch_size=64,
             optimizer=default_optimizer(1e-2, global_clipnorm=1.0), seed=SEED)
mse = evaluate_mse(simple_rnn, long_test)
grads_over_time = input_gradient_norms(simple_rnn, long_test.x[:512], long_test.y[:512])
print(f"SimpleRNN, T = 100, global_clipnorm=1: test MSE {mse:.3f} (baseline {baseline:.3f}); "
      f"||dL/dx_0|| / ||dL/dx_99|| = {grads_over_time[0] / grads_over_time[-1]:.1e}")
assert mse > baseline / 2 and grads_over_time[0] / grads_over_time[-1] < 1e-3

# %% [markdown]
# Clipping is a guard against explosions. For vanishing gradients the remedies are
# elsewhere: gated cells (notebook 04) and the initialisation (notebook 06).

# %% [markdown]
# ## Summary
#
# - A ReLU RNN with recurrent gain 1.05 on the adding problem started with a gradient norm
#   in the hundreds or more; unclipped SGD produced NaN within a few steps (detected, not crashed).
# - With the same seed and data, `clipvalue`, `clipnorm` and `global_clipnorm` (all 1.0)
#   prevented the NaN; `global_clipnorm` trained, below three quarters of the baseline.
# - Value clipping and Keras' per-variable `clipnorm` change the gradient's direction
#   (cosine below 0.99); `global_clipnorm` keeps it (cosine 1). Pascanu's Algorithm 1 in
#   five lines of NumPy matches `tf.clip_by_global_norm`, and Keras' optimizers do
#   exactly what sections 2-3 say (asserted).
# - A far too small threshold (0.01) left the loss at the baseline; half the average norm
#   (Pascanu's most cautious choice) did not train either with this learning rate: tune
#   threshold and learning rate together.
# - Clipping never scales up: a SimpleRNN with `global_clipnorm` still failed at $T = 100$
#   with a vanishing gradient.

# %% [markdown]
# ## Exercises
#
# Replace the placeholder with your answer and run the cell; `gc.show_solution("05.1")`
# shows a reference solution.
#
# **Exercise 05.1.** Clipping bounds the gradient; how long can a step get? Keras' `SGD`
# with learning rate $\eta$ starts from $v = 0$, and at every step sets
# $v \leftarrow \text{momentum} \cdot v - \eta\,\nabla L$ and adds $v$ to the weights. With
# `global_clipnorm` $= \tau$, every $\lVert \nabla L \rVert \le \tau$. Write
# `largest_step(learning_rate, max_norm, momentum, steps)` ($\eta$, $\tau$, the momentum
# and the number of steps) that returns the largest possible $\lVert v \rVert$.

# %%
def largest_step(learning_rate, max_norm, momentum, steps):
    raise NotImplementedError  # your code here


gc.check("05.1", largest_step)

# %% [markdown]
# **Exercise 05.2.** A model has several weight tensors. Which optimizer setting always
# keeps the direction of the full gradient: `"clipvalue"`, `"clipnorm"` or
# `"global_clipnorm"`?

# %%
answer_05_2 = None  # one of the three strings
gc.check("05.2", answer_05_2)

# %% [markdown]
# **Exercise 05.3.** The gradient is $\nabla L = (3, 4)$ and `global_clipnorm=1.0`. What is its
# first component after clipping?

# %%
answer_05_3 = None  # a number
gc.check("05.3", answer_05_3)

# %% [markdown]
# ## References
#
# - Pascanu, Mikolov & Bengio (2013), *On the difficulty of training recurrent neural
#   networks*: norm clipping (their Algorithm 1), the threshold heuristic, and the
#   training setting section 1 stays close to.
# - Le, Jaitly & Hinton (2015), *A simple way to initialize recurrent networks of
#   rectified linear units*: the IRNN.
#
# Full citations: [references](https://github.com/gradcourse/gradcourse/blob/main/docs/references.md).

# %% [markdown]
# ---
# **Next:** [06 · Initializers: what the initial recurrent matrix decides](06_initializers.ipynb)
