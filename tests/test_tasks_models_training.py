import keras
import numpy as np
import pytest

from gradcourse.experiments import model_at_init, train_and_probe, train_and_probe_side_by_side
from gradcourse.models import build_recurrent_model
from gradcourse.tasks import SequenceData, adding_problem, constant_prediction_mse, learned
from gradcourse.training import default_optimizer, evaluate_accuracy, evaluate_mse, fit_compiled


def test_adding_problem_structure():
    data = adding_problem(500, 20, seed=3)
    assert data.x.shape == (500, 20, 2) and data.y.shape == (500, 1)
    assert data.x.dtype == np.float32
    markers = data.x[:, :, 1]
    assert np.all(markers.sum(axis=1) == 2)
    assert np.all(markers[:, :10].sum(axis=1) == 1) and np.all(markers[:, 10:].sum(axis=1) == 1)
    np.testing.assert_allclose(data.y[:, 0], (data.x[:, :, 0] * markers).sum(axis=1), rtol=1e-6)
    assert np.all((data.x[:, :, 0] >= 0) & (data.x[:, :, 0] <= 1))


def test_adding_problem_is_seeded():
    a, b, c = (
        adding_problem(10, 8, seed=1),
        adding_problem(10, 8, seed=1),
        adding_problem(10, 8, seed=2),
    )
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.array_equal(a.x, c.x)


def test_baseline_is_the_variance_of_the_sum():
    data = adding_problem(200_000, 4, seed=0)
    assert data.baseline_mse == pytest.approx(1 / 6)
    assert constant_prediction_mse(data.y) == pytest.approx(data.baseline_mse, rel=0.02)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: adding_problem(0, 10), ValueError, "n must be >= 1"),
        (lambda: adding_problem(10, 1), ValueError, "length must be >= 2"),
        (lambda: adding_problem(10, 10.0), TypeError, "length must be an integer"),
        (lambda: constant_prediction_mse([]), ValueError, "y is empty"),
        (lambda: constant_prediction_mse("abc"), TypeError, "y must be array-like of numbers"),
        (lambda: constant_prediction_mse([[1.0], [2.0, 3.0]]), TypeError, "y must be array-like"),
        (lambda: learned("x", 1.0), TypeError, "test_mse must be a number, got str"),
        (lambda: learned(None, 1.0), TypeError, "test_mse must be a number, got NoneType"),
        (lambda: learned([0.1, 0.2], 1.0), TypeError, "test_mse must be a number, got list"),
        (lambda: learned(0.1, "1"), TypeError, "baseline_mse must be a real number"),
        (lambda: learned(0.1, 0.0), ValueError, "baseline_mse must be > 0"),
        (
            lambda: SequenceData(np.zeros((3, 4, 2)), np.zeros((5, 1)), 1.0, "mean"),
            ValueError,
            "same number of examples: x has 3, y has shape \\(5, 1\\)",
        ),
        (
            lambda: SequenceData(np.zeros((3, 4)), np.zeros((3, 1)), 1.0, "mean"),
            ValueError,
            "x must have shape \\(examples, steps, features\\)",
        ),
    ],
)
def test_bad_task_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("cell", ["SimpleRNN", "LSTM", "GRU"])
def test_builder_makes_a_recurrent_regressor(cell):
    model = build_recurrent_model(cell, length=7, features=2, units=5)
    assert model.output_shape == (None, 1)
    assert model.get_layer(cell.lower()).units == 5
    assert model(np.zeros((3, 7, 2), np.float32)).shape == (3, 1)


@pytest.mark.parametrize("cell", ["SimpleRNN", "GRU"])
def test_builder_gives_a_seeded_model_the_weights_of_the_same_model_built_by_hand(cell):
    # Keras draws an unseeded initializer's seed when the layer is made: the recurrent
    # layer must be made before the readout, as written out here, for the notebooks'
    # seeded models to keep their weights.
    keras.utils.set_random_seed(3)
    inputs = keras.Input((6, 2))
    state = getattr(keras.layers, cell)(4)(inputs)
    by_hand = keras.Model(inputs, keras.layers.Dense(1)(state))
    keras.utils.set_random_seed(3)
    built = build_recurrent_model(cell, 6, 2, units=4)
    for expected, got in zip(by_hand.get_weights(), built.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)


