# %% [markdown] slideshow={"slide_type": "slide"}
# # 08b · More myths on trial: normalisation, regularisation, learning rate, precision
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/gradcourse/gradcourse/blob/main/notebooks/08_myths_on_trial_2.ipynb)
#
# Notation: every symbol is defined once for the whole course on the
# [notation page](https://github.com/gradcourse/gradcourse/blob/main/docs/notation.md).
#
# Notebook 08 put seven claims on trial. This one trains the models that its batch
# normalisation verdict needs, and tries eight more claims, in four sections numbered 8 to
# 12 (myths 8 and 9 share one), that articles make about
# vanishing and exploding gradients. Every verdict uses the scale and the standard of
# [docs/evidence.md](https://github.com/gradcourse/gradcourse/blob/main/docs/evidence.md):
# **false**; **false as written, true in its precise form**; **true in part**; **true**;
# **not settled here**. Claims about *learning* (that something fixes, solves or
# prevents a failure to learn) are judged on training outcomes; claims about *the
# gradient* on the gradient, over 20 random draws.
#
# **You will learn to**
# - judge a remedy by what it does to training, not only to the gradient at initialisation;
# - tell apart what acts on the gradient (the weights, the activation, the structure)
#   and what does not (the learning rate, early stopping, the number format);
# - read a regulariser's effect on the gradient through $\chi$ and $\lambda_1$.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Setup

# %% slideshow={"slide_type": "skip"}
import sys

if "google.colab" in sys.modules:
    %pip install -q "gradcourse @ git+https://github.com/gradcourse/gradcourse@v0.1.0"

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
import gradcourse as gc  # first: it quiets TensorFlow's start-up logs

SEED = 0
gc.setup_notebook(seed=SEED)

import keras
import matplotlib.pyplot as plt
import numpy as np

from gradcourse.activations import activation as activation_function
from gradcourse.activations import derivative
from gradcourse.experiments import side_by_side
from gradcourse.matrices import scaled_orthogonal
from gradcourse.models import build_recurrent_model
from gradcourse.normalized_lstm import (
    build_normalized_lstm_model,
    build_normalized_simple_rnn_model,
)
from gradcourse.plotting import color_for
from gradcourse.tasks import adding_problem, learned
from gradcourse.training import epochs_on_baseline, fit_logged

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Myth 5, trained: "Batch normalisation is the remedy for RNNs"
#
# Notebook 08 showed that one set of batch statistics for all steps standardised no step of an IRNN,
# and that layer normalisation reshaped a tanh `SimpleRNN`'s gradient without making it
# learn. A *remedy* is judged on a model that fails without it: that is the tanh
# `SimpleRNN` of notebook 08, myth 1, and we give it batch normalisation below. First,
# Cooijmans et al. (2016) report that batch normalisation *with statistics per
# time step* makes LSTMs converge faster. So we train four LSTMs that differ **only in
# the normalisation** (`gradcourse.normalized_lstm.NormalizedLSTM`, unit-tested against
# Keras' `LSTM` and against a NumPy LSTM written from the papers' equations):
#
# | run | normalisation |
# |---|---|
# | none | the plain LSTM |
# | shared statistics | the input term $W_x x_t$ normalised with one mean and variance per feature over the batch **and all steps** (Laurent et al. 2016) |
# | per-step statistics | recurrent batch normalisation (Cooijmans et al. 2016): $W_h h_{t-1}$ and $W_x x_t$ normalised over the batch at each step, and $c_t$ where it enters $h_t = o_t \odot \tanh(\mathrm{BN}(c_t))$ (the cell's own recurrence is not normalised, as in the paper), separate statistics kept for each step, scales started at 0.1 |
# | layer norm | the same three places, statistics over the units of one example (Ba et al. 2016) |
#
# The recipe is notebook 08's: the adding problem at $T = 30$, 1,500 training sequences,
# 32 units, batches of 32, 10 epochs of Adam ($\eta = 10^{-2}$, `global_clipnorm=1.0`),
# and all four start from the same LSTM weights. Batch normalisation predicts with
# statistics collected during training (moving averages, Keras' momentum 0.99); we test
# with them and, as a diagnostic, with the test batch's own statistics.

# %% slideshow={"slide_type": "-"}
T, BATCH, EPOCHS = 30, 32, 10
train_set = adding_problem(1_500, T, seed=10 * SEED + 1)
test_set = adding_problem(500, T, seed=10 * SEED + 2)
baseline = train_set.baseline_mse
NORMS = {"none": None, "shared statistics": "batch_shared",
         "per-step statistics": "batch_per_step", "layer norm": "layer"}

models = {}
for name, normalization in NORMS.items():  # each built from the seed: the same LSTM weights
    keras.utils.set_random_seed(SEED)
    models[name] = build_normalized_lstm_model(T, 2, normalization, units=32)
start = {name: [m.get_layer(layer).get_weights()[0] for layer in ("lstm", "readout")]
         + [m.get_layer("lstm").recurrent_kernel.numpy()] for name, m in models.items()}
for weights in start.values():
    assert all(np.array_equal(a, b) for a, b in zip(weights, start["none"], strict=True))


