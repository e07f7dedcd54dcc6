"""The exercise framework: a registry of exercises, each with a grader and a solution.

A learner writes an answer in a marked cell and calls ``check(key, answer)``, which
prints one line of specific feedback. ``show_solution(key)`` prints the reference
solution. Every reference solution is graded "correct" by the unit tests.

A *prediction* exercise ("change the experiment and predict") is graded against what the
learner's own run measured: ``check(key, prediction, measured=Measurement(value, **setting))``.
The grader first checks that the run used the setting the exercise asks for.

*Variants* (graded assignments): ``check(key, answer, variant=k)`` grades the exercise drawn
from the integer key ``k``. Variant 0 is the notebook's exercise; another key draws the
exercise's constants from ranges where the question keeps its meaning and its hints stay
right, and computes the expected answer and the hints from them. ``show_question(key,
variant=k)`` prints that variant's question; ``show_solution`` withholds the solution of
every variant but 0. ``variant_for(student_id)`` derives a student's key. A prediction
exercise's variant changes the experiment's setting (a gain, a bias): the learner runs the
changed experiment and is graded against that run. Exercises whose answer is a function, a
concept or a model to train have one form: every key gives variant 0's question (see
``Exercise.varies``).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import math
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import numpy as np

from gradcourse._validate import require_float, require_int

Status = Literal["not attempted", "hint", "correct"]


class Feedback(NamedTuple):
    """The result of grading one answer."""

    status: Status
    message: str


NOT_ATTEMPTED = Feedback(
    "not attempted", "Not attempted yet: replace the placeholder with your answer."
)
CORRECT = "Correct!"


@dataclass(frozen=True)
class Exercise:
    """One exercise: how to grade an answer and what the reference answer is.

    A prediction exercise has ``measure``: it runs the changed experiment as the notebook
    does and returns its ``Measurement`` (the tests grade ``solution`` against it).
    """

    key: str
    question: str
    grade: Callable[[Any], Feedback]
    solution: Any
    explanation: str
    measure: Callable[[], Measurement] | None = None
    #: The constants this exercise was built from (empty for an exercise with one form).
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    #: The variant key it was drawn with (0: the notebook's exercise).
    variant: int = 0
    #: False for an exercise with one form: every variant key gives the same question.
    varies: bool = False


class Measurement:
    """What a learner's run measured (``value``) and the setting it ran with.

    ``Measurement(66, gain=0.9, input_scale=0.01)``: the keyword arguments are the knobs
    of the experiment, so that a grader can tell whether the experiment was changed.
    """

    def __init__(self, value: Any, **setting: Any) -> None:
        self.value = value
        self.setting = dict(setting)

    def __repr__(self) -> str:
        knobs = "".join(f", {name}={value!r}" for name, value in self.setting.items())
        return f"Measurement({self.value!r}{knobs})"


class Prediction(NamedTuple):
    """A learner's prediction and the measurement of the run it predicted."""

    predicted: Any
    measured: Any


_REGISTRY: dict[str, Exercise] = {}
_VARIANTS: dict[str, Variants] = {}

#: Variant keys are the integers 0 .. MAX_VARIANT (0 is the notebook's exercise).
MAX_VARIANT = 999_999
WITHHELD = (
    "Solutions are withheld for assignments: this is variant {variant} of the exercise, set "
    "as graded work. Your teacher can discuss it after the deadline; variant 0 (the "
    "notebook's own numbers) shows its solution with show_solution({key!r})."
)


@dataclass(frozen=True)
class Variants:
    """How to draw an exercise's variants.

    ``base`` holds variant 0's constants; ``draw(rng)`` draws another set of constants;
    ``build(**constants)`` builds the exercise (its question, grader, solution and
    explanation computed from them). ``mistakes(**constants)`` lists the common mistakes as
    ``(wrong answer, words of its hint)``: a draw is kept only if the reference answer is
    graded correct and every mistake gets its own hint, so no draw can make one mistake
    look like another or like the answer.

    A prediction exercise also has ``run(**constants)``: the ``Measurement`` its reasoning
    expects from the learner's run for these constants (computed, no experiment is run).
    The reference prediction and the mistakes are graded against it; the tests run the
    experiment for several variants and check that the real run agrees.
    """

    base: dict[str, Any]
    draw: Callable[[np.random.Generator], dict[str, Any]]
    build: Callable[..., Exercise]
    mistakes: Callable[..., Sequence[tuple[Any, str]]] = lambda **constants: ()
    run: Callable[..., Measurement] | None = None


