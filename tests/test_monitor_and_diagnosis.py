"""The diagnosis toolkit: the monitor records what happens in fit; the report names it."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from gradcourse._tensorflow import keras
from gradcourse.diagnosis import (
    CAUSES,
    DEAD_FRACTION,
    SATURATED_FRACTION,
    SPIKE_FACTOR,
    VANISHING_DECADES,
    VANISHING_RATIO,
    curve_slope,
    dashboard,
    diagnose,
    post_transient_median,
    primary_cause,
    report,
    spikes,
)
from gradcourse.monitoring import GradientMonitor, MonitorHistory
from gradcourse.recurrent_states import recurrent_states
from gradcourse.tasks import adding_problem


def _verdicts(history) -> dict:
    return {v.name: v for v in diagnose(history)}


def _healthy_history(records: int = 20) -> MonitorHistory:
    rng = np.random.default_rng(0)
    return MonitorHistory(
        steps=list(range(0, 5 * records, 5)),
        global_norms=list(1.0 + 0.2 * rng.random(records)),
        matrix_names=["cell/kernel"],
        update_ratios=[np.array([1e-3])] * records,
        saturation={"rnn/h (tanh)": [0.05] * records},
        gradient_over_time={0: np.linspace(0.5, 1.0, 30), 3: np.linspace(0.8, 1.0, 30)},
        training_seconds=10.0,
        monitor_seconds=1.0,
    )


def test_a_healthy_history_flags_nothing():
    assert not any(v.flagged for v in diagnose(_healthy_history()))
    text = report(_healthy_history())
    assert text.startswith("primary cause: none found\n[     ok]")
    assert "steady overhead 11%" in text and primary_cause(_healthy_history()) is None


def test_an_injected_nan_is_named_first_with_its_step():
    history = _healthy_history()
    history.first_nonfinite_step = 42
    verdicts = diagnose(history)
    assert verdicts[0].name == "non-finite values" and verdicts[0].flagged
    assert "step 42" in verdicts[0].evidence and "notebook 05" in verdicts[0].remedy


def test_a_spike_against_the_post_transient_median():
    history = _healthy_history()
    norms = history.global_norms
    norms[0] = 500.0  # the transient: large, but left out of the median
    assert not _verdicts(history)["exploding gradients"].flagged
    norms[12] = SPIKE_FACTOR * 1.3  # 10x a median of about 1.1
    verdict = _verdicts(history)["exploding gradients"]
    assert verdict.flagged and "1 of 20" in verdict.evidence
    history.clipping = "global_clipnorm=1"  # clipped spikes cannot blow up a step
    verdict = _verdicts(history)["exploding gradients"]
    assert not verdict.flagged and "bounded by global_clipnorm=1" in verdict.evidence
    assert list(spikes(norms)) == [12]  # the transient is not a spike
    assert post_transient_median([100, 1, 1, 3]) == 1.0


def test_a_vanishing_curve_uses_the_last_recorded_epoch():
    history = _healthy_history()
    history.gradient_over_time[5] = np.geomspace(1e-9, 1.0, 30)
    verdict = _verdicts(history)["gradient over time: vanishing"]
    assert verdict.flagged and "epoch 5" in verdict.evidence and "10^-9.0" in verdict.evidence
    assert "change -8.7 decades" in verdict.evidence  # epoch 0: log10(0.5) = -0.3
    history.gradient_over_time[6] = np.geomspace(10 * VANISHING_RATIO, 1.0, 30)
    assert not _verdicts(history)["gradient over time"].flagged
    history.gradient_over_time[7] = np.geomspace(1e5, 1.0, 30)  # early steps dominate: growth
    verdict = _verdicts(history)["gradient over time: growing"]
    assert verdict.flagged and "notebook 03" in verdict.remedy


def test_the_verdict_reads_the_whole_curve_not_two_points():
    steps = np.arange(40)
    curve = 10.0 ** (-2.5 + 2.5 * steps / 39)  # 2.5 decades over 39 steps
    assert curve_slope(curve) == (pytest.approx(2.5 / 39), 40)
    curve[-1] = 0.27  # the last point dips: first / last = 0.012, above the 1e-2 ratio
    assert curve[0] / curve[-1] > VANISHING_RATIO
    history = _healthy_history()
    history.gradient_over_time = {0: curve}
    assert _verdicts(history)["gradient over time: vanishing"].flagged
    curve = 10.0 ** (-1.5 + 1.5 * steps / 39)  # 1.5 decades: under the threshold
    curve[:10] = np.nan  # masked steps: left out of the fit
    history.gradient_over_time = {0: curve}
    verdict = _verdicts(history)["gradient over time"]
    assert not verdict.flagged and "over 30 steps (10 masked or zero left out)" in verdict.evidence
    assert 1.5 * 29 / 39 < VANISHING_DECADES
    with pytest.raises(ValueError, match="1-D"):
        curve_slope(np.ones((2, 3)))


def test_a_saturated_layer_and_dead_units_are_named():
    history = _healthy_history()
    history.saturation["lstm/f gate"] = [0.1, SATURATED_FRACTION + 0.2]
    verdict = _verdicts(history)["saturation"]
    assert verdict.flagged and "lstm/f gate 70%" in verdict.evidence
    history.saturation["rnn/h (relu)"] = [0.6]  # half the ReLU values at 0: ordinary
    assert not _verdicts(history)["dead units"].flagged
    history.saturation["rnn/h (relu)"] = [DEAD_FRACTION + 0.05]
    verdict = _verdicts(history)["dead units"]
    assert verdict.flagged and "95% of its values at 0" in verdict.evidence
    assert primary_cause(history) == "dead units"  # weighed before saturation
    assert "other symptoms: saturation" in report(history)


@pytest.mark.parametrize(
    "ratio, name", [(1e-7, ": too small"), (1e-3, ""), (0.5, ""), (3.0, ": too large")]
)
def test_update_ratios(ratio, name):
    history = _healthy_history()
    history.update_ratios = [np.array([1e-3])] * 20
    history.update_ratios[0 if ratio > 1e-3 else 19] = np.array([ratio])  # one step too large
    if ratio < 1e-3:
        history.update_ratios[10:] = [np.array([ratio])] * 10  # a second half of tiny steps
    verdict = _verdicts(history)["update-to-weight ratios" + name]
    assert verdict.flagged is bool(name)
    assert (
        primary_cause(history)
        == {
            "": None,
            ": too small": "learning rate too low",
            ": too large": "learning rate too high",
        }[name]
    )


def test_no_learning_with_healthy_gradients_points_at_the_data():
    history = _healthy_history()
    history.constant_loss = 0.2
    history.probe_losses = [0.21] * 20  # no better than predicting the mean
    verdict = _verdicts(history)["learning: near a constant prediction"]
    assert verdict.flagged and "1.05 x" in verdict.evidence
    assert primary_cause(history) == "data" and "shuffled" in verdict.remedy
    history.probe_losses[-1] = float("nan")  # a NaN is the non-finite check's business
    assert not _verdicts(history)["learning"].flagged
    history.probe_losses[-1] = 0.21
    history.update_ratios = [np.array([1e-7])] * 20  # a cause that explains it comes first
    assert primary_cause(history) == "learning rate too low"
    assert "other symptoms: learning: near a constant prediction" in report(history)
    history = _healthy_history()
    history.constant_loss, history.probe_losses = 0.2, [0.05]  # learned: a curve is a symptom
    history.gradient_over_time[9] = np.geomspace(1e-6, 1.0, 30)
    assert primary_cause(history) is None
    assert set(CAUSES) >= {"exploding", "vanishing", "data", "saturation", "dead units"}


def test_remedies_never_recommend_what_the_course_measured_to_fail():
    history = _healthy_history()
    history.gradient_over_time[5] = np.geomspace(1e-9, 1.0, 30)
    history.layer_kinds = {"simple_rnn": "SimpleRNNCell"}
    remedy = _verdicts(history)["gradient over time: vanishing"].remedy
    assert "gated cell" in remedy and "Not another initialisation" in remedy
    assert "notebook 04, section 2 'Evaluate'" in remedy  # the cell whose asserts measured it
    assert "orthogonal" not in remedy.lower() and "identity" not in remedy.lower()


def test_report_and_dashboard_reject_other_objects():
    for function in (diagnose, report, dashboard):
        with pytest.raises(TypeError, match="MonitorHistory"):
            function({"global_norms": [1.0]})
    with pytest.raises(ValueError, match="norms must be a non-empty 1-D sequence"):
        post_transient_median([])


def test_dashboard_draws_four_panels():
    history = _healthy_history()
    history.global_norms[12] = 100.0
    fig = dashboard(history, "test")
    assert len(fig.axes) == 4
    assert all(ax.get_xlabel() for ax in fig.axes) and all(ax.get_ylabel() for ax in fig.axes)
    plt.close(fig)


# ----------------------------------------------------------------------------- with Keras
def _model(cell: str, steps: int = 8, **kwargs) -> keras.Model:
    keras.utils.set_random_seed(0)
    layer = getattr(keras.layers, cell)(6, **kwargs)
    model = keras.Sequential([keras.Input((steps, 2)), layer, keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    return model


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-v))


def _numpy_states(layer, x: np.ndarray) -> dict[str, np.ndarray]:
    """Keras' SimpleRNN, LSTM (gates i, f, candidate, o) and GRU (reset_after=True: gates z,
    r, candidate; two bias rows) equations, one step at a time in NumPy float64, from the
    layer's weights: the reference that recurrent_states is held to."""
    kernel, recurrent, bias = (np.asarray(w, dtype=np.float64) for w in layer.get_weights())
    units = recurrent.shape[0]
    h = c = np.zeros((x.shape[0], units))
    states: dict[str, list] = {}
    for t in range(x.shape[1]):
        if isinstance(layer, keras.layers.SimpleRNN):
            h = np.tanh(x[:, t] @ kernel + h @ recurrent + bias)
            step = {"h": h}
        elif isinstance(layer, keras.layers.LSTM):
            a = x[:, t] @ kernel + h @ recurrent + bias
            i, f = _sigmoid(a[:, :units]), _sigmoid(a[:, units : 2 * units])
            o = _sigmoid(a[:, 3 * units :])
            c = f * c + i * np.tanh(a[:, 2 * units : 3 * units])
            h = o * np.tanh(c)
            step = {"i": i, "f": f, "o": o, "h": h}
        else:
            a, b = x[:, t] @ kernel + bias[0], h @ recurrent + bias[1]
            z = _sigmoid(a[:, :units] + b[:, :units])
            r = _sigmoid(a[:, units : 2 * units] + b[:, units : 2 * units])
            h = z * h + (1 - z) * np.tanh(a[:, 2 * units :] + r * b[:, 2 * units :])
            step = {"z": z, "r": r, "h": h}
        for key, value in step.items():
            states.setdefault(key, []).append(value)
    return {key: np.stack(values, axis=1) for key, values in states.items()}