def train_and_test(model):
    """Train one model with the recipe; return its epoch losses and its test MSEs."""
    optimizer = keras.optimizers.Adam(learning_rate=1e-2, global_clipnorm=1.0)
    log = fit_logged(model, train_set, EPOCHS, BATCH, optimizer, shuffle=True, seed=SEED)
    mse = {mode: float(np.mean((model(test_set.x, training=mode).numpy() - test_set.y) ** 2))
           for mode in (False, True)}  # moving statistics; the test batch's own (diagnostic)
    return {"losses": log.losses.reshape(EPOCHS, -1).mean(axis=1), "mse": mse[False],
            "mse_batch_stats": mse[True]}


# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
# (one model a cell, each under 10 s; training logs vary between machines)
bn_runs = {}
bn_runs["none"] = train_and_test(models["none"])

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
bn_runs["per-step statistics"] = train_and_test(models["per-step statistics"])

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
bn_runs["shared statistics"] = train_and_test(models["shared statistics"])

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
bn_runs["layer norm"] = train_and_test(models["layer norm"])

# %% slideshow={"slide_type": "subslide"}
def plot_training_losses(runs, title, first_color=0):
    """Each run's training loss per epoch, against the baseline and half of it."""
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for index, (name, run) in enumerate(runs.items()):
        ax.plot(np.arange(1, EPOCHS + 1), run["losses"], "o-",
                color=color_for(name, first_color + index), label=name)
    ax.axhline(baseline, color="gray", ls="--", label="baseline (predict 1)")
    ax.axhline(baseline / 2, color="gray", ls=":", label="half the baseline")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (MSE)")
    ax.set_title(title)
    ax.legend(fontsize=10)


plot_training_losses(
    bn_runs, f"LSTMs on the adding problem, T = {T}: only the normalisation differs"
)
plt.show()

# %% slideshow={"slide_type": "subslide"}
# NBVAL_IGNORE_OUTPUT
# (trained models: the digits vary between machines; the asserts hold)
on_baseline = {name: epochs_on_baseline(run["losses"], baseline) for name, run in bn_runs.items()}
print(f"{'LSTM':>19} | epochs on baseline | test MSE | with the test batch's statistics")
for name, run in bn_runs.items():
    print(f"{name:>19} | {on_baseline[name]:>18} | {run['mse']:>8.4f} | "
          f"{run['mse_batch_stats']:.4f}")
normalised = ("shared statistics", "per-step statistics", "layer norm")
assert learned(bn_runs["none"]["mse"], baseline)  # the plain LSTM learned in the budget ...
assert all(on_baseline[name] < on_baseline["none"] for name in normalised)  # ... later
assert learned(bn_runs["layer norm"]["mse"], baseline)
per_step = bn_runs["per-step statistics"]
assert learned(per_step["mse_batch_stats"], baseline)  # per-step BN learned, in training mode
assert per_step["mse"] > 3 * per_step["mse_batch_stats"]  # its moving statistics cost a lot

# %% [markdown] slideshow={"slide_type": "subslide"}
# (An epoch counts as on the baseline while its training loss is above half of it. The
# plain LSTM here is built by the normalised LSTM's code with no normalisation, tested
# against Keras' `LSTM`, not by 08's Keras `LSTM`: its run, and its numbers, differ from
# 08's.) Every normalised LSTM's **training loss left the baseline sooner** than the plain
# one's, as Cooijmans et al. report for per-step statistics (here layer norm and the
# shared statistics of the input term did too). But the plain LSTM also learned within
# the budget: normalisation was not needed. And the per-step batch normalisation paid at
# test time: with the statistics it had collected during training its test MSE was more
# than three times what it reached with the test batch's own statistics (the diagnostic;
# asserted); whether it fell below half the baseline with them we do not assert (the
# table shows this run), so that form is not shown to learn. Why, we did not measure;
# one hypothesis is that moving averages with momentum 0.99 lag behind statistics that
# change as the model learns, and a smaller momentum might do better.
#
# ### The model that needs a remedy: the tanh `SimpleRNN`
#
# An LSTM that learns without normalisation cannot show that normalisation *remedies* a
# failure. The model that failed is notebook 08's tanh `SimpleRNN` (32 units, myth 1):
# with this recipe it stayed on the baseline, and layer normalisation did not rescue it
# (08, myth 5). We give it batch normalisation, with
# `gradcourse.normalized_lstm.NormalizedSimpleRNN` (the same code as the LSTM's,
# unit-tested against Keras' `SimpleRNN` and a NumPy SimpleRNN, in training and in
# inference):
#
# | run | the step |
# |---|---|
# | plain | $h_t = \tanh(W_h h_{t-1} + W_x x_t + b)$, Keras' `SimpleRNN` |
# | per-step statistics | $h_t = \tanh(\mathrm{BN}_t(W_h h_{t-1}) + \mathrm{BN}_t(W_x x_t) + b)$ (Cooijmans et al.): statistics over the batch at each step, moving statistics kept for each step, scales started at 0.1 |
# | shared statistics | $h_t = \tanh(W_h h_{t-1} + \mathrm{BN}(W_x x_t) + b)$, one set of statistics over the batch and all steps (Laurent et al.) |
#
# Same task, length, data and budget as above and as in 08; all three start from the
# plain `SimpleRNN`'s $W_x$, $W_h$ and readout. Two train at a time, one per core.

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
# (training logs vary between machines)
rnn_models = {}
for name, normalization in {"SimpleRNN": "plain", "SimpleRNN, per-step BN": "batch_per_step",
                            "SimpleRNN, shared BN": "batch_shared"}.items():
    keras.utils.set_random_seed(SEED)  # notebook 08's SimpleRNN, built from the seed
    plain_rnn = build_recurrent_model("SimpleRNN", T, 2, units=32, unroll=True)
    if normalization == "plain":
        rnn_models[name] = plain_rnn
        continue
    model = build_normalized_simple_rnn_model(T, 2, normalization, units=32)
    cell = plain_rnn.get_layer(index=1).cell
    model.get_layer("rnn").kernel.assign(cell.kernel)
    model.get_layer("rnn").recurrent_kernel.assign(cell.recurrent_kernel)
    model.get_layer("readout").set_weights(plain_rnn.get_layer("readout").get_weights())
    rnn_models[name] = model
