"""[sweep] cv = k: k folds of the training split, fixed by [run] seed (stratified by class for a labelled task).

Each fold's network trains on the other k - 1 folds, with the trial's own starts and the untouched validation
split watching early stopping, and is scored with the sweep's metric on its held-out fold; the scores go to
the trial's cv.json (a recorded stage of its run directory, so --resume keeps them).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold

from astromlp.errors import AstromlpError
from astromlp.files import write_json
from astromlp.pipeline import models
from astromlp.pipeline.artifacts import load_prepared
from astromlp.pipeline.rundir import RunDirectory, content_key
from astromlp.pipeline.sweep_compare import CV_FILE, trial_outputs
from astromlp.reports.sweep import metric_value

CV = "cv"


@dataclass(frozen=True)
class Folds:
    """k folds of the training rows, shuffled by `seed`, stratified by class when `stratified`."""

    k: int
    seed: int
    stratified: bool

    def rows(self, y_train: np.ndarray, fold: int) -> tuple[np.ndarray, np.ndarray]:
        """(training rows, held-out rows) of fold `fold`, as indices into the training split."""
        if len(y_train) < self.k:
            raise AstromlpError(f"[sweep] cv = {self.k} needs at least {self.k} training rows, the training "
                                f"split has {len(y_train)}; lower cv")
        splitter = (StratifiedKFold if self.stratified else KFold)(self.k, shuffle=True, random_state=self.seed)
        fit, held = list(splitter.split(np.zeros((len(y_train), 1)), y_train))[fold]
        return fit, held


def write_cv(job, fold_starts: list[list] | None) -> bool:
    """Score the trial's folds into cv.json unless its record has the same key; True when reused. Without
    `fold_starts` (fitted by tasks elsewhere), each fold's starts are fitted here."""
    run_dir = RunDirectory(job.out)
    key = content_key({"config": job.text, "folds": vars(job.folds), "metric": job.metric,
                       "prepare": run_dir.manifest["prepare"]["key"]})
    with run_dir.claimed(resume=True):
        if run_dir.reusable(CV, key) is not None:
            run_dir.finish()
            return True
        started = time.perf_counter()
        scores = fold_scores(job, fold_starts)
        mean, std = float(np.mean(scores)), float(np.std(scores, ddof=1))
        write_json(run_dir / CV_FILE, {"k": job.folds.k, "seed": job.folds.seed, "stratified": job.folds.stratified,
                                       "metric": job.metric, "scores": scores, "mean": mean, "std": std})
        run_dir.record(CV, key, [CV_FILE], time.perf_counter() - started)
        run_dir.log(f"cv: {job.folds.k} folds, {job.metric} = {mean:.6g} (standard deviation {std:.2g})")
        run_dir.finish()
    return False


def fold_scores(job, fold_starts: list[list] | None) -> list[float]:
    """Each fold's network (its starts merged, or fitted here) scored on its held-out training rows."""
    from astromlp.pipeline.sweep_tasks import training_data

    config = job.config()
    prepared = load_prepared(RunDirectory(job.out))
    scores = []
    for fold in range(job.folds.k):
        data = training_data(job.out, fold, job.folds)
        model = (models.merge(fold_starts[fold], config.model, config.run.seed, data) if fold_starts
                 else models.fit_all_starts(config.task.kind, config.model, config.run.seed, data))
        _, held = job.folds.rows(prepared.y["train"], fold)
        X, y = prepared.X["train"][held], prepared.y["train"][held]
        outcome = trial_outputs(model, X, y, f"fold-{fold}", prepared.classes is not None)
        scores.append(metric_value(prepared.task, prepared.target, job.metric, y, prepared.classes, outcome))
    return scores