def register(exercise: Exercise) -> Exercise:
    """Add an exercise to the registry (keys are unique)."""
    if exercise.key in _REGISTRY:
        raise ValueError(f"an exercise with key {exercise.key!r} is already registered")
    _REGISTRY[exercise.key] = exercise
    return exercise


def register_variants(variants: Variants) -> Exercise:
    """Register an exercise that has variants: variant 0 is built from ``variants.base``."""
    exercise = dataclasses.replace(
        variants.build(**variants.base), params=dict(variants.base), variant=0, varies=True
    )
    if not _acceptable(exercise, variants):
        raise ValueError(f"variant 0 of {exercise.key} grades its own answer or mistakes wrongly")
    register(exercise)
    _VARIANTS[exercise.key] = variants
    return exercise


def require_variant(variant: Any) -> int:
    """``variant`` as a valid variant key (a whole number 0 .. MAX_VARIANT), or a clear error."""
    if isinstance(variant, bool) or not isinstance(variant, (int, np.integer)):
        raise TypeError(
            f"variant must be a whole number 0..{MAX_VARIANT}, got {type(variant).__name__}"
        )
    if not 0 <= int(variant) <= MAX_VARIANT:
        raise ValueError(f"variant must be between 0 and {MAX_VARIANT}, got {variant}")
    return int(variant)


def variant_for(student_id: str) -> int:
    """The variant key of a student: 1 .. MAX_VARIANT, from their id (never 0, whose
    solutions are shown). The same id gives the same key on every machine."""
    if not isinstance(student_id, str):
        raise TypeError(f"student_id must be a string, got {type(student_id).__name__}")
    if not student_id.strip():
        raise ValueError("student_id must not be empty")
    digest = hashlib.sha256(student_id.strip().encode("utf-8")).digest()
    return 1 + int.from_bytes(digest[:8], "big") % MAX_VARIANT


def _acceptable(exercise: Exercise, variants: Variants) -> bool:
    """True if the reference answer grades correct and each mistake gets its own hint
    (a prediction's against the run its reasoning expects)."""
    run = None if variants.run is None else variants.run(**exercise.params)

    def graded(answer: Any) -> Feedback:
        return exercise.grade(answer if run is None else Prediction(answer, run))

    if graded(exercise.solution).status != "correct":
        return False
    for answer, words in variants.mistakes(**exercise.params):
        feedback = graded(answer)
        if feedback.status != "hint" or words not in feedback.message:
            return False
    return True


_DRAWS = 500  # draws tried before giving up (a draw is rejected only near a coincidence)


@functools.lru_cache(maxsize=4096)
def _drawn(key: str, variant: int) -> Exercise:
    variants = _VARIANTS[key]
    rng = np.random.default_rng([zlib.crc32(key.encode()), variant])
    for _ in range(_DRAWS):
        constants = variants.draw(rng)
        exercise = dataclasses.replace(
            variants.build(**constants), params=dict(constants), variant=variant, varies=True
        )
        if _acceptable(exercise, variants):
            return exercise
    raise RuntimeError(f"no acceptable draw for variant {variant} of exercise {key}")


def get_exercise(key: str, variant: int = 0) -> Exercise:
    """Return exercise ``key`` (its variant ``variant``), with a helpful error if unknown."""
    if not isinstance(key, str):
        raise TypeError(f"key must be a string like '01.1', got {type(key).__name__}")
    if key not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY))
        raise ValueError(f"no exercise {key!r}; known exercises: {known}")
    variant = require_variant(variant)
    if variant == 0:
        return _REGISTRY[key]
    if key in _VARIANTS:
        return _drawn(key, variant)
    return dataclasses.replace(_REGISTRY[key], variant=variant)


def all_exercises() -> list[Exercise]:
    """All registered exercises, sorted by key."""
    return [_REGISTRY[key] for key in sorted(_REGISTRY)]


def is_placeholder(answer: Any) -> bool:
    """True for the placeholders a notebook ships with: ``None`` and ``...``."""
    return answer is None or answer is Ellipsis


def grade(key: str, answer: Any, *, variant: int = 0) -> Feedback:
    """Grade ``answer`` for exercise ``key`` (its variant ``variant``) and return the
    feedback (no printing)."""
    exercise = get_exercise(key, variant)
    if is_placeholder(answer.predicted if isinstance(answer, Prediction) else answer):
        return NOT_ATTEMPTED
    try:
        return exercise.grade(answer)
    except NotImplementedError:
        return NOT_ATTEMPTED
    # Graders report a learner's own errors; this is a last guard for the notebook.
    except Exception as error:
        return Feedback("hint", f"Could not grade this answer ({type(error).__name__}: {error}).")


