"""The "predict, then measure" exercises (03.4, 04.4, 05.4, 06.3): graded from the run.

Each reference experiment is run here as the notebook runs it, and each claim of its
explanation is measured; so is a sample of each exercise's variants (their settings). Each
experiment runs once per seed and session (conftest's ``measured``), for seed 0; ``make
seeds`` and ``make predictions`` run this file for their seeds (``--exercise-seeds 0 1 2``).
"""

import math

import numpy as np
import pytest

import gradcourse as gc
from gradcourse.exercises import get_exercise, grade
from gradcourse.exercises.core import (
    Measurement,
    Prediction,
    measured_choice,
    measured_number,
    prediction_grader,
)
from gradcourse.lstm_paths import decay_per_step
from gradcourse.rnn import first_lag_below

PREDICTION_KEYS = ("03.4", "04.4", "05.4", "06.3")


def predicted(key, answer, run):
    return grade(key, Prediction(answer, run))


# ----------------------------------------------------------------------------- framework
def test_each_of_03_to_06_has_a_prediction_exercise():
    for key in PREDICTION_KEYS:
        assert get_exercise(key).measure is not None


def _grader():
    return prediction_grader({"gain": 0.9}, measured_number(lambda m: 1.0))


def test_a_run_with_the_old_setting_is_sent_back():
    feedback = _grader()(Prediction(5.0, Measurement(5.0, gain=1.0)))
    assert feedback.status == "hint"
    assert "gain=1.0" in feedback.message and "gain=0.9" in feedback.message


def test_a_prediction_without_a_run_is_told_to_run_it():
    assert "measured=" in _grader()(5.0).message
    assert "Measurement" in _grader()(Prediction(5.0, 5.0)).message


def test_a_prediction_is_graded_against_the_measured_value_not_a_constant():
    grader = _grader()
    assert grader(Prediction(5.0, Measurement(5.5, gain=0.9))).status == "correct"
    assert grader(Prediction(5.0, Measurement(7.0, gain=0.9))).status == "hint"
    assert grader(Prediction(7.0, Measurement(7.0, gain=0.9))).status == "correct"


def test_the_feedback_says_both_numbers():
    message = _grader()(Prediction(5.0, Measurement(7.0, gain=0.9))).message
    assert "5" in message and "7" in message


@pytest.mark.parametrize("key", PREDICTION_KEYS)
def test_a_placeholder_prediction_is_not_attempted_even_with_a_run(key):
    assert predicted(key, None, Measurement(1.0)).status == "not attempted"


def test_check_takes_the_measurement_as_a_keyword(capsys):
    gc.check("06.3", "B", measured=Measurement(0.0, gain=0.95))
    out = capsys.readouterr().out
    assert out.startswith("[06.3] Correct!") and out.count("\n") == 1


def test_a_measured_choice_outside_every_choice_says_so():
    grader = measured_choice(("x", "y"), lambda m: None, lambda m: f"{m}")
    assert "none of the choices" in grader("x", 3.0).message


@pytest.mark.parametrize("run", [None, float("nan")])
def test_a_run_without_a_number_is_told_to_rerun(run):
    assert "re-run" in measured_number(lambda m: 1.0)(1.0, run).message


def test_graders_reject_bad_configuration():
    with pytest.raises(ValueError, match="setting"):
        prediction_grader({}, measured_number(lambda m: 1.0))
    with pytest.raises(ValueError, match="hints"):
        measured_choice(("x",), lambda m: "x", str, hints={"z": "?"})


# ----------------------------------------------------------------------------- 03.4
def test_03_4_the_tiny_input_run_follows_the_bound(exercise_seed, measured):
    run = measured("03.4", exercise_seed)
    bound_lag = math.log(1e-3) / math.log(0.9)  # 65.6
    assert run.value == math.ceil(bound_lag)
    assert predicted("03.4", bound_lag, run).status == "correct"


@pytest.mark.parametrize(("scale", "lags"), [(0.1, (52, 53)), (0.3, (32,))])
def test_03_4_larger_inputs_fall_below_earlier(
    exercise_seed, scale, lags
):  # the explanation's lags
    from gradcourse.matrices import scaled_orthogonal
    from gradcourse.rnn import gradient_norm_vs_lag

    W = scaled_orthogonal(32, 0.9, seed=1)
    norms = gradient_norm_vs_lag(W, 200, "tanh", scale, exercise_seed)
    assert first_lag_below(norms, 1e-3) in lags


