"""The failure zoo: report() names each planted fault, and nothing in its healthy twin.

The unit test trains the short-lag pairs for one seed (about 3 s a model); the whole zoo,
the vanishing pair included, over seeds 0-2 and another CPU's rounding is
``make zoo`` (tools/zoo_sweep.py), run before a change to the zoo or the diagnosis lands.
"""

from __future__ import annotations

import numpy as np
import pytest

from gradcourse.diagnosis import CAUSES, primary_cause
from gradcourse.zoo import ZOO, confusion_matrix, format_matrix, run_zoo, zoo_data, zoo_model

SHORT_PAIRS = [cause for cause in ZOO if cause != "vanishing"]


@pytest.mark.parametrize("cause", SHORT_PAIRS)
def test_the_fault_is_named_and_the_twin_flags_nothing(cause):
    from gradcourse.zoo import run_zoo_model

    assert primary_cause(run_zoo_model(cause, False, seed=0)) == cause
    assert primary_cause(run_zoo_model(cause, True, seed=0)) is None


def test_every_planted_cause_is_one_the_report_can_name():
    assert set(ZOO) <= set(CAUSES)


def test_the_data_fault_shuffles_targets_and_its_probe_alike():
    train, probe = zoo_data("data", twin=False, seed=1)
    clean_train, clean_probe = zoo_data("data", twin=True, seed=1)
    np.testing.assert_array_equal(train.x, clean_train.x)
    np.testing.assert_array_equal(probe.x, clean_probe.x)
    assert not np.array_equal(train.y, clean_train.y)
    assert not np.array_equal(probe.y, clean_probe.y)
    # the same targets, in another order: the shuffle pairs them with the wrong inputs
    all_y = np.sort(np.concatenate([train.y, probe.y]).ravel())
    np.testing.assert_array_equal(
        all_y, np.sort(np.concatenate([clean_train.y, clean_probe.y]).ravel())
    )
    sums = (clean_train.x[:, :, 0] * clean_train.x[:, :, 1]).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(clean_train.y, sums, rtol=1e-6)  # the twin's targets: the sums


def test_a_twin_differs_from_its_fault_as_documented():
    fault, twin = (
        zoo_model("learning rate too low", False),
        zoo_model("learning rate too low", True),
    )
    assert float(fault.optimizer.learning_rate) == pytest.approx(1e-6)
    assert float(twin.optimizer.learning_rate) == pytest.approx(1e-2)
    dead = zoo_model("dead units", False).layers[0]
    assert np.all(np.asarray(dead.cell.bias) == -3.0)
    assert zoo_model("vanishing", True).input_shape[1] > zoo_model("data", True).input_shape[1]


def test_the_confusion_matrix_counts_planted_against_named():
    named = {
        ("vanishing", False, 0): "vanishing",
        ("vanishing", True, 0): None,
        ("data", False, 0): "learning rate too low",
        ("data", True, 0): "data",
    }
    rows, columns, matrix = confusion_matrix(named)
    assert rows[-1] == "healthy twin" and columns[-1] == "none"
    assert matrix.sum() == 4
    assert matrix[rows.index("vanishing"), columns.index("vanishing")] == 1
    assert matrix[rows.index("data"), columns.index("learning rate too low")] == 1
    assert matrix[rows.index("healthy twin"), columns.index("none")] == 1
    assert matrix[rows.index("healthy twin"), columns.index("data")] == 1
    assert "healthy twin" in format_matrix(named)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="cause must be one of"):
        zoo_model("gremlins", False)
    with pytest.raises(ValueError, match="causes must be among"):
        run_zoo(causes=["gremlins"])
    with pytest.raises(TypeError, match="run_zoo's dict"):
        confusion_matrix([("data", False, 0)])
    with pytest.raises(ValueError, match="seed must be >= 0"):
        zoo_data("data", False, seed=-1)
