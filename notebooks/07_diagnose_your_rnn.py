# %% [markdown] slideshow={"slide_type": "slide"}
# # 07 · Diagnose your own RNN: a gradient monitor to take home
#
# [![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/gradcourse/gradcourse/blob/main/notebooks/07_diagnose_your_rnn.ipynb)
#
# Notation: every symbol is defined once for the whole course on the
# [notation page](https://github.com/gradcourse/gradcourse/blob/main/docs/notation.md).
#
# Notebooks 01-06 explained why gradients vanish and explode. Your own model will not
# tell you which of these is happening: it just does not learn. This notebook gives you
# `GradientMonitor`, a Keras callback from the course package that watches any recurrent
# model during a plain `model.fit`, and a report that names the failure with the numbers
# behind it and the remedy the course measured. We try it on a failing and a working
# model, on real handwritten digits, and on a mystery model that you fix yourself.
#
# **You will learn to**
# - run two checks before training: the initial loss and the gradient over time;
# - read the monitor's report and dashboard: gradient norms and spikes, update ratios,
#   saturation, the gradient over time;
# - use the report to find and fix the cause of a failing model.

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

gc.setup_notebook(seed=0)

import keras
import matplotlib.pyplot as plt
import numpy as np

from gradcourse.datasets import digits_pixel_by_pixel
from gradcourse.diagnosis import LEARNED_FRACTION, dashboard, diagnose, primary_cause, report
from gradcourse.monitoring import GradientMonitor
from gradcourse.mystery import mystery_model, mystery_task, train_on_mystery_task
from gradcourse.probes import input_gradient_norms
from gradcourse.tasks import adding_problem, learned
from gradcourse.training import evaluate_accuracy, evaluate_mse
from gradcourse.zoo import ZOO, format_matrix, run_zoo_model

# %% slideshow={"slide_type": "-"}
SEED = 0
T = 60  # the adding problem's length: long enough for a SimpleRNN to fail (notebook 04)
train = adding_problem(3_000, T, seed=10 * SEED + 1)
test = adding_problem(500, T, seed=10 * SEED + 2)
probe = adding_problem(128, T, seed=10 * SEED + 3)  # a fixed batch the monitor measures on
baseline = train.baseline_mse


def adding_model(cell):
    """A one-layer recurrent model with the course's recipe: Adam(1e-2), global_clipnorm=1."""
    keras.utils.set_random_seed(SEED)
    model = keras.Sequential(
        [keras.Input((T, 2)), getattr(keras.layers, cell)(32), keras.layers.Dense(1)]
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-2, global_clipnorm=1.0), loss="mse")
    return model


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1. Two checks before training
#
# **The initial loss.** An untrained network's outputs are not fitted to the targets
# yet, so its loss should be of the order of the loss of a constant guess such as 0,
# $\mathbb{E}[y^2]$. For the adding problem that
# is $\operatorname{Var}(y) + \mathbb{E}[y]^2 = 1/6 + 1 \approx 1.17$ in expectation (a
# batch of 128 estimates it with a standard error of 0.074, since
# $\operatorname{Var}(y^2) = 31/15 - 49/36 \approx 0.71$; asserted below: within 0.35),
# above the baseline of
# $1/6$ (always predicting the mean). A loss far above $\mathbb{E}[y^2]$ means a broken
# model or pipeline (unscaled inputs, a wrong loss) or an initialisation whose forward
# pass amplifies (notebook 05, section 1: the IRNN at gain 1.05, whose last state grows
# with the gain), not a hard task.
#
# **The gradient over time** at initialisation, $\lVert \partial L / \partial x_t \rVert$
# for every step $t$ (notebook 04): how much of the loss's gradient reaches the first
# step, compared with the last.

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
# (values at initialisation, printed with few digits; the asserts carry the claims)
models = {cell: adding_model(cell) for cell in ("SimpleRNN", "GRU")}
zero_loss = float(np.mean(probe.y**2))
print(f"loss of predicting 0: {zero_loss:.3f}; baseline (predicting the mean): {baseline:.3f}")
# Over 20 draws (SEED = 0..19, tools/init_spreads.py; the same at the floors): |zero_loss -
# 7/6| 0.02 to 0.25 (the bound, 0.35, is 4.7 standard errors); initial loss / zero_loss:
# SimpleRNN 0.29 to 2.95 (within a factor 2 in 15 of 20), GRU 0.67 to 1.30; R: SimpleRNN
# 5e-5 to 0.06, GRU 4e-14 to 4e-11; R (SimpleRNN) / R (GRU) 1e7 to 7e11.
assert abs(zero_loss - (1 / 6 + 1)) < 0.35  # the probe batch's estimate of E[y^2]
ratio_at_init = {}
for cell, model in models.items():
    initial_loss = evaluate_mse(model, probe)
    grad = input_gradient_norms(model, probe.x, probe.y)
    ratio_at_init[cell] = grad[0] / grad[-1]
    print(f"{cell:>9}: initial loss {initial_loss:.2f} = {initial_loss / zero_loss:.2f} x E[y^2]; "
          f"||dL/dx_0|| / ||dL/dx_{T - 1}|| = {ratio_at_init[cell]:.0e}")
    assert 0.2 * zero_loss < initial_loss < 5 * zero_loss  # near E[y^2]: nothing is broken