def check(key: str, answer: Any, *, measured: Measurement | None = None, variant: int = 0) -> None:
    """Print feedback on ``answer`` for exercise ``key`` (its variant ``variant``).

    For a prediction exercise, ``answer`` is the prediction and ``measured`` what the
    changed experiment measured.
    """
    if measured is not None:
        answer = Prediction(answer, measured)
    feedback = grade(key, answer, variant=variant)
    print(f"[{_label(key, variant)}] {feedback.message}")


def show_question(key: str, variant: int = 0) -> None:
    """Print the question of exercise ``key`` (its variant ``variant``)."""
    exercise = get_exercise(key, variant)
    print(f"[{_label(key, variant)}] {exercise.question}")


def show_solution(key: str, variant: int = 0) -> None:
    """Print the reference solution of exercise ``key`` and why it is right.

    For any variant but 0 it says that solutions are withheld for assignments.
    """
    exercise = get_exercise(key, variant)
    if exercise.variant != 0:
        print(f"[{_label(key, variant)}] " + WITHHELD.format(variant=exercise.variant, key=key))
        return
    print(f"[{key}] {exercise.question}\n")
    print(exercise.explanation)


def _label(key: str, variant: int) -> str:
    return key if variant == 0 else f"{key}, variant {variant}"


# ----------------------------------------------------------------------------- graders
Hint = tuple[Callable[[float], bool], str]
FunctionHint = tuple[Callable[[tuple, Any], bool], str]


def half_unit(value: float, digits: int = 3) -> float:
    """Half a unit in the last place of ``value`` written with ``digits`` significant digits.

    Every number that rounds to the same ``digits`` significant digits as ``value`` lies
    within this distance of it (e.g. ``half_unit(1.5729, 3) == 0.005``: 1.57 is accepted).
    """
    value = require_float("value", value)
    digits = require_int("digits", digits, minimum=1)
    if value == 0.0:
        raise ValueError("0 has no significant digits; give an absolute tolerance instead")
    return 0.5 * 10.0 ** (math.floor(math.log10(abs(value))) - digits + 1)


def _within(value: float, target: float, tolerance: float) -> bool:
    # The relative slack absorbs binary round-off: 0.0312 must count as 5e-5 from 0.03125.
    return abs(value - target) <= tolerance * (1 + 1e-9)


def near(target: float, digits: int = 3) -> Callable[[float], bool]:
    """A hint predicate: true within half a unit of the last of ``digits`` significant digits
    of ``target``, i.e. for ``target`` correctly rounded (a learner's rounded wrong answer
    still gets its hint)."""
    tolerance = half_unit(target, digits)
    return lambda value: _within(value, target, tolerance)


def number_grader(
    expected: float,
    digits: int = 3,
    *,
    tolerance: float | None = None,
    whole: bool = False,
    hints: Sequence[Hint] = (),
) -> Callable[[Any], Feedback]:
    """Grade a single number; a wrong one gets the first matching hint.

    By default an answer is correct within half a unit of the last of ``digits``
    significant digits of ``expected``: every correctly rounded answer passes, one that is
    off by one in that digit does not. ``tolerance`` overrides this with an absolute
    tolerance; ``whole`` requires exactly ``expected`` (a count).
    """
    expected = require_float("expected", expected)
    more_precisely = (
        "compute it more precisely."
        if tolerance is not None
        else f"check the last digits ({digits} significant digits are needed)."
    )
    if whole:
        if not expected.is_integer():
            raise ValueError(f"whole=True needs a whole expected value, got {expected}")
        tolerance = 0.0
    elif tolerance is None:
        tolerance = half_unit(expected, digits)
    tolerance = require_float("tolerance", tolerance, minimum=0.0)
    hints = _checked_hints(hints)

    def grade_number(answer: Any) -> Feedback:
        try:
            value = float(answer)
        except (TypeError, ValueError, OverflowError):
            return Feedback("hint", f"Expected a number, got {type(answer).__name__}.")
        if _within(value, expected, tolerance):
            return Feedback("correct", CORRECT)
        for matches, message in hints:
            if _safely(matches, value):
                return Feedback("hint", f"Close, but not yet: {message}")
        if whole and not value.is_integer():
            return Feedback("hint", "Not yet: the answer is a whole number.")
        if not whole and _within(value, expected, 10 * tolerance):  # right idea, too few digits
            return Feedback("hint", f"Close, but not yet: {more_precisely}")
        return Feedback("hint", "Not yet. Re-read the question and try again.")

    return grade_number


