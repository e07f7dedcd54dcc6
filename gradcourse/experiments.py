"""The course's training experiments: build a model from its seed, probe it at
initialisation, train it with the course's recipe and evaluate it (``train_and_probe``),
and run several such trainings side by side, two at a time on two cores; or only build a
model from its seed and measure its weight gradient (``model_at_init``). The loops
themselves are in ``gradcourse.training``."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from gradcourse._tensorflow import keras, tf
from gradcourse._validate import require_float, require_int
from gradcourse.models import build_recurrent_model
from gradcourse.probes import input_gradient_norms
from gradcourse.tasks import SequenceData
from gradcourse.training import default_optimizer, evaluate_mse, fit_compiled

# The defaults of a run of train_and_probe (and of each setting of the side-by-side version).
RUN_DEFAULTS = {"batch_size": 64, "learning_rate": 1e-2, "units": 32, "seed": 0}


@dataclass
class TrainedRun:
    """One model built, probed at initialisation, trained and evaluated (``train_and_probe``)."""

    model: keras.Model
    losses: list[float]  # training loss per epoch
    test_mse: float
    seconds: float  # training time only
    gradient_at_init: np.ndarray  # ||dL/dx_t|| for every step t on the probe batch, before training
    # The recurrent layer's W_hh before training ((units, units) for SimpleRNN; the gates'
    # blocks side by side for LSTM and GRU): the model above holds the trained one.
    recurrent_kernel_at_init: np.ndarray


def train_and_probe(
    cell: str,
    train: SequenceData,
    test: SequenceData,
    probe: SequenceData,
    *,
    epochs: int,
    batch_size: int = RUN_DEFAULTS["batch_size"],
    learning_rate: float = RUN_DEFAULTS["learning_rate"],
    units: int = RUN_DEFAULTS["units"],
    seed: int = RUN_DEFAULTS["seed"],
    **layer_kwargs: Any,
) -> TrainedRun:
    """Build a one-layer ``cell`` model, record its recurrent kernel and measure ||dL/dx_t||
    on ``probe`` at initialisation, train it with the course's optimizer
    (``default_optimizer``) and evaluate it on ``test``.

    The seed is set before the model is built, so the same arguments give the same run.
    Extra keyword arguments go to the recurrent layer (e.g. ``activation="relu"``).
    """
    _check_data(train, test, probe)
    learning_rate = require_float("learning_rate", learning_rate, minimum=0.0, strict_minimum=True)
    return _train_prepared(
        _prepare(cell, train, probe, units, seed, layer_kwargs),
        train,
        test,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        seed=seed,
    )


def model_at_init(
    cell: str,
    probe: SequenceData,
    *,
    seed: int,
    units: int = RUN_DEFAULTS["units"],
    **layer_kwargs,
) -> tuple[keras.Model, float]:
    """A fresh one-layer ``cell`` model for ``probe``'s sequences and the global norm of its
    weight gradient there, before any training.

    Sets ``keras.utils.set_random_seed(seed)``, builds ``build_recurrent_model(cell, steps,
    features, units, **layer_kwargs)`` and returns it with ``||dL/dw||``: the gradient of
    the mean squared error on ``probe`` with respect to all trainable weights, as one vector
    (``tf.linalg.global_norm``, the norm ``global_clipnorm`` compares with its threshold).
    Notebook 08 (myth 4) and ``tools/init_spreads.py`` both call it, so the tool measures
    what the notebook prints.
    """
    if not isinstance(probe, SequenceData):
        raise TypeError(f"probe must be a SequenceData, got {type(probe).__name__}")
    keras.utils.set_random_seed(require_int("seed", seed, minimum=0))
    steps, features = probe.x.shape[1:]
    model = build_recurrent_model(cell, steps, features, units=units, **layer_kwargs)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(probe.x) - probe.y))
    norm = tf.linalg.global_norm(tape.gradient(loss, model.trainable_variables))
    return model, float(norm)


def train_and_probe_side_by_side(
    settings: dict[str, dict],
    train: SequenceData,
    test: SequenceData,
    probe: SequenceData,
    *,
    workers: int = 2,
    **common: Any,
) -> dict[str, TrainedRun]:
    """``train_and_probe`` for every setting, ``workers`` models training at a time.

    ``settings`` maps a name to that run's keyword arguments (``cell`` and any of
    ``train_and_probe``'s), which override ``common`` (e.g. ``epochs``, ``seed``). The models
    are built and probed one after the other, each after setting its seed, so each starts
    exactly as it would alone; then they train in threads (TensorFlow releases the GIL).
    A small recurrent model keeps about one core busy: on 2 cores, two at a time.
    """
    if not isinstance(settings, dict) or not settings:
        raise TypeError("settings must be a non-empty dict: name -> keyword arguments")
    workers = require_int("workers", workers, minimum=1)
    _check_data(train, test, probe)
    runs = {name: {**common, **options} for name, options in settings.items()}
    for name, run in runs.items():
        if "cell" not in run:
            raise ValueError(f"setting {name!r} names no cell")
    runs = {name: {**RUN_DEFAULTS, **run} for name, run in runs.items()}
    prepared = {}
    for name, run in runs.items():  # in order: each model's weights come from its own seed
        layer_kwargs = {k: v for k, v in run.items() if k not in _RUN_ARGUMENTS}
        prepared[name] = _prepare(
            run["cell"], train, probe, run["units"], run["seed"], layer_kwargs
        )

    def finish(name: str) -> TrainedRun:
        run = runs[name]
        return _train_prepared(
            prepared[name], train, test, epochs=run["epochs"], batch_size=run["batch_size"],
            learning_rate=run["learning_rate"], seed=run["seed"],
        )  # fmt: skip

    return side_by_side({name: partial(finish, name) for name in runs}, workers=workers)


def side_by_side(jobs: dict[str, Callable[[], Any]], workers: int = 2) -> dict[str, Any]:
    """Run each job (a function of no argument), ``workers`` at a time in threads, and return
    their results by name, in the order given.

    For training runs whose models are already built: build them first, in order, with
    their seeds, so that each starts as it would alone. TensorFlow releases the GIL while it
    computes, and a small recurrent model keeps about one core busy.
    """
    if not isinstance(jobs, dict) or not all(callable(job) for job in jobs.values()):
        raise TypeError("jobs must be a dict: name -> function of no argument")
    workers = require_int("workers", workers, minimum=1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


_RUN_ARGUMENTS = ("cell", "epochs", "batch_size", "learning_rate", "units", "seed")


def _check_data(train: object, test: object, probe: object) -> None:
    for name, data in (("train", train), ("test", test), ("probe", probe)):
        if not isinstance(data, SequenceData):
            raise TypeError(
                f"{name} must be SequenceData (e.g. from gradcourse.tasks), got "
                f"{type(data).__name__}"
            )
    if not (train.x.shape[1:] == test.x.shape[1:] == probe.x.shape[1:]):
        raise ValueError(
            f"train, test and probe need the same (steps, features); got "
            f"{train.x.shape[1:]}, {test.x.shape[1:]} and {probe.x.shape[1:]}"
        )


@dataclass
class _PreparedRun:
    """A model built from its seed, with what was measured on it before training."""

    model: keras.Model
    recurrent_kernel_at_init: np.ndarray
    gradient_at_init: np.ndarray


def _prepare(
    cell: str,
    train: SequenceData,
    probe: SequenceData,
    units: int,
    seed: int,
    layer_kwargs: dict[str, Any],
) -> _PreparedRun:
    """Build the model with its seed; keep its recurrent kernel and gradient at init."""
    keras.utils.set_random_seed(require_int("seed", seed, minimum=0))
    steps, features = train.x.shape[1:]
    model = build_recurrent_model(cell, steps, features, units=units, **layer_kwargs)
    (recurrent,) = (layer for layer in model.layers if isinstance(layer, keras.layers.RNN))
    kernel_at_init = np.array(recurrent.cell.recurrent_kernel.numpy(), dtype=np.float64)  # a copy
    return _PreparedRun(model, kernel_at_init, input_gradient_norms(model, probe.x, probe.y))


def _train_prepared(
    prepared: _PreparedRun,
    train: SequenceData,
    test: SequenceData,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
) -> TrainedRun:
    model = prepared.model
    learning_rate = require_float("learning_rate", learning_rate, minimum=0.0, strict_minimum=True)
    start = time.perf_counter()
    losses = fit_compiled(
        model, train, epochs, batch_size, optimizer=default_optimizer(learning_rate), seed=seed
    )
    seconds = time.perf_counter() - start
    return TrainedRun(
        model,
        losses,
        evaluate_mse(model, test),
        seconds,
        prepared.gradient_at_init,
        prepared.recurrent_kernel_at_init,
    )
