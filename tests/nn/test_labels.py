"""Class labels: the counting path agrees with numpy's sort on every dtype, and unknown labels are found."""

import numpy as np
import pytest

from astromlp.errors import AstromlpError
from astromlp.nn import MLPClassifier
from astromlp.nn.labels import MAX_COUNTED_SPAN, label_index, one_hot, sorted_labels

RNG = np.random.default_rng(3)

LABELS = {
    "int64 from 0": RNG.integers(0, 3, 500),
    "int64 with negatives": RNG.integers(-7, 5, 500),
    "uint8": RNG.integers(250, 256, 500).astype(np.uint8),
    "uint64 near the top": (np.uint64(2**64 - 10) + RNG.integers(0, 9, 500).astype(np.uint64)),
    "int64 extremes": np.array([-2**63, 2**63 - 1, 0, -2**63]),
    "bool": RNG.integers(0, 2, 500).astype(bool),
    "sparse codes (wider than counted)": RNG.choice([3, 3 + MAX_COUNTED_SPAN, 10**9], 500),
    "strings": RNG.choice(["GALAXY", "QSO", "STAR"], 500),
    "integral floats": RNG.integers(1, 4, 500).astype(float),
}


@pytest.mark.parametrize("name", list(LABELS))
def test_sorted_labels_and_index_agree_with_numpy(name):
    y = LABELS[name]
    classes = sorted_labels(y)
    expected = np.unique(y)
    assert classes.dtype == expected.dtype
    np.testing.assert_array_equal(classes, expected)
    np.testing.assert_array_equal(label_index(classes, y), np.searchsorted(expected, y))


def test_label_index_marks_unknown_labels():
    classes = np.array([2, 4, 5])
    index = label_index(classes, np.array([4, 3, 5, 1, 9, 2, -2**63]))
    np.testing.assert_array_equal(index, [1, -1, 2, -1, -1, 0, -1])
    strings = label_index(np.array(["GALAXY", "STAR"]), np.array(["STAR", "QSO", "GALAXY", "ZZZ"]))
    np.testing.assert_array_equal(strings, [1, -1, 0, -1])


def test_classifier_refuses_labels_unseen_in_fit():
    X = RNG.normal(size=(60, 2))
    model = MLPClassifier((4,), max_epochs=1, random_state=0).fit(X, np.arange(60) % 3)
    with pytest.raises(AstromlpError, match=r"labels \[3, 7\] were not among the classes seen in fit"):
        model.partial_fit(X[:4], np.array([0, 3, 7, 1]))


def test_one_hot_rows():
    index = np.array([2, 0, 1, 2])
    for dtype in (np.float64, np.float32):
        out = one_hot(index, 4, dtype)
        assert out.dtype == dtype
        np.testing.assert_array_equal(out, np.eye(4, dtype=dtype)[index])


def test_class_weights_with_an_unknown_validation_label_give_the_one_line_error():
    X = RNG.normal(size=(60, 2))
    model = MLPClassifier((4,), max_epochs=1, class_weight="balanced", random_state=0)
    with pytest.raises(AstromlpError, match=r"labels \[9\] were not among the classes seen in fit"):
        model.fit(X, np.arange(60) % 3, X_val=X[:3], y_val=np.array([0, 9, 1]))
