"""Shapes inputs, metrics and figures into what the page template shows; the template only lays it out."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import numpy as np

from astromlp.jsonable import to_jsonable
from astromlp.reports.findings import findings
from astromlp.reports.kinds import report_kind
from astromlp.reports.training_findings import diagnostic_findings, last_diagnostics, rollback_epochs

BETTER_TEXT = {"higher": "higher is better", "lower": "lower is better", "zero": "closer to 0 is better"}
VERDICT_TEXT = {
    "better": "significantly better than",
    "worse": "significantly worse than",
    "not significant": "not significantly different from",
    "undefined": "compared (no bootstrap interval) with",
}

BOOTSTRAP_SOURCES = {  # metrics["bootstrap"]["n_resamples_from"] -> what the page says
    "config": "count from the run's [report] n_bootstrap",
    "given": "count given explicitly",
    "default": "default count; the run's config did not set one",
}


def report_context(inputs, metrics: dict, figures: list[dict]) -> dict:
    """Everything the template renders; strings stay raw here, the template escapes them."""
    sections: dict[str, list[dict]] = {}
    for figure in figures:
        sections.setdefault(figure["section"], []).append(figure)
    return {
        "title": f"{inputs.kind.title} report: {inputs.target}",
        "task": inputs.task,
        "task_title": inputs.kind.title,
        "labelled": inputs.kind.labelled,
        "target": inputs.target,
        "network": inputs.network_name,
        "n_test": metrics["n_test"],
        "astromlp_version": _astromlp_version(),
        "answer": _answer(metrics),
        "findings": [f"Warning: {text}" for text in inputs.data_summary.get("warnings", [])] + findings(metrics),
        "headline": _headline(metrics, inputs.descriptions),
        "comparisons": _comparisons(metrics),
        "all_metrics": _all_metrics(metrics),
        "per_class": _per_class(metrics),
        "sections": metrics.get("sections") or {},
        "bins": _bins(metrics),
        "bootstrap": {**metrics["bootstrap"],
                      "source_text": BOOTSTRAP_SOURCES.get(metrics["bootstrap"].get("n_resamples_from"))},
        "metric_notes": list((metrics.get("metric_notes") or {}).values()),
        "figures": sections,
        "data": _data(inputs),
        "training": _training(inputs.training),
        "provenance": to_jsonable(inputs.provenance),
    }


def _astromlp_version() -> str:
    try:
        return version("astromlp")
    except PackageNotFoundError:
        return "unknown"


def _answer(metrics: dict) -> dict:
    primary = metrics["primary"]
    key = primary["metric"]
    network = metrics["results"][metrics["network"]]["scalars"][key]
    answer = {
        "metric": metrics["metric_labels"][key],
        "network": metrics["network"],
        "network_value": network,
        "better": BETTER_TEXT[next(h["better"] for h in metrics["headline"] if h["key"] == key)],
    }
    baseline = primary.get("best_baseline")
    if baseline is None:
        return answer
    return {
        **answer,
        "baseline": baseline,
        "baseline_value": metrics["results"][baseline]["scalars"][key],
        "verdict": primary["verdict"],
        "verdict_text": VERDICT_TEXT[primary["verdict"]],
        "advantage": primary["advantage"],
        "interval": primary["interval"],
    }


def _headline(metrics: dict, descriptions: dict) -> dict:
    columns = [{**h, "better_text": BETTER_TEXT[h["better"]]} for h in metrics["headline"]]
    rows = [
        {
            "model": name,
            "is_network": name == metrics["network"],
            "description": descriptions.get(name, ""),
            "cells": [
                {
                    "value": metrics["results"][name]["scalars"][h["key"]],
                    "interval": metrics["results"][name]["intervals"].get(h["key"]),
                    "best": len(metrics["models"]) > 1 and metrics["best"][h["key"]] == name,
                }
                for h in metrics["headline"]
            ],
        }
        for name in metrics["models"]
    ]
    return {"columns": columns, "rows": rows}


def _comparisons(metrics: dict) -> list[dict]:
    return [
        {
            "baseline": baseline,
            "cells": [metrics["comparisons"][baseline][h["key"]] for h in metrics["headline"]],
        }
        for baseline in metrics["models"][1:]
    ]


def _all_metrics(metrics: dict) -> dict:
    keys = list(metrics["metric_labels"])
    return {
        "columns": metrics["models"],
        "rows": [
            {
                "label": metrics["metric_labels"][key],
                "values": [metrics["results"][name]["scalars"][key] for name in metrics["models"]],
            }
            for key in keys
        ],
    }


def _per_class(metrics: dict) -> dict | None:
    if not report_kind(metrics["task"]).labelled:
        return None
    results = metrics["results"]
    return {
        "models": metrics["models"],
        "rows": [
            {
                "class": label,
                "support": results[metrics["network"]]["per_class"][k]["support"],
                "models": [results[name]["per_class"][k] for name in metrics["models"]],
            }
            for k, label in enumerate(metrics["classes"])
        ],
    }


def _bins(metrics: dict) -> list[dict]:
    """One table per binning quantity: each bin with one row per model."""
    network_tables = metrics["results"][metrics["network"]]["bins"]
    tables = []
    for t, table in enumerate(network_tables):
        rows = [
            {
                "low": row["low"],
                "high": row["high"],
                "count": row["count"],
                "models": [
                    {
                        "model": name,
                        "is_network": name == metrics["network"],
                        "values": [
                            metrics["results"][name]["bins"][t]["rows"][b]["values"][c["key"]]
                            for c in table["columns"]
                        ],
                    }
                    for name in metrics["models"]
                ],
            }
            for b, row in enumerate(table["rows"])
        ]
        tables.append(
            {
                "by": table["by"],
                "columns": table["columns"],
                "rows": rows,
                "rows_without_value": table["rows_without_value"],
            }
        )
    return tables


def _data(inputs) -> dict:
    summary = to_jsonable(inputs.data_summary)
    balance = summary.get("class_balance") or {}
    if inputs.kind.labelled and "test" not in balance:
        labels, counts = np.unique(inputs.y_true, return_counts=True)
        balance = {**balance, "test": dict(zip(labels.tolist(), counts.tolist(), strict=True))}
    classes = inputs.classes or sorted({label for counts in balance.values() for label in counts})
    return {
        "files": _files(summary, to_jsonable(inputs.provenance)),
        "rows": _row_counts(summary.get("rows") or {}),
        "features": summary.get("features") or [],
        "split": summary.get("split") or {},
        "balance": {
            "splits": list(balance),
            "classes": classes,
            "rows": [
                {"class": label, "counts": [balance[split].get(label, 0) for split in balance]}
                for label in classes
            ],
        }
        if balance
        else None,
    }


def _row_counts(rows: dict) -> list[dict]:
    """read, the rows each [data] select cut removed, every other removal recorded (a count, or {reason:
    count} per key), then used, as table rows."""
    cuts = [{"label": "removed by select", "code": cut.get("cut", ""), "count": cut.get("removed"),
             "missing": cut.get("removed_missing")} for cut in rows.get("select") or []]
    removals = [
        {"label": f"{key}: {reason}" if isinstance(counts, dict) else key, "count": count}
        for key, counts in rows.items() if key not in ("read", "used", "select")
        for reason, count in (counts.items() if isinstance(counts, dict) else [(key, counts)])
    ]
    ends = {key: [{"label": key, "count": rows[key]}] if key in rows else [] for key in ("read", "used")}
    return ends["read"] + cuts + removals + ends["used"]


def _files(summary: dict, provenance: dict) -> dict:
    """The input files with the columns some of them fill; provenance's hashed list when the summary has none
    (the pipeline records the files once, in provenance)."""
    files = summary.get("files") or provenance.get("input_files") or []
    return {"rows": files, "with_format": any(f.get("format") for f in files),
            "with_rows": any(f.get("rows") is not None for f in files)}


def _training(training: dict) -> dict:
    training = to_jsonable(training)
    starts = training.get("starts") or []
    chosen = training.get("chosen_start")
    layers = last_diagnostics(starts[chosen] if chosen is not None and 0 <= chosen < len(starts) else None)
    return {
        "starts": [{**start, "index": k, "chosen": k == chosen,
                    "spikes": ", ".join(str(e + 1) for e in rollback_epochs(start))} for k, start in enumerate(starts)],
        "chosen": chosen,
        "fit_seconds": training.get("fit_seconds"),
        "sparsity": training.get("sparsity"),
        "diagnostics": layers,
        "diagnostic_findings": diagnostic_findings(layers),
    }
