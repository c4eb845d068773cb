"""The classification keys of the config ([report] purity / completeness, [model] calibrate / class_weight):
each wrong value is one line naming the file and key; unknown class names are refused once the classes are
known."""


import numpy as np
import pytest

from astromlp.errors import AstromlpError
from astromlp.pipeline.config import parse_config
from astromlp.pipeline.evaluation import network_thresholds, operating_targets
from astromlp.pipeline.stages import Prepared
from tests.pipeline.test_config import MINIMAL

BASE = MINIMAL  # a classification of the column class


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "cat.csv").write_text("u,g,class\n1,2,A\n")
    return tmp_path


def test_targets_and_calibration_keys_are_read(folder):
    config = parse_config(BASE + '[report]\npurity = { QSO = 0.95 }\ncompleteness = { GALAXY = 0.98 }\n'
                          '[model]\ncalibrate = "temperature"\nclass_weight = { QSO = 3.0 }\n', folder / "run.toml")
    assert operating_targets(config) == {"purity": {"QSO": 0.95}, "completeness": {"GALAXY": 0.98}}
    assert config.model["calibrate"] == "temperature" and config.model["class_weight"] == {"QSO": 3.0}


@pytest.mark.parametrize("line, expected", [
    ("[report]\npurity = { QSO = 1.5 }", r"\[report\] purity = .* fraction in \(0, 1\]"),
    ("[report]\npurity = 0.95", r"\[report\] purity = 0.95 is a float; expected a table of class name"),
    ("[report]\ncompleteness = { GALAXY = \"high\" }", r"\[report\] completeness = .*fraction in \(0, 1\]"),
    ("[model]\ncalibrate = \"platt\"", r"\[model\].*'calibrate'.*among"),
    ("[model]\nclass_weight = \"even\"", r"\[model\].*class_weight"),
])
def test_a_wrong_value_is_one_line(folder, line, expected):
    with pytest.raises(AstromlpError, match=expected) as info:
        parse_config(BASE + line + "\n", folder / "run.toml")
    assert "\n" not in str(info.value) and "run.toml" in str(info.value)


def test_a_target_for_an_unknown_class_stops_the_train_stage(folder):
    config = parse_config(BASE + '[report]\npurity = { QSSO = 0.9 }\n', folder / "run.toml")
    prepared = Prepared("classification", "class", {}, {"validation": np.zeros((4, 1))},
                        {"validation": np.array(["A", "B", "A", "B"])}, ["A", "B"], None, None, None, {})
    with pytest.raises(AstromlpError, match=r"\[report\] purity names class 'QSSO'.*A, B"):
        network_thresholds(config, None, prepared)


def test_thresholds_stored_for_predict_match_the_report(folder):
    """The network's thresholds the train stage stores are those the report chooses (same function, same rows)."""

    class Fixed:
        def predict_proba(self, X):
            return np.column_stack([1 - X[:, 0], X[:, 0]])

    config = parse_config(BASE + '[report]\npurity = { B = 0.8 }\n', folder / "run.toml")
    score = np.arange(1, 11) / 10
    y = np.where(np.isin(score, [0.5, 0.7, 0.8, 0.9, 1.0]), "B", "A")
    prepared = Prepared("classification", "class", {}, {"validation": score[:, None]}, {"validation": y},
                        ["A", "B"], None, None, None, {})
    assert network_thresholds(config, Fixed(), prepared) == [
        {"class": "B", "target": "purity", "value": 0.8, "threshold": 0.5, "column": "B_selected"}]