start_kernels = [m.get_weights()[1] for m in rnn_models.values()]  # W_h of each
assert all(np.array_equal(w, start_kernels[0]) for w in start_kernels)  # the same start
rnn_runs = side_by_side({  # the slow per-step run beside the two others
    "SimpleRNN, per-step BN": lambda: train_and_test(rnn_models["SimpleRNN, per-step BN"]),
    "plain and shared": lambda: {name: train_and_test(rnn_models[name])
                                 for name in ("SimpleRNN", "SimpleRNN, shared BN")}})
rnn_runs = {"SimpleRNN": rnn_runs["plain and shared"]["SimpleRNN"],
            "SimpleRNN, per-step BN": rnn_runs["SimpleRNN, per-step BN"],
            "SimpleRNN, shared BN": rnn_runs["plain and shared"]["SimpleRNN, shared BN"]}

# %% slideshow={"slide_type": "subslide"}
plot_training_losses(
    rnn_runs, f"tanh SimpleRNNs on the adding problem, T = {T}: only the normalisation differs",
    first_color=4,
)
plt.show()

# %% slideshow={"slide_type": "subslide"}
# NBVAL_IGNORE_OUTPUT
# (trained models: the digits vary between machines; the asserts hold)
rnn_on_baseline = {name: epochs_on_baseline(run["losses"], baseline)
                   for name, run in rnn_runs.items()}
print(f"{'SimpleRNN':>22} | epochs on baseline | test MSE (/ baseline) | learned | "
      "with the test batch's statistics")
for name, run in rnn_runs.items():
    print(f"{name:>22} | {rnn_on_baseline[name]:>18} | {run['mse']:>8.4f} "
          f"({run['mse'] / baseline:>5.2f} x)  | {str(learned(run['mse'], baseline)):>7} | "
          f"{run['mse_batch_stats']:.4f}")
rnn_bn = rnn_runs["SimpleRNN, per-step BN"]
assert not learned(rnn_runs["SimpleRNN"]["mse"], baseline)  # the plain one fails (as in 08)
assert not learned(rnn_runs["SimpleRNN, shared BN"]["mse"], baseline)  # shared: no rescue
assert rnn_on_baseline["SimpleRNN, per-step BN"] < rnn_on_baseline["SimpleRNN"] == EPOCHS
assert rnn_bn["losses"][-1] < baseline / 2  # per-step BN: the training loss left the baseline
assert learned(rnn_bn["mse_batch_stats"], baseline)  # ... and with the test batch's statistics
assert rnn_bn["mse"] > 2 * rnn_bn["mse_batch_stats"]  # its moving statistics cost a lot

