"""All numbers of a report in one JSON-able dict: every metric of every model, bootstrap intervals for the
headline metrics, the network's advantage over each baseline, and the metric-by-bin tables."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from astromlp.jsonable import to_jsonable
from astromlp.reports import bootstrap
from astromlp.reports.binning import bin_table
from astromlp.reports.classification import LabelledCase
from astromlp.reports.inputs import EvaluationInputs
from astromlp.reports.pdf_evaluation import rejudged
from astromlp.reports.regression import ValuedCase
from astromlp.reports.scoring import Metric

SCHEMA = "astromlp.metrics/1"


@dataclass(frozen=True)
class Settings:
    n_bootstrap: int
    random_state: int
    n_bins: int


def compute_metrics(
    inputs: EvaluationInputs, *, n_bootstrap: int = 200, random_state: int = 0, n_bins: int = 5
) -> dict:
    """Every metric of the network and each baseline on the test split, with seeded bootstrap intervals."""
    settings = Settings(n_bootstrap, random_state, n_bins)
    table: dict[str, Metric] = dict(inputs.kind.metrics)
    headline = {key: table[key] for key in inputs.kind.headline}
    cases = build_cases(inputs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # undefined metrics on degenerate rows become NaN/None
        models = {name: _model_metrics(inputs, case, table, settings) for name, case in cases.items()}
        samples = (
            bootstrap.resample_scores(cases, headline, n_bootstrap, random_state) if n_bootstrap else None
        )
    _attach_intervals(models, samples)
    sections = inputs.kind.sections(inputs, cases, n_bootstrap, random_state) if inputs.kind.sections else {}
    notes = inputs.kind.notes(cases, inputs.network_name)
    comparisons = _comparisons(inputs, models, headline, samples)
    return to_jsonable(
        {
            "schema": SCHEMA,
            "task": inputs.task,
            "target": inputs.target,
            "n_test": len(inputs.y_true),
            "classes": inputs.classes,
            "network": inputs.network_name,
            "models": inputs.model_names,
            "metric_labels": {key: metric.label for key, metric in table.items()},
            "metric_notes": notes,
            "headline": [{"key": key, "label": m.label, "better": m.better} for key, m in headline.items()],
            "best": {key: _best(models, key, metric) for key, metric in headline.items()},
            "results": models,
            "comparisons": comparisons,
            "sections": sections,
            "primary": _primary(inputs, models, headline, comparisons),
            **({"pdfs": rejudged(inputs.pdfs, inputs.network_name, n_bootstrap, random_state)} if inputs.pdfs else {}),
            "bootstrap": {
                "n_resamples": n_bootstrap,
                "random_state": random_state,
                "level": bootstrap.LEVEL,
                "paired": True,
            },
        }
    )


def build_cases(inputs: EvaluationInputs) -> dict:
    """model name -> the case object its metrics take (class codes for classification)."""
    if inputs.kind.cases is not None:
        predictions = {name: inputs.predictions[name] for name in inputs.model_names}
        return inputs.kind.cases(inputs.y_true, predictions, inputs.network_name)
    if not inputs.kind.labelled:
        return {name: ValuedCase(inputs.y_true, inputs.predictions[name]) for name in inputs.model_names}
    code = {label: k for k, label in enumerate(inputs.classes)}
    encode = np.vectorize(code.__getitem__, otypes=[np.int64])
    y = encode(inputs.y_true)
    return {
        name: LabelledCase(
            y, encode(inputs.predictions[name]), inputs.probabilities.get(name), len(inputs.classes)
        )
        for name in inputs.model_names
    }


def _model_metrics(inputs: EvaluationInputs, case, table: dict[str, Metric], settings: Settings) -> dict:
    kind = inputs.kind
    result = {"scalars": {key: metric.compute(case) for key, metric in table.items()}, "bins": []}
    if kind.details is not None:
        result.update(kind.details(case, inputs.classes))
    bin_metrics = kind.bin_metrics(inputs.classes)
    if not kind.labelled:  # values are also judged per bin of the true value; labels have no order to bin
        result["bins"].append(bin_table(case, case.y, bin_metrics, settings.n_bins, inputs.target))
    if inputs.magnitude is not None:
        result["bins"].append(
            bin_table(case, inputs.magnitude, bin_metrics, settings.n_bins, inputs.magnitude_name)
        )
    return result


def _attach_intervals(models: dict, samples: dict | None) -> None:
    for name, result in models.items():
        result["intervals"] = (
            {key: bootstrap.percentile_interval(values) for key, values in samples[name].items()}
            if samples
            else {}
        )


def _comparisons(inputs: EvaluationInputs, models: dict, headline: dict[str, Metric], samples) -> dict:
    network = inputs.network_name
    empty = np.empty(0)
    return {
        baseline: {
            key: bootstrap.comparison(
                metric,
                models[network]["scalars"][key],
                models[baseline]["scalars"][key],
                samples[network][key] if samples else empty,
                samples[baseline][key] if samples else empty,
            )
            for key, metric in headline.items()
        }
        for baseline in inputs.model_names[1:]
    }


def _best(models: dict, key: str, metric: Metric) -> str | None:
    """The model whose value of `key` is best (the network wins ties); None when no model has one."""
    scored = [
        (metric.score(result["scalars"][key]), -order, name)
        for order, (name, result) in enumerate(models.items())
        if np.isfinite(result["scalars"][key])
    ]
    return max(scored)[2] if scored else None


def _primary(inputs: EvaluationInputs, models: dict, headline: dict[str, Metric], comparisons: dict) -> dict:
    """The answer to 'is the network better than the best baseline?' on the first headline metric."""
    key, metric = next(iter(headline.items()))
    baselines = {name: models[name] for name in inputs.model_names[1:]}
    best_baseline = _best(baselines, key, metric) if baselines else None
    if best_baseline is None:
        return {"metric": key, "best_baseline": None}
    return {"metric": key, "best_baseline": best_baseline, **comparisons[best_baseline][key]}