def test_builder_passes_layer_arguments():
    model = build_recurrent_model(
        "SimpleRNN", 5, 1, units=4, activation="relu", recurrent_initializer="identity"
    )
    np.testing.assert_allclose(model.get_layer("simplernn").get_weights()[1], np.eye(4))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"cell": "Transformer"}, ValueError, "cell must be one of .*'Transformer'"),
        ({"units": 0}, ValueError, "units must be >= 1"),
        ({"length": "10"}, TypeError, "length must be an integer"),
        ({"forget_bias": "1"}, TypeError, "forget_bias must be a real number"),
        ({"outputs": 0}, ValueError, "outputs must be >= 1"),
        ({"name": 3}, TypeError, "name must be a string"),
    ],
)
def test_builder_rejects_bad_input(kwargs, error, match):
    arguments = {"cell": "LSTM", "length": 5, "features": 2} | kwargs
    with pytest.raises(error, match=match):
        build_recurrent_model(**arguments)


def test_fit_compiled_learns_a_short_adding_problem():
    keras.utils.set_random_seed(0)
    train, test = adding_problem(2000, 6, seed=1), adding_problem(500, 6, seed=2)
    model = build_recurrent_model("GRU", 6, 2, units=16)
    before = evaluate_mse(model, test)
    losses = fit_compiled(model, train, epochs=4, batch_size=50, optimizer=default_optimizer(1e-2))
    assert len(losses) == 4 and losses[-1] < losses[0]
    assert evaluate_mse(model, test) < 0.3 * min(before, test.baseline_mse)


def test_fit_compiled_stops_at_a_non_finite_loss_and_evaluation_reports_nan():
    keras.utils.set_random_seed(0)
    train, test = adding_problem(256, 5, seed=1), adding_problem(64, 5, seed=2)
    model = build_recurrent_model(
        "SimpleRNN",
        5,
        2,
        units=8,
        activation="linear",
        recurrent_initializer=keras.initializers.Orthogonal(gain=50.0),
    )
    optimizer = keras.optimizers.SGD(learning_rate=10.0)
    losses = fit_compiled(model, train, epochs=3, batch_size=32, optimizer=optimizer)
    assert len(losses) < 3 and not np.isfinite(losses[-1])
    steps_taken = int(optimizer.iterations)  # it stopped at that step, not the epoch's end
    assert steps_taken < len(losses) * 256 // 32
    assert np.isnan(evaluate_mse(model, test))


def test_train_and_probe_repeats_with_the_same_seed_and_learns():
    train, test, probe = (
        adding_problem(1000, 6, seed=1),
        adding_problem(200, 6, seed=2),
        adding_problem(64, 6, seed=3),
    )
    runs = [
        train_and_probe("GRU", train, test, probe, epochs=3, batch_size=50, units=8, seed=4)
        for _ in range(2)
    ]
    assert runs[0].losses == runs[1].losses
    np.testing.assert_array_equal(runs[0].gradient_at_init, runs[1].gradient_at_init)
    assert runs[0].gradient_at_init.shape == (6,) and np.all(runs[0].gradient_at_init > 0)
    assert runs[0].test_mse < test.baseline_mse and runs[0].seconds > 0
    assert runs[0].recurrent_kernel_at_init.shape == (8, 3 * 8)  # GRU: three gates side by side