assert ratio_at_init["GRU"] < 1e-5  # the gated cell passes almost nothing to step 0 at init
assert ratio_at_init["SimpleRNN"] > 100 * ratio_at_init["GRU"]  # the SimpleRNN passes far more

# %% [markdown] slideshow={"slide_type": "subslide"}
# Both models start where an untrained model should: their initial loss is within a
# factor 5 of the loss of predicting 0 (asserted; over 20 draws of the weights the
# SimpleRNN's was 0.3 to 3 times it, the GRU's 0.7 to 1.3 times). The gradient over time holds a
# surprise: at initialisation the gated GRU passes less than $10^{-5}$ of the gradient to
# the first step, more than a hundred times less than the SimpleRNN does. Yet, as
# section 2 shows, the GRU learns the
# task and the SimpleRNN does not. The gradient at initialisation is a check, not a
# verdict. After training, section 2 finds the GRU's first step getting a gradient
# within two decades of its last step's, and the SimpleRNN's still more than two decades
# below (both asserted); notebook 04 saw the same change in its LSTM and GRU. That this
# change is what let the GRU learn is a hypothesis: no run here changes the path alone.
# So we watch the gradient during training.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2. The monitor on a failing and a working model
#
# Using the monitor takes one line more than a plain `fit`:
#
# ```python
# monitor = GradientMonitor(probe.x, probe.y)          # a fixed batch to measure on
# model.fit(x, y, epochs=..., callbacks=[monitor])     # the model is not changed
# print(report(monitor.history))                       # verdicts, numbers, remedies
# dashboard(monitor.history)                           # one figure
# ```
#
# Every few steps it records, on the probe batch: the gradient norm, the
# update-to-weight ratio of each weight matrix (the size of the step the optimizer
# took, relative to the weights; Karpathy's rule of thumb is about $10^{-3}$), the
# fraction of saturated states or gates, and, at the start and at the end, the gradient
# over time. Each verdict compares one number with a threshold whose source is given in
# `gradcourse/diagnosis.py`.

# %% slideshow={"slide_type": "-"}
monitors, test_mse = {}, {}


def train_with_monitor(cell):
    """Fit one of the models above with a monitor (it records every 50 steps here); report."""
    monitors[cell] = GradientMonitor(probe.x, probe.y)
    models[cell].fit(train.x, train.y, epochs=5, batch_size=64, verbose=0,
                     callbacks=[monitors[cell]])
    test_mse[cell] = evaluate_mse(models[cell], test)
    print(f"== {cell}: test MSE {test_mse[cell]:.3f} (baseline {baseline:.3f})")
    print(report(monitors[cell].history))


# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
# (a training run: the digits vary between machines; the asserts below hold on every one)
train_with_monitor("SimpleRNN")

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
# (a training run: the digits vary between machines; the asserts below hold on every one)
train_with_monitor("GRU")

