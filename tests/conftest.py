"""Shared test settings: TensorFlow started the package's way (quiet, same environment), and
the prediction exercises' reference experiments, each measured once per session and seed."""

import functools

import pytest

import gradcourse._tensorflow  # noqa: F401  (before any test module imports TensorFlow itself)


def pytest_addoption(parser):
    parser.addoption(
        "--exercise-seeds",
        nargs="+",
        type=int,
        default=[0],
        help="seeds for the prediction exercises' experiments (default 0; make seeds sweeps more)",
    )


def pytest_generate_tests(metafunc):
    if "exercise_seed" in metafunc.fixturenames:
        metafunc.parametrize("exercise_seed", metafunc.config.getoption("exercise_seeds"))


@functools.cache
def _measured(key: str, seed: int = 0, **settings):
    from gradcourse.exercises import get_exercise

    return get_exercise(key).measure(seed, **settings)


@pytest.fixture(scope="session")
def measured():
    """``measured(key, seed=0, **settings)``: exercise ``key``'s reference experiment (its
    ``measure``) for ``seed``, run once per test session whichever test asks first."""
    return _measured