# %% [markdown] slideshow={"slide_type": "subslide"}
# The plain `SimpleRNN` stayed on the baseline all ten epochs, as in 08, and the one with
# **shared statistics** did not learn either (both asserted). With **per-step
# statistics** the same model's training loss fell below half the baseline within the
# budget, and with the test batch's own statistics its test MSE was below half the
# baseline too (both asserted), where with layer normalisation (08) it had not learned.
# Both are measured in training mode, the test MSE with the batch's own statistics a
# diagnostic, not the course's criterion. With the moving statistics it keeps
# for prediction, the form a model is deployed with, its test MSE was more than twice
# that (asserted), and whether it was below half the baseline we do not assert (the
# table shows this run's `learned`): in that form the remedy is not shown.
#
# **Verdict: not settled here.** Both readings are claims about a remedy, so both are
# judged on the course's `learned` criterion, on the model that fails without one. As
# written ("batch normalisation is *the* remedy for RNNs"): with statistics shared over
# the steps it did not make the failing tanh `SimpleRNN` learn (asserted, seeds 0-2 and
# the rounding check). The strongest precise reading is Cooijmans et al.'s recurrent
# batch normalisation, "per-step batch statistics make a failing RNN learn": in training
# mode it fit the task (training loss, and test MSE with the test batch's own
# statistics, below half the baseline, asserted), but as deployed here, with Keras'
# moving averages (momentum 0.99; Cooijmans et al. instead estimate population statistics
# over the training set), its test MSE was more than twice as large (asserted), 8
# times the baseline in the stored run (the table's "/ baseline"), and whether it learned in that form we
# cannot assert. On an LSTM it was not needed (the plain LSTM learned, asserted). What
# was measured besides: with each normalisation the training loss left the plateau sooner
# (Cooijmans et al.'s faster convergence; asserted for the three normalised LSTMs and for
# per-step statistics on the `SimpleRNN`; with shared statistics the `SimpleRNN` stayed on
# the baseline all ten epochs), a claim about speed,
# not about remedying a failure. What would decide it: the paper's own procedure, the
# same per-step model with population statistics estimated over the training set after
# training (rather than moving averages), judged on `learned` for seeds 0-2. **Explained in:** this notebook
# and notebook 08, myth 5.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A probe for the next four myths
#
# The next claims are about the gradient, not about training, so we measure the gradient
# itself: $\lVert\partial h_{100}/\partial h_0\rVert_2$ of an RNN with 64 units and
# $W_{hh} = g\,Q$ ($Q$ orthogonal), driven by unit Gaussian inputs (as in 08, myth 2).
# Random draws matter, so every number is the smallest and largest over **20 draws**
# of $Q$ and the inputs. `jacobian_norm` computes the product of the Jacobians
# $\mathrm{diag}(f'(a_t))\,W_{hh}\,\mathrm{diag}(\text{mask})$ step by step, in any float
# type; the mask is an optional dropout mask on the recurrent input, already divided by
# $1 - p$.

# %% slideshow={"slide_type": "-"}
n, DRAWS = 64, [100 * SEED + draw for draw in range(20)]


def jacobian_norm(W, act, steps=100, seed=0, dtype=np.float64, mask=None):
    """||dh_steps/dh_0||_2 of h_t = f(W (mask * h_(t-1)) + x_t), x_t ~ N(0, 1), from h_0 = 0."""
    rng = np.random.default_rng(seed)
    W, mask = W.astype(dtype), np.ones(len(W), dtype) if mask is None else mask.astype(dtype)
    f, f_prime = activation_function(act), derivative(act)
    h, product = np.zeros(len(W), dtype), np.eye(len(W), dtype=dtype)
    for _ in range(steps):
        a = (W @ (mask * h) + rng.standard_normal(len(W))).astype(dtype)
        h = f(a).astype(dtype)
        product = (f_prime(a).astype(dtype)[:, None] * W * mask) @ product
    return float(np.linalg.norm(product.astype(np.float64), 2))


def spread(act, gain, **options):
    """Smallest and largest jacobian_norm over the 20 draws, for W = gain * Q."""
    norms = [jacobian_norm(scaled_orthogonal(n, gain, seed=s), act, seed=s, **options)
             for s in DRAWS]
    return min(norms), max(norms)


# %% [markdown] slideshow={"slide_type": "slide"}
# ## Myth 8: "Larger initial weights prevent vanishing gradients" and myth 9: "Small initial weights and L2 regularisation prevent exploding gradients"
#
# **The experiment.** The gain $g$ of $W_{hh} = g\,Q$ at 0.5, 1, 2 and 3, with tanh and
# with ReLU: where does the gradient vanish, where does it grow?

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
# (20 random draws: the digits depend on NumPy's generator, the asserts do not)
GAINS = (0.5, 1.0, 2.0, 3.0)
by_gain = {(act, g): spread(act, g) for act in ("tanh", "relu") for g in GAINS}
print("||dh_100/dh_0||, min to max over 20 draws | " + " | ".join(f"g = {g}" for g in GAINS))
for act in ("tanh", "relu"):
    print(f"{act:>41} | " + " | ".join(f"{by_gain[act, g][0]:.0e} to {by_gain[act, g][1]:.0e}"
                                        for g in GAINS))
for act in ("tanh", "relu"):
    assert by_gain[act, 0.5][1] <= 0.5**100 * (1 + 1e-9)  # lambda_1 < 1/gamma: must vanish
    assert by_gain[act, 1.0][1] < 1e-6  # Keras' default gain: vanishes
    assert by_gain[act, 2.0][0] > 10 and by_gain[act, 3.0][0] > 1e6  # larger gains: it grows