# %% slideshow={"slide_type": "-"}
flagged = {cell: {v.name for v in diagnose(m.history) if v.flagged} for cell, m in monitors.items()}
assert test_mse["SimpleRNN"] > 0.8 * baseline  # failed: near the baseline
assert learned(test_mse["GRU"], baseline)  # the course's criterion (notebook 04)
assert "gradient over time: vanishing" in flagged["SimpleRNN"]
assert primary_cause(monitors["SimpleRNN"].history) == "vanishing"
assert not flagged["GRU"] and primary_cause(monitors["GRU"].history) is None

# %% [markdown] slideshow={"slide_type": "subslide"}
# The report says what notebook 04 showed by hand. The SimpleRNN stays at the baseline
# and its gradient still vanishes over the 60 steps after training (the report fits a
# line to the whole curve, in decades per step: its first step gets less than $10^{-2}$
# of the last one's, asserted), while the GRU's no longer does (not flagged, asserted).
# So the report names vanishing as the
# primary cause and points to a gated cell, the remedy notebook 04 measured; not another
# initialisation, since notebook 06 found none that made a tanh SimpleRNN learn. The GRU,
# a gated cell like the LSTM (notebook 04), learned the task, and the report finds no
# problem. The dashboard shows the SimpleRNN's numbers over training:

# %% slideshow={"slide_type": "subslide"}
dashboard(monitors["SimpleRNN"].history, "SimpleRNN on the adding problem, T = 60")
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3. Real data: handwritten digits, pixel by pixel
#
# Le, Jaitly & Hinton (2015) fed MNIST digits to recurrent networks one pixel per step
# (784 steps) and found that a ReLU RNN with an identity recurrent matrix (IRNN) beat
# their LSTM there: about 97% against 65% test accuracy. The package ships a small
# cousin that needs no download: 1,797 handwritten digits of 8 x 8 pixels (UCI,
# Alpaydin & Kaynak 1998), read one pixel per step, 64 steps. We train three models
# briefly with the same recipe and let the monitor look at each: a tanh SimpleRNN, an IRNN initialised as in the paper (input weights
# $\mathcal N(0, 0.001^2)$, recurrent matrix $I$, ReLU), and an LSTM.

# %% slideshow={"slide_type": "-"}
digits_train, digits_test = digits_pixel_by_pixel(seed=SEED)
print(f"{len(digits_train.labels)} training and {len(digits_test.labels)} test digits; "
      f"x has shape {digits_train.x.shape[1:]}; chance accuracy {digits_test.chance_accuracy:.2f}")