def choice_grader(
    expected: str, choices: Sequence[str], hints: dict[str, str] | None = None
) -> Callable[[Any], Feedback]:
    """Grade a multiple-choice answer given as one of ``choices`` (case-insensitive)."""
    normalized = {choice.lower(): choice for choice in choices}
    hints = {key.lower(): value for key, value in (hints or {}).items()}
    if expected.lower() not in normalized or not set(hints) <= set(normalized):
        raise ValueError(f"the expected answer and the hints' keys must be among {list(choices)}")

    def grade_choice(answer: Any) -> Feedback:
        if not isinstance(answer, str) or answer.strip().lower() not in normalized:
            return Feedback("hint", f"Answer with one of: {', '.join(map(repr, choices))}.")
        answer = answer.strip().lower()
        if answer == expected.lower():
            return Feedback("correct", CORRECT)
        return Feedback(
            "hint", f"Not yet: {hints.get(answer, 'think again about the evidence above.')}"
        )

    return grade_choice


def function_grader(
    reference: Callable,
    cases: Sequence[tuple],
    rtol: float = 1e-6,
    hints: Sequence[FunctionHint] = (),
) -> Callable[[Any], Feedback]:
    """Grade a function by comparing it with ``reference`` on argument tuples ``cases``.

    Every call gets its own deep copy of the arguments, so an answer that writes into
    its inputs can neither change the cases nor the grading of later answers. ``hints``
    pairs a predicate ``(args, got) -> bool`` with a message; the first one that matches
    the first failing case is shown (a predicate that raises does not match).
    """
    if not callable(reference):
        raise TypeError(f"reference must be a function, got {type(reference).__name__}")
    cases = [tuple(case) for case in cases]
    if not cases:
        raise ValueError("cases must hold at least one tuple of arguments")
    rtol = require_float("rtol", rtol, minimum=0.0)
    hints = _checked_hints(hints)

    def grade_function(answer: Any) -> Feedback:
        if not callable(answer):
            return Feedback("hint", f"Expected a function, got {type(answer).__name__}.")
        for args in cases:
            want = reference(*copy.deepcopy(args))
            given = copy.deepcopy(args)
            try:
                got = answer(*given)
            except NotImplementedError:  # the notebook's stub: nothing written yet
                return NOT_ATTEMPTED
            except Exception as error:  # the learner's own bug: report it as theirs
                return Feedback("hint", f"Your function raised {type(error).__name__}: {error}")
            if not _unchanged(given, args):
                return Feedback(
                    "hint",
                    "Not yet: your function changed its input arrays in place; "
                    "leave them unchanged and return new arrays.",
                )
            if got is None:
                return Feedback(
                    "hint", "Not yet: your function returned None. Did you forget `return`?"
                )
            if not _allclose(got, want, rtol):
                for matches, message in hints:
                    if _safely(matches, copy.deepcopy(args), got):
                        return Feedback("hint", f"Close, but not yet: {message}")
                return Feedback(
                    "hint",
                    f"Not yet: for inputs {_short(args)} expected {_short(want)}, "
                    f"got {_short(got)}.",
                )
        return Feedback("correct", CORRECT)

    return grade_function


MeasuredHint = tuple[Callable[[float, float], bool], str]


def prediction_grader(
    setting: dict[str, Any], grade_prediction: Callable[[Any, Any], Feedback]
) -> Callable[[Any], Feedback]:
    """Grade a prediction against the measurement of the learner's own run.

    ``setting`` is the change the exercise asks for (e.g. ``{"gain": 0.9}``); a run with
    another setting is sent back. ``grade_prediction(predicted, measured_value)`` grades.
    """
    if not setting:
        raise ValueError("a prediction exercise must name the setting it changes")

    def grade_against_run(answer: Any) -> Feedback:
        if not isinstance(answer, Prediction):
            return Feedback(
                "hint",
                "Run the changed experiment and pass what it measured: "
                "check(key, prediction, measured=Measurement(value, ...)).",
            )
        run = answer.measured
        if not isinstance(run, Measurement):
            return Feedback("hint", f"measured must be a Measurement, got {type(run).__name__}.")
        for name, wanted in setting.items():
            used = run.setting.get(name)
            if not _same_setting(used, wanted):
                return Feedback(
                    "hint",
                    f"Change the experiment first: your run used {name}={used!r}; "
                    f"the exercise asks for {name}={wanted!r}.",
                )
        return grade_prediction(answer.predicted, run.value)

    return grade_against_run


def _same_setting(used: Any, wanted: Any) -> bool:
    if isinstance(wanted, (int, float)) and not isinstance(wanted, bool):
        try:
            return math.isclose(float(used), float(wanted), rel_tol=1e-9)
        except (TypeError, ValueError):
            return False
    return used == wanted


