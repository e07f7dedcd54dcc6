"""Read a ``GradientMonitor`` history: verdicts with their numbers, remedies, and a dashboard.

Each verdict compares a measured number with a threshold defined below, with a comment
saying where the threshold comes from, and names the remedy the course measured and
the notebook that shows it. The report works on any ``MonitorHistory``, so it can be
tested on histories made by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# ||dL/dx_0|| / ||dL/dx_(T-1)|| below this: the first step gets less than 1% of the
# gradient the last one gets. Notebook 04 measured 2e-5 to 9e-5 for an LSTM at T = 60 at
# initialisation and ~1 for an LSTM that had learned the task; a SimpleRNN that failed
# the adding problem at T = 40 measured ~4e-3 (notebook 07).
VANISHING_RATIO = 1e-2
# A gradient norm more than this many times the post-transient median is a spike.
# Pascanu et al. (2013) found thresholds of 0.5-10x the average norm still converge:
# norms within 10x of the typical one are ordinary.
SPIKE_FACTOR = 10.0
# The first records are left out of the median: early gradients are large while the
# model leaves its initialisation (notebook 05's first steps were 100x later ones).
TRANSIENT_FRACTION = 0.1
# More than half of a layer's states (or gate values) saturated at the last record.
SATURATED_FRACTION = 0.5
# Update-to-weight ratio std(update)/std(weight) per step. Karpathy's rule of thumb
# (makemore part 3, SGD on an MLP) is about 1e-3; the course's recipe, Adam(1e-2),
# trains well at about 1e-2. Flagged: two orders of magnitude from the guide, where a
# step either barely moves the weights or rewrites a tenth of their scale at once.
UPDATE_RATIO_LOW, UPDATE_RATIO_HIGH = 1e-5, 1e-1


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


def _require_history(history):
    from gradcourse.monitoring import MonitorHistory  # TensorFlow only if a monitor exists

    if not isinstance(history, MonitorHistory):
        raise TypeError(
            f"history must be a GradientMonitor's MonitorHistory, got {type(history).__name__}"
        )
    return history


def _transient_end(norms) -> tuple[np.ndarray, int]:
    norms = np.asarray(norms, dtype=np.float64)
    if norms.ndim != 1 or norms.size == 0:
        raise ValueError("norms must be a non-empty 1-D sequence")
    return norms, int(np.ceil(TRANSIENT_FRACTION * norms.size))


def post_transient_median(norms) -> float:
    """Median gradient norm after the first ``TRANSIENT_FRACTION`` of the records (finite ones
    only)."""
    norms, start = _transient_end(norms)
    settled = norms[start:][np.isfinite(norms[start:])]
    return float(np.median(settled)) if settled.size else float("nan")


def spikes(norms) -> np.ndarray:
    """Indices of the post-transient records whose norm exceeds ``SPIKE_FACTOR`` times their
    median."""
    norms, start = _transient_end(norms)
    median = post_transient_median(norms)
    if not np.isfinite(median):
        return np.array([], dtype=int)
    return start + np.flatnonzero(norms[start:] > SPIKE_FACTOR * median)


def _nonfinite(history) -> Verdict:
    step = history.first_nonfinite_step
    if step is None:
        return Verdict("non-finite values", False, "every recorded loss and gradient is finite")
    return Verdict(
        "non-finite values",
        True,
        f"loss or gradient became NaN/inf at training step {step}",
        "the gradient exploded: clip with global_clipnorm (Pascanu's rule) at about the median "
        "norm before the blow-up, and/or lower the learning rate (notebook 05)",
    )


def _exploding(history) -> Verdict:
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
        f"clip with global_clipnorm near the median norm, about {median:.2g}, and check "
        "the step size eta * threshold (notebook 05)",
    )


def _over_time(history) -> Verdict:
    name = "gradient over time"
    if not history.gradient_over_time:
        return Verdict(name, False, "no gradient over time was recorded")
    epoch = max(history.gradient_over_time)
    norms = np.asarray(history.gradient_over_time[epoch], dtype=np.float64)
    ratio = norms[0] / norms[-1] if norms[-1] > 0 else float("nan")
    evidence = (
        f"||dL/dx_0|| / ||dL/dx_{norms.size - 1}|| = {ratio:.2g} at epoch {epoch} "
        f"(flagged below {VANISHING_RATIO:g} or above {1 / VANISHING_RATIO:g})"
    )
    if ratio < VANISHING_RATIO or norms[0] == 0:
        return Verdict(
            name + ": vanishing",
            True,
            evidence,
            "a gated cell (LSTM or GRU, forget bias 1; notebook 04) or an orthogonal / identity "
            "recurrent initialisation (notebook 06)",
        )
    if ratio > 1 / VANISHING_RATIO or not np.all(np.isfinite(norms)):
        return Verdict(
            name + ": growing",
            True,
            evidence,
            "early steps get far more gradient than late ones: the recurrence amplifies "
            "(recurrent gain above 1/gamma, notebook 03); lower the gain, clip (notebook 05)",
        )
    return Verdict(name, False, evidence)


def _saturation(history) -> Verdict:
    last = {key: values[-1] for key, values in history.saturation.items() if values}
    if not last:
        return Verdict("saturation", False, "no saturation was recorded")
    worst = max(last, key=last.get)
    flagged = [key for key, value in last.items() if value > SATURATED_FRACTION]
    evidence = f"most saturated: {worst} {last[worst]:.0%} (threshold {SATURATED_FRACTION:.0%})"
    if flagged and "(relu)" in worst:  # a ReLU does not saturate; at 0 it is dead
        return Verdict(
            "saturation",
            True,
            evidence.replace("most saturated", "most saturated (dead at 0)"),
            "dead ReLU units pass no gradient at all: scale the inputs and input weights so "
            "units start active, lower the learning rate (notebooks 02 and 06)",
        )
    return Verdict(
        "saturation",
        bool(flagged),
        evidence,
        "saturated units pass almost no gradient: smaller initial weights or inputs, a "
        "Glorot-scaled initialisation (notebook 02)",
    )


def _update_ratios(history) -> Verdict:
    if not history.update_ratios:
        return Verdict("update-to-weight ratios", False, "no update was recorded")
    ratios = np.asarray(history.update_ratios, dtype=np.float64)
    typical = float(
        np.nanmedian(ratios[-max(1, len(ratios) // 2) :])
    )  # the second half of training
    evidence = (
        f"median std(update)/std(weight) {typical:.2g} over the second half "
        f"(guide about 1e-3; flagged below {UPDATE_RATIO_LOW:g} or above {UPDATE_RATIO_HIGH:g})"
    )
    if typical < UPDATE_RATIO_LOW:
        return Verdict(
            "update-to-weight ratios",
            True,
            evidence,
            "steps are too small to learn in this budget: raise the learning rate",
        )
    if typical > UPDATE_RATIO_HIGH:
        return Verdict(
            "update-to-weight ratios",
            True,
            evidence,
            "steps are large compared with the weights: lower the learning rate or clip",
        )
    return Verdict("update-to-weight ratios", False, evidence)


def diagnose(history) -> list[Verdict]:
    """All the checks, in the order to read them (a NaN first: it explains everything else)."""
    history = _require_history(history)
    return [
        check(history)
        for check in (_nonfinite, _exploding, _over_time, _saturation, _update_ratios)
    ]


def report(history) -> str:
    """The verdicts as text, with the monitor's measured overhead."""
    verdicts = diagnose(history)
    flagged = [v.name for v in verdicts if v.flagged]
    lines = [str(v) for v in verdicts]
    summary = "diagnosis: " + (", ".join(flagged) if flagged else "no gradient problem found")
    overhead = history.overhead
    cost = f"(monitor overhead {overhead:.0%} of training time)" if np.isfinite(overhead) else ""
    return "\n".join([summary + " " + cost, *lines]).strip()


def dashboard(history, title: str = ""):
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
    ax_time.set(
        xlabel="time step t", ylabel=r"$\|\partial L/\partial x_t\|$", title="gradient over time"
    )
    if history.gradient_over_time:
        ax_time.legend(fontsize=9)
    if title:
        fig.suptitle(title)
    return fig