# %% [markdown] slideshow={"slide_type": "subslide"}
# At $g = 0.5$, $\lambda_1 = 0.5 < 1/\gamma$, and the gradient vanished at least as
# fast as $0.5^{100}$ in every draw (Pascanu's bound). At Keras' default $g = 1$ it
# vanished below $10^{-6}$; at $g = 2$ it **grew** in every draw (more than tenfold),
# and at $g = 3$ by more than $10^6$, with tanh as with ReLU.
#
# **Myth 8, verdict: true in part.** Judged as written on the gradient at
# initialisation; as a claim about learning, see below. Its strongest precise reading,
# "random initial weights at a large enough scale keep the gradient from vanishing",
# held for the random matrices measured, by making it grow: the scaled orthogonal
# matrices here ($g = 2, 3$) and 08's Gaussian one at $s_W\sqrt n = 2.5$ (myth 2). It is
# not a property of the size alone: 08's constructed non-normal matrix, large by the
# measure $\chi$ ($\chi \approx 5.3$, asserted above 5), still let the gradient fall below
# 0.1 in 100 steps (myth 2). As written it held where the weights were large enough, and
# only in the literal sense that the gradient no longer vanished: at $g = 2$ and $3$ it
# exploded instead (asserted, tanh and ReLU, every draw). It failed where they were larger than the usual scale but not large
# enough: in notebook 08, myth 2, a tanh RNN with Gaussian weights 1.5 times glorot's
# scale ($s_W\sqrt n = 1.5$) still vanished, its log-norm falling by more than 0.1 per
# step (asserted there). For 08's random Gaussian matrices what decided is not
# "larger" but whether the growth factor per step $\chi$ passed one (measured there, myth 2);
# structure can override $\chi$ in both directions (08's non-normal matrix; the identity
# with ReLU, notebook 06). The same knob turns vanishing into exploding,
# and preventing vanishing is not making a model learn. Whether that makes a model *learn* is a training question, and notebook 06
# trained it: a tanh `SimpleRNN` with a large Gaussian matrix (its $R > 1$ at
# initialisation) did not learn the adding problem at $T = 60$ (asserted there for seeds
# 0-2).
#
# (The two myths measure size differently, as they are usually written: myth 8's
# "larger" against the default scale, myth 9's "small" by the entries. So the same
# Gaussian matrices appear in both: 1.5 times glorot's scale is "larger" but vanished, and
# 2.5 times it has every entry below one yet grew. We did not check the largest entry of
# the $g = 2$ matrices.)
#
# **Myth 9, small initial weights, verdict: true in part.** As written, "small" is the
# scalar intuition, entries below one in absolute value (the sense of myth 2 in 08),
# judged on the gradient at initialisation. It held at every scale measured up to 1.5
# times the default: at $g = 0.5$ and $1$ here, and for Gaussian matrices at glorot's
# scale and 1.5 times it (08, myth 2), the gradient vanished rather than exploded. It failed for a
# matrix whose entries were all below one but whose scale was 2.5 times glorot's (08,
# myth 2): the gradient grew. So "small entries" is not small enough: for random
# Gaussian matrices the scale, through $\chi$, is what counts, and structure can override
# it (08, myth 2). Its strongest precise reading, $\lambda_1 < 1/\gamma$, prevents an exploding
# gradient at initialisation by construction (Pascanu's sufficient condition for
# vanishing; the asserts at $g = 0.5$ check it). The price is a
# vanishing gradient at initialisation (asserted above). Whether it costs learning these
# runs do not show: notebook 06's small Gaussian did not learn, but neither did any tanh
# `SimpleRNN` there, including the large Gaussian whose gradient grew, so its failure
# is not shown to come from the vanishing gradient.
#
# **Myth 9, L2 regularisation, verdict: not settled here**, as written and in its precise
# reading ("L2 keeps the gradient norm bounded during training"). L2 regularisation, a
# penalty $\mu\lVert W\rVert_F^2$ added to the loss, adds $2\mu W$ to the gradient of
# the weights and nothing to the product of Jacobians
# above, which depends on the weights and the inputs only: it can act on exploding
# gradients only by shrinking $W$ during training, which this course did not measure.
# What would decide it: training an exploding RNN with and without L2 and comparing the
# gradient norms and the outcome.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Myth 10: "Dropout and early stopping keep gradients from vanishing"
#
# **The experiment.** Keras' `recurrent_dropout=p` multiplies the state entering the
# recurrence by a random 0/1 mask divided by $1 - p$, the same mask at every step of a
# sequence. The tanh RNN at Keras' default $g = 1$, with $p = 0.2$ and without.

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
# (20 random draws: the digits vary, the asserts hold)
P = 0.2
dropout_pairs = []
for s in DRAWS:
    W = scaled_orthogonal(n, 1.0, seed=s)
    keep = np.random.default_rng(s + 1).uniform(size=n) > P
    dropout_pairs.append((jacobian_norm(W, "tanh", seed=s),
                          jacobian_norm(W, "tanh", seed=s, mask=keep / (1 - P)),
                          jacobian_norm(W, "tanh", seed=s, mask=keep.astype(float))))
plain, dropped, unscaled = np.array(dropout_pairs).T
print(f"without dropout: {plain.min():.0e} to {plain.max():.0e}; "
      f"with p = {P}: {dropped.min():.0e} to {dropped.max():.0e}; "
      f"the same masks without 1/(1 - p): {unscaled.min():.0e} to {unscaled.max():.0e}")
assert np.all(dropped > plain)  # dropout raised the gradient ...
assert dropped.max() < 1e-6  # ... and it still vanished
assert np.all(unscaled < plain)  # control: the same mask without 1/(1 - p) lowered it

