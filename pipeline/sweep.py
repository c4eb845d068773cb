"""Runs a sweep: ingest and prepare once per distinct data configuration, then every trial (on a cluster, one
task per start and a finishing task) writing an ordinary run directory (trials/trial-NNN), then the comparison
(sweep.html, sweep.json, best.toml).

A trial's run directory starts with the shared data stages' files linked in and their manifest entries
copied, so the ordinary runner reuses them by key and trains and evaluates only. `--resume` reruns only the
trials whose stage keys changed or that did not finish; each trial trains with the seeds of its config, so a
resumed sweep equals an uninterrupted one bit for bit.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from astromlp.files import output_errors, write_json
from astromlp.pipeline.config import Config, parse_config
from astromlp.pipeline.rundir import RunDirectory, content_key
from astromlp.pipeline.runner import DATA_STAGES, STAGES, RunOptions, prepare_data
from astromlp.pipeline.schedulers import Executor, executor
from astromlp.pipeline.sweep_compare import write_comparison
from astromlp.pipeline.sweep_config import Sweep, Trial
from astromlp.pipeline.sweep_cv import CV, Folds
from astromlp.pipeline.sweep_tasks import TrialJob, finish_trial, fit_start, recorded

TRIALS = "trials"
DATA = "data"
PLAN = "sweep_plan.json"


@dataclass
class SweepResult:
    """Where the sweep went, the comparison it wrote and how each trial ran."""

    sweep_dir: Path
    report: Path
    comparison: dict
    scheduler: str
    reused: list[str]
    data_dirs: list[Path]


def run_sweep(sweep: Sweep, options: RunOptions | None = None) -> SweepResult:
    """Every trial of `sweep` on the chosen scheduler, then their comparison; AstromlpError for user mistakes."""
    options = options or RunOptions()
    sweep_dir = RunDirectory(options.out or sweep.out)
    show = not options.quiet and sys.stderr.isatty()
    command_line = options.scheduler is not None or options.workers is not None
    base = sweep.base
    where = (options.scheduler, options.workers) if command_line else (base.run.scheduler, base.run.workers)
    advice = "free some space or make it writable, then rerun with --resume (finished trials are kept)"
    with (output_errors(f"into the sweep directory {sweep_dir.path}", advice),
          sweep_dir.claimed(resume=options.resume, force=options.force)):
        plan = [{"trial": t.name, "params": t.params} for t in sweep.trials]
        write_json(sweep_dir / PLAN, {"config": str(sweep.path), "metric": sweep.metric, "trials": plan})
        sweep_dir.record("plan", content_key(plan), [PLAN], 0.0)
        with executor(*where, show_progress=show) as ex:
            sweep_dir.log(f"sweep {sweep.path}: {len(sweep.trials)} trials on the {ex.description}")
            configs = [parse_config(trial.text, sweep.path) for trial in sweep.trials]
            data_dirs = _prepare_shared(configs, sweep_dir, ex, options.force)
            for trial, config in zip(sweep.trials, configs, strict=True):
                _seed(_trial_dir(sweep_dir, trial), data_dirs[_data_key(config)], DATA_STAGES, options.force)
            reused = _run_trials(_jobs(sweep, sweep_dir), sweep_dir, ex, show, options.force)
        started = time.perf_counter()
        comparison = write_comparison(sweep_dir.path, [_trial_dir(sweep_dir, t).path for t in sweep.trials],
                                      sweep.metric, swept=sweep.swept, log_scaled=sweep.log_scaled,
                                      params=[t.params for t in sweep.trials], settings=base.report,
                                      seed=base.run.seed, cv=sweep.cv is not None)
        sweep_dir.record("compare", content_key(comparison), comparison["files"], time.perf_counter() - started)
        sweep_dir.log(f"compare: best {comparison['best']} by validation {sweep.metric}")
        sweep_dir.finish()
    return SweepResult(sweep_dir.path, sweep_dir / comparison["files"][0], comparison, ex.description, reused,
                       sorted(RunDirectory(p).path for p in data_dirs.values()))


def _trial_dir(sweep_dir: RunDirectory, trial: Trial) -> RunDirectory:
    return RunDirectory(sweep_dir / TRIALS / trial.name)


def _data_key(config: Config) -> str:
    """Trials with equal data-stage config entries share one ingest and one prepare."""
    entries = {stage.name: {e: config.value(e) for e in stage.config} for stage in STAGES if stage.name in DATA_STAGES}
    return content_key(entries)


def _prepare_shared(configs: list[Config], sweep_dir: RunDirectory, ex: Executor, force: bool) -> dict[str, Path]:
    """Ingest and prepare once per distinct data configuration, into data/NN; data key -> that folder. A later
    folder starts from the first one's ingest, reused when its key matches (e.g. only [normalise] differs)."""
    folders: dict[str, Path] = {}
    for config in configs:
        key = _data_key(config)
        if key in folders:
            continue
        folder = RunDirectory(sweep_dir / DATA / f"{len(folders):02d}")
        if folders:
            _seed(folder, next(iter(folders.values())), ("ingest",), force)
        with folder.claimed(resume=True, force=force):
            for outcome in prepare_data(config, folder, ex, force=force and not folders):
                sweep_dir.log(f"data {folder.path.name}: {outcome.name} "
                              f"{'reused' if outcome.reused else f'computed in {outcome.seconds:.2f} s'}")
        folders[key] = folder.path
    return folders