@pytest.mark.parametrize(
    ("answer", "words"),
    [(-65.6, "positive"), (30, "decades"), (120, "at least as fast"), (40, "closely")],
)
def test_03_4_hints(answer, words, measured):
    assert words in predicted("03.4", answer, measured("03.4")).message


def test_03_4_the_unchanged_input_scale_is_sent_back():
    message = predicted("03.4", 66, Measurement(53, gain=0.9, input_scale=1.0)).message
    assert "input_scale" in message


# ----------------------------------------------------------------------------- 04.4
def test_04_4_the_cell_path_shrinks_by_sigmoid_of_the_bias(exercise_seed, measured):
    run = measured("04.4", exercise_seed)
    sigmoid_3 = 1 / (1 + math.exp(-3))
    assert abs(run.value - sigmoid_3) < 0.01
    assert predicted("04.4", round(sigmoid_3, 3), run).status == "correct"
    assert predicted("04.4", 0.73, run).status == "hint"


def test_04_4_with_bias_3_the_total_gradient_no_longer_vanishes(exercise_seed):
    seed = exercise_seed
    from gradcourse._tensorflow import keras
    from gradcourse.lstm_paths import lstm_gradient_paths
    from gradcourse.models import build_recurrent_model
    from gradcourse.tasks import adding_problem

    probe = adding_problem(512, 60, seed=10 * seed + 3)  # notebook 04's long lag ...
    x_paths, y_paths = probe.x[:128], probe.y[:128]  # ... and section 4's batch
    ratio = {}
    for bias in (1.0, 3.0):
        keras.utils.set_random_seed(seed)
        model = build_recurrent_model("LSTM", 60, 2, units=32, forget_bias=bias)
        total = lstm_gradient_paths(model, x_paths, y_paths).total
        ratio[bias] = total[0] / total[-1]
    assert 0.1 < ratio[3.0] < 10  # of order 1 ...
    assert ratio[1.0] < 1e-3  # ... where Keras' bias of 1 gives 2e-5 to 9e-5 (notebook 04)


@pytest.mark.parametrize(("answer", "words"), [(0.731, "sigmoid(1)"), (3, "between 0 and 1")])
def test_04_4_hints(answer, words):
    run = Measurement(0.95, forget_bias=3.0)
    assert words in predicted("04.4", answer, run).message


# ----------------------------------------------------------------------------- 05.4
def test_05_4_at_gain_1_the_unclipped_run_still_diverges(exercise_seed, measured):
    run = measured("05.4", exercise_seed)
    assert run.value is not None
    assert predicted("05.4", "NaN", run).status == "correct"
    assert "does not bound" in predicted("05.4", "finite", run).message


def test_05_4_at_gain_0_9_it_stays_finite(exercise_seed, measured):  # the explanation's control
    assert measured("05.4", exercise_seed, gain=0.9).value is None


def test_05_4_first_gradient_norms_quoted_in_the_explanation(exercise_seed):
    seed = exercise_seed
    from gradcourse._tensorflow import keras, tf
    from gradcourse.clipping import global_norm
    from gradcourse.models import build_recurrent_model
    from gradcourse.tasks import adding_problem

    train = adding_problem(2_000, 30, seed=10 * seed + 1)
    norms = {}
    for gain in (0.9, 1.0):
        keras.utils.set_random_seed(seed)
        model = build_recurrent_model(
            "SimpleRNN", 30, 2, units=32, activation="relu",
            recurrent_initializer=keras.initializers.Identity(gain=gain),
        )  # fmt: skip
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((model(train.x[:50]) - train.y[:50]) ** 2)
        gradients = tape.gradient(loss, model.trainable_variables)
        norms[gain] = global_norm([g.numpy() for g in gradients])
    assert 88 <= round(norms[1.0]) <= 1_459
    assert 10 <= round(norms[0.9]) <= 51


# ----------------------------------------------------------------------------- 06.3
def test_06_3_the_shrunk_identity_passes_exactly_nothing(exercise_seed, measured):
    run = measured("06.3", exercise_seed)
    assert run.value == 0.0
    assert predicted("06.3", "B", run).status == "correct"
    assert "did any unit stay active" in predicted("06.3", "A", run).message


def test_06_3_the_identity_itself_passes_exactly_one(exercise_seed):  # the explanation's g = 1
    from gradcourse.rnn import gradient_norm_vs_lag

    assert gradient_norm_vs_lag(np.eye(128), 100, "relu", seed=exercise_seed)[100] == 1.0


