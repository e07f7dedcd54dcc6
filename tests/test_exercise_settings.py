"""The prediction exercises' experiments (``measure_*``) run as their notebooks do (issue 28).

Each ``measure_*`` restates a notebook's setting (lengths, widths, seeds, optimizer), kept as
named constants in its exercise module. The notebook shows the experiment's code, so it
keeps its own literals; these tests read them from the notebook's source (not by running
it) and fail when the two drift apart.
"""

import ast
from pathlib import Path

import pytest
from notebook_code import code_cells as parsed_code_cells

from gradcourse.exercises import nb03_bptt, nb04_lstm, nb05_clipping, nb06_initializers

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def code_cells(name):
    """The notebook's code cells, parsed."""
    return parsed_code_cells(NOTEBOOKS / name)


def literals(cells):
    """Every name the notebook binds to a literal (``T, N = 30, 50`` too): name -> values."""
    found = {}
    for tree in cells:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Assign) or len(node.targets) != 1:
                continue
            target = node.targets[0]
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                continue
            if isinstance(target, ast.Name):
                found.setdefault(target.id, []).append(value)
            elif isinstance(target, ast.Tuple) and isinstance(value, tuple):
                for element, item in zip(target.elts, value, strict=True):
                    if isinstance(element, ast.Name):
                        found.setdefault(element.id, []).append(item)
    return found


def calls(cells, name):
    """Every call of ``name`` (a function or a method) in the notebook."""
    return [
        node
        for tree in cells
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (getattr(node.func, "id", None) == name or getattr(node.func, "attr", None) == name)
    ]


def keyword(call, name):
    return next(k.value for k in call.keywords if k.arg == name)


def exercise_cell(cells, key):
    """The cell that grades exercise ``key``."""
    for tree in cells:
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", None) == "check"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and node.args[0].value == key
            ):
                return [tree]
    raise AssertionError(f"no cell grades {key}")


def seed_expression(expression, variable, function):
    """True if the notebook's seed expression (e.g. ``10 * SEED + 1``) is ``function``."""
    code = compile(ast.Expression(expression), "<notebook>", "eval")
    return all(eval(code, {variable: seed}) == function(seed) for seed in range(5))


@pytest.fixture(scope="module")
def nb03():
    return code_cells("03_backprop_through_time.py")


@pytest.fixture(scope="module")
def nb04():
    return code_cells("04_simplernn_vs_lstm.py")


@pytest.fixture(scope="module")
def nb05():
    return code_cells("05_exploding_and_clipping.py")


@pytest.fixture(scope="module")
def nb06():
    return code_cells("06_initializers.py")


def test_03_4_runs_notebook_03s_experiment(nb03):
    assert literals(nb03)["width"] == [nb03_bptt.LAG_WIDTH]
    cell = exercise_cell(nb03, "03.4")
    assert literals(cell)["GAIN"] == [nb03_bptt.LAG_GAIN]
    assert literals(cell)["INPUT_SCALE"] == [nb03_bptt.LAG_INPUT_SCALE]
    (norms,) = calls(cell, "gradient_norm_vs_lag")
    assert ast.literal_eval(norms.args[1]) == nb03_bptt.LAG_STEPS
    assert ast.literal_eval(norms.args[2]) == "tanh"
    assert ast.unparse(keyword(norms, "input_scale")) == "INPUT_SCALE"
    assert ast.unparse(keyword(norms, "seed")) == "SEED"
    assert ast.unparse(norms.args[0]) == "scaled_orthogonal(width, GAIN, seed=SEED + 1)"
    (matrix,) = calls(cell, "scaled_orthogonal")
    assert seed_expression(keyword(matrix, "seed"), "SEED", nb03_bptt.lag_matrix_seed)
    (lag,) = calls(cell, "first_lag_below")
    assert ast.literal_eval(lag.args[1]) == nb03_bptt.LAG_LEVEL


