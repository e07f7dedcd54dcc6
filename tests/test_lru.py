"""The linear recurrent unit: shapes, the paper's initialisation, a NumPy step written with
complex numbers, |lambda|^k, the gradient against central finite differences (float64),
save/load and bad input."""

import math

import numpy as np
import pytest

from gradcourse._tensorflow import keras, tf
from gradcourse.gradcheck import numerical_gradient, relative_error
from gradcourse.lru import LRU, LRUCell, build_lru_model, lru_eigenvalues, ring_eigenvalues

RNG = np.random.default_rng(9)


def numpy_sequence(u, weights, normalization=True, parameterization="exponential"):
    """Orvieto et al. (2023), eq. (LRU), in complex arithmetic: s_t = L s_(t-1) + g B u_t,
    y_t = Re(C s_t) + D u_t; returns the last y. The first two weights are (nu_log,
    theta_log), or (Re lambda, Im lambda) in the direct parameterisation."""
    if normalization:
        first, second, gamma_log, B_re, B_im, C_re, C_im, D = weights
        gamma = np.exp(gamma_log)
    else:
        first, second, B_re, B_im, C_re, C_im, D = weights
        gamma = 1.0
    if parameterization == "exponential":
        lam = np.exp(-np.exp(first) + 1j * np.exp(second))
    else:
        lam = first + 1j * second
    B, C = (B_re + 1j * B_im), (C_re + 1j * C_im)  # (features, N), (N, units)
    s = np.zeros((u.shape[0], len(first)), complex)
    for t in range(u.shape[1]):
        s = lam * s + gamma * (u[:, t] @ B)
        y = np.real(s @ C) + u[:, t] @ D
    return y


def random_weights(cell):
    values = [w.numpy().astype(np.float64) for w in cell.weights]
    values = [v + 0.1 * RNG.normal(size=v.shape) for v in values]  # away from the init
    cell.set_weights(values)
    return [np.asarray(w, dtype=np.float64) for w in cell.get_weights()]


def test_shapes_and_weight_names():
    cell = LRUCell(5, 3)
    layer = keras.layers.RNN(cell, return_sequences=True, return_state=True)
    outputs, state = layer(np.zeros((2, 7, 4), np.float32))
    assert tuple(outputs.shape) == (2, 7, 3) and tuple(state.shape) == (2, 10)
    names = ["nu_log", "theta_log", "gamma_log", "B_re", "B_im", "C_re", "C_im", "D"]
    assert [w.name for w in cell.weights] == names
    shapes = [(5,), (5,), (5,), (4, 5), (4, 5), (5, 3), (5, 3), (4, 3)]
    assert [tuple(w.shape) for w in cell.weights] == shapes
    bare = LRUCell(5, 3, normalization=False)
    bare.build((None, 4))
    assert "gamma_log" not in [w.name for w in bare.weights]


def test_initial_eigenvalues_on_the_ring_and_gamma_normalises():
    keras.utils.set_random_seed(0)
    cell = LRUCell(2000, 1, r_min=0.9, r_max=0.99, max_phase=0.5)
    cell.build((None, 2))
    lam = cell.eigenvalues()
    assert np.all(np.abs(lam) >= 0.9 - 1e-6) and np.all(np.abs(lam) <= 0.99 + 1e-6)
    assert np.all(np.angle(lam) >= -1e-6) and np.all(np.angle(lam) <= 0.5 + 1e-6)
    # uniform in area: |lambda|^2 uniform on [0.81, 0.9801], mean 0.89505
    assert abs(np.mean(np.abs(lam) ** 2) - (0.81 + 0.9801) / 2) < 0.005
    gamma = np.exp(cell.gamma_log.numpy())
    assert np.allclose(gamma, np.sqrt(1 - np.abs(lam) ** 2), rtol=1e-4)


def test_ring_eigenvalues_by_hand():
    nu_log, theta_log = ring_eigenvalues([0.0, 1.0], [0.5, 1.0], 0.5, 0.9, 2.0)
    lam = lru_eigenvalues(nu_log, theta_log)
    assert np.allclose(np.abs(lam), [0.5, 0.9]) and np.allclose(np.angle(lam), [1.0, 2.0])


@pytest.mark.parametrize("parameterization", ["exponential", "direct"])
@pytest.mark.parametrize("normalization", [True, False])
def test_a_sequence_equals_the_complex_numpy_loop(normalization, parameterization):
    cell = LRUCell(
        4, 3, r_min=0.5, r_max=0.95, normalization=normalization, parameterization=parameterization
    )
    layer = keras.layers.RNN(cell)
    u = RNG.normal(size=(3, 9, 2))
    layer(u.astype(np.float32))
    weights = random_weights(cell)
    expected = numpy_sequence(u, weights, normalization, parameterization)
    assert np.allclose(layer(u.astype(np.float32)).numpy(), expected, atol=1e-4)


