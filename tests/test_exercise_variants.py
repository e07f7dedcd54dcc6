"""Exercise variants (graded assignments, issue 29), checked independently of the graders.

For 50 variants of every exercise that varies: the expected answer is recomputed here from
the variant's constants with NumPy (finite differences, counting, bisection, simulation),
never read from the grader; the reference answer and its rounded form are graded correct;
each common mistake, recomputed here, gets its own hint. Then the keys themselves: variant
0 is the notebook's exercise, invalid keys fail clearly, solutions of other variants are
withheld, a student id gives one stable key.
"""

import functools
import math

import numpy as np
import pytest
from reference_math import bisect, sigmoid, slope
from reference_math import round_sig as rounded

from gradcourse.exercises import (
    all_exercises,
    check,
    get_exercise,
    grade,
    show_question,
    show_solution,
    variant_for,
)
from gradcourse.exercises.core import _VARIANTS, MAX_VARIANT, _drawn

VARIANTS = range(1, 51)
VARYING = [
    "01.1",
    "01.2",
    "02.1",
    "02.2",
    "03.1",
    "03.2",
    "04.1",
    "04.2",
    "05.3",
    "06.1",
    "08.1",
    "09.1",
]


def tail_probability(threshold, s):
    """P(|z| > threshold) for z ~ N(0, s^2), by integrating the density numerically."""
    z = np.linspace(threshold, threshold + 12 * s, 40_001)
    density = np.exp(-0.5 * (z / s) ** 2) / (s * math.sqrt(2 * math.pi))
    return 2 * float(np.sum((density[1:] + density[:-1]) / 2 * np.diff(z)))


# ------------------------------------------------ expected answers, computed independently
def expected_01_1(w, a):
    h_prev, x = 0.3, a - w * 0.3  # any h_(t-1) and x_t that give the pre-activation a
    return float(slope(lambda h: np.tanh(w * h + x), h_prev))


def expected_01_2(factor, tol):
    steps, product = 0, 1.0
    while product >= tol:
        product *= factor
        steps += 1
    return steps


def expected_02_1(k):
    x = np.linspace(-3, 3, 60_001)
    return float(np.max(slope(lambda v: sigmoid(k * v), x)))


SATURATED = 0.97


@functools.cache
def expected_02_2(fraction):
    threshold = math.atanh(SATURATED)
    return bisect(lambda s: tail_probability(threshold, s) - fraction, 0.2, 5.0, 50)


def expected_03_1(lam, T):
    a = np.linspace(-10, 10, 20_001)
    gamma = float(np.max(slope(sigmoid, a)))
    bound = 1.0
    for _ in range(T):
        bound *= gamma * lam
    return bound


def expected_03_2(k):
    a = np.linspace(-10, 10, 40_001)
    return 1 / float(np.max(slope(lambda v: sigmoid(k * v), a)))


def expected_04_1(high):
    # the best constant's MSE is the variance of X1 + X2: sum over a grid of both values
    x = (np.arange(2000) + 0.5) / 2000 * high
    total = x[:, None] + x[None, :]
    return float(np.mean((total - total.mean()) ** 2))


def expected_04_2(keep, steps):
    return bisect(lambda f: f**steps - keep, 0.0, 1.0)


def expected_05_3(g1, g2, c):
    g = np.array([g1, g2])
    return float((g * min(1.0, c / np.linalg.norm(g)))[0])


@functools.cache
def expected_06_1(n):
    # the scale whose drawn matrix has sigma_max 1: sigma_max grows linearly with s
    rng = np.random.default_rng(n)
    matrix = rng.standard_normal((n, n))
    vector = rng.standard_normal(n)
    for _ in range(60):  # power iteration on M^T M: sigma_max without a full SVD
        vector = matrix.T @ (matrix @ vector)
        vector /= np.linalg.norm(vector)
    return 1 / float(np.linalg.norm(matrix @ vector))


@functools.cache
def expected_08_1(active):
    # chi measured at g = 1 in a simulated ReLU step: the mask keeps a share `active` of the
    # units, Q is orthogonal; chi grows with g^2, so the edge is 1 / sqrt(chi at g = 1)
    rng = np.random.default_rng(8)
    n = 400
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    mask = np.zeros(n)
    mask[: round(active * n)] = 1.0
    vectors = rng.standard_normal((n, 2000))
    chi = np.mean(np.sum((mask[:, None] * (q @ vectors)) ** 2, axis=0) / np.sum(vectors**2, axis=0))
    return 1 / math.sqrt(chi)


def expected_09_1(alpha):
    # the variance of h_t after a long run: the sum over the past of alpha^(2k) (2000 terms)
    weights = alpha ** np.arange(2000)
    return float(np.sum(weights**2))