# %% [markdown] slideshow={"slide_type": "subslide"}
# Dropout made the gradient at lag 100 *larger* in every draw, and it still
# **vanished**, below $10^{-6}$ (both asserted). The control applies the same masks
# without the factor $1/(1-p) = 1.25$ by which Keras multiplies the surviving units:
# then the gradient was *smaller* than without dropout in every draw (asserted). So the
# factor, not the mask, made it grow. Early stopping we did not run: by its definition it only chooses when
# training ends (and which epoch's weights to keep), so it is not part of any gradient
# computed before then.
#
# **Dropout, verdict: false.** As written ("recurrent dropout keeps the gradient over
# 100 steps from vanishing"), false: it still fell below $10^{-6}$ in every draw. Its
# strongest precise reading, "recurrent dropout's $1/(1-p)$ rescaling raises the gradient
# over 100 steps enough to keep it from vanishing", is contradicted by the same draws
# (asserted, in the one setting measured: tanh, $W = Q$ at $g = 1$, 64 units, $p = 0.2$).
# A nearby reading holds and is not the claim: the rescaling made the gradient *larger*
# in every one of the 20 draws (asserted; the same masks without it made it smaller), but
# a larger gradient can still vanish, as here, at Keras' default gain $g = 1$. Where the
# recurrence's average growth factor $\chi$ is near or above 1 (tanh at $g = 1$ is far
# from it: its gradient fell below $10^{-6}$ in 100 steps, asserted above), the factor
# $1/(1-p)$ could push it over; we did not test
# that, so the verdict covers the setting measured. Both
# readings concern *recurrent* dropout. Input dropout (Keras' `dropout=p`) masks $x_t$,
# which is not a factor on the path from $h_T$ back to $h_0$: it can change that product
# only through the pre-activations in its $\tanh'$ terms, which we did not measure.
#
# **Early stopping, verdict: not settled here**, as written and in its precise reading
# ("the weights kept at the stopping epoch pass a larger gradient back in time than those
# at the end of training"). We ran no experiment on it. By its definition it only
# chooses when training ends and which weights to keep, so it changes no gradient
# computed before it stops training; the kept weights have gradients of their own. That
# is an argument from the definition, not a measurement.
# What would decide it: train 08's failing `SimpleRNN` with and without early stopping
# and compare $R$ at the kept epoch and at the last one, and `learned`.
# **Explained in:** this notebook.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Myth 11: "A smaller learning rate prevents exploding gradients"
#
# **The experiment.** A ReLU `SimpleRNN` with $W_{hh} = 2Q$ at $T = 30$, whose gradient
# explodes at initialisation, trained with plain SGD (no clipping) from the same weights
# and batches at $\eta = 10^{-2}$, $10^{-4}$ and $10^{-6}$, for one epoch of 20 steps; then
# once more at an $\eta$ chosen from the first gradient, $0.01/\lVert\nabla L\rVert$, so
# that the first step has length 0.01.

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
# (the digits vary between machines; the asserts hold)
lr_set = adding_problem(640, T, seed=10 * SEED + 1)


def sgd_run(eta):
    keras.utils.set_random_seed(SEED)
    model = build_recurrent_model("SimpleRNN", T, 2, units=32, activation="relu", unroll=True,
                                  recurrent_initializer=keras.initializers.Orthogonal(2.0, SEED))
    return fit_logged(model, lr_set, 1, BATCH, keras.optimizers.SGD(eta))


sgd_logs = {eta: sgd_run(eta) for eta in (1e-2, 1e-4, 1e-6)}
eta_tiny = 0.01 / float(sgd_logs[1e-2].global_norms[0])
sgd_logs[eta_tiny] = sgd_run(eta_tiny)
for eta, log in sgd_logs.items():
    print(f"eta = {eta:.0e}: first gradient norm {log.global_norms[0]:.2e}, "
          f"first non-finite step {log.first_nan_step}")
first = [log.global_norms[0] for log in sgd_logs.values()]
assert len(set(first)) == 1 and first[0] > 1e6  # the same exploding gradient at every eta
# seeds 0-4 (tools/check_seeds.py): first non-finite step 1 at every eta, but at 1e-6 in seed
# 3 (first gradient 2.7e7, the smallest): step 3
assert all(sgd_logs[eta].first_nan_step in (1, 2, 3) for eta in (1e-2, 1e-4, 1e-6))  # diverged
tiny = sgd_logs[eta_tiny]
assert tiny.first_nan_step is None and np.median(tiny.global_norms) > 1e6  # finite, still huge

