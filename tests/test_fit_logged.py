"""fit_logged, StepLog, the equal-step-length control transform and side_by_side."""

import numpy as np
import pytest

from gradcourse._tensorflow import keras, tf
from gradcourse.clipping import clip_by_value, cosine_similarity
from gradcourse.experiments import side_by_side
from gradcourse.models import build_recurrent_model
from gradcourse.tasks import adding_problem
from gradcourse.training import StepLog, fit_logged, with_global_clipping_step_norm

DATA = adding_problem(200, 5, seed=1)


def _model(gain=1.0):
    keras.utils.set_random_seed(0)
    return build_recurrent_model(
        "SimpleRNN", 5, 2, units=4, activation="relu",
        recurrent_initializer=keras.initializers.Identity(gain=gain),
    )  # fmt: skip


def test_one_record_per_step_and_norms_before_clipping():
    log = fit_logged(_model(), DATA, 2, 50, keras.optimizers.SGD(0.01, global_clipnorm=1e-6))
    assert len(log.losses) == len(log.global_norms) == 2 * 200 // 50
    assert log.first_nan_step is None
    assert np.all(log.global_norms > 1e-3)  # the raw norms, not the clipped 1e-6


def test_a_diverging_run_stops_at_its_first_non_finite_step():
    optimizer = keras.optimizers.SGD(1e6)
    log = fit_logged(_model(3.0), DATA, 5, 50, optimizer)
    assert log.first_nan_step is not None and log.first_nan_step == len(log.losses) - 1
    assert int(optimizer.iterations) == len(log.losses) < 5 * 200 // 50  # no step after it
    assert log.final_loss() == float("inf")


def test_the_epoch_loop_trains_as_a_loop_of_single_steps():
    """fit_logged runs each epoch as one compiled loop; a step-by-step loop gives the same run."""
    optimizer = keras.optimizers.SGD(0.05, momentum=0.9, clipvalue=1.0)
    model = _model(1.5)
    log = fit_logged(model, DATA, 2, 50, optimizer, shuffle=True, seed=3)
    reference, reference_optimizer = (
        _model(1.5),
        keras.optimizers.SGD(0.05, momentum=0.9, clipvalue=1.0),
    )

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(reference(x, training=True) - y))
        gradients = tape.gradient(loss, reference.trainable_variables)
        reference_optimizer.apply(gradients, reference.trainable_variables)
        return loss

    rng = np.random.default_rng(3)
    losses = [
        float(step(DATA.x[batch], DATA.y[batch]))
        for _ in range(2)
        for batch in rng.permutation(len(DATA.x)).reshape(-1, 50)
    ]
    np.testing.assert_allclose(log.losses, losses, rtol=1e-6)
    for trained, expected in zip(model.weights, reference.weights, strict=True):
        np.testing.assert_allclose(trained.numpy(), expected.numpy(), rtol=1e-5, atol=1e-7)


def test_step_log_statistics():
    log = StepLog(np.arange(10.0), np.array([1e3] * 3 + [2.0, 4.0, 3.0, 5.0]), None)
    assert log.final_loss(last=2) == 8.5
    assert log.typical_norm(skip=3) == 3.5  # the median after the transient
    with pytest.raises(ValueError, match="skip \\(7\\) leaves no step of 7"):
        log.typical_norm(skip=7)


@pytest.mark.parametrize("rule", ["clipvalue", "clipnorm", "global_clipnorm"])
@pytest.mark.parametrize("scale", [1e-3, 10.0])
def test_the_control_has_global_clippings_length(rule, scale):
    rng = np.random.default_rng(0)
    gradients = [scale * rng.normal(size=(3, 4)), scale * rng.normal(size=(4,))]
    threshold = 0.5
    out = [g.numpy() for g in with_global_clipping_step_norm(rule, threshold)(
        [tf.constant(g) for g in gradients])]  # fmt: skip
    norm = np.sqrt(sum(np.sum(g**2) for g in gradients))
    assert np.isclose(np.sqrt(sum(np.sum(g**2) for g in out)), min(threshold, norm), rtol=1e-6)
    if rule == "clipvalue":  # ... and the direction of the rule
        assert np.isclose(cosine_similarity(out, clip_by_value(gradients, threshold)), 1.0)
    if rule == "global_clipnorm":
        assert np.isclose(cosine_similarity(out, gradients), 1.0)


def test_the_global_rules_control_is_global_clipping_itself():
    """Notebook 05 uses the plain global_clipnorm=1 run as the global rule's control."""
    runs = [
        fit_logged(_model(1.5), DATA, 3, 50, keras.optimizers.SGD(0.05, momentum=0.9, **options),
                   transform=transform)
        for options, transform in (({"global_clipnorm": 1.0}, None),
                                   ({}, with_global_clipping_step_norm("global_clipnorm", 1.0)))
    ]  # fmt: skip
    assert np.max(runs[0].global_norms) > 1.0  # clipping was active on some steps
    assert np.allclose(runs[0].losses, runs[1].losses, rtol=1e-5)
    assert np.allclose(runs[0].global_norms, runs[1].global_norms, rtol=1e-5)


def test_the_control_rejects_unknown_rules():
    with pytest.raises(ValueError, match="rule must be one of .*'clip_everything'"):
        with_global_clipping_step_norm("clip_everything", 1.0)
    with pytest.raises(ValueError, match="threshold must be > 0"):
        with_global_clipping_step_norm("clipvalue", 0.0)


def test_side_by_side_keeps_the_order_and_results():
    results = side_by_side({"b": lambda: 2, "a": lambda: 1, "c": lambda: 3})
    assert list(results.items()) == [("b", 2), ("a", 1), ("c", 3)]
    with pytest.raises(TypeError, match="jobs must be a dict: name -> function of no argument"):
        side_by_side({"a": 1})


def test_fit_logged_rejects_bad_input():
    with pytest.raises(TypeError, match="optimizer must be a keras optimizer, got str"):
        fit_logged(_model(), DATA, 1, 50, "sgd")
    with pytest.raises(ValueError, match="batch_size \\(500\\) exceeds the number of examples"):
        fit_logged(_model(), DATA, 1, 500, keras.optimizers.SGD(0.01))