def _seed(target: RunDirectory, source: Path, stages: tuple[str, ...], force: bool) -> None:
    """Give `target` the finished `stages` of `source` (files hard-linked, manifest entries copied) unless it
    has them with the same keys; the runner still checks keys and hashes before reusing them."""
    with target.claimed(resume=True, force=force):
        wanted = {name: RunDirectory(source).manifest[name] for name in stages}
        have = target.manifest
        if not force and all(have.get(name, {}).get("key") == entry["key"] for name, entry in wanted.items()):
            return
        target.invalidate(keep=[])
        for name, entry in wanted.items():
            for output in entry["outputs"]:
                _link(source / output, target / output)
            target.record(name, entry["key"], list(entry["outputs"]), entry["seconds"])


def _link(source: Path, target: Path) -> None:
    """A hard link (no copy of the prepared arrays), or a copy where the file system has none."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _jobs(sweep: Sweep, sweep_dir: RunDirectory) -> list[TrialJob]:
    folds = sweep.cv and Folds(sweep.cv, sweep.base.run.seed, sweep.base.kind.labelled)
    return [TrialJob(t.name, t.text, str(sweep.path), str(_trial_dir(sweep_dir, t).path), sweep.metric, folds or None)
            for t in sweep.trials]


def _run_trials(jobs: list[TrialJob], sweep_dir: RunDirectory, ex: Executor, show: bool, force: bool) -> list[str]:
    """Every trial: in this process one after another locally (Numba's threads run fastest from the main
    thread), or as tasks on a cluster; a bar over trials and one log line per trial."""
    reused = []
    with tqdm(total=len(jobs), desc="trials", unit="trial", file=sys.stderr, disable=not show) as bar:
        for name, outcome in _outcomes(jobs, ex, force):
            state = "reused (finished before)" if outcome["reused"] else f"trained in {outcome['seconds']:.2f} s"
            sweep_dir.log(f"{name}: {state}{_tasks(outcome)}")
            reused += [name] if outcome["reused"] else []
            bar.update()
    return sorted(reused)


def _tasks(outcome: dict) -> str:
    """How a trial's starts ran, when they were tasks: " (2 start tasks, 3 folds of 2 start tasks)"."""
    folds = outcome["fold_tasks"]
    parts = ([f"{outcome['start_tasks']} start tasks"] if outcome["start_tasks"] else []) + (
        [f"{len(folds)} folds of {folds[0]} start tasks"] if folds else [])
    return f" ({', '.join(parts)})" if parts else ""


def _outcomes(jobs: list[TrialJob], ex: Executor, force: bool):
    """(trial name, outcome) as trials finish: locally in turn; on a cluster one task per start of every trial
    and fold (all sent first, so they spread over the workers), then one finishing task per trial."""
    if ex.client is None:
        for job in jobs:
            yield job.name, finish_trial(job)
        return
    from distributed import as_completed

    client, tag = ex.client, f"{os.getpid()}-{time.time_ns()}"

    def starts(job: TrialJob, fold: int | None) -> list:
        return [client.submit(fit_start, job, seed, fold, key=f"astromlp-{job.name}-{fold}-{k}-{tag}", pure=False)
                for k, seed in enumerate(job.seeds())]

    fitted = {job.name: None if recorded(job, "train", force) or not job.seeds() else starts(job, None)
              for job in jobs}
    folds = {job.name: None if job.folds is None or recorded(job, CV, force) or not job.seeds()
             else [starts(job, fold) for fold in range(job.folds.k)] for job in jobs}
    # a trial finishes as soon as its starts are in (priority over the remaining starts), so results stream
    futures = {client.submit(finish_trial, job, fitted[job.name], folds[job.name], key=f"astromlp-{job.name}-{tag}",
                             pure=False, priority=1): job.name for job in jobs}
    for future in as_completed(futures):
        yield futures[future], future.result()
