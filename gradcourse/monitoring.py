"""Training-time instrumentation for ``model.fit``: one place for what is measured while training.

``GradientMonitor`` is a callback for any Keras recurrent model (gradient norms, update
ratios, saturation, the gradient over time, NaN detection); ``gradcourse.diagnosis``
reads its history and names the failure. (Every step's norm before clipping, for the
course's own loops, is ``gradcourse.training.fit_logged``'s ``StepLog``.)

Kept apart from ``gradcourse.clipping`` (pure NumPy) because it needs TensorFlow.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from gradcourse._tensorflow import keras, tf
from gradcourse._validate import require_array, require_int
from gradcourse.activations import saturated_mask
from gradcourse.recurrent_states import (
    activation_name,
    is_supported_recurrent_layer,
    recurrent_states,
)

# ----------------------------------------------------------------------------- the monitor
# Default sampling. A record costs two to three training steps of a small recurrent model
# in CPU time (one forward and backward pass on the probe batch, which also captures every
# recurrent layer's inputs, then one compiled call per recurrent layer for its states and
# gates, copies of the weights), so recording at most every 50 steps keeps the steady
# overhead at a few percent of an epoch (3-5% of its CPU time on 07's models and a stacked
# LSTM, 2026-12-07); long epochs get RECORDS_PER_EPOCH records each. The first record
# compiles the probe functions once (0.2-6 s, by load): counted apart, as ``compile_seconds``.
# tools/monitor_overhead.py measures both.
RECORDS_PER_EPOCH = 5
MIN_STEPS_BETWEEN_RECORDS = 50

SUPPORTED = (
    "SimpleRNN, LSTM, GRU, keras.layers.RNN(cell) with a SimpleRNNCell, LSTMCell, GRUCell or "
    "gradcourse's LayerNormSimpleRNNCell, and Bidirectional around any of these"
)


@dataclass
class MonitorHistory:
    """What ``GradientMonitor`` recorded during ``fit`` (one entry per record unless noted).

    Repeated ``fit`` calls with the same monitor continue one history: steps, epochs,
    seconds and the overhead carry on.
    """

    steps: list[int] = field(default_factory=list)  # training step of each record
    epochs: list[int] = field(default_factory=list)  # epoch (from 0, over all fits) of each
    probe_losses: list[float] = field(default_factory=list)
    global_norms: list[float] = field(default_factory=list)  # ||grad L|| over all variables
    variable_names: list[str] = field(default_factory=list)
    variable_norms: list[np.ndarray] = field(default_factory=list)  # one norm per variable
    matrix_names: list[str] = field(default_factory=list)  # the 2-D weights (update ratios)
    update_ratios: list[np.ndarray] = field(default_factory=list)  # std(update) / std(weight)
    saturation: dict[str, list[float]] = field(default_factory=dict)  # "layer/state": fraction
    # epoch -> ||dL/dx_t|| for every step t of the first recurrent layer's input sequence;
    # NaN at a step that every probe sequence masks.
    gradient_over_time: dict[int, np.ndarray] = field(default_factory=dict)
    # epoch -> fraction of the probe sequences whose step t is real (not masked)
    unmasked_fraction: dict[int, np.ndarray] = field(default_factory=dict)
    layer_kinds: dict[str, str] = field(default_factory=dict)  # "layer[/direction]": cell class
    time_input: str = ""  # whose input the gradient over time is taken with respect to
    constant_loss: float | None = None  # probe loss of the best constant prediction
    first_nonfinite_step: int | None = None  # first step whose loss or gradient was NaN/inf
    clipping: str | None = None  # the optimizer's clipping, e.g. "global_clipnorm=1.0"
    steps_per_epoch: int | None = None
    fits: int = 0  # how many fit calls the history covers
    training_seconds: float = 0.0
    monitor_seconds: float = 0.0  # of which spent recording
    compile_seconds: float = 0.0  # of which spent compiling the probe functions (once)

    @property
    def overhead(self) -> float:
        """Steady cost: time spent recording (compilation left out), as a fraction of the
        training time without the monitor."""
        net = self.training_seconds - self.monitor_seconds
        steady = self.monitor_seconds - self.compile_seconds
        return steady / net if net > 0 else float("nan")


def _clipping_of(optimizer: keras.optimizers.Optimizer) -> str | None:
    """The clipping a Keras optimizer applies inside ``apply``, as "name=value", or None."""
    for name in ("global_clipnorm", "clipnorm", "clipvalue"):
        value = getattr(optimizer, name, None)
        if value is not None:
            return f"{name}={value:g}"
    return None


def _unsupported(layer: keras.layers.Layer, why: str = "") -> TypeError:
    return TypeError(
        f"GradientMonitor cannot watch layer {layer.name!r} ({type(layer).__name__}{why}); "
        f"it supports {SUPPORTED}"
    )


def _parts(layer: keras.layers.Layer) -> list[tuple[str, keras.layers.RNN]] | None:
    """The recurrent layers inside ``layer`` with their names, [] if it holds none, or
    TypeError for a recurrent layer the monitor cannot read."""
    if isinstance(layer, keras.layers.Bidirectional):
        parts = [
            (f"{layer.name}/forward", layer.forward_layer),
            (f"{layer.name}/backward", layer.backward_layer),
        ]
        for _, part in parts:
            if not is_supported_recurrent_layer(part):
                raise _unsupported(layer, f" around a {type(part).__name__}")
        return parts
    if isinstance(layer, keras.layers.RNN):
        if not is_supported_recurrent_layer(layer):
            raise _unsupported(layer, f" with a {type(layer.cell).__name__}")
        return [(layer.name, layer)]
    inner = getattr(layer, "layer", None)  # TimeDistributed and other wrappers
    if isinstance(inner, keras.layers.RNN | keras.layers.Bidirectional):
        raise _unsupported(layer, f" around a {type(inner).__name__}")
    return []


def _recurrent_layers(
    model: keras.Model,
) -> list[tuple[keras.layers.Layer, list[tuple[str, keras.layers.RNN]]]]:
    """Every recurrent layer of ``model`` (nested models included), with its parts."""
    found, stack = [], list(model.layers)
    while stack:
        layer = stack.pop(0)
        if isinstance(layer, keras.Model):
            stack[:0] = list(layer.layers)
            continue
        parts = _parts(layer)
        if parts:
            found.append((layer, parts))
    return found


class _Tap:
    """While active, every watched layer's call records its inputs, mask and initial state
    (and the tape watches the inputs), so that one forward pass on the current model gives
    each recurrent layer's input sequence: nothing is cached between records."""

    def __init__(self, layers: list[keras.layers.Layer], tape: tf.GradientTape) -> None:
        self.layers, self.tape, self.calls = layers, tape, []

    def __enter__(self) -> _Tap:
        for index, layer in enumerate(self.layers):
            original = layer.call

            def call(
                inputs: tf.Tensor,
                *args: object,
                _original: Callable = original,
                _index: int = index,
                **kwargs: object,
            ) -> object:
                self.tape.watch(inputs)
                self.calls.append((_index, inputs, kwargs.get("mask"), kwargs.get("initial_state")))
                return _original(inputs, *args, **kwargs)

            object.__setattr__(layer, "call", call)
        return self

    def __exit__(self, *exc: object) -> bool:
        for layer in self.layers:
            object.__delattr__(layer, "call")
        return False