EXPECTED = {
    "01.1": expected_01_1,
    "01.2": expected_01_2,
    "02.1": expected_02_1,
    "02.2": expected_02_2,
    "03.1": expected_03_1,
    "03.2": expected_03_2,
    "04.1": expected_04_1,
    "04.2": expected_04_2,
    "05.3": expected_05_3,
    "06.1": expected_06_1,
    "08.1": expected_08_1,
    "09.1": expected_09_1,
}
# How close the independent computation must come (06.1 measures one drawn matrix).
AGREEMENT = {"06.1": 0.06, "08.1": 0.02, "02.2": 1e-4, "04.1": 1e-5, "09.1": 5e-3}
# (09.1's reference is the variance to 2 decimals, 3 significant digits at the least)


@functools.cache
def one_sided_02_2(fraction):
    threshold = math.atanh(SATURATED)
    return bisect(lambda s: tail_probability(threshold, s) / 2 - fraction, 0.2, 5.0, 50)


# ------------------------------------------------ common mistakes, written out again here
def mistakes(key, p):
    if key == "01.1":
        w, a = p["w"], p["a"]
        return [
            (1 - np.tanh(a) ** 2, "d a_t / d h_(t-1) = w"),
            (w * (1 - a * a), "not 1 - a^2"),
            (w * np.tanh(a), "tanh'(a)"),
        ]
    if key == "01.2":
        t = expected_01_2(**p)
        return [
            (t - 1, "still just above"),
            (t + 1, "already below"),
            (math.log(p["tol"]) / math.log(p["factor"]), "round up"),
        ]
    if key == "02.1":
        k = p["k"]
        return [
            (0.25, "inner function"),
            (k, "at most 1/4"),
            (1 / (4 * k), "not divide"),
            (0.5, "value"),
        ]
    if key == "02.2":
        threshold = math.atanh(SATURATED)
        one_sided = one_sided_02_2(p["fraction"])
        return [
            (threshold, "threshold on z"),
            (one_sided, "both sides"),
            (SATURATED / threshold * expected_02_2(**p), "bounds tanh(z)"),
        ]
    if key == "03.1":
        lam, T = p["lam"], p["T"]
        return [
            (lam**T, "sigmoid'"),
            (0.25**T, "||W_hh||"),
            (0.25 * lam * T, "power"),
            ((lam / 4) ** (T - 1), f"{T} factors"),
            ((lam / 4) ** (T + 1), f"{T} factors"),
        ]
    if key == "03.2":
        return [(1.0, "tanh"), (p["k"] / 4, "not g < gamma")]
    if key == "04.1":
        b = p["high"]
        found = [
            (1 / 6, "U[0, 1]"),
            (b * b / 12, "*two*"),
            (4 * b * b / 12, "not uniform"),
            (math.sqrt(b * b / 6), "standard deviation"),
            (b, "best constant itself"),
        ]
        return found + ([(b / 6, "squared")] if b != 2 else [])
    if key == "04.2":
        keep, steps = p["keep"], p["steps"]
        return [
            (keep, "not f ="),
            (1 - (1 - keep) / steps, "first-order"),
            ((1 - keep) ** (1 / steps), "not lost"),
            (keep**steps, "keeps after"),
        ]
    if key == "05.3":
        g1, g2, c = p["g1"], p["g2"], p["c"]
        norm = math.sqrt(g1 * g1 + g2 * g2)
        return [
            (min(g1, c), "clipvalue"),
            (g1, "rescaled"),
            (g1 * c / norm**2, "square"),
            (g2 * c / norm, "second component"),
            (c / norm, "common scale"),
        ]
    if key == "06.1":
        n = p["n"]
        return [(n**-0.5, "spectral radius"), (1 / n, "sqrt(n), not n"), (0.05, "Keras' default")]
    if key == "08.1":
        share = p["active"]
        return [
            (1.0, "mask costs a factor"),
            (1 / share, "g squared"),
            (share**0.5, "that puts chi at"),
            (share, "the mask's share"),
        ]
    if key == "09.1":
        return [(1 / (1 - p["alpha"]), "alpha^(2k)"), (1.0, "larger than one input's")]
    raise KeyError(key)


def digits(key):
    return 4 if key == "04.2" else 3


# The prediction exercises vary too: tests/test_exercises_predictions.py runs their variants.
PREDICTING = ["03.4", "04.4", "05.4", "06.3"]


def test_the_varying_exercises_are_the_listed_ones():
    assert sorted(_VARIANTS) == sorted(VARYING + PREDICTING)
    for exercise in all_exercises():
        assert exercise.varies == (exercise.key in VARYING + PREDICTING)


@pytest.mark.parametrize("key", VARYING)
def test_variant_answers_agree_with_an_independent_computation(key):
    tolerance = AGREEMENT.get(key, 1e-6)
    for variant in VARIANTS[:15] if key == "06.1" else VARIANTS:  # 06.1 draws big matrices
        exercise = get_exercise(key, variant)
        computed = EXPECTED[key](**exercise.params)
        assert math.isclose(float(exercise.solution), computed, rel_tol=tolerance), (
            variant,
            exercise.params,
        )
        if key not in ("06.1", "08.1"):  # (a simulation is not the exact value)
            assert grade(key, computed, variant=variant).status == "correct", variant