def digits_model(kind):
    keras.utils.set_random_seed(SEED)
    recurrent_layers = {
        "tanh RNN": lambda: keras.layers.SimpleRNN(32),
        "IRNN": lambda: keras.layers.SimpleRNN(
            32,
            activation="relu",
            recurrent_initializer=keras.initializers.Identity(),
            kernel_initializer=keras.initializers.RandomNormal(stddev=0.001),
        ),
        "LSTM": lambda: keras.layers.LSTM(32),
    }
    model = keras.Sequential(
        [keras.Input((64, 1)), recurrent_layers[kind](), keras.layers.Dense(10)]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3, global_clipnorm=1.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


# %% slideshow={"slide_type": "-"}
digits_probe = (digits_train.x[:64], digits_train.labels[:64])
digits_runs = {}


def train_on_digits(kind):
    """Build, fit (4 epochs) and evaluate one digits model with a monitor; report."""
    model = digits_model(kind)
    monitor = GradientMonitor(*digits_probe)
    model.fit(digits_train.x, digits_train.labels, epochs=4, batch_size=64, verbose=0,
              callbacks=[monitor])
    flagged_names = [v.name for v in diagnose(monitor.history) if v.flagged]
    digits_runs[kind] = {"accuracy": evaluate_accuracy(model, digits_test),
                         "flagged": flagged_names, "history": monitor.history}
    print(f"{kind:>8}: test accuracy {digits_runs[kind]['accuracy']:.2f}; "
          f"problems: {flagged_names or 'none'}; "
          f"primary cause: {primary_cause(monitor.history)}")


# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
# (a training run: the digits vary between machines; the asserts below hold on every one)
train_on_digits("tanh RNN")

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
# (a training run: the digits vary between machines; the asserts below hold on every one)
train_on_digits("IRNN")

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
# (a training run: the digits vary between machines; the asserts below hold on every one)
train_on_digits("LSTM")

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
# (measured numbers: the digits vary between machines; the asserts hold on every one)
chance = digits_test.chance_accuracy
irnn = digits_runs["IRNN"]["history"]
updates = irnn.steps_per_epoch * 4  # training steps of the 4 epochs
last_record = irnn.steps[-1]  # the monitor records every 50 steps or more
dead_at_end = next(v[-1] for key, v in irnn.saturation.items() if key.endswith("(relu)"))
print(f"{updates} updates; IRNN: {dead_at_end:.0%} of its ReLU values at 0 at its last "
      f"record (step {last_record})")
assert updates < 100  # a short run: under a hundred updates
assert digits_runs["IRNN"]["accuracy"] < 2 * chance  # the IRNN as initialised here does not learn
assert "dead units" in digits_runs["IRNN"]["flagged"] and dead_at_end > 0.9  # its units are dead
# seeds 0-4 (tools/check_seeds.py): the tanh RNN above twice chance in all five, the LSTM in
# four; in seed 4 the LSTM reached 0.20, 1.6 times chance (the tanh RNN 0.54)
assert digits_runs["tanh RNN"]["accuracy"] > 2 * chance
assert digits_runs["LSTM"]["accuracy"] > chance

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
# (the report ends with the monitor's measured overhead, a timing)
print(report(digits_runs["IRNN"]["history"]))

# %% [markdown] slideshow={"slide_type": "subslide"}
# In this small, brief setting the monitor's clearest finding is the IRNN. Set up as
# in the paper (tiny input weights, ReLU, the identity), by the monitor's last record
# almost all of its units are **dead**: over 90% of its ReLU values sit at 0 (asserted),
# and a ReLU at 0 passes
# no gradient at all. Why they die we have not tested. A hypothesis: with input weights
# of scale 0.001, Adam's first step, which moves every weight by its learning rate
# ($10^{-3}$) whatever the gradient's size, is as large as the weights themselves, and
# may push the pre-activations below 0. Testing it would need a control
# that changes the optimizer alone (plain SGD, as Le et al. used, for about a million
# steps where this run makes under a hundred, asserted) and the dead fraction at
# initialisation against right after the first steps. The tanh RNN and the LSTM both
# learn above chance in four epochs (the tanh RNN above twice chance, asserted; the LSTM
# above twice chance here and in four of the seeds 0 to 4, 1.6 times chance in the
# fifth). This setting does not reproduce the paper's
# ranking, and we claim nothing about it; one possible reason, not tested here, is that
# 64 steps of 8 x 8 digits need less memory than 784 steps of MNIST.
#
# **A false alarm to read with care.** In the stored run the LSTM learned above chance
# (asserted), yet the report flagged it, "learning: near a constant prediction", and
# with nothing else flagged its primary cause reads "data" (printed above; whether the
# flag appears depends on the seed, so we assert neither way). The learning check
# compares the probe loss (cross-entropy here) with the best constant prediction's;
# after four short epochs the LSTM's probe loss was still above 0.9 of it, although its
# predictions were already better than chance. The data are fine (they are the same for
# the tanh RNN, which learned); that the flag comes from a model early in training is our
# reading, since no longer run was measured. Its remedy therefore words a longer budget
# as a hypothesis to test ("train longer and see whether the probe loss falls below
# 0.9 x the constant prediction's"), not as a measured remedy.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4. A zoo of failures: does the report name the right one?
#
# A diagnosis tool is only as good as its record on known cases. The package's failure
# zoo (`gradcourse.zoo`) holds seven small models on the adding problem, each with one
# planted fault, and a healthy twin that differs from it in that fault: vanishing (a tanh
# SimpleRNN at a lag of 40; twin: a GRU), exploding (ReLU with the identity times 1.5,
# SGD, no clipping), saturated gates, dead ReLUs, a learning rate far too high, far too
# low, and a data bug (targets shuffled against the inputs: the gradients look healthy,
# nothing is learned, and only the probe loss against the best constant prediction shows
# it). `report` names one **primary cause** per model and lists other symptoms apart; the
# test is a confusion matrix of planted against named causes, which must be diagonal,
# with nothing named for a twin.
#
# Here five pairs run live, beside section 2's SimpleRNN and GRU as the vanishing pair
# (and the mystery model below is the exploding fault at a longer lag): the data bug,
# saturation, a learning rate far too high and far too low, and dead units. Their twins
# are the **remedies** the report prints, measured: the saturation, learning-rate and
# data pairs share one healthy twin (the same GRU, data and `Adam(1e-2)`; asserted from
# the zoo's definitions), and the dead-units twin is the same IRNN with zero biases.
# The whole zoo over seeds 0-2 is `run_zoo(seeds=[0, 1, 2])` (a few minutes), or
# `make zoo` in the repository, which also checks another CPU's rounding.

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
# (training runs: the causes are asserted below)
named = {
    ("vanishing", False, SEED): primary_cause(monitors["SimpleRNN"].history),
    ("vanishing", True, SEED): primary_cause(monitors["GRU"].history),
}
zoo_share = {}  # (cause, twin) -> probe loss / the constant prediction's, at the end
zoo_flags = {}  # (cause, twin) -> the checks the report flagged


def run_zoo_models(*models):
    """Train zoo models (cause, twin) with a monitor; keep the named cause and the loss share."""
    for cause, twin in models:
        history = run_zoo_model(cause, twin, seed=SEED)
        named[cause, twin, SEED] = primary_cause(history)
        zoo_share[cause, twin] = history.probe_losses[-1] / history.constant_loss
        zoo_flags[cause, twin] = [v.name for v in diagnose(history) if v.flagged]
        print(f"{cause} ({'twin' if twin else 'fault'}): named {named[cause, twin, SEED]}, "
              f"probe loss {zoo_share[cause, twin]:.2f} x the constant prediction's")


run_zoo_models(("data", False), ("data", True))
print(f"shuffled targets, checks flagged: {zoo_flags['data', False]}")
# every gradient check passed (non-finite values, exploding, update ratios, dead units,
# saturation, gradient over time): only the learning check flags the shuffled targets
assert zoo_flags["data", False] == ["learning: near a constant prediction"]

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
# (training runs: the causes are asserted below)
run_zoo_models(("saturation", False), ("learning rate too high", False))

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
# (training runs: the causes are asserted below)
run_zoo_models(("learning rate too low", False), ("dead units", False))

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
# (a training run: the cause is asserted below)
run_zoo_models(("dead units", True))

# %% slideshow={"slide_type": "-"}
print(format_matrix(named))
for (cause, twin, _), found in named.items():
    assert found == (None if twin else cause), (cause, twin, found)  # diagonal
shared_twin = ZOO["data"][1]  # (layer, optimizer, shuffled) of the data pair's twin
for cause in ("saturation", "learning rate too high", "learning rate too low"):
    assert ZOO[cause][1] == shared_twin and ZOO[cause][1][2] is False  # the same healthy GRU
for twin in (("data", True), ("dead units", True)):  # the remedies learned
    assert zoo_share[twin] < LEARNED_FRACTION, twin
assert zoo_share["saturation", False] < LEARNED_FRACTION  # saturated, and it learned all the same

# %% [markdown] slideshow={"slide_type": "subslide"}
# Each planted fault is named as the primary cause and each twin gets nothing, and both
# healthy twins learned: probe loss below half the constant prediction's, the toolkit's
# criterion ([docs/evidence.md](https://github.com/gradcourse/gradcourse/blob/main/docs/evidence.md),
# section 3; the course's own criterion, test MSE below half the baseline, needs a test
# set and a task's baseline, which a monitored model need not have) (asserted). So the remedies the report prints for these faults are measured
# here: Glorot input weights instead of standard deviation 20 (saturation), `Adam(1e-2)`
# instead of `Adam(1.0)` or `Adam(1e-6)`, zero biases instead of $-3$ (dead units), aligned
# targets (data). Each is one small GRU or IRNN at a lag of 10, one seed per run. One
# fault is milder than it looks: the saturated GRU learned too (its probe loss is also
# below half the constant prediction's, asserted). Its remedy removes the saturation the
# report names; it was not needed for learning this task.
# The shuffled targets are the case a gradient monitor alone would miss: every gradient
# check passed (printed and asserted in the first zoo cell above: the learning check was
# the only one flagged), and only the probe loss, no better than predicting a constant,
# gave it away. `make zoo` trains all seven pairs over seeds 0-2, with this CPU's and another
# CPU's rounding, and fails unless the matrix is diagonal; the README's toolkit section
# keeps its last result.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Exercises
#
# **The mystery model.** `mystery_model()` returns a compiled model that fails on
# `mystery_task()`, for a reason this course taught. Its code is in the package; don't
# read it yet. Run the monitor on it, read the report, and name the cause.

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
# (a diverging run: the step of the first NaN may vary between machines)
mystery_train, mystery_test, mystery_probe = mystery_task(seed=SEED)
mystery = mystery_model(seed=SEED)
mystery_monitor = GradientMonitor(mystery_probe.x, mystery_probe.y, every=5)
mystery.fit(mystery_train.x, mystery_train.y, epochs=2, batch_size=50, verbose=0,
            callbacks=[mystery_monitor])
print(report(mystery_monitor.history))
assert mystery_monitor.history.first_nonfinite_step is not None

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 07.1.** Which failure does the report show? Answer with one of
# `"vanishing"`, `"exploding"`, `"saturation"`, `"dead units"`, `"steps too small"`.

# %% slideshow={"slide_type": "-"}
answer_07_1 = None  # your answer, e.g. "vanishing"
gc.check("07.1", answer_07_1)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 07.2.** Fix it. Write `fixed_model()` so that it returns a compiled Keras
# model for `mystery_task()` (inputs of shape `(20, 2)`, one output) that trains without
# NaN and ends below half the baseline. The grader trains your model for you (about 10 s)
# and grades what it measured. Any remedy of notebooks 04-06 may do.

# %% slideshow={"slide_type": "-"}
def fixed_model():
    raise NotImplementedError  # your code here: build, compile and return a model


gc.check("07.2", fixed_model)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The mystery model, measured (run this after exercise 07.2)
#
# The report's remedy for an explosion is clipping. What does clipping do for the
# mystery model? We train it twice with the grader's own function
# (`train_on_mystery_task`: six epochs, the test MSE, NaN if it diverged): the same
# model clipped with `global_clipnorm=1.0`, nothing else changed; and the same ReLU RNN
# with gain 1 (an IRNN) and the course's recipe, `Adam(1e-2, global_clipnorm=1.0)`.

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
# (a training run: the digits vary between machines; the assert below holds on every one)
def mystery_variant(gain, optimizer):
    """The mystery model's ReLU RNN with recurrent matrix gain x I and the given optimizer."""
    keras.utils.set_random_seed(SEED)
    model = keras.Sequential([
        keras.Input(mystery_train.x.shape[1:]),
        keras.layers.SimpleRNN(32, activation="relu",
                               recurrent_initializer=keras.initializers.Identity(gain=gain)),
        keras.layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    return model


clipped_sgd = keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, global_clipnorm=1.0)
mystery_clipped = train_on_mystery_task(mystery_variant(1.5, clipped_sgd), seed=SEED)
print(f"gain 1.5, SGD clipped: test MSE {mystery_clipped['test_mse']:.3f} = "
      f"{mystery_clipped['test_mse'] / mystery_clipped['baseline']:.2f} x the baseline")
assert np.isfinite(mystery_clipped["test_mse"])  # clipping kept it finite ...
assert not learned(mystery_clipped["test_mse"], mystery_clipped["baseline"])  # ... not learned

# %% slideshow={"slide_type": "-"}
# NBVAL_IGNORE_OUTPUT
# (a training run: the digits vary between machines; the assert below holds on every one)
recipe = keras.optimizers.Adam(1e-2, global_clipnorm=1.0)
mystery_irnn = train_on_mystery_task(mystery_variant(1.0, recipe), seed=SEED)
print(f"gain 1 (IRNN), Adam(1e-2) clipped: test MSE {mystery_irnn['test_mse']:.3f} = "
      f"{mystery_irnn['test_mse'] / mystery_irnn['baseline']:.2f} x the baseline")
assert learned(mystery_irnn["test_mse"], mystery_irnn["baseline"])  # the course's criterion

# %% [markdown] slideshow={"slide_type": "subslide"}
# Clipped, the mystery model stayed finite and did not learn: its test MSE stayed above
# half the baseline (asserted; over seeds 0-4, 3 and 4 measured once, it exploded
# unclipped, stayed finite and unlearned clipped, and the IRNN learned, in all five).
# Clipping bounds the steps; why they did not suffice we did not measure here (that the
# forward pass's growth remains is a hypothesis, as in notebook 05). The IRNN with the
# course's recipe learned (asserted). That run changes two things at once, the gain and
# the optimizer, so it does not say which of them was needed; we did not run them apart
# here. This is why the report's remedy for an explosion says that clipping keeps the
# steps finite, and cites this cell for what learned.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# - **Before training**, the initial loss should be of the order of the loss of
#   predicting 0 ($\mathbb{E}[y^2] = 7/6 \approx 1.17$ in expectation; the probe batch's
#   estimate was within 0.35 of it, asserted); both our models started within a factor 5
#   of it (asserted). At initialisation the
#   GRU passed less than $10^{-5}$ of the gradient to the first of 60 steps, over 100
#   times less than the SimpleRNN, yet only the GRU learned (asserted): the gradient at
#   initialisation is a check, not a verdict.
# - **`GradientMonitor`** records gradient norms, update ratios, saturation and the
#   gradient over time during a plain `model.fit`; `report` turns them into verdicts
#   with numbers and remedies. On the adding problem it named the SimpleRNN's vanishing
#   gradient (test MSE above 0.8 x the baseline) and found nothing wrong with the GRU
#   (below 0.5 x the baseline) (asserted).
# - **On real digits**, it found that an IRNN started as in Le et al. (2015) but trained
#   briefly with Adam had its ReLU units dead by the monitor's last record (step 50 of
#   the run's 88 updates), over 90% at 0 (asserted); why is a
#   hypothesis we did not test. In four epochs a tanh RNN learned above twice chance and
#   an LSTM above chance (asserted; above twice chance in four of seeds 0-4).
# - **The failure zoo**: for the pairs run here, the report named each planted fault as
#   the primary cause and nothing in its healthy twin, and the twins, the remedies the
#   report prints for saturation, dead units, a learning rate too high or too low and
#   shuffled targets, learned (probe loss below half the constant prediction's; asserted).
# - **The mystery model** exploded; clipped with `global_clipnorm=1.0` it stayed finite
#   and did not learn, and the IRNN with `Adam(1e-2, global_clipnorm=1.0)` learned
#   (asserted): clipping keeps the steps finite, it is not by itself a fix.
# - **Use it on your model**: pass a probe batch, add the callback, read the report.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## References
#
# - Le, Jaitly & Hinton (2015): the IRNN and pixel-by-pixel MNIST.
# - Alpaydin & Kaynak (1998): the handwritten digits (UCI), shipped with the package.
# - Karpathy (2022): update-to-weight ratios, in the video "Building makemore part 3".
# - Pascanu, Mikolov & Bengio (2013): clipping and its threshold.
#
# Full citations: [references](https://github.com/gradcourse/gradcourse/blob/main/docs/references.md).

# %% [markdown] slideshow={"slide_type": "-"}
# ---
# **Next:** [08 · The myths on trial](08_myths_on_trial.ipynb)