def _entropy(p: np.ndarray) -> float:
    p = p[p > 0]
    return float(-np.sum(p * np.log(p)))


def _as_input(value: ArrayLike) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind in "iub":
        return array
    return array.astype(np.float32)


class GradientMonitor(keras.callbacks.Callback):
    """Watch the gradients of any Keras recurrent model during a plain ``model.fit``.

    Every ``every`` training steps (default: ``RECORDS_PER_EPOCH`` times an epoch, at
    least ``MIN_STEPS_BETWEEN_RECORDS`` steps apart) it records, on the fixed probe batch
    ``(probe_x, probe_y)`` and the current weights: the loss, the global and per-variable
    gradient norms, the update-to-weight ratio of each weight matrix (the step the
    optimizer just took; Karpathy's guide: about 1e-3), and the fraction of saturated
    values of every simple-RNN state and LSTM/GRU gate of every recurrent layer (each
    direction of a ``Bidirectional`` apart), masked steps left out. At initialisation and
    at the end of every ``fit`` (or at the epochs in ``time_epochs``; 0 means before
    training) it records ``||dL/dx_t||`` for every step t of the first recurrent layer's
    input sequence (after an ``Embedding`` or ``Masking``; a step every probe sequence
    masks is NaN). The model is not changed. A non-finite loss or gradient is recorded
    with its step and, with ``stop_on_nonfinite``, stops training. Repeated ``fit`` calls
    continue one ``history``; ``gradcourse.diagnosis`` turns it into a report.

    ``probe_x`` is an array (floats, or integer tokens for an ``Embedding``) or a list of
    arrays for a model with several inputs. Supported: see ``SUPPORTED``; any other
    recurrent layer raises TypeError naming it.
    """

    def __init__(
        self,
        probe_x: ArrayLike | Sequence[ArrayLike],
        probe_y: ArrayLike,
        every: int | None = None,
        time_epochs: Iterable[int] | None = None,
        stop_on_nonfinite: bool = True,
    ) -> None:
        super().__init__()
        inputs = list(probe_x) if isinstance(probe_x, list | tuple) else [probe_x]
        if not inputs:
            raise ValueError("probe_x must be a batch of sequences or a non-empty list of them")
        for value in inputs:
            array = require_array("probe_x", value)
            if array.ndim < 2:
                raise ValueError(
                    f"probe_x must be a batch of sequences, (batch, time[, features]); "
                    f"got shape {array.shape}"
                )
        self.probe_inputs = [_as_input(v) for v in inputs]
        self.probe_x = self.probe_inputs[0]
        self.probe_y = require_array("probe_y", probe_y).astype(np.float32)
        if any(v.shape[0] != self.probe_y.shape[0] for v in self.probe_inputs):
            raise ValueError(
                f"probe_x and probe_y need the same batch size, got "
                f"{[v.shape[0] for v in self.probe_inputs]} and {self.probe_y.shape[0]}"
            )
        self.every = None if every is None else require_int("every", every, minimum=1)
        if time_epochs is not None:
            time_epochs = sorted(
                {require_int("time_epochs entry", e, minimum=0) for e in time_epochs}
            )
        self.time_epochs = time_epochs
        self.stop_on_nonfinite = bool(stop_on_nonfinite)
        self.history = MonitorHistory()
        self._watched_model = None
        self._step, self._epoch, self._snapshot = 0, 0, None

    # -- set-up -------------------------------------------------------------------------
    def on_train_begin(self, logs: dict | None = None) -> None:
        model = self.model
        if model is None or not isinstance(model, keras.Model):
            raise TypeError(
                "GradientMonitor must be passed to model.fit(callbacks=[...]) of a keras.Model"
            )
        if self._watched_model is not model:
            self._set_up(model)
        self.history.fits += 1
        self._start = time.perf_counter()
        if self.history.fits == 1 and (self.time_epochs is None or 0 in self.time_epochs):
            self._timed(self._record_gradient_over_time, 0)

    def _set_up(self, model: keras.Model) -> None:
        if self._watched_model is not None:
            raise ValueError("a GradientMonitor watches one model: make a new one for this model")
        if model.loss is None:
            raise ValueError("compile the model with a loss before fitting it with GradientMonitor")
        if isinstance(model.loss, list | tuple | dict):
            raise ValueError("GradientMonitor supports a model compiled with one loss")
        self._layers = _recurrent_layers(model)
        if not self._layers:
            raise TypeError(f"GradientMonitor needs a model with a recurrent layer: {SUPPORTED}")
        self._check_probe_shapes(model)
        loss_function = keras.losses.get(model.loss)
        self._loss = lambda y, y_pred: tf.reduce_mean(loss_function(y, y_pred))
        # Compiled once: in eager mode a recurrent backward pass costs ~1 s, 30x a compiled one.
        self._probe = tf.function(self._probe_pass, reduce_retracing=True)
        history = self.history
        history.steps_per_epoch = self.params.get("steps")
        history.clipping = _clipping_of(model.optimizer)
        history.variable_names = [v.path for v in model.trainable_variables]
        history.matrix_names = [v.path for v in self._matrices()]
        history.constant_loss = self._constant_loss()
        history.layer_kinds = {
            name: type(part.cell).__name__ for _, parts in self._layers for name, part in parts
        }
        if self.every is None:
            per_epoch = (history.steps_per_epoch or 0) // RECORDS_PER_EPOCH
            self.every = max(MIN_STEPS_BETWEEN_RECORDS, per_epoch)
        self._compiled: set[str] = set()
        self._watched_model = model

    def _check_probe_shapes(self, model: keras.Model) -> None:
        if not model.inputs:
            return
        if len(model.inputs) != len(self.probe_inputs):
            raise ValueError(
                f"the model has {len(model.inputs)} input(s); probe_x gives "
                f"{len(self.probe_inputs)}"
            )
        for tensor, probe in zip(model.inputs, self.probe_inputs, strict=True):
            expected = tuple(tensor.shape[1:])
            if len(expected) != probe.ndim - 1 or any(
                e is not None and e != g for e, g in zip(expected, probe.shape[1:], strict=True)
            ):
                raise ValueError(
                    f"probe_x has shape {probe.shape}; the model expects (batch, *{expected})"
                )

    def _constant_loss(self) -> float:
        """The probe loss of the best constant prediction (the mean target; for classes,
        their frequencies): the loss a model that learned nothing reaches. NaN for a loss
        other than mean squared error and the three cross-entropies."""
        y = self.probe_y
        name = str(getattr(self.model.loss, "name", self.model.loss)).lower()
        if "sparse" in name and "crossentropy" in name:
            counts = np.bincount(y.astype(int).ravel())
            return _entropy(counts[counts > 0] / counts.sum())
        if "categorical" in name and "crossentropy" in name:  # one-hot targets
            return _entropy(y.reshape(-1, y.shape[-1]).mean(axis=0))
        if "binary" in name and "crossentropy" in name:
            p = float(np.clip(y.mean(), 1e-7, 1 - 1e-7))
            return _entropy(np.array([p, 1 - p]))
        if name in ("mse", "mean_squared_error"):
            return float(np.mean((y - y.mean(axis=0)) ** 2))
        return float("nan")

    def _model_inputs(self):
        """The probe in the structure the model was built with (no Keras structure warning)."""
        inputs = [tf.constant(v) for v in self.probe_inputs]
        struct = getattr(self.model, "_inputs_struct", None)
        if isinstance(struct, list | tuple) or len(inputs) > 1:
            return inputs
        if isinstance(struct, dict):
            return dict(zip(struct, inputs, strict=True))
        return inputs[0]

    def _matrices(self) -> list:
        """The weight matrices (biases left out, as in Karpathy's update-ratio plot)."""
        return [
            v
            for v in self.model.trainable_variables
            if len(v.shape) == 2 and not v.path.endswith("bias")
        ]

    def _probe_pass(
        self, x: tf.Tensor | list[tf.Tensor] | dict[str, tf.Tensor], y: tf.Tensor
    ) -> dict:
        """One forward and backward pass on the probe batch with the current weights."""
        with tf.GradientTape() as tape:
            with _Tap([layer for layer, _ in self._layers], tape) as tap:
                y_pred = self.model(x, training=False)
            loss = self._loss(y, y_pred)
        if not tap.calls:
            raise ValueError("no recurrent layer was called by the model's forward pass")
        first = tap.calls[0][1]
        gradients = tape.gradient(loss, [*self.model.trainable_variables, first])
        norms = tf.stack(
            [tf.norm(g) if g is not None else tf.constant(0.0) for g in gradients[:-1]]
        )
        over_time = tf.reduce_sum(tf.square(gradients[-1]), axis=-1)  # (batch, time)
        self._call_layers = [index for index, *_ in tap.calls]  # set while tracing
        return {
            "loss": loss,
            "norms": norms,
            "over_time": over_time,
            "inputs": [inputs for _, inputs, _, _ in tap.calls],
            "masks": [mask for _, _, mask, _ in tap.calls],
            "initial": [state for _, _, _, state in tap.calls],
        }

    def _calls(self, result: dict) -> list[tuple]:
        """(layer index, inputs, mask, initial state) of every recurrent call, as NumPy."""
        return [
            (index, np.asarray(x), None if m is None else np.asarray(m), s)
            for index, x, m, s in zip(
                self._call_layers,
                result["inputs"],
                result["masks"],
                result["initial"],
                strict=True,
            )
        ]

    def _timed(self, record: Callable[..., None], *args: object) -> None:
        start = time.perf_counter()
        record(*args)
        spent = time.perf_counter() - start
        self.history.monitor_seconds += spent
        kind = record.__name__
        if kind in ("_record", "_record_gradient_over_time") and kind not in self._compiled:
            self._compiled.add(kind)  # its first call traces and compiles the probe functions
            self.history.compile_seconds += spent

    # -- every step ---------------------------------------------------------------------
    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        if self._step % self.every == 0:
            self._timed(self._take_snapshot)

    def _take_snapshot(self):
        self._snapshot = [v.numpy().astype(np.float64) for v in self._matrices()]

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
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
        result = self._probe(self._model_inputs(), tf.constant(self.probe_y))
        norms = np.asarray(result["norms"], dtype=np.float64)
        history.steps.append(self._step)
        history.epochs.append(self._epoch)
        history.probe_losses.append(float(result["loss"]))
        history.variable_norms.append(norms)
        history.global_norms.append(float(np.sqrt(np.sum(norms**2))))
        history.update_ratios.append(np.array(ratios))
        for key, fraction in self._saturation(self._calls(result)).items():
            history.saturation.setdefault(key, []).append(fraction)
        if not (
            math.isfinite(history.probe_losses[-1]) and math.isfinite(history.global_norms[-1])
        ):
            self._nonfinite()

    def _saturation(self, calls: list[tuple]) -> dict[str, float]:
        """Fraction of saturated values of each state and gate, over the real steps of
        every call of every recurrent layer (its inputs captured on the current model)."""
        counts: dict[str, list[float]] = {}
        for index, inputs, mask, initial_state in calls:
            x = np.asarray(inputs)
            real = np.ones(x.shape[:2], bool) if mask is None else np.asarray(mask, bool)
            if initial_state is not None and not isinstance(initial_state, list | tuple):
                initial_state = [initial_state]  # one state given as a bare tensor
            start = None if initial_state is None else [np.asarray(s) for s in initial_state]
            x = x.astype(np.float64)
            for name, part in self._layers[index][1]:
                state_start = start if part is self._layers[index][0] else None
                states = recurrent_states(part, x, real, state_start)
                if "i" in states or "z" in states:
                    kinds = {g: "sigmoid" for g in ("i", "f", "o", "z", "r") if g in states}
                    keys = {g: f"{name}/{g} gate" for g in kinds}
                else:
                    activation = activation_name(part.cell.activation)
                    if activation == "linear":  # a linear unit cannot saturate
                        continue
                    kinds, keys = {"h": activation}, {"h": f"{name}/h ({activation})"}
                for state, kind in kinds.items():
                    hits = saturated_mask(states[state], kind)[real]
                    total = counts.setdefault(keys[state], [0.0, 0.0])
                    total[0] += float(hits.sum())
                    total[1] += hits.size
        return {key: hit / size for key, (hit, size) in counts.items() if size}

    # -- epochs -------------------------------------------------------------------------
    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch += 1
        if self.time_epochs is not None and self._epoch in self.time_epochs:
            self._timed(self._record_gradient_over_time, self._epoch)

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.time_epochs is None and self.history.first_nonfinite_step is None:
            self._timed(self._record_gradient_over_time, self._epoch)
        self.history.training_seconds += time.perf_counter() - self._start

    def _record_gradient_over_time(self, epoch: int):
        """||dL/dx_t|| for every step t of the first recurrent layer's input, over the probe
        sequences whose step t is real; NaN where every one is masked."""
        result = self._probe(self._model_inputs(), tf.constant(self.probe_y))
        squared = np.asarray(result["over_time"], dtype=np.float64)
        index, _, mask, _ = self._calls(result)[0]
        real = np.ones(squared.shape, bool) if mask is None else np.asarray(mask, bool)
        fraction = real.mean(axis=0)
        norms = np.sqrt(np.sum(np.where(real, squared, 0.0), axis=0))
        norms[fraction == 0] = np.nan
        history = self.history
        history.gradient_over_time[epoch] = norms
        history.unmasked_fraction[epoch] = fraction
        first_layer = self._layers[index][0]
        history.time_input = f"the input sequence of {first_layer.name!r}"
        if not np.all(np.isfinite(norms[fraction > 0])):
            self._nonfinite()