@pytest.mark.parametrize("cell", ["SimpleRNN", "GRU", "LSTM"])
def test_recurrent_states_match_keras_equations_in_numpy(cell):
    model = _model(cell)
    x = np.random.default_rng(1).normal(size=(4, 8, 2))
    layer = model.layers[0]
    states, expected = recurrent_states(layer, x), _numpy_states(layer, x)
    assert sorted(states) == sorted(expected)
    for key in expected:
        np.testing.assert_allclose(states[key], expected[key], atol=1e-5, err_msg=key)
    # and the last state is what the model's layer returns
    np.testing.assert_allclose(states["h"][:, -1], layer(x.astype(np.float32)), atol=1e-5)


def test_recurrent_states_rejects_bad_input():
    with pytest.raises(TypeError, match="layer must be a Keras SimpleRNN, LSTM or GRU"):
        recurrent_states(keras.layers.Dense(3), np.zeros((1, 2, 2)))
    with pytest.raises(ValueError, match=r"shape \(batch, time, 2\)"):
        recurrent_states(_model("GRU").layers[0], np.zeros((1, 8, 3)))


def test_the_monitor_records_a_plain_fit():
    data, probe = adding_problem(256, 8, seed=1), adding_problem(32, 8, seed=2)
    model = _model("LSTM")
    monitor = GradientMonitor(probe.x, probe.y, every=2)
    model.fit(data.x, data.y, epochs=2, batch_size=32, verbose=0, callbacks=[monitor])
    history = monitor.history
    assert history.steps == list(range(0, 16, 2)) and history.steps_per_epoch == 8
    assert len(history.global_norms) == len(history.update_ratios) == 8
    assert history.variable_norms[0].shape == (len(model.trainable_variables),)
    assert sorted(key.split("/", 1)[1] for key in history.saturation) == [
        "f gate",
        "i gate",
        "o gate",
    ]
    assert sorted(history.gradient_over_time) == [0, 2]
    assert history.gradient_over_time[0].shape == (8,)
    assert all(0 < r < 1 for r in np.concatenate(history.update_ratios))
    assert (
        history.first_nonfinite_step is None
        and 0 < history.monitor_seconds < history.training_seconds
    )