# ----------------------------------------------------------------------------- variants
# Each prediction exercise's variants change its setting. For a sample of variants (each
# setting of 04.4 and 05.4 other than variant 0's, their grids are small; six other gains of
# 03.4 and 06.3) the variant's experiment is run (once per seed and session, shared with the
# tests above through conftest's ``measured``), and the reference prediction, the common
# mistakes and an independent computation are checked against that run. ``make predictions``
# sweeps seeds.
SAMPLED = {"03.4": 6, "04.4": 4, "05.4": 4, "06.3": 6}


def sample_variants(key, count):
    """The first variant key of each of ``count`` settings that differ from variant 0's."""
    base, found = get_exercise(key).params, {}
    for variant in range(1, 1_000):
        params = get_exercise(key, variant).params
        if params != base:
            found.setdefault(tuple(sorted(params.items())), variant)
        if len(found) == count:
            return sorted(found.values())
    raise AssertionError(f"{key}: fewer than {count} settings in 1,000 variants")


VARIANT_CASES = [(key, v) for key, count in SAMPLED.items() for v in sample_variants(key, count)]


def variant_run(measured, key, variant, seed):
    """The run of a variant's experiment: the exercise's ``measure`` with its setting."""
    exercise = get_exercise(key, variant)
    assert exercise.measure.keywords == exercise.params  # it runs the variant's setting
    return exercise, measured(key, seed, **exercise.params)


def variant_grade(key, variant, answer, run):
    return grade(key, Prediction(answer, run), variant=variant)


@pytest.mark.parametrize("key", PREDICTION_KEYS)
def test_prediction_variants_differ_repeat_and_keep_variant_0(key):
    base = get_exercise(key)
    assert base.varies and base.params == get_exercise(key, 0).params
    settings = {tuple(get_exercise(key, v).params.items()) for v in range(1, 51)}
    assert len(settings) >= 5
    questions = {get_exercise(key, v).question for v in range(1, 51)}
    assert len(questions) == len(settings)  # the question names the variant's setting
    for v in sample_variants(key, 3):
        value = get_exercise(key, v).params
        assert all(f"{number:g}" in get_exercise(key, v).question for number in value.values())


@pytest.mark.parametrize(("key", "variant"), VARIANT_CASES)
def test_a_variants_reference_prediction_is_graded_correct_against_its_run(
    key, variant, exercise_seed, measured
):
    exercise, run = variant_run(measured, key, variant, exercise_seed)
    feedback = variant_grade(key, variant, exercise.solution, run)
    assert feedback.status == "correct", (exercise.params, run, feedback)


@pytest.mark.parametrize(("key", "variant"), VARIANT_CASES)
def test_a_run_with_the_notebooks_setting_is_sent_back_for_a_variant(key, variant, measured):
    exercise = get_exercise(key, variant)
    run = measured(key, 0)  # variant 0's setting
    message = variant_grade(key, variant, exercise.solution, run).message
    assert message.startswith("Change the experiment first"), message


def _independent(key, params, run):
    """Check the run against a computation that does not use the grader's numbers."""
    if key == "03.4":  # tiny inputs: the bound gain^k reaches 1e-3 at log(1e-3) / log(gain)
        bound = math.log(1e-3) / math.log(params["gain"])
        assert abs(run.value - bound) <= 2, (params, run)
        return bound
    if key == "04.4":  # the forget gate at its bias: sigmoid(bias)
        gate = 1 / (1 + math.exp(-params["forget_bias"]))
        assert abs(run.value - gate) < 0.01, (params, run)
        return round(gate, 3)
    if key == "05.4":  # the outcome is the run's: each drawn gain's was seed-independent
        return "NaN" if run.value is not None else "finite"
    if key == "06.3":  # no unit stays active for 100 steps below gain 1: exactly 0
        assert run.value == 0.0, (params, run)
        return "B"
    raise KeyError(key)


def _mistakes(key, params, run):
    if key == "03.4":
        gain = params["gain"]
        return [
            (-run.value, "positive"),
            (3 / (1 - gain), "decades"),  # 0.1 decade per step of 0.9: 30 steps
            (round(1.5 * run.value), "at least as fast"),
            (round(0.6 * run.value), "closely"),
        ]
    if key == "04.4":
        return [
            (0.731, "sigmoid(1)"),
            (params["forget_bias"], "between 0 and 1"),
            (0.5, "sigmoid(0)"),
            (1.0, "Not yet"),  # no shrinking at all
        ]
    if key == "05.4":
        if run.value is None:
            return [("NaN", "stayed finite")]
        return [("finite", "ReLU units add up")]
    if key == "06.3":
        return [("A", "did any unit stay active"), ("C", "below 1 the product")]
    raise KeyError(key)