# %% [markdown] slideshow={"slide_type": "subslide"}
# The first gradient was the same, above $10^6$, at every learning rate: backpropagation
# does not see $\eta$. The step is $\eta\lVert\nabla L\rVert$, and even at
# $\eta = 10^{-6}$ it was long enough to make the loss or the gradient non-finite after at
# most three updates: here after one (the "first non-finite step" printed above counts
# the steps from 0, so step 1 is the first step after an update); after at most three
# over seeds 0 to 4. At $\eta = 0.01/\lVert\nabla L\rVert$ (printed above), the 20 steps stayed
# finite, and the gradient's median norm stayed above $10^6$: the run survived, and
# the gradient still exploded.
#
# **Verdict: not settled here.** As written ("prevents exploding gradients"), not
# tested: the one model run exploded before any update, where no learning rate can act.
# That a smaller learning rate did not change the first gradient (above $10^6$ at every
# $\eta$) holds by construction (it is computed before any step); that the median norm
# stayed above $10^6$ at a tiny $\eta$ was measured (asserted), and is expected, since
# such an $\eta$ barely moves the weights. What would decide it: a model that starts healthy,
# trained with SGD at several learning rates, its gradient norm tracked over training,
# to see whether the larger steps drive it into explosion and the smaller ones do not.
# In its precise form, "a small enough
# learning rate keeps SGD finite on an exploding gradient", it held here for 20 steps at
# $\eta = 0.01/\lVert\nabla L\rVert$, while $10^{-2}$ to $10^{-6}$ diverged after at most
# three updates. What such an $\eta$ costs in learning we did not measure; clipping shortens a
# step only when the gradient's norm is above the threshold (Pascanu's rule; notebook 05,
# section 2, trained with it). **Explained in:** [05 · Exploding gradients and clipping](05_exploding_and_clipping.ipynb).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Myth 12: "Vanishing and exploding gradients are caused by floating-point precision"
#
# **The experiment.** The same tanh RNN ($g = 1$) computed in float32 and in float64,
# over 100 and over 400 steps.

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
# (20 random draws: the digits vary, the asserts hold)
precision = {}
for steps in (100, 400):
    for dtype in (np.float32, np.float64):
        precision[steps, dtype] = np.array([
            jacobian_norm(scaled_orthogonal(n, 1.0, seed=s), "tanh", steps, s, dtype)
            for s in DRAWS])
relative = np.abs(precision[100, np.float32] / precision[100, np.float64] - 1)
print(f"100 steps: float64 {precision[100, np.float64].max():.0e} at most; "
      f"float32 within {relative.max():.0e} of it (relative)")
print(f"400 steps: float64 {precision[400, np.float64].max():.0e} at most; "
      f"float32 {precision[400, np.float32].max():.0e}")
assert relative.max() < 1e-4 and precision[100, np.float64].max() < 1e-6
assert precision[400, np.float64].max() < 1e-38 and np.all(precision[400, np.float32] == 0)

# %% [markdown] slideshow={"slide_type": "subslide"}
# After 100 steps float32 and float64 agreed to better than $10^{-4}$ (relative) on a
# gradient that had already vanished below $10^{-6}$: the product shrinks in both
# formats, and rounding changed only its last digits. What precision decided here is
# when a negligible number became exactly 0. After 400 steps float64 still held a
# number below $10^{-38}$, and float32 held 0.
#
# **Verdict, for vanishing gradients: false.** As written ("vanishing gradients are
# caused by floating-point precision"), and in its strongest precise reading ("float32's
# rounding makes a gradient vanish, fall below $10^{-6}$, that float64 would keep above
# it"): over 100 steps the two
# formats agreed within $10^{-4}$ on a gradient below $10^{-6}$, and at 400 steps, where
# float32 held exactly 0, float64 held less than $10^{-38}$ (asserted, 20 draws). We ran
# the vanishing case only: for exploding gradients the claim is **not settled here**
# in either reading (what would decide it: the same comparison on a growing product).
# One more reading holds and is not the claim: float32's underflow turned a gradient
# that had already vanished in both formats into exactly 0 (at 400 steps). It is weaker
# than the claim, not a precise form of it: it concerns how a number already below
# $10^{-38}$ is stored, not whether the gradient vanishes; precision decided when it
# became 0, not that it vanished.
# Vanishing is a property of the
# product of Jacobians, not of the number format; more bits postpone underflow, they do
# not change what the gradient is. **Explained in:** this notebook; the product
# in [03 · Backpropagation through time](03_backprop_through_time.ipynb).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The verdicts
#
# One row per claim, on the scale of
# [docs/evidence.md](https://github.com/gradcourse/gradcourse/blob/main/docs/evidence.md),
# numbered after notebook 08's seven claims (its six sections: myth 3 judges two, so there
# is no section 7). Three more claims ("skip connections let gradients go around",
# "echo state networks overcome vanishing", "orthogonal random matrices overcome
# vanishing") belong to the notebook on shortcuts through time.

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
# (the numbers vary between machines; each one rests on an assert above)
verdicts = [
    ("5. Batch normalisation is the remedy for RNNs", "not settled here",
     f"failing tanh SimpleRNN: shared BN MSE {rnn_runs['SimpleRNN, shared BN']['mse']:.3f}, "
     f"per-step BN {rnn_bn['mse_batch_stats']:.3f} with the batch's statistics, "
     f"{rnn_bn['mse']:.3f} with its moving ones (over 2x; learned: not asserted); LSTM learned "
     f"without (MSE {bn_runs['none']['mse']:.3f}); epochs on the baseline: SimpleRNN "
     f"{rnn_on_baseline['SimpleRNN']} -> per-step BN {rnn_on_baseline['SimpleRNN, per-step BN']}, "
     f"LSTM {on_baseline['none']} -> {on_baseline['per-step statistics']}"),
    ("8. Larger initial weights prevent vanishing", "true in part",
     f"tanh g = 2: grew {by_gain['tanh', 2.0][0]:.0e} or more (turns into exploding); "
     "1.5 x glorot's scale still vanished (08); large init did not learn (06)"),
    ("9. Small initial weights prevent exploding", "true in part",
     f"g = 0.5: at most {by_gain['relu', 0.5][1]:.0e} (ReLU); entries < 1 at 2.5 x "
     "glorot's scale grew (08)"),
    ("9. L2 regularisation prevents exploding", "not settled here",
     "adds nothing to the product of Jacobians; not measured in training"),
    ("10. Dropout keeps gradients from vanishing", "false",
     f"with dropout at most {dropped.max():.0e} at lag 100; larger than without it"),
    ("10. Early stopping keeps them from vanishing", "not settled here",
     "not run (it only chooses which weights are kept); decided by R at the kept epoch"),
    ("11. A smaller learning rate prevents exploding", "not settled here",
     f"same first gradient {first[0]:.0e} at every eta; non-finite at 1e-6, "
     f"finite at {eta_tiny:.0e}"),
    ("12. Vanishing caused by floating-point precision", "false",
     f"float32 within {relative.max():.0e} of float64 at lag 100"),
    ("12. Exploding caused by floating-point precision", "not settled here",
     "not run"),
]
width = max(len(verdict) for _, verdict, _ in verdicts)
print(f"{'claim':<48} | {'verdict':<{width}} | measured")
for claim, verdict, measured in verdicts:
    print(f"{claim:<48} | {verdict:<{width}} | {measured}")