def test_the_state_after_an_impulse_decays_as_lambda_to_the_k():
    # One input at step 0, zeros after: s_k = lambda^k gamma B u_0, mode by mode.
    cell = LRUCell(3, 1, r_min=0.8, r_max=0.95)
    layer = keras.layers.RNN(cell, return_sequences=True)
    u = np.zeros((1, 30, 1), np.float32)
    u[0, 0, 0] = 1.0
    layer(u)
    cell.C_re.assign(np.ones((3, 1), np.float32))
    cell.C_im.assign(np.zeros((3, 1), np.float32))
    cell.D.assign(np.zeros((1, 1), np.float32))
    cell.B_im.assign(np.zeros((1, 3), np.float32))
    y = layer(u).numpy()[0, :, 0]
    lam, gamma = cell.eigenvalues(), np.exp(cell.gamma_log.numpy())
    b = cell.B_re.numpy()[0]
    expected = np.array([np.sum(np.real(lam**k) * gamma * b) for k in range(30)])
    assert np.allclose(y, expected, atol=1e-5)


@pytest.mark.parametrize("parameterization", ["exponential", "direct"])
@pytest.mark.parametrize("kind", ["cell in RNN", "LRU layer"])
def test_gradient_matches_central_finite_differences_in_float64(kind, parameterization):
    keras.config.set_floatx("float64")
    options = {"r_min": 0.6, "r_max": 0.9, "parameterization": parameterization}
    try:
        if kind == "cell in RNN":
            cell = LRUCell(3, 2, dtype="float64", **options)
            layer = keras.layers.RNN(cell, dtype="float64")
        else:
            cell = layer = LRU(3, 2, dtype="float64", **options)
        u = RNG.normal(size=(2, 6, 2))
        layer(u)
        weights = random_weights(cell)
        readout = RNG.normal(size=(2,))

        def loss_numpy(values, x=u):
            return float(np.sum(numpy_sequence(x, values, True, parameterization) @ readout))

        u_tf = tf.constant(u)
        with tf.GradientTape() as tape:
            tape.watch(u_tf)
            loss = tf.reduce_sum(layer(u_tf) @ tf.constant(readout[:, None]))
        grads = tape.gradient(loss, [u_tf, *cell.weights])
        assert all(g.dtype == tf.float64 for g in grads)
        assert np.isclose(float(loss), loss_numpy(weights), rtol=1e-12)
        for index, (value, grad) in enumerate(zip(weights, grads[1:], strict=True)):

            def loss_of_one_weight(changed, index=index):
                return loss_numpy([changed if i == index else w for i, w in enumerate(weights)])

            error = relative_error(grad.numpy(), numerical_gradient(loss_of_one_weight, value))
            assert error < 1e-7, (cell.weights[index].name, error)
        numeric_u = numerical_gradient(lambda x: loss_numpy(weights, x), u)
        assert relative_error(grads[0].numpy(), numeric_u) < 1e-7
    finally:
        keras.config.set_floatx("float32")


@pytest.mark.parametrize("parameterization", ["exponential", "direct"])
@pytest.mark.parametrize("normalization", [True, False])
def test_the_lru_layer_equals_the_cell_in_an_rnn(normalization, parameterization):
    options = {"normalization": normalization, "parameterization": parameterization}
    cell = LRUCell(5, 3, r_min=0.8, r_max=0.999, **options)
    looped = keras.layers.RNN(cell)
    closed = LRU(5, 3, r_min=0.8, r_max=0.999, **options)
    u = RNG.normal(size=(4, 40, 2)).astype(np.float32)
    looped(u)
    closed(u)
    weights = random_weights(cell)
    closed.set_weights(weights)
    assert [w.name for w in closed.weights] == [w.name for w in cell.weights]
    assert np.allclose(closed(u).numpy(), looped(u).numpy(), atol=1e-4)
    expected = numpy_sequence(u, weights, normalization, parameterization)
    assert np.allclose(closed(u).numpy(), expected, atol=1e-4)
    assert tuple(closed.compute_output_shape((None, 40, 2))) == (None, 3)


def test_the_lru_layer_refuses_a_step_or_an_unknown_length():
    with pytest.raises(ValueError, match=r"\(batch, time, features\)"):
        LRU(2, 2).build((None, 3))
    with pytest.raises(ValueError, match="known time"):
        LRU(2, 2).build((None, None, 3))
    with pytest.raises(ValueError, match="r_min < r_max"):
        LRU(2, 2, r_min=0.5, r_max=0.5)