@pytest.mark.parametrize("key", VARYING)
def test_variant_reference_and_its_rounding_are_correct(key):
    for variant in VARIANTS:
        exercise = get_exercise(key, variant)
        assert grade(key, exercise.solution, variant=variant).status == "correct"
        simulated = key in ("06.1", "08.1")
        exact = exercise.solution if simulated else EXPECTED[key](**exercise.params)
        assert grade(key, rounded(float(exact), digits(key)), variant=variant).status == (
            "correct"
        ), (variant, exercise.params)


@pytest.mark.parametrize("key", VARYING)
def test_each_common_mistake_gets_its_hint_in_every_variant(key):
    for variant in VARIANTS:
        exercise = get_exercise(key, variant)
        for answer, words in mistakes(key, exercise.params):
            written = answer if float(answer).is_integer() else rounded(answer, digits(key))
            feedback = grade(key, written, variant=variant)
            assert feedback.status == "hint", (variant, exercise.params, written)
            assert words in feedback.message, (variant, exercise.params, written, feedback)


@pytest.mark.parametrize("key", VARYING)
def test_variants_differ_and_repeat(key):
    drawn = [tuple(get_exercise(key, v).params.items()) for v in VARIANTS]
    assert len(set(drawn)) >= 5  # even the smallest ranges give several settings
    _drawn.cache_clear()
    assert drawn == [tuple(get_exercise(key, v).params.items()) for v in VARIANTS]
    # the question shows the variant's numbers: two different settings, two questions
    questions = {get_exercise(key, v).question for v in VARIANTS}
    assert len(questions) == len(set(drawn))


def test_variant_zero_is_the_notebooks_exercise():
    for exercise in all_exercises():
        assert get_exercise(exercise.key, 0) is exercise
        assert exercise.variant == 0


def test_one_form_exercises_accept_any_key_and_keep_their_question():
    for exercise in all_exercises():
        if exercise.varies:
            continue
        other = get_exercise(exercise.key, 12345)
        assert other.question == exercise.question and other.variant == 12345
        assert grade(exercise.key, None, variant=12345).status == "not attempted"


@pytest.mark.parametrize(
    ("variant", "error"),
    [
        (-1, ValueError),
        (MAX_VARIANT + 1, ValueError),
        (1.0, TypeError),
        (True, TypeError),
        ("3", TypeError),
    ],
)
def test_invalid_variant_keys_fail_clearly(variant, error):
    with pytest.raises(error, match="variant"):
        get_exercise("01.1", variant)
    with pytest.raises(error, match="variant"):
        check("05.2", "clipnorm", variant=variant)


def test_numpy_integer_keys_are_accepted():
    assert get_exercise("01.1", np.int64(7)) == get_exercise("01.1", 7)


@pytest.mark.parametrize("key", [exercise.key for exercise in all_exercises()])
def test_solutions_of_other_variants_are_withheld(key, capsys):
    show_solution(key, variant=17)
    printed = capsys.readouterr().out
    assert "withheld for assignments" in printed
    exercise = get_exercise(key, 17)
    assert exercise.explanation not in printed
    if exercise.varies and not isinstance(exercise.solution, str):  # (a prediction's choice)
        assert f"{float(exercise.solution):.3g}" not in printed.replace(f"variant {17}", "")
    show_solution(key)  # variant 0 still shows its solution
    assert get_exercise(key).explanation in capsys.readouterr().out


def test_show_question_and_check_name_the_variant(capsys):
    show_question("01.1", variant=3)
    out = capsys.readouterr().out
    assert (
        out.startswith("[01.1, variant 3] For h_t")
        and str(get_exercise("01.1", 3).params["w"]) in out
    )
    check("01.1", get_exercise("01.1", 3).solution, variant=3)
    assert capsys.readouterr().out == "[01.1, variant 3] Correct!\n"
    check("01.1", None)
    assert capsys.readouterr().out.startswith("[01.1] Not attempted")


def test_another_variants_answer_is_wrong_for_yours():
    # what variants are for: a copied number does not pass
    copied = sum(
        grade("01.1", get_exercise("01.1", v + 1).solution, variant=v).status == "correct"
        for v in range(1, 51)
    )
    assert copied <= 2


def test_variant_for_a_student_id():
    keys = {variant_for(f"student{i}") for i in range(200)}
    assert len(keys) >= 195 and all(1 <= k <= MAX_VARIANT for k in keys)
    assert variant_for("alice") == variant_for("alice") == variant_for(" alice ")
    assert variant_for("alice") != variant_for("Alice")
    with pytest.raises(ValueError, match="empty"):
        variant_for("  ")
    with pytest.raises(TypeError, match="string"):
        variant_for(42)
