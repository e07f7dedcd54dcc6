"""Real data shipped with the package (no download at run time): handwritten digits.

``digits_pixel_by_pixel`` reads the 8x8 digits one pixel per time step, a 64-step
cousin of the pixel-by-pixel MNIST of Le, Jaitly & Hinton (2015): the label depends on
pixels seen up to 64 steps before the answer. See ``gradcourse/data/README.md`` for the
data's origin and licence.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from importlib import resources

import numpy as np

from gradcourse._validate import require_float, require_int

DIGITS_FILE = "digits.csv.gz"
PIXEL_MAX = 16.0  # pixel values are counts of "on" pixels in 4x4 blocks: 0..16


@dataclass(frozen=True)
class LabelledSequences:
    """Inputs ``x`` (n, steps, features), integer ``labels`` (n,), and what chance scores."""

    x: np.ndarray
    labels: np.ndarray
    classes: int

    @property
    def chance_accuracy(self) -> float:
        """Accuracy of always answering the most frequent class (the baseline to beat)."""
        return float(np.bincount(self.labels, minlength=self.classes).max() / len(self.labels))


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1,797 digits as (images (1797, 64) in 0..16, labels (1797,) in 0..9)."""
    raw = resources.files("gradcourse").joinpath("data", DIGITS_FILE).read_bytes()
    table = np.loadtxt(gzip.decompress(raw).decode("ascii").splitlines(), delimiter=",")
    return table[:, :-1], table[:, -1].astype(np.int64)


def digits_pixel_by_pixel(
    test_fraction: float = 0.25, seed: int = 0
) -> tuple[LabelledSequences, LabelledSequences]:
    """Train and test sets of digits read one pixel per step: x has shape (n, 64, 1) in [0, 1].

    The split is random (``seed``) and stratified by nothing: with 1,797 images the
    classes stay near 10% each.
    """
    test_fraction = require_float("test_fraction", test_fraction, minimum=0.0, strict_minimum=True)
    if test_fraction >= 1:
        raise ValueError(f"test_fraction must be below 1, got {test_fraction}")
    images, labels = load_digits()
    order = np.random.default_rng(require_int("seed", seed, minimum=0)).permutation(len(labels))
    n_test = max(1, int(round(test_fraction * len(labels))))
    x = (images / PIXEL_MAX).astype(np.float32)[:, :, None]

    def subset(rows: np.ndarray) -> LabelledSequences:
        return LabelledSequences(x=x[rows], labels=labels[rows], classes=10)

    return subset(order[n_test:]), subset(order[:n_test])
