"""The grading framework: isolated calls, the learner's errors versus the grader's, tolerances."""

import numpy as np
import pytest

from gradcourse.exercises import grade
from gradcourse.exercises.core import (
    choice_grader,
    function_grader,
    half_unit,
    near,
    number_grader,
)


def _backward_step_in_place(d_h, h, W_hh):
    """A learner's 03.3 that writes dL/da_t into its input d_h."""
    d_h *= h * (1 - h)
    return d_h @ W_hh


# ----------------------------------------------------------------- bug 1: shared test arrays
def test_an_in_place_answer_leaves_the_exercises_cases_unchanged():
    def recording(seen):
        def answer(d_h, h, W_hh):
            seen.append(d_h.copy())
            return (d_h * h * (1 - h)) @ W_hh

        return answer

    before, after = [], []
    assert grade("03.3", recording(before)).status == "correct"
    grade("03.3", _backward_step_in_place)
    assert grade("03.3", recording(after)).status == "correct"
    assert len(before) == len(after) > 0
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))


def test_an_in_place_answer_is_told_so():
    feedback = grade("03.3", _backward_step_in_place)
    assert feedback.status == "hint" and "in place" in feedback.message


def test_the_reference_gets_its_own_copy_too():
    def doubling_in_place(x):
        x *= 2
        return x

    grader = function_grader(doubling_in_place, [(np.arange(3.0),)])
    assert grader(lambda x: 2 * x).status == "correct"
    assert grader(lambda x: 2 * x).status == "correct"  # and again: the case is unchanged


def test_every_call_sees_the_original_inputs():
    seen = []
    grader = function_grader(lambda x: x + 1, [(np.zeros(2),)])
    for _ in range(2):
        grader(lambda x: seen.append(x.copy()) or x + 1)
        grader(lambda x: x.fill(7))  # mutates its own copy only
    assert all(np.array_equal(x, np.zeros(2)) for x in seen)


# ----------------------------------------------------------------- bug 2: whose error is it?
@pytest.mark.parametrize("key", ["01.3", "03.3", "05.1"])
def test_a_function_returning_none_gets_a_return_hint(key):
    feedback = grade(key, lambda *args: None)
    assert feedback.status == "hint"
    assert "returned None" in feedback.message and "raised" not in feedback.message


def test_a_raising_hint_is_skipped():
    def broken(args, got):
        raise TypeError("a bug in the hint")

    hints = [(broken, "never shown"), (lambda args, got: got == 0, "zero")]
    grader = function_grader(lambda x: x + 1, [(1.0,)], hints=hints)
    assert grader(lambda x: 0.0).message == "Close, but not yet: zero"
    feedback = grader(lambda x: 5.0)
    assert feedback.status == "hint" and feedback.message.startswith("Not yet: for inputs")


def test_a_raising_number_hint_is_skipped():
    grader = number_grader(2.0, hints=[(lambda v: 1 / 0, "never shown"), (near(3.0), "three")])
    assert grader(3.0).message == "Close, but not yet: three"


def test_the_learners_exception_is_reported_as_theirs():
    def learner(w, states, t):
        raise ValueError("shapes do not match")

    feedback = grade("01.3", learner)
    assert feedback == ("hint", "Your function raised ValueError: shapes do not match")


def test_not_implemented_in_any_case_counts_as_not_attempted():
    calls = []

    def half_done(w, states, t):
        calls.append(1)
        if len(calls) > 1:
            raise NotImplementedError
        return (1 - states[t - 1] ** 2) * np.prod(w * (1 - states[t:] ** 2))  # right on case 1

    assert grade("01.3", half_done).status == "not attempted"


def test_feedback_is_one_line():
    feedback = grade("03.3", lambda d_h, h, W_hh: 3 * d_h)  # arrays in the message
    assert "\n" not in feedback.message


# ----------------------------------------------------------------- bug 3: tolerances
def test_the_issues_rounded_answers_are_correct():
    assert grade("01.1", 1.57).status == "correct"
    assert grade("04.2", 0.9989).status == "correct"


@pytest.mark.parametrize(
    "value, digits, expected",
    [
        (1.5729, 3, 0.005),
        (0.99895, 4, 5e-5),
        (0.00097656, 3, 5e-7),
        (4.0, 3, 0.005),
        (66.0, 2, 0.5),
        (-0.75, 3, 0.0005),
    ],
)
def test_half_unit(value, digits, expected):
    assert half_unit(value, digits) == pytest.approx(expected)


def test_rounding_exactly_on_the_half_is_accepted_both_ways():
    grader = number_grader(
        0.03125
    )  # 3 significant digits: 0.0312 and 0.0313 are both correct roundings
    assert grader(0.0312).status == grader(0.0313).status == "correct"
    assert grader(0.0311).status == grader(0.0314).status == "hint"


def test_a_near_miss_is_told_to_check_its_digits():
    assert "significant digits" in number_grader(1.5729)(1.6).message


def test_a_whole_answer_must_be_exact():
    grader = number_grader(66, whole=True)
    assert grader(66).status == grader(66.0).status == "correct"
    assert grader(65.9).message == "Not yet: the answer is a whole number."


@pytest.mark.parametrize(
    "answer", ["1.5x", [1, 2], object(), 10**400], ids=["text", "list", "object", "huge int"]
)
def test_a_non_number_is_told_what_is_expected(answer):
    assert grade("01.1", answer).message.startswith("Expected a number")


# ----------------------------------------------------------------- input validation
@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda: half_unit(0.0),
            ValueError,
            "0 has no significant digits; give an absolute tolerance",
        ),
        (lambda: half_unit(1.0, 0), ValueError, "digits must be >= 1"),
        (lambda: half_unit("1", 3), TypeError, "value must be a real number"),
        (lambda: number_grader(float("nan")), ValueError, "expected must be finite"),
        (
            lambda: number_grader(1.5, whole=True),
            ValueError,
            "whole=True needs a whole expected value",
        ),
        (lambda: number_grader(1.0, tolerance=-1.0), ValueError, "tolerance must be >= 0\\.0"),
        (lambda: number_grader(1.0, hints=[near(1.0)]), TypeError, "each hint must be a"),
        (lambda: function_grader(None, [(1,)]), TypeError, "reference must be a function"),
        (
            lambda: function_grader(abs, []),
            ValueError,
            "cases must hold at least one tuple of arguments",
        ),
        (
            lambda: choice_grader("D", ["A", "B"]),
            ValueError,
            "the expected answer and the hints' keys must be among \\['A',",
        ),
        (
            lambda: choice_grader("A", ["A", "B"], hints={"C": "no"}),
            ValueError,
            "the expected answer and the hints' keys must be among \\['A',",
        ),
    ],
)
def test_graders_reject_bad_configuration(call, error, match):
    with pytest.raises(error, match=match):
        call()