assert len(verdicts) == 9  # six myths; 9, 10 and 12 split in two

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - **Normalisation**: the tanh `SimpleRNN` that fails without it did not learn with
#   batch statistics shared over the steps; with per-step statistics (Cooijmans et al.)
#   its training loss, and its test MSE with the test batch's own statistics, fell below
#   half the baseline, but with the moving statistics it predicts with, its test MSE was
#   more than twice as large (8 times the baseline in the stored run) and whether it
#   learns in that form is not settled here. Every normalised LSTM's
#   training loss left the baseline sooner than the plain one, which still learned within
#   the budget; on the LSTM, per-step batch normalisation's test MSE with its moving statistics was
#   more than three times its MSE with the test batch's own statistics.
# - **Larger weights** ($g = 2, 3$) made the gradient at lag 100 grow instead of vanish;
#   1.5 times glorot's scale was not enough: it still vanished (notebook 08, myth 2);
#   **smaller weights** ($g = 0.5$, $\lambda_1 < 1/\gamma$) kept it from exploding and
#   made it vanish at least as $0.5^{100}$. L2 does not enter the product of Jacobians;
#   its effect through training is not settled here.
# - **Recurrent dropout** raised the gradient in every draw (its $1/(1-p)$ factor did: the
#   same masks without it lowered it), and it still vanished below
#   $10^{-6}$; early stopping was not run (not settled here; by its definition it only
#   chooses which weights are kept).
# - **The learning rate** did not change the first gradient (above $10^6$ at every
#   $\eta$); SGD diverged at $\eta$ from $10^{-2}$ to $10^{-6}$ and stayed finite at
#   $\eta = 0.01/\lVert\nabla L\rVert$, with the gradient still above $10^6$.
# - **float32 and float64** agreed within $10^{-4}$ on a vanished gradient; at 400 steps
#   float32 held exactly 0 where float64 held less than $10^{-38}$. The exploding case was
#   not run.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# Replace `None` with your answer and run the cell; `gc.show_solution("08b.1")` shows a
# reference solution.
#
# **Exercise 08b.1.** With plain SGD, a model's gradient norm at its first step is
# $10^{10}$. You divide the learning rate by 100 and start again from the same weights and
# batch. What happens to the gradient norm of that first step: `"larger"`, `"smaller"` or
# `"unchanged"`?

# %% slideshow={"slide_type": "-"}
answer_08b_1 = None  # one of the three strings
gc.check("08b.1", answer_08b_1)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 08b.2.** A tanh RNN's $\lVert\partial h_{100}/\partial h_0\rVert$ is
# $10^{-19}$ when computed in float64. Computed in float32 (smallest normal number about
# $10^{-38}$), it is: `"about 1e-19"`, `"exactly 0"` or `"about 1"`?

# %% slideshow={"slide_type": "-"}
answer_08b_2 = None  # one of the three strings
gc.check("08b.2", answer_08b_2)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# - Cooijmans et al. (2016): recurrent batch
#   normalisation, statistics per time step, scale started at 0.1.
# - Laurent et al. (2016): batch normalisation of the input term, statistics over the
#   batch and the steps.
# - Ba, Kiros & Hinton (2016): layer normalisation.
# - Pascanu, Mikolov & Bengio (2013): $\lambda_1 < 1/\gamma$ and clipping.
#
# Full citations: [references](https://github.com/gradcourse/gradcourse/blob/main/docs/references.md).

# %% [markdown] slideshow={"slide_type": "-"}
# ---
# **Next:** [09 · Shortcuts through time](09_shortcuts_through_time.ipynb): what replaced
# the SimpleRNN, and why fixing the gradient is not the whole story.