def test_04_4_runs_notebook_04s_experiment(nb04):
    found = literals(nb04)
    assert found["LONG"] == [nb04_lstm.PATHS_LENGTH]
    assert found["N_PROBE"] == [nb04_lstm.PATHS_PROBE]
    probes = [c for c in calls(nb04, "adding_problem") if ast.unparse(c.args[0]) == "N_PROBE"]
    assert len(probes) == 1
    assert seed_expression(keyword(probes[0], "seed"), "SEED", nb04_lstm.paths_probe_seed)
    # section 4's batch: the first PATHS_BATCH sequences of the long lag's probe set
    paths = [
        node
        for tree in nb04
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "(x_paths, y_paths)"
    ]
    assert [ast.unparse(node.value) for node in paths] == [
        f"(probe_x[:{nb04_lstm.PATHS_BATCH}], probe_y[:{nb04_lstm.PATHS_BATCH}])"
    ]
    (at_init,) = [
        node
        for tree in nb04
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name == "model_at_init"
    ]
    (build,) = calls([at_init], "build_recurrent_model")
    assert ast.literal_eval(keyword(build, "units")) == nb04_lstm.PATHS_UNITS
    cell = exercise_cell(nb04, "04.4")
    assert literals(cell)["FORGET_BIAS"] == [nb04_lstm.FORGET_BIAS]
    assert [ast.unparse(c.args[0]) for c in calls(cell, "decay_per_step")] == [
        "lstm_gradient_paths(lstm_bias3, x_paths, y_paths).cell"
    ]


def test_05_4_runs_notebook_05s_experiment(nb05):
    found = literals(nb05)
    assert found["T"] == [nb05_clipping.IRNN_LENGTH]
    assert found["N_TRAIN"] == [nb05_clipping.IRNN_TRAIN]
    assert found["EPOCHS"] == [nb05_clipping.IRNN_EPOCHS]
    assert found["BATCH"] == [nb05_clipping.IRNN_BATCH]
    functions = {
        node.name: node
        for tree in nb05
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
    }
    (data,) = calls([functions["data_for"]], "adding_problem")
    assert [ast.unparse(a) for a in data.args] == ["N_TRAIN", "T"]
    assert seed_expression(keyword(data, "seed"), "seed", nb05_clipping.irnn_train_seed)
    (build,) = calls([functions["irnn"]], "build_recurrent_model")
    assert ast.literal_eval(keyword(build, "units")) == nb05_clipping.IRNN_UNITS
    assert ast.literal_eval(keyword(build, "activation")) == "relu"
    assert ast.unparse(keyword(build, "recurrent_initializer")) == (
        "keras.initializers.Identity(gain=gain)"
    )
    (sgd,) = calls([functions["train_with"]], "SGD")
    assert ast.literal_eval(keyword(sgd, "learning_rate")) == nb05_clipping.IRNN_LEARNING_RATE
    assert ast.literal_eval(keyword(sgd, "momentum")) == nb05_clipping.IRNN_MOMENTUM
    (fit,) = calls([functions["train_with"]], "fit_logged")
    assert [ast.unparse(a) for a in fit.args[:4]] == ["model", "data_for(seed)", "EPOCHS", "BATCH"]
    cell = exercise_cell(nb05, "05.4")
    assert literals(cell)["GAIN"] == [nb05_clipping.EDGE_GAIN]
    assert [ast.unparse(c) for c in calls(cell, "train_with")] == ["train_with(None, gain=GAIN)"]


def test_06_3_runs_notebook_06s_experiment(nb06):
    assert literals(nb06)["n"] == [nb06_initializers.IDENTITY_WIDTH]
    cell = exercise_cell(nb06, "06.3")
    assert literals(cell)["GAIN"] == [nb06_initializers.SHRUNK_GAIN]
    (norms,) = calls(cell, "gradient_norm_vs_lag")
    assert ast.unparse(norms.args[0]) == "GAIN * np.eye(n)"
    assert ast.literal_eval(norms.args[1]) == nb06_initializers.IDENTITY_LAG
    assert ast.literal_eval(norms.args[2]) == "relu"
    assert ast.unparse(keyword(norms, "seed")) == "SEED"
