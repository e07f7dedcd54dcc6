"""gradcourse.datasets against what its source publishes, and training.evaluate_accuracy
against accuracies counted by hand."""

import keras
import numpy as np
import pytest

from gradcourse.datasets import PIXEL_MAX, LabelledSequences, digits_pixel_by_pixel, load_digits
from gradcourse.training import evaluate_accuracy

# The class distribution of the UCI optdigits test set, as its description file
# (optdigits.names, "Class: Number of examples, testing set") lists it.
UCI_TEST_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
# scikit-learn's documented first digit (load_digits().images[0], a zero), row by row.
FIRST_IMAGE = [
    [0, 0, 5, 13, 9, 1, 0, 0],
    [0, 0, 13, 15, 10, 15, 5, 0],
    [0, 3, 15, 2, 0, 11, 8, 0],
    [0, 4, 12, 0, 0, 8, 8, 0],
    [0, 5, 8, 0, 0, 9, 8, 0],
    [0, 4, 11, 0, 1, 12, 7, 0],
    [0, 2, 14, 5, 10, 12, 0, 0],
    [0, 0, 6, 13, 10, 0, 0, 0],
]


def test_load_digits_matches_the_published_data_set():
    images, labels = load_digits()
    assert images.shape == (1797, 64) and labels.shape == (1797,)
    assert np.bincount(labels).tolist() == UCI_TEST_COUNTS
    np.testing.assert_array_equal(images[0].reshape(8, 8), FIRST_IMAGE)
    assert labels[0] == 0
    assert images.min() == 0 and images.max() == PIXEL_MAX == 16
    np.testing.assert_array_equal(images, np.round(images))  # counts of pixels: whole numbers


def test_digits_pixel_by_pixel_splits_every_image_once():
    images, labels = load_digits()
    train, test = digits_pixel_by_pixel(test_fraction=0.25, seed=3)
    assert train.x.shape == (1348, 64, 1) and test.x.shape == (449, 64, 1)  # round(0.25 * 1797)
    assert train.x.dtype == np.float32 and train.classes == test.classes == 10
    both_x = np.concatenate([train.x, test.x])[:, :, 0]
    both_labels = np.concatenate([train.labels, test.labels])
    # Every image appears once, scaled to [0, 1], with its own label.
    order = np.lexsort(np.column_stack([both_x, both_labels]).T)
    expected = np.column_stack([images / 16.0, labels])
    np.testing.assert_allclose(
        np.column_stack([both_x, both_labels])[order],
        expected[np.lexsort(expected.T)],
        rtol=1e-6,
    )
    again, _ = digits_pixel_by_pixel(test_fraction=0.25, seed=3)
    other, _ = digits_pixel_by_pixel(test_fraction=0.25, seed=4)
    np.testing.assert_array_equal(again.x, train.x)
    assert not np.array_equal(other.labels, train.labels)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"test_fraction": 0.0}, ValueError, "test_fraction must be > 0"),
        ({"test_fraction": 1.0}, ValueError, "test_fraction must be below 1"),
        ({"test_fraction": "0.2"}, TypeError, "test_fraction must be a real number"),
        ({"seed": -1}, ValueError, "seed must be >= 0"),
    ],
)
def test_digits_pixel_by_pixel_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        digits_pixel_by_pixel(**kwargs)


def test_chance_accuracy_is_the_most_frequent_class():
    data = LabelledSequences(x=np.zeros((5, 2, 1)), labels=np.array([0, 2, 2, 2, 1]), classes=4)
    assert data.chance_accuracy == pytest.approx(3 / 5)
    _, test = digits_pixel_by_pixel(seed=0)
    assert test.chance_accuracy == np.bincount(test.labels).max() / len(test.labels)


def _identity_readout(steps: int) -> keras.Model:
    """A model whose scores are its input sequence: it answers the step with the largest x."""
    inputs = keras.Input((steps, 1))
    return keras.Model(inputs, keras.layers.Flatten()(inputs))


def test_evaluate_accuracy_counts_the_right_answers():
    x = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.1, 0.2, 0.3], [0.5, 0.4, 0.1]])
    labels = np.array([0, 1, 2, 2])  # the last answer (class 0) is wrong
    data = LabelledSequences(x=x[:, :, None].astype(np.float32), labels=labels, classes=3)
    assert evaluate_accuracy(_identity_readout(3), data) == pytest.approx(3 / 4)
    wrong_width = LabelledSequences(x=data.x, labels=labels, classes=4)
    with pytest.raises(ValueError, match="must output 4 scores per example"):
        evaluate_accuracy(_identity_readout(3), wrong_width)
