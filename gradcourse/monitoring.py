"""Training-time instrumentation for ``model.fit``: one place for what is measured while training.

- ``GradientMonitor``: a callback for any Keras recurrent model (gradient norms, update
  ratios, saturation, the gradient over time, NaN detection); ``gradcourse.diagnosis``
  reads its history and names the failure.
- ``with_gradient_logging`` and ``GradientLog``: every step's gradient norms *before*
  the optimizer clips them (notebook 05).

Kept apart from ``gradcourse.clipping`` (pure NumPy) because it needs TensorFlow.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from gradcourse._tensorflow import keras, tf


class GradientLoggingModel(keras.Model):
    """A functional model whose ``train_step`` records every variable's gradient norm
    *before* the optimizer clips it. Use ``with_gradient_logging`` to wrap a model."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.last_gradient_norms = tf.Variable(
            tf.zeros(len(self.trainable_variables)), trainable=False, name="last_gradient_norms"
        )

    def train_step(self, data):
        x, y = data[0], data[1]
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.last_gradient_norms.assign(tf.stack([tf.norm(g) for g in gradients]))
        self.optimizer.apply(gradients, self.trainable_variables)  # clipping happens in here
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {"loss": loss}


def with_gradient_logging(model: keras.Model) -> GradientLoggingModel:
    """The same layers and weights as ``model``, in a model that logs gradient norms."""
    if not isinstance(model, keras.Model) or not model.inputs:
        raise TypeError("model must be a keras.Model built from keras.Input")
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs  # keep the call structure
    outputs = model.outputs[0] if len(model.outputs) == 1 else model.outputs
    return GradientLoggingModel(inputs, outputs, name=f"{model.name}_logged")


class GradientLog(keras.callbacks.Callback):
    """Record, at every training step, the loss and the gradient norms before clipping.

    After ``fit``: ``losses`` and ``global_norms`` (one per step), ``variable_norms``
    (steps x variables), and ``first_nan_step`` (the step whose loss or gradient was
    not finite, or None). Training stops at that step instead of filling the log with NaN.
    """

    def __init__(self, stop_on_nan: bool = True):
        super().__init__()
        self.stop_on_nan = bool(stop_on_nan)
        self.losses: list[float] = []
        self.global_norms: list[float] = []
        self.variable_norms: list[np.ndarray] = []
        self.first_nan_step: int | None = None

    def on_train_batch_end(self, batch, logs=None):
        if not isinstance(self.model, GradientLoggingModel):
            raise TypeError("GradientLog needs a model from with_gradient_logging(model)")
        norms = self.model.last_gradient_norms.numpy().astype(np.float64)
        loss = float((logs or {}).get("loss", np.nan))
        self.losses.append(loss)
        self.variable_norms.append(norms)
        self.global_norms.append(float(np.sqrt(np.sum(norms**2))))
        if self.first_nan_step is None and not (
            math.isfinite(loss) and math.isfinite(self.global_norms[-1])
        ):
            self.first_nan_step = len(self.losses) - 1
            if self.stop_on_nan:
                self.model.stop_training = True


# ----------------------------------------------------------------------------- the monitor
# Default sampling. A record costs about six training steps of a small recurrent model
# (a forward and backward pass on the probe batch, a forward pass for the states, copies
# of the weights), so recording at most every 50 steps keeps the steady overhead near
# 12% of an epoch; long epochs get RECORDS_PER_EPOCH records each. The first record and
# the gradient over time also compile two small functions once (about 2 s).
# tools/monitor_overhead.py measures both.
RECORDS_PER_EPOCH = 5
MIN_STEPS_BETWEEN_RECORDS = 50


@dataclass
class MonitorHistory:
    """What ``GradientMonitor`` recorded during ``fit`` (one entry per record unless noted)."""

    steps: list[int] = field(default_factory=list)  # training step of each record
    probe_losses: list[float] = field(default_factory=list)
    global_norms: list[float] = field(default_factory=list)  # ||grad L|| over all variables
    variable_names: list[str] = field(default_factory=list)
    variable_norms: list[np.ndarray] = field(default_factory=list)  # one norm per variable
    matrix_names: list[str] = field(default_factory=list)  # the 2-D weights (update ratios)
    update_ratios: list[np.ndarray] = field(default_factory=list)  # std(update) / std(weight)
    saturation: dict[str, list[float]] = field(default_factory=dict)  # "layer/state": fraction
    gradient_over_time: dict[int, np.ndarray] = field(default_factory=dict)  # epoch -> ||dL/dx_t||
    first_nonfinite_step: int | None = None  # first step whose loss or gradient was NaN/inf
    clipping: str | None = None  # the optimizer's clipping, e.g. "global_clipnorm=1.0"
    steps_per_epoch: int | None = None
    training_seconds: float = 0.0
    monitor_seconds: float = 0.0  # of which spent recording

    @property
    def overhead(self) -> float:
        """Time spent recording, as a fraction of the training time without it."""
        net = self.training_seconds - self.monitor_seconds
        return self.monitor_seconds / net if net > 0 else float("nan")


