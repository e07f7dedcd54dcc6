"""Exercises of notebook 09, checked independently of their graders."""

import numpy as np
import pytest

from gradcourse.exercises import get_exercise, grade


def hint_of(key, answer):
    feedback = grade(key, answer)
    assert feedback.status == "hint"
    return feedback.message


def test_09_1_variance_by_simulation_and_by_the_series():
    # the series sum_k 0.9^(2k), summed term by term, and a simulation of the recurrence
    series = sum(0.81**k for k in range(2_000))
    rng = np.random.default_rng(0)
    h = np.zeros(20_000)
    for _ in range(200):
        h = 0.9 * h + rng.standard_normal(h.size)
    assert abs(np.var(h) / series - 1) < 0.05
    assert grade("09.1", round(series, 2)).status == "correct"
    assert grade("09.1", 5.26).status == "correct"
    assert grade("09.1", 5.3).status == "hint"  # too few digits


@pytest.mark.parametrize("answer, words", [(10.0, "1/(1 - alpha)"), (1.0, "larger")])
def test_09_1_hints_for_common_mistakes(answer, words):
    assert words in hint_of("09.1", answer)


def test_09_2_the_modulus_after_100_steps():
    assert abs(0.99**100 - 0.37) < 0.005  # 0.366
    assert get_exercise("09.2").solution == "about 0.37"
    assert grade("09.2", "About 0.37 ").status == "correct"


@pytest.mark.parametrize("answer, words", [("about 1e-44", "per step"), ("exactly 1", "0.99")])
def test_09_2_hints_for_common_mistakes(answer, words):
    assert words in hint_of("09.2", answer)
