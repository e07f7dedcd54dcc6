import keras
import numpy as np
import pytest

from gradcourse.initializers import recurrent_matrix, spectrum_summary
from gradcourse.matrices import gaussian_radius, gaussian_sigma_max


def test_orthogonal_and_identity_spectra():
    summary = spectrum_summary(
        recurrent_matrix(keras.initializers.Orthogonal(gain=1.5, seed=0), 64)
    )
    assert summary["sigma_max"] == pytest.approx(1.5) and summary["sigma_min"] == pytest.approx(1.5)
    assert summary["radius"] == pytest.approx(1.5)
    np.testing.assert_array_equal(recurrent_matrix("identity", 5), np.eye(5))


@pytest.mark.parametrize("stddev", [0.01, 0.3])
def test_gaussian_spectra_follow_random_matrix_theory(stddev):
    summary = spectrum_summary(
        recurrent_matrix(keras.initializers.RandomNormal(stddev=stddev, seed=1), 256)
    )
    assert summary["sigma_max"] == pytest.approx(gaussian_sigma_max(256, stddev), rel=0.1)
    assert summary["radius"] == pytest.approx(gaussian_radius(256, stddev), rel=0.15)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (
            lambda: recurrent_matrix("no_such_initializer", 3),
            ValueError,
            "unknown initializer 'no_such_initializer': Could not",
        ),
        (lambda: recurrent_matrix("orthogonal", 0), ValueError, "n must be >= 1"),
        (lambda: spectrum_summary(np.zeros((2, 3))), ValueError, "matrix must be square"),
    ],
)
def test_bad_input_is_rejected(call, error, match):
    with pytest.raises(error, match=match):
        call()
