"""Read a ``GradientMonitor`` history: verdicts with their numbers, remedies, and a dashboard.

Each verdict compares a measured number with a threshold defined below, with a comment
saying where the threshold comes from, and names the remedy the course measured and
the notebook that shows it. The report works on any ``MonitorHistory``, so it can be
tested on histories made by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:  # TensorFlow only if a monitor exists (see _require_history)
    from gradcourse.monitoring import MonitorHistory

# The gradient over time is read as a whole curve: a straight line fitted to
# log10 ||dL/dx_t|| over the unmasked steps. Flagged when the fitted line falls (vanishing)
# or rises (growing) by more than VANISHING_DECADES from the first step to the last, i.e.
# the first step gets under VANISHING_RATIO of the last step's gradient. Notebook 04
# asserts under 1e-3 for the LSTM and the GRU at T = 60 at initialisation and over 0.1
# once they had learned the task; notebook 05, section 5, asserts the SimpleRNN that
# failed at T = 60 under 1e-2, and notebook 07 flags it.
VANISHING_RATIO = 1e-2
VANISHING_DECADES = 2.0  # = -log10(VANISHING_RATIO)
# A gradient norm more than this many times the post-transient median is a spike.
# Pascanu et al. (2013) report thresholds of 0.5-10x the average norm converging: norms
# within 10x of the typical one are ordinary (a detection rule, not a clipping threshold:
# notebook 05, section 4, clipping at 10x the median failed there).
SPIKE_FACTOR = 10.0
# The first records are left out of the median: early gradients can be large while the
# model leaves its initialisation (in notebook 05 the mean norm over a run was more than
# 5 times the median after step 50, asserted).
TRANSIENT_FRACTION = 0.1
# More than half of a layer's tanh states or sigmoid gate values saturated at the last record.
SATURATED_FRACTION = 0.5
# A ReLU layer outputs 0 for about half its values when its pre-activations are centred
# (any healthy start): dead is more than 90% of its values at 0 at the last record.
DEAD_FRACTION = 0.9
# Update-to-weight ratio std(update)/std(weight) per step. Karpathy's rule of thumb
# (makemore part 3, SGD on an MLP) is about 1e-3; the course's recipe, Adam(1e-2),
# trains well at about 1e-2. Too small: the median over the second half below 1e-5, two
# orders under the guide, where steps barely move the weights. Too large: any one step
# that changed a weight matrix by as much as its own spread (ratio 1), which rewrites it.
# The largest record is read, not a median: Adam's first steps are its largest (the zoo's
# Adam(1.0) made 6.5 there, its Adam(1e-2) twin 0.07), and weights that a far too large
# rate has blown up make the later ratios look small.
UPDATE_RATIO_LOW, UPDATE_RATIO_HIGH = 1e-5, 1.0
# Learning: the probe loss at the last record against the loss of the best constant
# prediction (the mean target, or the class frequencies). Above NOT_LEARNED_FRACTION of it
# the model predicts no better than a constant (notebook 05 calls < 0.9 x the baseline
# "trained"); below LEARNED_FRACTION it learned (the toolkit's criterion, docs/evidence.md
# section 3: the half of notebook 04's criterion, applied to the probe loss).
NOT_LEARNED_FRACTION = 0.9
LEARNED_FRACTION = 0.5

# Remedies: each names the notebook cell whose asserts measured it, and says only what
# was measured there (notebook 07, section 4, trains the zoo's pairs for the faults it
# names, gradcourse.zoo; "learned" is the toolkit's criterion of docs/evidence.md,
# section 3, the probe loss below LEARNED_FRACTION x the constant prediction's loss).
# Advice the course did not measure is left out.
_ZOO_CELL = "notebook 07, section 4 'A zoo of failures'"
REMEDY_EXPLODING = (
    "to keep the steps finite with SGD, clip the whole gradient with global_clipnorm "
    "(Pascanu's rule): in notebook 05, section 2 'Four runs, same seed and data', a ReLU "
    "SimpleRNN with recurrent matrix 1.05 x I (SGD with momentum 0.9, the adding problem at "
    "T = 30) diverged unclipped and trained below 0.9 x the baseline with global_clipnorm "
    "(asserted). Clipping alone need not make a model learn: in notebook 07, 'The mystery "
    "model, measured', the mystery model (recurrent matrix 1.5 x I) clipped the same way "
    "stayed finite and did not get below half the baseline (asserted); what learned there "
    "was the same ReLU RNN with gain 1 (an IRNN) and Adam(1e-2, global_clipnorm=1), which "
    "changes the gain and the optimizer at once (asserted). Under Adam a clipping threshold "
    "does not bound the step: notebook 08, myth 6, Adam's first step had the same length "
    "with and without clipping, for gradient norms 1 and 1e4 (asserted)"
)
REMEDY_VANISHING_SIMPLE = (
    "a gated cell (LSTM or GRU): in notebook 04, section 2 'Evaluate', both solved the adding "
    "problem at T = 60 where the SimpleRNN failed (asserted). Not another initialisation of a "
    "tanh SimpleRNN: in notebook 06, section 3 'Does it train?', none made it learn (asserted)"
)
REMEDY_VANISHING_GATED = (
    "a hypothesis, not a measured remedy: more training may still open the path. In notebook "
    "04, section 3 'Gradients over time', the LSTM's and GRU's gradients vanished at "
    "initialisation (first step under 1e-3 of the last) and training opened them within its "
    "budget (over 0.1; asserted). For an LSTM, Keras' forget-gate bias of 1 "
    "(unit_forget_bias) was measured to save epochs only: in notebook 06, section 3, and "
    "notebook 08, myth 4, the LSTM with bias 0 sat on the baseline for more epochs "
    "(asserted); no difference in the final outcome was asserted"
)
REMEDY_SATURATION = (
    f"scale the initial input weights down: in {_ZOO_CELL}, a GRU whose input weights "
    "started at standard deviation 20 was named saturated (and learned all the same), and "
    "the same GRU with Glorot input weights flagged nothing and learned (asserted, one small "
    "GRU at a lag of 10). For the inputs themselves, notebook 02, section 2 'Saturation "
    "against scale', shows only that the saturated fraction of tanh grows with the "
    "pre-activation scale (asserted); scaling inputs was not measured as a remedy"
)
REMEDY_DEAD = (
    "if the recurrent layer's biases are negative, start them at zero: in "
    f"{_ZOO_CELL}, an IRNN with biases started at -3 was named dead, and the same IRNN "
    "with zero biases learned and flagged nothing (asserted); with biases already at zero "
    "(07's digits IRNN, section 3) the course has measured no remedy"
)
REMEDY_TOO_HIGH = (
    f"with Adam, lower the learning rate: in {_ZOO_CELL}, a GRU trained with Adam(1.0) was "
    "named 'learning rate too high', and "
    "the same GRU with Adam(1e-2), 100x lower, learned and flagged nothing (asserted). "
    "With SGD on a gradient that explodes, a lower learning rate is not that remedy: in "
    "notebook 08b, myth 11, SGD on a ReLU RNN whose gradient exploded diverged at every "
    "learning rate tried from 1e-2 to 1e-6 (asserted), and at eta = 0.01/||grad L|| (a first "
    "step of length 0.01) it stayed finite for its 20 steps while the gradient's median norm "
    "stayed above 1e6 (asserted): a smaller rate shortened the step, the gradient still "
    "exploded; see the exploding-gradients remedy"
)
REMEDY_TOO_LOW = (
    f"raise the learning rate: in {_ZOO_CELL}, a GRU trained with Adam(1e-6) was named "
    "'learning rate too low', and "
    "the same GRU with Adam(1e-2) learned and flagged nothing (asserted)"
)
REMEDY_DATA = (
    "the probe loss is not below 0.9 x a constant prediction's (no better than predicting a "
    "constant): if nothing else is flagged, check the data first (targets shuffled against "
    f"inputs, wrong labels: in {_ZOO_CELL}, a GRU with shuffled targets was flagged the same "
    "way and the same GRU with aligned targets learned, asserted). If the data are fine and "
    "the model's predictions already beat chance (as the digits LSTM of notebook 07, "
    "section 3, can be flagged after four short epochs), a hypothesis to test, not a "
    "measured remedy: train longer and see whether the probe loss falls below 0.9 x the "
    "constant prediction's"
)

# The primary cause of each flagged verdict, in the order they are weighed: a NaN explains
# everything after it; a step far too large explains saturated or dead units; dead or
# saturated units pass no gradient, which explains tiny updates; tiny updates explain a
# curve that never moved from its initialisation; "data" (no learning) only when nothing
# else is flagged.
CAUSES = (
    "exploding",
    "learning rate too high",
    "dead units",
    "saturation",
    "learning rate too low",
    "vanishing",
    "growing",
    "data",
)


@dataclass(frozen=True)
class Verdict:
    """One check of the report: its name, whether it flags a problem, and why."""

    name: str
    flagged: bool
    evidence: str  # the numbers behind the verdict
    remedy: str = ""  # what the course measured to help, and where

    def __str__(self) -> str:
        mark = "PROBLEM" if self.flagged else "ok"
        text = f"[{mark:>7}] {self.name}: {self.evidence}"
        return f"{text}\n          remedy: {self.remedy}" if self.flagged and self.remedy else text


def _require_history(history: object) -> MonitorHistory:
    from gradcourse.monitoring import MonitorHistory  # TensorFlow only if a monitor exists

    if not isinstance(history, MonitorHistory):
        raise TypeError(
            f"history must be a GradientMonitor's MonitorHistory, got {type(history).__name__}"
        )
    return history


def _transient_end(norms: ArrayLike) -> tuple[np.ndarray, int]:
    norms = np.asarray(norms, dtype=np.float64)
    if norms.ndim != 1 or norms.size == 0:
        raise ValueError("norms must be a non-empty 1-D sequence")
    return norms, int(np.ceil(TRANSIENT_FRACTION * norms.size))


def post_transient_median(norms: ArrayLike) -> float:
    """Median gradient norm after the first ``TRANSIENT_FRACTION`` of the records (finite ones
    only)."""
    norms, start = _transient_end(norms)
    settled = norms[start:][np.isfinite(norms[start:])]
    return float(np.median(settled)) if settled.size else float("nan")


def spikes(norms: ArrayLike) -> np.ndarray:
    """Indices of the post-transient records whose norm exceeds ``SPIKE_FACTOR`` times their
    median."""
    norms, start = _transient_end(norms)
    median = post_transient_median(norms)
    if not np.isfinite(median):
        return np.array([], dtype=int)
    return start + np.flatnonzero(norms[start:] > SPIKE_FACTOR * median)


def _nonfinite(history: MonitorHistory) -> Verdict:
    step = history.first_nonfinite_step
    if step is None:
        return Verdict("non-finite values", False, "every recorded loss and gradient is finite")
    return Verdict(
        "non-finite values",
        True,
        f"loss or gradient became NaN/inf at training step {step}",
        REMEDY_EXPLODING,
    )


def _exploding(history: MonitorHistory) -> Verdict:
    norms = np.asarray(history.global_norms, dtype=np.float64)
    if norms.size < 3:
        return Verdict("exploding gradients", False, f"too few records ({norms.size}) to judge")
    median, found = post_transient_median(norms), spikes(norms)
    evidence = (
        f"{found.size} of {norms.size} recorded norms above {SPIKE_FACTOR:g}x the "
        f"post-transient median {median:.3g} (largest {np.nanmax(norms):.3g})"
    )
    if found.size and history.clipping:  # the optimizer bounds every step: spikes are harmless
        return Verdict("exploding gradients", False, f"{evidence}; bounded by {history.clipping}")
    return Verdict(
        "exploding gradients",
        bool(found.size),
        evidence,
        f"{REMEDY_EXPLODING}. The threshold: this run's post-transient median norm is "
        f"{median:.3g}; in notebook 05, section 4, with SGD, tau = 1 trained, and ten times "
        "the median and tau = 0.01 did not (asserted); the course measured no rule for it",
    )


def curve_slope(norms: ArrayLike) -> tuple[float, int]:
    """Slope of a straight line fitted to log10 ``norms`` against the step, in decades per
    step, over the steps with a finite positive norm (masked steps are NaN), and how many
    steps it used. NaN with fewer than 2 usable steps."""
    norms = np.asarray(norms, dtype=np.float64)
    if norms.ndim != 1:
        raise ValueError(f"norms must be 1-D (one per step), got shape {norms.shape}")
    steps = np.flatnonzero(np.isfinite(norms) & (norms > 0))
    if steps.size < 2:
        return float("nan"), int(steps.size)
    slope = np.polyfit(steps, np.log10(norms[steps]), 1)[0]
    return float(slope), int(steps.size)


def _fall(norms: ArrayLike) -> tuple[float, float, int]:
    """(slope, steps used, and the fall in decades of the fitted line from the last usable step
    back to the first: positive when early steps get less gradient than late ones)."""
    norms = np.asarray(norms, dtype=np.float64)
    slope, used = curve_slope(norms)
    steps = np.flatnonzero(np.isfinite(norms) & (norms > 0))
    span = float(steps[-1] - steps[0]) if steps.size else 0.0
    return slope, slope * span, used


def _over_time(history: MonitorHistory) -> Verdict:
    name = "gradient over time"
    if not history.gradient_over_time:
        return Verdict(name, False, "no gradient over time was recorded")
    first, last = min(history.gradient_over_time), max(history.gradient_over_time)
    curve = np.asarray(history.gradient_over_time[last], dtype=np.float64)
    slope, fall, used = _fall(curve)
    if not np.isfinite(slope):
        return Verdict(name, False, f"too few unmasked steps ({used}) to fit the curve")
    masked = curve.size - used
    evidence = (
        f"fitted slope {slope:+.3g} decades per step (from early to late steps) over {used} steps"
        + (f" ({masked} masked or zero left out)" if masked else "")
        + f": the first step gets 10^{-fall:.1f} of the last one's gradient at epoch {last}"
    )
    if last != first:
        _, fall_first, _ = _fall(history.gradient_over_time[first])
        evidence += (
            f" (epoch {first}: 10^{-fall_first:.1f}, change {fall_first - fall:+.1f} decades)"
        )
    evidence += f"; flagged beyond {VANISHING_DECADES:g} decades either way"
    if fall > VANISHING_DECADES:
        gated = any(kind in ("LSTMCell", "GRUCell") for kind in history.layer_kinds.values())
        remedy = REMEDY_VANISHING_GATED if gated else REMEDY_VANISHING_SIMPLE
        return Verdict(name + ": vanishing", True, evidence, remedy)
    if -fall > VANISHING_DECADES:
        return Verdict(
            name + ": growing",
            True,
            evidence,
            "early steps get far more gradient than late ones: the recurrence amplifies "
            "(lambda_1 above 1/gamma is necessary, notebook 03). The course measured no remedy "
            "for the growth itself; for the divergence it can cause: " + REMEDY_EXPLODING,
        )
    return Verdict(name, False, evidence)


def _last_saturation(history: MonitorHistory) -> dict[str, float]:
    return {key: values[-1] for key, values in history.saturation.items() if values}


def _saturation(history: MonitorHistory) -> Verdict:
    last = {k: v for k, v in _last_saturation(history).items() if "(relu)" not in k}
    if not last:
        return Verdict("saturation", False, "no tanh state or gate was recorded")
    worst = max(last, key=last.get)
    evidence = f"most saturated: {worst} {last[worst]:.0%} (threshold {SATURATED_FRACTION:.0%})"
    return Verdict("saturation", last[worst] > SATURATED_FRACTION, evidence, REMEDY_SATURATION)


def _dead(history: MonitorHistory) -> Verdict:
    last = {k: v for k, v in _last_saturation(history).items() if "(relu)" in k}
    if not last:
        return Verdict("dead units", False, "no ReLU layer was recorded")
    worst = max(last, key=last.get)
    evidence = f"{worst}: {last[worst]:.0%} of its values at 0 (threshold {DEAD_FRACTION:.0%})"
    return Verdict("dead units", last[worst] > DEAD_FRACTION, evidence, REMEDY_DEAD)


def _update_ratios(history: MonitorHistory) -> Verdict:
    name = "update-to-weight ratios"
    if not history.update_ratios:
        return Verdict(name, False, "no update was recorded")
    ratios = np.asarray(history.update_ratios, dtype=np.float64)
    typical = float(np.nanmedian(ratios[-max(1, len(ratios) // 2) :]))  # second half
    largest = float(np.nanmax(ratios)) if np.any(np.isfinite(ratios)) else float("nan")
    evidence = (
        f"median std(update)/std(weight) {typical:.2g} over the second half, largest "
        f"{largest:.2g} (guide about 1e-3; flagged: median below {UPDATE_RATIO_LOW:g}, or "
        f"any step above {UPDATE_RATIO_HIGH:g})"
    )
    if largest > UPDATE_RATIO_HIGH:  # one step changed a matrix by more than its own spread
        return Verdict(name + ": too large", True, evidence, REMEDY_TOO_HIGH)
    if typical < UPDATE_RATIO_LOW:
        return Verdict(name + ": too small", True, evidence, REMEDY_TOO_LOW)
    return Verdict(name, False, evidence)


def _learning(history: MonitorHistory) -> Verdict:
    name = "learning"
    constant = history.constant_loss
    if constant is None or not np.isfinite(constant) or not history.probe_losses:
        return Verdict(name, False, "no constant-prediction loss to compare the probe loss with")
    loss = history.probe_losses[-1]
    if not np.isfinite(loss):
        return Verdict(name, False, "the probe loss is not finite: see non-finite values")
    share = loss / constant if constant > 0 else float("inf")
    evidence = (
        f"probe loss {loss:.3g} = {share:.2f} x the best constant prediction's {constant:.3g} "
        f"(flagged above {NOT_LEARNED_FRACTION:g}x)"
    )
    flagged = not np.isfinite(share) or share > NOT_LEARNED_FRACTION
    return Verdict(
        name + (": near a constant prediction" if flagged else ""), flagged, evidence, REMEDY_DATA
    )


def diagnose(history: MonitorHistory) -> list[Verdict]:
    """All the checks, in the order to read them (a NaN first: it explains everything else)."""
    history = _require_history(history)
    return [
        check(history)
        for check in (
            _nonfinite,
            _exploding,
            _update_ratios,
            _dead,
            _saturation,
            _over_time,
            _learning,
        )
    ]


def _cause_of(verdict: Verdict) -> str:
    name = verdict.name
    if name in ("non-finite values", "exploding gradients"):
        return "exploding"
    return {
        "update-to-weight ratios: too large": "learning rate too high",
        "update-to-weight ratios: too small": "learning rate too low",
        "dead units": "dead units",
        "saturation": "saturation",
        "gradient over time: vanishing": "vanishing",
        "gradient over time: growing": "growing",
    }.get(name, "data")


def primary_cause(history: MonitorHistory) -> str | None:
    """The one cause the report names first (one of ``CAUSES``), or None when nothing is
    flagged. A vanishing or growing curve in a model that learned (probe loss below
    ``LEARNED_FRACTION`` x the constant prediction's) is a symptom, not a cause: the task
    may need only the recent steps. Saturated or dead units stay a cause even then (they
    pass no gradient, whatever was learned). "data" is named only when the model did not
    learn and nothing else is flagged."""
    causes = {_cause_of(v) for v in diagnose(history) if v.flagged}
    if _learned(history):
        causes -= {"vanishing", "growing"}
    for cause in CAUSES:
        if cause in causes:
            return cause
    return None


def _learned(history: MonitorHistory) -> bool:
    constant = history.constant_loss
    if constant is None or not np.isfinite(constant) or not history.probe_losses:
        return False
    loss = history.probe_losses[-1]
    return bool(np.isfinite(loss) and loss < LEARNED_FRACTION * constant)


def report(history: MonitorHistory) -> str:
    """The primary cause with its evidence and remedy, the other symptoms apart, every
    check's numbers, and the monitor's steady overhead (compilation apart)."""
    verdicts = diagnose(history)
    cause = primary_cause(history)
    symptoms = [v.name for v in verdicts if v.flagged and _cause_of(v) != cause]
    lines = [f"primary cause: {cause or 'none found'}"]
    if symptoms:
        lines.append("other symptoms: " + ", ".join(symptoms))
    lines += [str(v) for v in verdicts]
    overhead = history.overhead
    if np.isfinite(overhead):
        lines.append(
            f"(monitor: steady overhead {overhead:.0%} of training time, plus "
            f"{history.compile_seconds:.1f} s once to compile its probe functions)"
        )
    return "\n".join(lines)


def dashboard(history: MonitorHistory, title: str = ""):
    """One figure: norms over steps (spikes marked), update ratios, saturation, gradient over
    time."""
    import matplotlib.pyplot as plt

    history = _require_history(history)
    fig, axes = plt.subplots(2, 2, figsize=(12, 7.5), layout="constrained")
    ax_norm, ax_ratio, ax_sat, ax_time = axes.ravel()
    steps = np.asarray(history.steps)
    norms = np.asarray(history.global_norms, dtype=np.float64)
    if norms.size:
        ax_norm.semilogy(steps, norms, "o-", ms=3, label="global gradient norm")
        median = post_transient_median(norms)
        ax_norm.axhline(median, color="gray", ls="--", label=f"post-transient median {median:.2g}")
        marked = spikes(norms)
        ax_norm.semilogy(steps[marked], norms[marked], "rv", ms=9, label="spike")
        ax_norm.legend(fontsize=9)
    ax_norm.set(
        xlabel="training step", ylabel="||grad L|| on the probe batch", title="gradient norm"
    )
    if history.update_ratios:
        ratios = np.asarray(history.update_ratios, dtype=np.float64)
        for column, name in enumerate(history.matrix_names):
            ax_ratio.semilogy(
                steps[: len(ratios)], ratios[:, column], lw=1.2, label=name.split("/", 1)[-1]
            )
        ax_ratio.axhline(1e-3, color="gray", ls="--", label="guide 1e-3")
        ax_ratio.legend(fontsize=8)
    ax_ratio.set(xlabel="training step", ylabel="std(update) / std(weight)", title="update ratios")
    for key, values in history.saturation.items():
        ax_sat.plot(steps[: len(values)], values, lw=1.5, label=key)
    ax_sat.set(
        xlabel="training step", ylabel="fraction saturated", ylim=(-0.02, 1.02), title="saturation"
    )
    if history.saturation:
        ax_sat.legend(fontsize=8)
    for epoch, curve in sorted(history.gradient_over_time.items()):
        ax_time.semilogy(np.arange(len(curve)), curve, label=f"epoch {epoch}")
        masked = np.flatnonzero(~np.isfinite(np.asarray(curve, dtype=np.float64)))
        if masked.size:  # steps every probe sequence masks: shaded, no value
            for t in masked:
                ax_time.axvspan(t - 0.5, t + 0.5, color="0.85", lw=0)
    ax_time.set(
        xlabel="time step t (grey: masked)",
        ylabel=r"$\|\partial L/\partial x_t\|$",
        title="gradient over time",
    )
    if history.gradient_over_time:
        ax_time.legend(fontsize=9)
    if title:
        fig.suptitle(title)
    return fig
