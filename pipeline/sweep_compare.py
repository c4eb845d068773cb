"""Reads finished run directories (a sweep's trials or runs made separately) into the comparison that
reports/sweep.py computes: each network's predictions on the shared validation rows, its test metrics and
its training record. Runs whose splits differ are refused, since a paired comparison needs the same rows."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import numpy as np

from astromlp.errors import AstromlpError
from astromlp.files import write_text
from astromlp.nn import load as load_model
from astromlp.pipeline import artifacts
from astromlp.pipeline.evaluation import NETWORK, network_outputs
from astromlp.pipeline.predict_pdf import is_density
from astromlp.pipeline.rundir_manifest import read_manifest
from astromlp.reports.pdf_metrics import crps
from astromlp.reports.sweep import TrialOutcome, compare_trials, default_metric, sweep_metrics, write_sweep_report

BEST = "best.toml"
SWEPT_SECTIONS = ("model", "normalise", "features")
CV_FILE = "cv.json"
PDF_SCORES = {"crps": crps}  # reports.sweep.PDF_METRICS key -> per-row score of (bin probabilities, edges, truth)


def trial_outputs(model, X: np.ndarray, y: np.ndarray, name: str, labelled: bool) -> TrialOutcome:
    """A network's outputs on the rows X: labels and probabilities, or values, and for a density network the
    per-row PDF scores (CRPS) the sweep can rank by."""
    predicted, proba = network_outputs(model, X, labelled)
    extra = {}
    if is_density(model):
        prob = model.predict_bins(X)
        extra = {key: score(prob, model.bin_edges_, np.asarray(y, np.float64)) for key, score in PDF_SCORES.items()}
    return TrialOutcome(name=name, params={}, predicted=predicted, proba=proba, test={}, training={},
                        config_text="", run_dir="", extra=extra)


def load_trial(run_dir: Path, name: str, params: dict | None = None, cv: bool = False):
    """One finished run directory as a TrialOutcome plus its prepared validation split and row indices."""
    run_dir = Path(run_dir)
    try:
        if not read_manifest(run_dir)["complete"]:
            raise AstromlpError(f"{run_dir} holds no finished run; finish it with `astromlp run CONFIG --resume`")
        prepared = artifacts.load_prepared(run_dir)
        model = load_model(run_dir / "model.zip")
        outputs = trial_outputs(model, prepared.X["validation"], prepared.y["validation"], name,
                                prepared.classes is not None)
        if cv:
            outputs.extra["cv"] = json.loads((run_dir / CV_FILE).read_text(encoding="utf-8"))
        test = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
        training = json.loads((run_dir / "training.json").read_text(encoding="utf-8"))
        config = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
        text = (run_dir / "config.toml").read_text(encoding="utf-8")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AstromlpError(f"{run_dir}: not a readable astromlp run directory ({type(exc).__name__}: {exc}); "
                            "give the run directories `astromlp run` wrote") from None
    outcome = dataclasses.replace(outputs, params=params or {}, test=test, training=training, config_text=text,
                                  run_dir=str(run_dir))
    return outcome, prepared, config


def compare_dirs(run_dirs: list[Path], metric: str | None, *, names: list[str] | None = None,
                 params: list[dict] | None = None, n_bootstrap: int = 200, seed: int = 0,
                 swept=None, log_scaled=(), cv: bool = False) -> dict:
    """The comparison of finished runs on their shared validation rows (JSON-able, see reports.sweep); with
    `cv`, ranked by their cv.json fold scores."""
    if not run_dirs:
        raise AstromlpError("no run directories to compare; give at least one")
    names = names or [Path(d).name for d in run_dirs]
    if len(set(names)) != len(names):
        names = [f"{k:02d}-{name}" for k, name in enumerate(names)]
    params_or_none = params or [None] * len(run_dirs)
    loaded = [load_trial(d, n, p, cv) for d, n, p in zip(run_dirs, names, params_or_none, strict=True)]
    reference = loaded[0][1]
    for outcome, prepared, _ in loaded[1:]:
        _check_same_rows(reference, prepared, loaded[0][0].run_dir, outcome.run_dir)
    if params is None:
        swept = _differing([config for *_, config in loaded])
        for outcome, _, config in loaded:
            outcome.params.update({key: _entry(config, key) for key in swept})
    density = all(set(PDF_SCORES) <= set(outcome.extra) for outcome, *_ in loaded)
    metrics = sweep_metrics(reference.task, density)
    metric = metric or default_metric(reference.task, density)
    if metric not in metrics:
        raise AstromlpError(f"metric {metric!r} is not a {reference.task} metric; choose one of {', '.join(metrics)}")
    return compare_trials(reference.task, reference.target, metric, reference.y["validation"], reference.classes,
                          [outcome for outcome, *_ in loaded], swept=list(swept or []), log_scaled=list(log_scaled),
                          n_bootstrap=n_bootstrap, random_state=seed, network=NETWORK)


def _check_same_rows(reference, prepared, first: str, other: str) -> None:
    """A paired comparison needs the same test and validation rows in every run."""
    for split in ("test", "validation"):
        a, b = reference.rows[split], prepared.rows[split]
        same = a.shape == b.shape and np.array_equal(a, b) and np.array_equal(reference.y[split], prepared.y[split])
        if not same:
            raise AstromlpError(f"{other}: its {split} split differs from that of {first} ({len(b):,} rows against "
                                f"{len(a):,}, or other rows); compare only runs of the same data, [split] and "
                                "[run] seed")
    if reference.task != prepared.task or reference.target != prepared.target:
        raise AstromlpError(f"{other}: a {prepared.task} run of {prepared.target!r}, not {reference.task} of "
                            f"{reference.target!r} as {first}; compare runs of one task")


def _entry(config: dict, key: str):
    section, _, name = key.partition(".")
    values = config.get(section, {})
    return values.get(name) if name else ", ".join(values)


def _differing(configs: list[dict]) -> list[str]:
    """The "section.key" entries (or "features", as the list of names) whose values differ between runs."""
    keys = []
    for section in SWEPT_SECTIONS:
        if section == "features":
            if len({json.dumps(c.get(section), sort_keys=True) for c in configs}) > 1:
                keys.append(section)
            continue
        names = sorted({name for c in configs for name in c.get(section, {})})
        keys += [f"{section}.{name}" for name in names
                 if len({json.dumps(c.get(section, {}).get(name)) for c in configs}) > 1]
    return keys


def write_comparison(out: Path, run_dirs: list[Path], metric: str | None, *, swept=None, log_scaled=(),
                     params: list[dict] | None = None, settings=None, seed: int = 0, best_toml: bool = True,
                     names: list[str] | None = None, cv: bool = False) -> dict:
    """Compare the runs and write sweep.json, sweep.html and (for a sweep) best.toml into `out`."""
    n_bootstrap = settings.n_bootstrap if settings is not None else 200
    comparison = compare_dirs(run_dirs, metric, names=names or [Path(d).name for d in run_dirs], params=params,
                              n_bootstrap=n_bootstrap, seed=seed, swept=swept, log_scaled=log_scaled, cv=cv)
    for trial in comparison["trials"]:  # relative, so a copied or resumed sweep directory writes the same JSON
        trial["run_dir"] = os.path.relpath(trial["run_dir"], out)
    files = write_sweep_report(out, comparison)
    if best_toml:
        best = next(t for t in comparison["trials"] if t["name"] == comparison["best"])
        write_text(Path(out) / BEST, (Path(out) / best["run_dir"] / "config.toml").read_text(encoding="utf-8"))
        files.append(BEST)
    comparison["files"] = files
    return comparison