def test_model_at_init_gives_the_seeded_model_and_its_weight_gradient_norm():
    probe = adding_problem(8, 3, seed=5)
    model, norm = model_at_init("SimpleRNN", probe, seed=7, units=2)
    keras.utils.set_random_seed(7)
    twin = build_recurrent_model("SimpleRNN", 3, 2, units=2)
    for ours, theirs in zip(model.get_weights(), twin.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    # independently: central differences of the MSE over every weight, in float64 NumPy
    weights = [w.astype(np.float64) for w in model.get_weights()]

    def mse(ws):
        model.set_weights([w.astype(np.float32) for w in ws])
        return float(np.mean((model(probe.x).numpy().astype(np.float64) - probe.y) ** 2))

    squares, eps = 0.0, 1e-2
    for i, w in enumerate(weights):
        for index in np.ndindex(w.shape):
            up = [v.copy() for v in weights]
            down = [v.copy() for v in weights]
            up[i][index] += eps
            down[i][index] -= eps
            squares += ((mse(up) - mse(down)) / (2 * eps)) ** 2
    assert norm == pytest.approx(np.sqrt(squares), rel=1e-2)
    _, again = model_at_init("SimpleRNN", probe, seed=7, units=2)
    assert again == norm


@pytest.mark.parametrize(
    "probe, kwargs, error, match",
    [
        (np.zeros((2, 3, 2)), {"seed": 0}, TypeError, "probe must be a SequenceData"),
        (None, {"seed": -1}, ValueError, "seed"),
        (None, {"seed": 1.5}, TypeError, "seed"),
    ],
)
def test_model_at_init_rejects_bad_input(probe, kwargs, error, match):
    probe = adding_problem(4, 3, seed=0) if probe is None else probe
    with pytest.raises(error, match=match):
        model_at_init("LSTM", probe, **kwargs)


def test_train_and_probe_keeps_the_recurrent_kernel_it_started_from():
    data = adding_problem(64, 4, seed=1)
    run = train_and_probe(
        "SimpleRNN",
        data,
        data,
        data,
        epochs=1,
        batch_size=32,
        units=3,
        recurrent_initializer=keras.initializers.Identity(),
    )
    np.testing.assert_array_equal(run.recurrent_kernel_at_init, np.eye(3))
    trained = run.model.get_layer("simplernn").cell.recurrent_kernel.numpy()
    assert not np.array_equal(trained, np.eye(3))  # the model holds the trained matrix


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda m, d: fit_compiled("model", d, 1), TypeError, "model must be a keras.Model"),
        (lambda m, d: fit_compiled(m, d.x, 1), TypeError, "train must be SequenceData"),
        (lambda m, d: fit_compiled(m, d, 0, batch_size=10), ValueError, "epochs must be >= 1"),
        (
            lambda m, d: fit_compiled(m, d, 1, batch_size=10_000),
            ValueError,
            "batch_size \\(10000\\) exceeds the number of examples \\(20\\)",
        ),
        (
            lambda m, d: train_and_probe("LSTM", d, d, d.x, epochs=1),
            TypeError,
            "probe must be SequenceData",
        ),
        (
            lambda m, d: train_and_probe("LSTM", d, d, adding_problem(4, 3), epochs=1),
            ValueError,
            "need the same \\(steps, features\\)",
        ),
        (
            lambda m, d: train_and_probe("LSTM", d, d, d, epochs=1, learning_rate=0),
            ValueError,
            "learning_rate must be > 0",
        ),
        (
            lambda m, d: train_and_probe("CNN", d, d, d, epochs=1),
            ValueError,
            "cell must be one of .*'CNN'",
        ),
        (lambda m, d: evaluate_mse(m, d.x), TypeError, "test must be SequenceData"),
        (lambda m, d: evaluate_accuracy(m, d), TypeError, "test must be LabelledSequences"),
    ],
)
def test_training_rejects_bad_input(call, error, match):
    model, data = build_recurrent_model("SimpleRNN", 4, 2, units=3), adding_problem(20, 4)
    with pytest.raises(error, match=match):
        call(model, data)


def test_epochs_on_baseline():
    from gradcourse.training import epochs_on_baseline

    assert epochs_on_baseline([0.2, 0.17, 0.05, 0.01], 1 / 6) == 2
    assert epochs_on_baseline([0.2, 0.17], 1 / 6) == 2  # never left the baseline
    with pytest.raises(ValueError, match="baseline_mse must be > 0"):
        epochs_on_baseline([0.1], 0.0)
    with pytest.raises(ValueError, match="losses must have 1 dimension"):
        epochs_on_baseline([[0.1]], 1 / 6)


def test_side_by_side_gives_each_run_what_it_gives_alone():
    train, test, probe = (
        adding_problem(400, 5, seed=1),
        adding_problem(100, 5, seed=2),
        adding_problem(32, 5, seed=3),
    )
    settings = {
        "tanh": {"cell": "SimpleRNN"},
        "relu, identity": {
            "cell": "SimpleRNN",
            "activation": "relu",
            "recurrent_initializer": keras.initializers.Identity(),
            "learning_rate": 1e-3,
            "seed": 3,
        },
    }
    common = {"epochs": 2, "batch_size": 50, "units": 4, "seed": 1}
    together = train_and_probe_side_by_side(settings, train, test, probe, **common)
    assert list(together) == list(settings)
    for name, options in settings.items():
        run = {**common, **options}
        alone = train_and_probe(run.pop("cell"), train, test, probe, **run)
        assert together[name].losses == alone.losses, name
        np.testing.assert_array_equal(together[name].gradient_at_init, alone.gradient_at_init)
        assert together[name].test_mse == alone.test_mse


@pytest.mark.parametrize(
    ("settings", "error", "match"),
    [
        ({}, TypeError, "settings must be a non-empty dict"),
        ({"x": {"epochs": 1}}, ValueError, "setting 'x' names no cell"),
        ([("x", {})], TypeError, "settings must be a non-empty dict"),
    ],
)
def test_side_by_side_rejects_bad_settings(settings, error, match):
    data = adding_problem(64, 4, seed=1)
    with pytest.raises(error, match=match):
        train_and_probe_side_by_side(settings, data, data, data, epochs=1)


def test_learned_is_below_half_the_baseline():
    from gradcourse.tasks import LEARNED_BELOW

    assert LEARNED_BELOW == 0.5
    assert learned(0.08, 0.167) and not learned(0.09, 0.167)
    assert not learned(float("nan"), 0.167)
    with pytest.raises(ValueError, match="baseline_mse must be > 0"):
        learned(0.1, 0.0)