def test_the_monitor_catches_an_explosion_and_stops():
    data, probe = adding_problem(256, 8, seed=1), adding_problem(32, 8, seed=2)
    model = _model(
        "SimpleRNN", activation="relu", recurrent_initializer=keras.initializers.Identity(gain=3.0)
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=10.0), loss="mse")
    monitor = GradientMonitor(probe.x, probe.y, every=1)
    model.fit(data.x, data.y, epochs=5, batch_size=32, verbose=0, callbacks=[monitor])
    step = monitor.history.first_nonfinite_step
    assert step is not None and step < 40
    assert _verdicts(monitor.history)["non-finite values"].flagged


def test_the_monitor_rejects_what_it_cannot_watch():
    probe = adding_problem(8, 8, seed=2)
    with pytest.raises(ValueError, match="batch size"):
        GradientMonitor(probe.x, probe.y[:4])
    with pytest.raises(ValueError, match="batch of sequences"):
        GradientMonitor(probe.x[0, 0], probe.y[:2])
    with pytest.raises(ValueError, match="batch of sequences"):
        GradientMonitor([], probe.y)
    dense = keras.Sequential([keras.Input((8, 2)), keras.layers.Flatten(), keras.layers.Dense(1)])
    dense.compile(optimizer="sgd", loss="mse")
    with pytest.raises(TypeError, match="needs a model with a recurrent layer: SimpleRNN"):
        dense.fit(probe.x, probe.y, verbose=0, callbacks=[GradientMonitor(probe.x, probe.y)])
    wrong_length = adding_problem(8, 5, seed=2)
    with pytest.raises(ValueError, match="probe_x"):
        _model("GRU").fit(
            probe.x, probe.y, verbose=0, callbacks=[GradientMonitor(wrong_length.x, wrong_length.y)]
        )


def test_the_monitors_gradient_over_time_is_the_input_gradient():
    from gradcourse._tensorflow import tf

    data, probe = adding_problem(64, 8, seed=1), adding_problem(16, 8, seed=2)
    model = _model("GRU")
    monitor = GradientMonitor(probe.x, probe.y, every=1000)
    model.fit(data.x, data.y, epochs=1, batch_size=32, verbose=0, callbacks=[monitor])
    x = tf.constant(probe.x)
    with tf.GradientTape() as tape:  # ||dL/dx_t|| over the probe batch, written out here
        tape.watch(x)
        loss = tf.reduce_mean(tf.square(model(x) - probe.y))
    expected = np.sqrt(np.sum(tape.gradient(loss, x).numpy().astype(np.float64) ** 2, axis=(0, 2)))
    np.testing.assert_allclose(monitor.history.gradient_over_time[1], expected, rtol=1e-4)
