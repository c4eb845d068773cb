"""A sweep's work cut into tasks: one per start of every trial (and of every cross-validation fold), then one
per trial merging its starts into the ordinary run and scoring its folds. Start k of a K-start fit equals a
one-start fit with the k-th start seed, so the tasks give the local scheduler's trials bit for bit.

A task gets only the trial's directory and reads the prepared arrays there (hard links to the shared data
folder), so no array is shipped per task. Not memory-mapped: Numba types read-only arrays apart, and would
compile every kernel a second time for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from astromlp.errors import AstromlpError
from astromlp.pipeline import models
from astromlp.pipeline.artifacts import load_prepared
from astromlp.pipeline.config import parse_config
from astromlp.pipeline.rundir import RunDirectory
from astromlp.pipeline.rundir_manifest import read_manifest
from astromlp.pipeline.runner import RunOptions, run
from astromlp.pipeline.sweep_cv import Folds, write_cv


@dataclass(frozen=True)
class TrialJob:
    """What a trial's tasks need: its config text, the sweep config's path (for error lines), its run
    directory, the sweep's ranking metric and its folds (None without [sweep] cv)."""

    name: str
    text: str
    path: str
    out: str
    metric: str
    folds: Folds | None = None

    def config(self):
        return parse_config(self.text, Path(self.path))

    def seeds(self) -> list[int]:
        """The start seeds, each one task; none for a one-vs-rest / one-vs-one model, whose members
        scikit-learn fits in turn (its finishing task trains it, as the runner does)."""
        config = self.config()
        if models.multi_class(config.model) != "softmax":
            return []
        return models.start_plan(config.model, config.run.seed)


def training_data(out: str, fold: int | None = None, folds: Folds | None = None) -> models.TrainingData:
    """The trial's training and validation arrays (and [data] weights), read from its directory, as the train
    stage builds them; with a fold, that fold's training rows only."""
    prepared = load_prepared(RunDirectory(out))
    X, y, w = prepared.X, prepared.y, prepared.weights or {}
    fit = slice(None) if fold is None else folds.rows(y["train"], fold)[0]
    weight = w.get("train")
    return models.TrainingData(X["train"][fit], y["train"][fit], X["validation"], y["validation"],
                               None if weight is None else weight[fit], w.get("validation"))


def fit_start(job: TrialJob, seed: int, fold: int | None = None):
    """One start of the trial (on one fold's training rows, with a fold), as a one-start estimator."""
    config = job.config()
    try:
        return models.fit_one_start(config.task.kind, config.model, seed, training_data(job.out, fold, job.folds))
    except AstromlpError as exc:
        raise AstromlpError(f"sweep {job.name}: {exc}") from None


def finish_trial(job: TrialJob, starts: list | None = None, fold_starts: list[list] | None = None) -> dict:
    """The trial as an ordinary run (its data stages reused, its starts merged when given, else fitted here),
    then its fold scores; the outcome the sweep logs."""
    options = RunOptions(out=Path(job.out), resume=True, scheduler="synchronous", quiet=True, starts=starts)
    try:
        result = run(job.config(), options)
        cv_reused = write_cv(job, fold_starts) if job.folds is not None else True
    except AstromlpError as exc:  # on a worker too: the one line names the trial
        raise AstromlpError(f"sweep {job.name}: {exc}") from None
    return {"reused": cv_reused and all(stage.reused for stage in result.stages),
            "seconds": round(sum(stage.seconds for stage in result.stages if not stage.reused), 3),
            "start_tasks": len(starts or []), "fold_tasks": [len(fold) for fold in fold_starts or []]}


def recorded(job: TrialJob, stage: str, force: bool) -> bool:
    """Whether the trial's run already holds a finished `stage` ("train", "cv") of this very config; then no
    start task is sent for it: the runner reuses it by key (were the key stale after all, the finishing task
    would fit it itself)."""
    out = Path(job.out)
    try:
        same = (out / "config.toml").read_text(encoding="utf-8") == job.text
        return not force and same and stage in read_manifest(out)["stages"]
    except (OSError, AstromlpError):
        return False