def _clipping_of(optimizer) -> str | None:
    """The clipping a Keras optimizer applies inside ``apply``, as "name=value", or None."""
    for name in ("global_clipnorm", "clipnorm", "clipvalue"):
        value = getattr(optimizer, name, None)
        if value is not None:
            return f"{name}={value:g}"
    return None


def _recurrent_layers(model) -> list:
    from gradcourse.recurrent_states import SUPPORTED_LAYERS

    found, stack = [], list(model.layers)
    while stack:
        layer = stack.pop(0)
        if isinstance(layer, SUPPORTED_LAYERS):
            found.append(layer)
        elif isinstance(layer, keras.Model):
            stack[:0] = list(layer.layers)
    return found


class GradientMonitor(keras.callbacks.Callback):
    """Watch the gradients of any Keras recurrent model during a plain ``model.fit``.

    Every ``every`` training steps (default: ``RECORDS_PER_EPOCH`` times an epoch, at
    least ``MIN_STEPS_BETWEEN_RECORDS`` steps apart) it
    records, on the fixed probe batch ``(probe_x, probe_y)``: the loss, the global and
    per-variable gradient norms, the update-to-weight ratio of each weight matrix (the
    step the optimizer just took; Karpathy's guide: about 1e-3), and the fraction of
    saturated values of every SimpleRNN state and LSTM/GRU gate. At initialisation and
    at the end (or at the epochs in ``time_epochs``; 0 means before training) it records
    ``||dL/dx_t||`` for every step t. The model is not changed. A non-finite loss or
    gradient is recorded with its step and, with ``stop_on_nonfinite``, stops training.
    ``gradcourse.diagnosis`` turns the ``history`` into a report.
    """

    def __init__(
        self,
        probe_x,
        probe_y,
        every: int | None = None,
        time_epochs=None,
        stop_on_nonfinite: bool = True,
    ):
        super().__init__()
        from gradcourse._validate import require_array, require_int

        self.probe_x = require_array("probe_x", probe_x, ndim=3).astype(np.float32)
        self.probe_y = require_array("probe_y", probe_y).astype(np.float32)
        if self.probe_y.shape[0] != self.probe_x.shape[0]:
            raise ValueError(
                f"probe_x and probe_y need the same batch size, got "
                f"{self.probe_x.shape[0]} and {self.probe_y.shape[0]}"
            )
        self.every = None if every is None else require_int("every", every, minimum=1)
        if time_epochs is not None:
            time_epochs = sorted(
                {require_int("time_epochs entry", e, minimum=0) for e in time_epochs}
            )
        self.time_epochs = time_epochs
        self.stop_on_nonfinite = bool(stop_on_nonfinite)
        self.history = MonitorHistory()

    # -- set-up -------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        model = self.model
        if model is None or not isinstance(model, keras.Model):
            raise TypeError(
                "GradientMonitor must be passed to model.fit(callbacks=[...]) of a keras.Model"
            )
        if model.loss is None:
            raise ValueError("compile the model with a loss before fitting it with GradientMonitor")
        self._layers = _recurrent_layers(model)
        if not self._layers:
            raise TypeError("GradientMonitor needs a model with a SimpleRNN, LSTM or GRU layer")
        expected = tuple(model.inputs[0].shape[1:]) if model.inputs else None
        if expected and any(
            e is not None and e != g for e, g in zip(expected, self.probe_x.shape[1:], strict=False)
        ):
            raise ValueError(
                f"probe_x has shape {self.probe_x.shape}; the model expects (batch, *{expected})"
            )
        loss_function = keras.losses.get(model.loss)
        self._loss = lambda y, y_pred: tf.reduce_mean(loss_function(y, y_pred))
        # Compiled once: in eager mode a recurrent backward pass costs ~1 s, 30x a compiled one.
        self._probe_gradients = tf.function(self._gradients_on_probe, reduce_retracing=True)
        self._input_gradients = tf.function(self._gradients_wrt_inputs, reduce_retracing=True)
        self._layer_inputs = {
            layer.name: self.probe_x
            if layer.input is model.inputs[0]
            else keras.Model(model.inputs, layer.input)(self.probe_x).numpy()
            for layer in self._layers
        }
        history = self.history
        history.steps_per_epoch = self.params.get("steps")
        history.clipping = _clipping_of(model.optimizer)
        history.variable_names = [v.path for v in model.trainable_variables]
        history.matrix_names = [v.path for v in self._matrices()]
        if self.every is None:
            per_epoch = (history.steps_per_epoch or 0) // RECORDS_PER_EPOCH
            self.every = max(MIN_STEPS_BETWEEN_RECORDS, per_epoch)
        self._step, self._snapshot = 0, None
        self._start = time.perf_counter()
        if self.time_epochs is None or 0 in self.time_epochs:
            self._timed(self._record_gradient_over_time, 0)

    def _matrices(self) -> list:
        """The weight matrices (biases left out, as in Karpathy's update-ratio plot)."""
        return [
            v
            for v in self.model.trainable_variables
            if len(v.shape) == 2 and not v.path.endswith("bias")
        ]

    def _gradients_on_probe(self, x, y):
        with tf.GradientTape() as tape:
            loss = self._loss(y, self.model(x, training=False))
        return loss, tape.gradient(loss, self.model.trainable_variables)

    def _timed(self, record, *args):
        start = time.perf_counter()
        record(*args)
        self.history.monitor_seconds += time.perf_counter() - start

    # -- every step ---------------------------------------------------------------------
    def on_train_batch_begin(self, batch, logs=None):
        if self._step % self.every == 0:
            self._timed(self._take_snapshot)

    def _take_snapshot(self):
        self._snapshot = [v.numpy().astype(np.float64) for v in self._matrices()]

    def on_train_batch_end(self, batch, logs=None):
        loss = float((logs or {}).get("loss", np.nan))
        if not math.isfinite(loss):
            self._nonfinite()
        elif self._snapshot is not None:
            self._timed(self._record)
        self._step += 1

    def _nonfinite(self):
        if self.history.first_nonfinite_step is None:
            self.history.first_nonfinite_step = self._step
        if self.stop_on_nonfinite:
            self.model.stop_training = True

    def _record(self):
        history = self.history
        after = [v.numpy().astype(np.float64) for v in self._matrices()]
        ratios = [
            np.std(a - b) / np.std(b) if np.std(b) > 0 else np.nan
            for a, b in zip(after, self._snapshot, strict=True)
        ]
        self._snapshot = None
        loss, gradients = self._probe_gradients(self.probe_x, self.probe_y)
        norms = np.array([float(tf.norm(g)) if g is not None else 0.0 for g in gradients])
        history.steps.append(self._step)
        history.probe_losses.append(float(loss))
        history.variable_norms.append(norms)
        history.global_norms.append(float(np.sqrt(np.sum(norms**2))))
        history.update_ratios.append(np.array(ratios))
        for key, fraction in self._saturation().items():
            history.saturation.setdefault(key, []).append(fraction)
        if not (math.isfinite(float(loss)) and math.isfinite(history.global_norms[-1])):
            self._nonfinite()

    def _saturation(self) -> dict[str, float]:
        from gradcourse.activations import saturated_mask
        from gradcourse.recurrent_states import activation_name, recurrent_states

        fractions = {}
        for layer in self._layers:
            states = recurrent_states(layer, self._layer_inputs[layer.name])
            if isinstance(layer, keras.layers.SimpleRNN):
                name = activation_name(layer.activation)
                if name != "linear":  # a linear unit cannot saturate
                    fractions[f"{layer.name}/h ({name})"] = float(
                        saturated_mask(states["h"], name).mean()
                    )
                continue
            for gate in ("i", "f", "o", "z", "r"):
                if gate in states:
                    fractions[f"{layer.name}/{gate} gate"] = float(
                        saturated_mask(states[gate], "sigmoid").mean()
                    )
        return fractions

    # -- epochs -------------------------------------------------------------------------
    def on_epoch_end(self, epoch, logs=None):
        if self.time_epochs is not None and epoch + 1 in self.time_epochs:
            self._timed(self._record_gradient_over_time, epoch + 1)

    def on_train_end(self, logs=None):
        epochs_done = int(self.params.get("epochs") or 0)
        if self.time_epochs is None and self.history.first_nonfinite_step is None:
            self._timed(self._record_gradient_over_time, epochs_done)
        self.history.training_seconds = time.perf_counter() - self._start

    def _gradients_wrt_inputs(self, x, y):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = self._loss(y, self.model(x, training=False))
        return tape.gradient(loss, x)

    def _record_gradient_over_time(self, epoch: int):
        """||dL/dx_t|| for every step t, as ``gradcourse.probes.input_gradient_norms``."""
        gradient = self._input_gradients(tf.constant(self.probe_x), tf.constant(self.probe_y))
        norms = np.sqrt(np.sum(np.asarray(gradient, dtype=np.float64) ** 2, axis=(0, 2)))
        self.history.gradient_over_time[epoch] = norms
        if not np.all(np.isfinite(norms)):
            self._nonfinite()
