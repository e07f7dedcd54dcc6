"""The exercise framework: a registry of exercises, each with a grader and a solution.

A learner writes an answer in a marked cell and calls ``check(key, answer)``, which
prints one line of specific feedback. ``show_solution(key)`` prints the reference
solution. Every reference solution is graded "correct" by the unit tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import numpy as np

Status = Literal["not attempted", "hint", "correct"]


class Feedback(NamedTuple):
    """The result of grading one answer."""

    status: Status
    message: str


NOT_ATTEMPTED = Feedback("not attempted", "Not attempted yet: replace the placeholder with your answer.")
CORRECT = "Correct!"


@dataclass(frozen=True)
class Exercise:
    """One exercise: how to grade an answer and what the reference answer is."""

    key: str
    question: str
    grade: Callable[[Any], Feedback]
    solution: Any
    explanation: str


_REGISTRY: dict[str, Exercise] = {}


def register(exercise: Exercise) -> Exercise:
    """Add an exercise to the registry (keys are unique)."""
    if exercise.key in _REGISTRY:
        raise ValueError(f"an exercise with key {exercise.key!r} is already registered")
    _REGISTRY[exercise.key] = exercise
    return exercise


def get_exercise(key: str) -> Exercise:
    """Return the exercise registered under ``key``, with a helpful error if unknown."""
    if not isinstance(key, str):
        raise TypeError(f"key must be a string like '01.1', got {type(key).__name__}")
    if key not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY))
        raise ValueError(f"no exercise {key!r}; known exercises: {known}")
    return _REGISTRY[key]


def all_exercises() -> list[Exercise]:
    """All registered exercises, sorted by key."""
    return [_REGISTRY[key] for key in sorted(_REGISTRY)]


def is_placeholder(answer: Any) -> bool:
    """True for the placeholders a notebook ships with: ``None`` and ``...``."""
    return answer is None or answer is Ellipsis


def grade(key: str, answer: Any) -> Feedback:
    """Grade ``answer`` for exercise ``key`` and return the feedback (no printing)."""
    exercise = get_exercise(key)
    if is_placeholder(answer):
        return NOT_ATTEMPTED
    try:
        return exercise.grade(answer)
    except NotImplementedError:
        return NOT_ATTEMPTED
    except Exception as error:  # a learner's function crashed: say so, don't crash the notebook
        return Feedback("hint", f"Your answer raised {type(error).__name__}: {error}")


def check(key: str, answer: Any) -> None:
    """Print feedback on ``answer`` for exercise ``key``."""
    feedback = grade(key, answer)
    print(f"[{key}] {feedback.message}")


def show_solution(key: str) -> None:
    """Print the reference solution of exercise ``key`` and why it is right."""
    exercise = get_exercise(key)
    print(f"[{key}] {exercise.question}\n")
    print(exercise.explanation)


# ----------------------------------------------------------------------------- graders
Hint = tuple[Callable[[float], bool], str]


def number_grader(expected: float, rel_tol: float = 1e-3, abs_tol: float = 1e-9,
                  hints: Sequence[Hint] = ()) -> Callable[[Any], Feedback]:
    """Grade a single number: correct within tolerance, else the first matching hint."""

    def grade_number(answer: Any) -> Feedback:
        try:
            value = float(answer)
        except (TypeError, ValueError):
            return Feedback("hint", f"Expected a number, got {type(answer).__name__}.")
        if math.isclose(value, expected, rel_tol=rel_tol, abs_tol=abs_tol):
            return Feedback("correct", CORRECT)
        for matches, message in hints:
            if matches(value):
                return Feedback("hint", f"Close, but not yet: {message}")
        return Feedback("hint", "Not yet. Re-read the question and try again.")

    return grade_number


def choice_grader(expected: str, choices: Sequence[str],
                  hints: dict[str, str] | None = None) -> Callable[[Any], Feedback]:
    """Grade a multiple-choice answer given as one of ``choices`` (case-insensitive)."""
    normalized = {choice.lower(): choice for choice in choices}
    hints = {key.lower(): value for key, value in (hints or {}).items()}

    def grade_choice(answer: Any) -> Feedback:
        if not isinstance(answer, str) or answer.strip().lower() not in normalized:
            return Feedback("hint", f"Answer with one of: {', '.join(map(repr, choices))}.")
        answer = answer.strip().lower()
        if answer == expected.lower():
            return Feedback("correct", CORRECT)
        return Feedback("hint", f"Not yet: {hints.get(answer, 'think again about the evidence above.')}")

    return grade_choice


def function_grader(reference: Callable, cases: Sequence[tuple], rtol: float = 1e-6,
                    hints: Sequence[tuple[Callable[[tuple, Any], bool], str]] = ()) -> Callable[[Any], Feedback]:
    """Grade a function by comparing it with ``reference`` on argument tuples ``cases``.

    ``hints`` pairs a predicate ``(args, got) -> bool`` with a message; the first one
    that matches the first failing case is shown.
    """

    def grade_function(answer: Any) -> Feedback:
        if not callable(answer):
            return Feedback("hint", f"Expected a function, got {type(answer).__name__}.")
        for args in cases:
            want = reference(*args)
            got = answer(*args)
            if not _allclose(got, want, rtol):
                for matches, message in hints:
                    if matches(args, got):
                        return Feedback("hint", f"Close, but not yet: {message}")
                return Feedback("hint", f"Not yet: for inputs {_short(args)} expected {_short(want)}, got {_short(got)}.")
        return Feedback("correct", CORRECT)

    return grade_function


def _allclose(got: Any, want: Any, rtol: float) -> bool:
    if isinstance(want, (list, tuple)):
        if not isinstance(got, (list, tuple)) or len(got) != len(want):
            return False
        return all(_allclose(g, w, rtol) for g, w in zip(got, want))
    try:
        got_array = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    want_array = np.asarray(want, dtype=np.float64)
    return got_array.shape == want_array.shape and bool(
        np.allclose(got_array, want_array, rtol=rtol, atol=1e-12)
    )


def _short(value: Any) -> str:
    try:
        text = np.array2string(np.asarray(value, dtype=np.float64), precision=4, threshold=6)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) < 120 else text[:117] + "..."