def test_the_direct_parameterization_starts_on_the_same_ring_and_may_leave_it():
    keras.utils.set_random_seed(3)
    exponential = LRUCell(50, 1, r_min=0.9, r_max=0.99, max_phase=0.5)
    exponential.build((None, 2))
    keras.utils.set_random_seed(3)
    direct = LRUCell(50, 1, r_min=0.9, r_max=0.99, max_phase=0.5, parameterization="direct")
    direct.build((None, 2))
    assert [w.name for w in direct.weights][:3] == ["lambda_re", "lambda_im", "gamma_log"]
    assert np.allclose(direct.eigenvalues(), exponential.eigenvalues(), atol=1e-6)
    assert np.allclose(direct.gamma_log.numpy(), exponential.gamma_log.numpy(), atol=1e-6)
    # nothing keeps |lambda| < 1: an eigenvalue set to 1.02 grows the state, step by step
    layer = LRU(1, 1, parameterization="direct", normalization=False)
    u = np.zeros((1, 20, 1), np.float32)
    u[0, 0, 0] = 1.0
    layer(u)
    one, zero = np.ones((1, 1)), np.zeros((1, 1))  # B = C = 1, D = 0, all real
    layer.set_weights([np.array([1.02]), np.array([0.0]), one, zero, one, zero, zero])
    assert np.isclose(layer(u).numpy()[0, 0], 1.02**19, rtol=1e-5)


def test_config_round_trip():
    cell = LRUCell(4, 2, r_min=0.3, r_max=0.7, max_phase=1.0, normalization=False)
    clone = LRUCell.from_config(cell.get_config())
    assert (clone.n, clone.units, clone.r_min, clone.r_max) == (4, 2, 0.3, 0.7)
    assert clone.max_phase == 1.0 and clone.normalization is False
    layer = LRU.from_config(LRU(4, 2, r_max=0.9, normalization=False).get_config())
    assert (layer.n, layer.units, layer.r_max, layer.normalization) == (4, 2, 0.9, False)
    assert layer.parameterization == "exponential"
    direct = LRU.from_config(LRU(4, 2, parameterization="direct").get_config())
    assert direct.parameterization == "direct"


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # inside Keras
@pytest.mark.parametrize("parameterization", ["exponential", "direct"])
def test_saved_and_loaded_model_gives_the_same_output(tmp_path, parameterization):
    model = build_lru_model(
        5, 2, state_size=3, units=4, r_min=0.5, r_max=0.9, parameterization=parameterization
    )
    x = RNG.normal(size=(2, 5, 2)).astype(np.float32)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert np.allclose(loaded(x).numpy(), model(x).numpy(), atol=1e-6)
    assert [layer.name for layer in model.layers[1:]] == ["encoder", "lru", "mlp", "readout"]
    assert isinstance(loaded.get_layer("lru"), LRU)
    assert loaded.get_layer("lru").parameterization == parameterization


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"state_size": 0, "units": 2}, ValueError, "state_size must be >= 1"),
        ({"state_size": 2.0, "units": 2}, TypeError, "state_size must be an integer"),
        ({"state_size": 2, "units": 0}, ValueError, "units must be >= 1"),
        ({"state_size": 2, "units": 2, "r_min": 0.9, "r_max": 0.5}, ValueError, "r_min < r_max"),
        ({"state_size": 2, "units": 2, "r_max": 1.0}, ValueError, "r_max < 1"),
        ({"state_size": 2, "units": 2, "r_min": -0.1}, ValueError, "r_min must be >= 0"),
        ({"state_size": 2, "units": 2, "r_max": "high"}, TypeError, "r_max must be a real"),
        ({"state_size": 2, "units": 2, "max_phase": 0.0}, ValueError, "max_phase must be > 0"),
        ({"state_size": 2, "units": 2, "max_phase": 7.0}, ValueError, "max_phase must be <="),
        ({"state_size": 2, "units": 2, "normalization": 1}, TypeError, "normalization must be"),
        ({"state_size": 2, "units": 2, "parameterization": "polar"}, ValueError, "one of"),
        ({"state_size": 2, "units": 2, "parameterization": None}, TypeError, "must be a string"),
    ],
)
def test_bad_arguments_are_refused_clearly(kwargs, error, message):
    with pytest.raises(error, match=message):
        LRUCell(**kwargs)


def test_bad_input_shape_is_refused_clearly():
    with pytest.raises(ValueError, match=r"\(batch, features\)"):
        LRUCell(2, 2).build((None, 5, 3))


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"length": 0, "features": 2}, ValueError, "length must be >= 1"),
        ({"length": 4, "features": 2.5}, TypeError, "features must be an integer"),
        ({"length": 4, "features": 2, "units": 0}, ValueError, "units must be >= 1"),
        ({"length": 4, "features": 2, "name": 3}, TypeError, "name must be a string"),
        ({"length": 4, "features": 2, "r_max": 1.5}, ValueError, "r_max < 1"),
        ({"length": 4, "features": 2, "parameterization": "real"}, ValueError, "one of"),
    ],
)
def test_model_builder_refuses_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        build_lru_model(**kwargs)


def test_max_phase_default_is_two_pi():
    assert LRUCell(1, 1).max_phase == pytest.approx(2 * math.pi)
