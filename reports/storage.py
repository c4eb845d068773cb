"""A report's inputs kept in the run directory without pickle: JSON for the records, Parquet for the rows.

report_inputs.json names the task, the models and the Parquet column holding each model's predictions and
probabilities; test_predictions.parquet holds one row per test object. `astromlp report RUN_DIR` reads both.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from astromlp.errors import AstromlpError
from astromlp.files import write_text, write_with
from astromlp.jsonable import to_jsonable
from astromlp.reports.inputs import EvaluationInputs

INPUTS_FILE = "report_inputs.json"
PREDICTIONS_FILE = "test_predictions.parquet"
FORMAT = "astromlp.report-inputs/1"
REQUIRED_KEYS = (
    "task",
    "target",
    "classes",
    "network_name",
    "predictions_file",
    "columns",
    "data_summary",
    "training",
    "provenance",
)


def save_inputs(run_dir, inputs: EvaluationInputs) -> Path:
    """Write report_inputs.json and test_predictions.parquet into `run_dir`; returns the JSON's path."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    columns, layout = _columns(inputs)
    pdfs = _pdf_record(inputs.pdfs, columns, layout) if inputs.pdfs else None
    table = pa.table(columns)
    write_with(run_dir / PREDICTIONS_FILE, lambda temporary: pq.write_table(table, temporary))
    record = {
        "format": FORMAT,
        "task": inputs.task,
        "target": inputs.target,
        "classes": inputs.classes,
        "network_name": inputs.network_name,
        "descriptions": inputs.descriptions,
        "magnitude_name": inputs.magnitude_name,
        "predictions_file": PREDICTIONS_FILE,
        "columns": layout,
        "data_summary": inputs.data_summary,
        "training": inputs.training,
        "provenance": inputs.provenance,
        "targets": inputs.targets,
        "validation": inputs.validation,
        **({"pdfs": pdfs} if pdfs else {}),
    }
    text = json.dumps(to_jsonable(record), indent=1, allow_nan=False, ensure_ascii=False)
    return write_text(run_dir / INPUTS_FILE, text + "\n")


def _columns(inputs: EvaluationInputs) -> tuple[dict[str, np.ndarray], dict]:
    """Readable Parquet column names (`predicted:MODEL`, `probability:MODEL:CLASS`) and where each went."""
    columns = {"y_true": inputs.y_true}
    layout = {"y_true": "y_true", "magnitude": None, "models": {}}
    if inputs.magnitude is not None:
        columns["magnitude"] = inputs.magnitude
        layout["magnitude"] = "magnitude"
    for name in inputs.model_names:
        entry = {
            "predicted": _unique(columns, f"predicted:{name}", inputs.predictions[name]),
            "probabilities": None,
        }
        if name in inputs.probabilities:
            entry["probabilities"] = [
                _unique(columns, f"probability:{name}:{label}", inputs.probabilities[name][:, k])
                for k, label in enumerate(inputs.classes)
            ]
        layout["models"][name] = entry
    return columns, layout


def _pdf_record(pdfs: dict, columns: dict, layout: dict) -> dict:
    """The PDF section for the JSON, its per-object values (what `astromlp report --bootstrap N` resamples)
    moved into Parquet columns `pdf:MODEL:VALUE`, named in layout["pdf_values"]."""
    values = pdfs.get("per_object") or {}
    layout["pdf_values"] = {name: {key: _unique(columns, f"pdf:{name}:{key}", array) for key, array in by_key.items()}
                            for name, by_key in values.items()}
    return {key: value for key, value in pdfs.items() if key != "per_object"}


def _unique(columns: dict, wanted: str, values: np.ndarray) -> str:
    name, copy = wanted, 1
    while name in columns:
        copy += 1
        name = f"{wanted}~{copy}"
    columns[name] = values
    return name


def load_inputs(run_dir) -> EvaluationInputs:
    """Read what save_inputs wrote; every problem is one AstromlpError line naming the file and the fix."""
    run_dir = Path(run_dir)
    record = _read_record(run_dir / INPUTS_FILE)
    parquet = run_dir / record["predictions_file"]
    column = _column_reader(_read_table(parquet), parquet)
    try:
        layout, models = record["columns"], record["columns"]["models"]
        return EvaluationInputs(
            task=record["task"],
            target=record["target"],
            y_true=column(layout["y_true"]),
            predictions={name: column(entry["predicted"]) for name, entry in models.items()},
            network_name=record["network_name"],
            classes=record["classes"],
            probabilities={
                name: np.column_stack([column(c) for c in entry["probabilities"]])
                for name, entry in models.items()
                if entry["probabilities"]
            },
            magnitude=column(layout["magnitude"]) if layout["magnitude"] else None,
            magnitude_name=record.get("magnitude_name") or "magnitude",
            descriptions=record.get("descriptions") or {},
            data_summary=record["data_summary"],
            training=record["training"],
            provenance=record["provenance"],
            targets=record.get("targets") or {},
            validation=_validation(record.get("validation")),
            pdfs=_pdfs(record, column),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise AstromlpError(
            f"{run_dir / INPUTS_FILE}: malformed entry {exc}; rerun the evaluate stage to rewrite it"
        ) from exc


def _pdfs(record: dict, column) -> dict:
    """The PDF section with its per-object values read back from the Parquet columns the layout names."""
    pdfs = record.get("pdfs") or {}
    named = record["columns"].get("pdf_values") or {}
    if not pdfs or not named:
        return pdfs
    if set(named) != set(pdfs.get("models") or {}):
        raise AstromlpError(f"pdfs.models {sorted(pdfs.get('models') or {})} and columns.pdf_values "
                            f"{sorted(named)} name different models; rerun the evaluate stage to rewrite it")
    values = {name: {key: column(c) for key, c in by_key.items()} for name, by_key in named.items()}
    return {**pdfs, "per_object": values}


def _validation(record: dict | None) -> dict | None:
    """The validation labels and probabilities the operating points are chosen on, as arrays."""
    if not record:
        return None
    return {"y_true": np.asarray(record["y_true"], dtype=str),
            "probabilities": {name: np.asarray(p, dtype=float) for name, p in record["probabilities"].items()}}


def _read_record(path: Path) -> dict:
    if not path.is_file():
        raise AstromlpError(
            f"{path}: not found; `astromlp report` needs a run directory whose evaluate stage "
            f"wrote {INPUTS_FILE} and {PREDICTIONS_FILE}"
        )
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AstromlpError(
            f"{path}: not valid JSON ({exc}); rerun the evaluate stage to rewrite it"
        ) from exc
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise AstromlpError(f"{path}: format is not {FORMAT!r}; rerun the evaluate stage with this astromlp")
    missing = [key for key in REQUIRED_KEYS if key not in record]
    if missing:
        raise AstromlpError(f"{path}: keys {missing} are missing; rerun the evaluate stage to rewrite it")
    return record


def _read_table(path: Path) -> pa.Table:
    try:
        return pq.read_table(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise AstromlpError(f"{path}: cannot be read as Parquet ({exc}); rerun the evaluate stage") from exc


def _column_reader(table: pa.Table, path: Path):
    def column(name: str) -> np.ndarray:
        if name not in table.column_names:
            raise AstromlpError(f"{path}: column {name!r} is missing; rerun the evaluate stage to rewrite it")
        return table.column(name).to_numpy(zero_copy_only=False)

    return column
