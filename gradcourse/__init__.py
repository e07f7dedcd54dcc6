"""gradcourse: the support package of a course on vanishing and exploding gradients.

Modules (import what a notebook needs). ``import gradcourse`` does not load TensorFlow:
the modules that need it import it through ``gradcourse._tensorflow``, quietly.

- ``notebook``: setup (seeds, determinism, figure style, version report)
- ``gradcheck``: central finite differences and relative errors
- ``exercises``: ``check`` and ``show_solution`` for the exercises
- ``activations``: activations, derivatives and their bounds, saturation statistics,
  Pascanu et al.'s predicted regime
- ``rnn``: a vanilla RNN in NumPy, BPTT, Jacobian products
- ``matrices``: random matrices, their spectra, random-matrix predictions for Gaussian ones
- ``tasks``: synthetic long-lag sequence tasks with their baselines, the success criterion
- ``models``: Keras model builders
- ``probes``: gradient and activation probes for Keras models
- ``training``: the course's optimizer, training loops (compiled; logging every step),
  evaluation
- ``experiments``: ``train_and_probe`` (build, probe, train, evaluate a model), several
  trainings side by side
- ``clipping``: the clipping rules of Keras, written out in NumPy
- ``monitoring``: ``GradientMonitor`` for any ``model.fit`` (gradient norms, update ratios,
  saturation, the gradient over time, a NaN guard)
- ``diagnosis``: the monitor's report: one primary cause, verdicts with numbers and
  remedies, a dashboard
- ``recurrent_states``: the states and gates of a Keras SimpleRNN, LSTM, GRU or RNN(cell)
- ``initializers``: recurrent matrices drawn from Keras initializers, and their spectra
- ``datasets``: real data shipped with the package (handwritten digits, pixel by pixel)
- ``mystery``: the mystery model of notebook 07 (diagnose it before you read it)
- ``zoo``: the failure zoo: small models with one planted fault each, and healthy twins
- ``layer_norm_rnn``: a layer-normalised recurrent cell (Keras 3 has none)
- ``normalized_lstm``: an LSTM and a tanh SimpleRNN with recurrent batch normalisation
  (per-step or shared statistics) or layer normalisation inside
- ``lru``: the linear recurrent unit of Orvieto et al. (2023), a Keras cell, and its model
- ``delay_rnn``: a tanh RNN with a skip connection in time (NARX-style delay), a Keras cell
- ``lstm_paths``: the LSTM's gradient split into its cell path and the rest
- ``live``: the live demos of notebooks 01 and 03 (ipywidgets sliders and their figures)
- ``plotting``: the course style and colours
- ``alt_text``: each figure's alternative text, from its titles, axes and legend
"""

from importlib import metadata as _metadata

from gradcourse import _environment  # noqa: F401  (first: TensorFlow's variables, before any import of it)
from gradcourse.exercises import (
    Measurement,
    assert_correct,
    assignment_variant,
    check,
    get_exercise,
    show_question,
    show_solution,
    variant_for,
)
from gradcourse.notebook import in_colab, setup_notebook, version_report

try:  # the one source of the version is pyproject.toml
    __version__ = _metadata.version("gradcourse")
except _metadata.PackageNotFoundError:  # pragma: no cover - a source tree that was never installed
    __version__ = "0+unknown"
__all__ = [
    "Measurement",
    "assert_correct",
    "assignment_variant",
    "check",
    "get_exercise",
    "in_colab",
    "setup_notebook",
    "show_question",
    "show_solution",
    "variant_for",
    "version_report",
]
