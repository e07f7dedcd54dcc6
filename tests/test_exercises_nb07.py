"""Exercises of notebook 07: graded by what the learner's model measures on the mystery task."""

from gradcourse._tensorflow import keras
from gradcourse.exercises import grade
from gradcourse.mystery import MYSTERY_STEPS, mystery_model, mystery_task, train_on_mystery_task


def test_the_mystery_model_explodes_and_the_reference_fix_learns():
    measured = train_on_mystery_task(mystery_model())
    assert measured["test_mse"] != measured["test_mse"]  # NaN: the loss blew up
    feedback = grade("07.2", lambda: mystery_model())
    assert feedback.status == "hint" and "NaN" in feedback.message


def test_a_stable_model_that_does_not_learn_gets_told_so():
    def linear_model():  # stable, but cannot carry a value across 20 steps in time
        model = keras.Sequential(
            [
                keras.Input((MYSTERY_STEPS, 2)),
                keras.layers.Flatten(),
                keras.layers.Dense(1, kernel_initializer="zeros"),
            ]
        )
        model.compile(optimizer=keras.optimizers.SGD(1e-6), loss="mse")
        return model

    feedback = grade("07.2", linear_model)
    assert feedback.status == "hint" and "stable" in feedback.message


def test_wrong_kinds_of_answer():
    assert grade("07.2", None).status == "not attempted"
    assert "compiled keras.Model" in grade("07.2", lambda: 3.0).message
    assert "raised ZeroDivisionError" in grade("07.2", lambda: 1 / 0).message
    assert "Expected a function" in grade("07.2", "LSTM").message
    assert grade("07.1", "exploding").status == "correct"
    assert "NaN" in grade("07.1", "vanishing").message
    assert mystery_task()[0].x.shape[1:] == (MYSTERY_STEPS, 2)
