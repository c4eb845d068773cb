"""Report inputs round-trip through the run directory as JSON and Parquet, and bad run directories fail in
one line naming the file."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from astromlp.errors import AstromlpError
from astromlp.files import write_text
from astromlp.reports import EvaluationInputs, load_inputs, save_inputs


def assert_same_inputs(loaded: EvaluationInputs, original: EvaluationInputs) -> None:
    assert (loaded.task, loaded.target, loaded.network_name) == (
        original.task,
        original.target,
        original.network_name,
    )
    assert loaded.classes == original.classes and loaded.model_names == original.model_names
    np.testing.assert_array_equal(loaded.y_true, original.y_true)
    for name in original.predictions:
        np.testing.assert_array_equal(loaded.predictions[name], original.predictions[name])
    assert loaded.probabilities.keys() == original.probabilities.keys()
    for name in original.probabilities:
        np.testing.assert_array_equal(loaded.probabilities[name], original.probabilities[name])
    np.testing.assert_array_equal(loaded.magnitude, original.magnitude)
    assert (loaded.magnitude_name, loaded.descriptions) == (original.magnitude_name, original.descriptions)
    assert loaded.data_summary == json.loads(json.dumps(original.data_summary, default=int))


def test_classification_inputs_round_trip_exactly(classification_inputs, tmp_path):
    save_inputs(tmp_path, classification_inputs)
    assert_same_inputs(load_inputs(tmp_path), classification_inputs)
    table = pq.read_table(tmp_path / "test_predictions.parquet")
    assert "probability:astromlp MLP:QSO" in table.column_names  # readable by anyone with a Parquet reader
    assert table.num_rows == len(classification_inputs.y_true)


def test_photoz_inputs_round_trip_exactly(photoz_inputs, tmp_path):
    save_inputs(tmp_path, photoz_inputs)
    loaded = load_inputs(tmp_path)
    assert_same_inputs(loaded, photoz_inputs)
    assert loaded.training["starts"][0]["loss_curve"] == pytest.approx(
        photoz_inputs.training["starts"][0]["loss_curve"]
    )


def test_diverged_curves_colliding_names_and_odd_labels_survive(tmp_path):
    classes = ["a:b", "b", "<b>"]
    inputs = EvaluationInputs(
        "classification",
        "kind",
        np.array(["a:b", "b", "<b>"]),
        {"m": np.array(["b", "b", "<b>"]), "m:a": np.array(["a:b", "b", "b"])},
        "m",
        classes,
        {"m": np.full((3, 3), 1 / 3), "m:a": np.eye(3)},
        training={"starts": [{"loss_curve": [1.0, np.inf, np.nan], "diverged": True}], "chosen_start": 0},
    )
    save_inputs(tmp_path, inputs)
    loaded = load_inputs(tmp_path)
    for name in inputs.probabilities:  # "probability:m:a:b" names model m's "a:b" and model m:a's "b"
        np.testing.assert_array_equal(loaded.probabilities[name], inputs.probabilities[name])
    assert "probability:m:a:b~2" in pq.read_table(tmp_path / "test_predictions.parquet").column_names
    assert loaded.training["starts"][0]["loss_curve"] == [1.0, None, None]  # strict JSON: no NaN tokens
    json.loads((tmp_path / "report_inputs.json").read_text(), parse_constant=pytest.fail)


def test_saving_writes_only_json_and_parquet(classification_inputs, tmp_path):
    save_inputs(tmp_path, classification_inputs)
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "report_inputs.json",
        "test_predictions.parquet",
    ]
    assert (tmp_path / "test_predictions.parquet").read_bytes()[:4] == b"PAR1"


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "report_inputs.json").unlink(), "report_inputs.json: not found"),
        (lambda d: (d / "report_inputs.json").write_text("{ nope"), "report_inputs.json: not valid JSON"),
        (lambda d: (d / "report_inputs.json").write_text('{"format": "other"}'), "format is not"),
        (lambda d: (d / "test_predictions.parquet").write_text("not parquet"), "cannot be read as Parquet"),
        (lambda d: _edit_record(d, lambda r: r["columns"].update(y_true="zz")), "column 'zz' is missing"),
        (lambda d: _edit_record(d, lambda r: r.pop("target")), r"keys \['target'\] are missing"),
        (lambda d: _edit_record(d, lambda r: r.update(network_name="x")), "network_name 'x' is not a key"),
    ],
)
def test_damaged_run_directories_fail_with_one_line(photoz_inputs, tmp_path, damage, message):
    save_inputs(tmp_path, photoz_inputs)
    damage(tmp_path)
    with pytest.raises(AstromlpError, match=message) as error:
        load_inputs(tmp_path)
    assert "\n" not in str(error.value)


def _edit_record(run_dir, change) -> None:
    record = json.loads((run_dir / "report_inputs.json").read_text())
    change(record)
    (run_dir / "report_inputs.json").write_text(json.dumps(record))


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "metrics.json"
    write_text(target, "old")
    with pytest.raises(UnicodeEncodeError):
        write_text(target, "half \udcff written")  # a lone surrogate cannot be encoded
    assert target.read_text() == "old"
    assert [path.name for path in tmp_path.iterdir()] == ["metrics.json"]