def measured_number(
    tolerance: Callable[[float], float], hints: Sequence[MeasuredHint] = (), unit: str = ""
) -> Callable[[Any, Any], Feedback]:
    """Grade a predicted number: correct within ``tolerance(measured)`` of the measurement.

    ``hints`` pair a predicate ``(predicted, measured) -> bool`` with a message.
    """
    hints = _checked_hints(hints)

    def grade_number(predicted: Any, measured: Any) -> Feedback:
        try:
            value = float(predicted)
        except (TypeError, ValueError, OverflowError):
            return Feedback("hint", f"Expected a number, got {type(predicted).__name__}.")
        if measured is None or not math.isfinite(float(measured)):
            return Feedback("hint", f"Your run measured {measured!r}: re-run the experiment.")
        said = f"you predicted {value:g}{unit}, your run measured {float(measured):g}{unit}"
        if abs(value - float(measured)) <= tolerance(float(measured)):
            return Feedback("correct", f"{CORRECT} {said[0].upper()}{said[1:]}.")
        for matches, message in hints:
            if _safely(matches, value, float(measured)):
                return Feedback("hint", f"Not yet: {said}. {message}")
        return Feedback("hint", f"Not yet: {said}. Re-read the question and try again.")

    return grade_number


def measured_choice(
    choices: Sequence[str],
    classify: Callable[[Any], str | None],
    describe: Callable[[Any], str],
    hints: dict[str, str] | None = None,
) -> Callable[[Any, Any], Feedback]:
    """Grade a predicted choice: correct if it is the choice ``classify(measured)`` names.

    ``describe(measured)`` says in words what the run measured; ``hints`` maps a wrong
    choice to what the learner overlooked.
    """
    normalized = {choice.lower(): choice for choice in choices}
    hints = {key.lower(): value for key, value in (hints or {}).items()}
    if not set(hints) <= set(normalized):
        raise ValueError(f"the hints' keys must be among {list(choices)}")

    def grade_choice(predicted: Any, measured: Any) -> Feedback:
        if not isinstance(predicted, str) or predicted.strip().lower() not in normalized:
            return Feedback("hint", f"Answer with one of: {', '.join(map(repr, choices))}.")
        actual = classify(measured)
        if actual is None:
            return Feedback(
                "hint", f"Your run measured {describe(measured)}, none of the choices: re-run it."
            )
        if predicted.strip().lower() == actual.lower():
            return Feedback("correct", f"{CORRECT} Your run measured {describe(measured)}.")
        advice = hints.get(predicted.strip().lower(), "think again about the mechanism.")
        return Feedback(
            "hint", f"Not yet: your run measured {describe(measured)} ({actual!r}). {advice}"
        )

    return grade_choice


def _checked_hints(hints: Sequence[tuple[Callable, str]]) -> list[tuple[Callable, str]]:
    hints = list(hints)
    for hint in hints:
        if not (
            isinstance(hint, tuple)
            and len(hint) == 2
            and callable(hint[0])
            and isinstance(hint[1], str)
        ):
            raise TypeError(f"each hint must be a (predicate, message) pair, got {hint!r}")
    return hints


def _safely(predicate: Callable[..., Any], *args: Any) -> bool:
    """A hint's predicate, where raising means "does not apply" (e.g. the answer was None)."""
    try:
        return bool(predicate(*args))
    except Exception:
        return False


def _unchanged(after: Any, before: Any) -> bool:
    """True if ``after`` (a learner's copy of the arguments, after the call) equals ``before``."""
    if isinstance(before, np.ndarray):
        return (
            isinstance(after, np.ndarray)
            and after.shape == before.shape
            and bool(np.array_equal(after, before, equal_nan=before.dtype.kind in "fc"))
        )
    if isinstance(before, (list, tuple)):
        return (
            type(after) is type(before)
            and len(after) == len(before)
            and all(_unchanged(a, b) for a, b in zip(after, before, strict=True))
        )
    return after is before or bool(after == before)


def _allclose(got: Any, want: Any, rtol: float) -> bool:
    if isinstance(want, (list, tuple)):
        if not isinstance(got, (list, tuple)) or len(got) != len(want):
            return False
        return all(_allclose(g, w, rtol) for g, w in zip(got, want, strict=True))
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
    text = " ".join(text.split())  # feedback is one printed line
    return text if len(text) < 120 else text[:117] + "..."


def significant(value: float, digits: int = 3) -> float:
    """``value`` rounded to ``digits`` significant digits, as a learner would write it."""
    value = require_float("value", value)
    digits = require_int("digits", digits, minimum=1)
    if value == 0.0:
        return 0.0
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))
