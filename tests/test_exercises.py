"""Every exercise: its reference solution is correct, placeholders and wrong answers get hints."""

import math

import numpy as np
import pytest

import gradcourse as gc
from gradcourse.exercises import all_exercises, get_exercise, grade
from gradcourse.exercises.core import Prediction

EXERCISES = all_exercises()


def test_every_notebook_has_two_to_four_exercises():
    by_notebook = {}
    for exercise in EXERCISES:
        by_notebook.setdefault(exercise.key.split(".")[0], []).append(exercise)
    assert by_notebook
    for notebook, exercises in by_notebook.items():
        assert 2 <= len(exercises) <= 4, notebook


# Number and function exercises are checked against answers recomputed independently
# (test_exercises_answers.py, _nb07, _nb08) and the prediction exercises against their runs
# (test_exercises_predictions.py). Here: every choice exercise's solution is one of its choices.
CHOICE_EXERCISES = [e for e in EXERCISES if isinstance(e.solution, str) and e.measure is None]


@pytest.mark.parametrize("exercise", CHOICE_EXERCISES, ids=lambda e: e.key)
def test_a_choice_exercises_solution_is_graded_correct(exercise):
    assert grade(exercise.key, exercise.solution).status == "correct"


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.key)
@pytest.mark.parametrize("placeholder", [None, ...])
def test_placeholder_is_not_attempted(exercise, placeholder):
    assert grade(exercise.key, placeholder).status == "not attempted"


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.key)
def test_a_wrong_answer_gets_a_hint_not_a_crash(exercise, measured):
    wrong = _a_wrong_answer(exercise.solution)
    if exercise.measure is not None:
        wrong = Prediction(wrong, measured(exercise.key))
    feedback = grade(exercise.key, wrong)
    assert feedback.status == "hint" and feedback.message


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda e: e.key)
def test_show_solution_prints_question_and_explanation(exercise, capsys):
    gc.show_solution(exercise.key)
    out = capsys.readouterr().out
    assert exercise.key in out and exercise.explanation in out


def _a_wrong_answer(solution):
    if isinstance(solution, str):
        return "definitely not a choice"
    if callable(solution):
        return lambda *args: 12345.0
    return float(solution) * 1.7 + 0.3


def test_specific_hints_for_common_mistakes():
    assert "w" in grade("01.1", 1 - math.tanh(0.5) ** 2).message
    assert "1 - tanh(a)^2" in grade("01.1", 2 * (1 - 0.25)).message
    assert "still just above" in grade("01.2", 65).message
    assert (
        "no factor w"
        in grade("01.3", lambda w, s, t: float(np.prod(w * (1 - s[t - 1 :] ** 2)))).message
    )


def test_stub_function_counts_as_not_attempted():
    def stub(*args):
        raise NotImplementedError

    assert grade("01.3", stub).status == "not attempted"


def test_a_crashing_answer_is_reported():
    feedback = grade("01.3", lambda w, s, t: 1 / 0)
    assert feedback.status == "hint" and "ZeroDivisionError" in feedback.message


def test_check_prints_one_line(capsys):
    gc.check("01.2", None)
    assert (
        capsys.readouterr().out.strip()
        == "[01.2] Not attempted yet: replace the placeholder with your answer."
    )


@pytest.mark.parametrize(
    "key, error, match",
    [
        (12, TypeError, "key must be a string like '01.1', got int"),
        ("99.9", ValueError, "no exercise '99.9'; known exercises: 01.1, 01.2"),
    ],
)
def test_unknown_or_bad_key(key, error, match):
    with pytest.raises(error, match=match):
        get_exercise(key)