@pytest.mark.parametrize(("key", "variant"), VARIANT_CASES)
def test_a_variants_independent_answer_and_mistakes_against_its_run(
    key, variant, exercise_seed, measured
):
    exercise, run = variant_run(measured, key, variant, exercise_seed)
    computed = _independent(key, exercise.params, run)
    assert variant_grade(key, variant, computed, run).status == "correct", (computed, run)
    if key == "05.4" and exercise_seed == 0:  # the reference is seed 0's (the notebooks' SEED)
        assert computed == exercise.solution
    for answer, words in _mistakes(key, exercise.params, run):
        feedback = variant_grade(key, variant, answer, run)
        assert feedback.status == "hint" and words in feedback.message, (answer, feedback)


def test_05_4_every_drawn_gain_is_sampled():  # its outcomes are a measured table
    drawn = {get_exercise("05.4", v).params["gain"] for v in range(1, 201)}
    sampled = {get_exercise("05.4", v).params["gain"] for k, v in VARIANT_CASES if k == "05.4"}
    assert drawn <= sampled | {get_exercise("05.4").params["gain"]}


def test_04_4_every_drawn_bias_is_sampled():
    drawn = {get_exercise("04.4", v).params["forget_bias"] for v in range(1, 201)}
    sampled = {
        get_exercise("04.4", v).params["forget_bias"] for k, v in VARIANT_CASES if k == "04.4"
    }
    assert drawn <= sampled | {3.0}


# ----------------------------------------------------------------------------- helpers
def test_forget_bias_sets_the_forget_gates_only():
    from gradcourse.models import build_recurrent_model

    model = build_recurrent_model("LSTM", 5, 2, units=4, forget_bias=3.0)
    bias = model.get_layer("lstm").cell.bias.numpy()
    assert np.array_equal(bias, np.repeat([0.0, 3.0, 0.0, 0.0], 4))


@pytest.mark.parametrize(
    ("cell", "extra", "match"),
    [
        ("GRU", {}, "forget_bias applies to an LSTM only, not to a GRU"),
        ("LSTM", {"unit_forget_bias": True}, "give forget_bias, or unit_forget_bias"),
    ],
)
def test_forget_bias_rejects_what_it_cannot_mean(cell, extra, match):
    from gradcourse.models import build_recurrent_model

    with pytest.raises(ValueError, match=match):
        build_recurrent_model(cell, 5, 2, units=4, forget_bias=3.0, **extra)


@pytest.mark.parametrize("steps", [60, 100])
def test_decay_per_step_recovers_a_geometric_rate(steps):
    norms = 0.8 ** (steps - 1 - np.arange(float(steps)))  # by time step: shrinks going back
    assert math.isclose(decay_per_step(norms), 0.8, rel_tol=1e-12)


def test_decay_per_step_leaves_out_a_tenth_at_each_end_by_default():
    norms = 0.8 ** (59 - np.arange(60.0))
    norms[:6] = norms[54:] = 1.0  # the ends: outside the default window (steps 6 to 53)
    assert math.isclose(decay_per_step(norms), 0.8, rel_tol=1e-12)
    norms[6] = 1.0  # one step inside the window changes the fit
    assert not math.isclose(decay_per_step(norms), 0.8, rel_tol=1e-3)


@pytest.mark.parametrize(
    ("norms", "first", "last", "match"),
    [
        (np.ones(5), 0, 10, "need 0 <= first < last - 1 < 5, got first=0, last=10"),
        (np.ones(100), 50, 40, "need 0 <= first < last - 1 < 100, got first=50, last=40"),
        (np.zeros(100), 10, 90, "norms must be positive and finite in the fitted window"),
    ],
)
def test_decay_per_step_rejects_bad_input(norms, first, last, match):
    with pytest.raises(ValueError, match=match):
        decay_per_step(norms, first, last)


def test_first_lag_below():
    assert first_lag_below(np.array([1.0, 0.5, 1e-4, 1e-5]), 1e-3) == 2
    assert first_lag_below(np.ones(3), 1e-3) is None
    with pytest.raises(ValueError, match="norms must have 1 dimension"):
        first_lag_below(np.ones((2, 2)), 1e-3)
