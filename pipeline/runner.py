"""Runs the stages in order on one scheduler, reusing every stage whose inputs and config are unchanged.

A stage's key hashes its config sections and the content of what it reads (catalog files or the previous
stage's outputs), so `--resume` picks up after the last finished stage and `--force` recomputes all.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from importlib.metadata import version
from pathlib import Path

import dask

from astromlp.errors import printable
from astromlp.files import output_errors, write_json, write_with
from astromlp.nn import load as load_model
from astromlp.nn import save as save_model
from astromlp.nn.sparsity import weight_sparsity
from astromlp.pipeline import artifacts, models
from astromlp.pipeline.config import Config
from astromlp.pipeline.domain import training_domain
from astromlp.pipeline.evaluation import evaluation_inputs, network_thresholds, predictions_table
from astromlp.pipeline.lr_find import config_range_test
from astromlp.pipeline.progress import epoch_bars
from astromlp.pipeline.rundir import RunDirectory, read_json
from astromlp.pipeline.schedulers import Executor, executor
from astromlp.pipeline.stage_keys import CATALOGS, LABELS, Stage, key_inputs
from astromlp.pipeline.stages import Ingested, catalog_files, ingest, labels_file, prepare
from astromlp.reports import save_inputs, write_report
from astromlp.reports.storage import INPUTS_FILE, PREDICTIONS_FILE

MODEL = "model.zip"
TRAINING = "training.json"
INGEST = "ingest.json"
PREDICTIONS = "predictions.parquet"
REPORT = "report.html"
METRICS = "metrics.json"
DATA_STAGES = ("ingest", "prepare")
PACKAGES = ("numpy", "numba", "scipy", "scikit-learn", "pandas", "dask", "distributed", "astropy")


@dataclass
class RunOptions:
    """How to run a config: where, whether to reuse finished stages, on which scheduler, how loudly."""

    out: Path | None = None
    resume: bool = False
    force: bool = False
    scheduler: str | None = None
    workers: int | None = None
    quiet: bool = False
    starts: list | None = None  # this run's single-start fits, made elsewhere (a sweep's tasks): train merges them


@dataclass
class StageOutcome:
    name: str
    reused: bool
    seconds: float


@dataclass
class RunResult:
    """Where everything went and what each stage did."""

    run_dir: Path
    report: Path
    metrics: dict
    scheduler: str
    stages: list[StageOutcome] = field(default_factory=list)


@dataclass
class _Run:
    config: Config
    dir: RunDirectory
    executor: Executor
    force: bool
    outcomes: list[StageOutcome] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)
    ingested: Ingested | None = None  # this process's ingest, handed to prepare so files are opened once
    starts: list | None = None

    def stage(self, name: str, inputs: dict, compute: Callable[[], list[str]]) -> dict:
        """Reuse `name` if finished with the same key and intact outputs, else compute and record it."""
        key = self.dir.stage_key(name, inputs)
        previous = self.dir.reusable(name, key)
        if previous is not None and not self.force:
            self.dir.log(f"{name}: reused (key {key[:12]})")
            self.outcomes.append(StageOutcome(name, True, previous["seconds"]))
            return previous
        settled = [outcome.name for outcome in self.outcomes]
        if previous is None:  # new inputs or damaged outputs: this stage's files and all after it are stale
            self._invalidate(name, keep=settled)
        self.dir.log(f"{name}: started")
        start = time.perf_counter()
        outputs = compute()
        entry = self.dir.record(name, key, outputs, time.perf_counter() - start)
        if previous is not None and entry["outputs"] != previous["outputs"]:  # forced, and the result changed
            self._invalidate(name, keep=[*settled, name])
        self.dir.log(f"{name}: finished in {entry['seconds']:.2f} s (key {key[:12]})")
        self.outcomes.append(StageOutcome(name, False, entry["seconds"]))
        return entry

    def _invalidate(self, name: str, keep: list[str]) -> None:
        """Delete the recorded outputs of every stage not in `keep`, so no file of another run stays."""
        stale = self.dir.invalidate(keep)
        if stale:
            self.dir.log(f"{name}: removed the stale outputs of {', '.join(stale)}")


def run(config: Config, options: RunOptions | None = None) -> RunResult:
    """Run every stage of `config`; AstromlpError for user mistakes, the run directory holds the rest."""
    options = options or RunOptions()
    run_dir = RunDirectory(options.out or config.run_dir)
    show = not options.quiet and sys.stderr.isatty()
    command_line = options.scheduler is not None or options.workers is not None
    where = (options.scheduler, options.workers) if command_line else (config.run.scheduler, config.run.workers)
    advice = "free some space or make it writable, then rerun with --resume (finished stages are kept)"
    with (output_errors(f"into the run directory {run_dir.path}", advice),
          run_dir.claimed(resume=options.resume, force=options.force)):
        write_json(run_dir / "config.json", config.resolved())
        write_with(run_dir / "config.toml", lambda path: path.write_text(config.text, encoding="utf-8"))
        with executor(*where, show_progress=show) as ex:
            state = _Run(config, run_dir, ex, options.force, starts=options.starts)
            run_dir.log(f"run {config.path} on the {ex.description}")
            _run_stages(state)
        run_dir.finish()
    metrics = read_json(run_dir / METRICS)
    return RunResult(run_dir.path, run_dir / REPORT, metrics, ex.description, state.outcomes)


def prepare_data(config: Config, run_dir: RunDirectory, ex: Executor, force: bool = False) -> list[StageOutcome]:
    """Only the data stages (ingest, prepare) into a claimed run directory: a sweep prepares once, its trials
    reuse the files by the same stage keys."""
    state = _Run(config, run_dir, ex, force)
    _run_stages(state, [stage for stage in STAGES if stage.name in DATA_STAGES])
    return state.outcomes


def _run_stages(state: _Run, stages=None) -> None:
    """Every stage of `stages` (default STAGES) in order, each keyed by what it declares."""
    state.files = catalog_files(state.config)
    done: dict[str, object] = {CATALOGS: state.files, LABELS: labels_file(state.config)}
    for stage in stages or STAGES:
        entry = state.stage(stage.name, key_inputs(stage, state.config, done), partial(_compute, stage, state))
        done[stage.name] = entry["outputs"]


def _compute(stage: Stage, state: _Run) -> list[str]:
    stage.compute(state)
    return list(stage.outputs)


def _ingest(state: _Run) -> None:
    state.ingested = ingested = ingest(state.config, state.files)
    columns = {name: vars(info) for name, info in ingested.columns.items()}
    labels = {"labels": ingested.labels} if ingested.labels else {}
    write_json(state.dir / INGEST, {"files": state.files, "columns": columns, "roles": asdict(ingested.roles),
                                    "partitions": ingested.frame.npartitions, **labels})


def _prepare(state: _Run) -> None:
    ingested = state.ingested or ingest(state.config, state.files)  # a resumed run did not ingest here
    prepared = prepare(state.config, ingested, state.executor)
    for warning in prepared.summary["warnings"]:  # once the data is known to be usable; also in the report
        state.dir.log(f"WARNING: {warning}")
        print(f"astromlp: warning: {printable(warning)}", file=sys.stderr)
    artifacts.save_prepared(state.dir, prepared)


def _train(state: _Run) -> None:
    config, prepared = state.config, artifacts.load_prepared(state.dir)
    weights = prepared.weights or {}
    data = models.TrainingData(prepared.X["train"], prepared.y["train"], prepared.X["validation"],
                               prepared.y["validation"], weights.get("train"), weights.get("validation"))
    seeds = models.start_plan(config.model, config.run.seed)
    start = time.perf_counter()
    model = _fit(state, data, seeds)
    seconds = time.perf_counter() - start
    metadata = {**model_metadata(config, prepared, state.files),
                "operating_points": network_thresholds(config, model, prepared)}
    write_with(state.dir / MODEL, lambda path: save_model(model, path, metadata=metadata))
    write_json(state.dir / TRAINING, {**models.training_record(model), "seeds": seeds, "fit_seconds": round(seconds, 3),
                                      "sparsity": weight_sparsity(models.primary(model).coefs_,
                                                                  list(prepared.features))})


def _fit(state: _Run, data, seeds: list[int]):
    """Locally one K-start fit in this (main) thread; on a cluster one task per start, spread over workers (a
    one-vs-rest / one-vs-one model, whose members scikit-learn fits in turn, trains in this thread either way).

    Measured here: Numba's OpenMP kernels launched from a non-main thread (a Dask thread-pool task) run
    1.5 to 10 times slower, so local runs do not go through a scheduler thread for training.
    """
    task, params, seed = state.config.task.kind, state.config.model, state.config.run.seed
    if state.starts is not None:
        return models.merge(state.starts, params, seed, data)
    client, show = state.executor.client, state.executor.show_progress
    with epoch_bars(seeds, models.max_epochs(params), show, client) as (bars, topic):
        if client is None or models.multi_class(params) != "softmax":
            model = models.fit_all_starts(task, params, seed, data, bars.epoch)
        else:
            fit = dask.delayed(models.fit_one_start, pure=True)
            shared = dask.delayed(data, pure=True)
            tasks = [fit(task, params, start_seed, shared, topic if show else None) for start_seed in seeds]
            model = models.merge(list(state.executor.compute(*tasks, show_progress=False)), params, seed, data)
        bars.finish(models.primary(model).starts_)
    return model


def model_metadata(config: Config, prepared, files: list[dict] | None = None) -> dict:
    """What `predict` needs to turn a new catalog into the network's inputs exactly as in training, the
    training domain it flags rows outside of, and the training catalogs' hashes it records."""
    return {"astromlp_version": version("astromlp"), "task": prepared.task, "target": prepared.target,
            "features": artifacts.ordered_features(prepared.features), "normaliser": prepared.normaliser.to_dict(),
            "fill_values": prepared.fill_values, "missing": config.data.missing,
            "sentinels": list(config.data.sentinels), "keep_columns": list(config.data.keep_columns),
            "classes": prepared.classes, "training_files": files, "multi_class": models.multi_class(config.model),
            "target_map": dict(config.data.target_map or {}), "weight": config.data.weight,
            "domain": training_domain(prepared.X["train"], prepared.normaliser, config.data.select)}


def _evaluate(state: _Run) -> None:
    started = time.perf_counter()
    config, run_dir = state.config, state.dir
    prepared, model = artifacts.load_prepared(run_dir), load_model(run_dir / MODEL)
    training = read_json(run_dir / TRAINING)
    provenance = {"config_text": config.text, "seed": config.run.seed, "astromlp_version": version("astromlp"),
                  "package_versions": {name: version(name) for name in PACKAGES}, "input_files": state.files,
                  "timings": {o.name: o.seconds for o in state.outcomes}, "scheduler": state.executor.description}
    if config.report.lr_find:
        training = {**training, "lr_find": config_range_test(config, prepared).to_dict()}
    inputs = evaluation_inputs(config, prepared, model, training, provenance)
    write_with(run_dir / PREDICTIONS,
                lambda path: predictions_table(prepared, inputs).to_parquet(path, index=False))
    # the stage so far (predictions, baselines); the report adds its own time as "report"
    inputs.provenance["timings"]["evaluate"] = round(time.perf_counter() - started, 3)
    save_inputs(run_dir.path, inputs)
    write_report(run_dir.path, inputs, random_state=config.run.seed)  # n_bootstrap: the config's, as a rebuild


# The stages in order. A stage's key covers its config entries and the outputs of its inputs, so changing an
# entry reruns the stages declaring it and every stage downstream (tests/pipeline/test_stage_keys.py).
STAGES = (
    Stage("ingest", config=("data", "task", "features", "split.key", "report.magnitude"),
          inputs=(CATALOGS, LABELS),
          outputs=(INGEST,), compute=_ingest),
    Stage("prepare", config=("data", "task", "features", "split", "normalise", "run.seed"), inputs=("ingest",),
          outputs=artifacts.PREPARED_FILES, compute=_prepare),
    # the [report] targets too: the model file carries the network's thresholds for predict's flags
    Stage("train", config=("task", "model", "run.seed", "report.purity", "report.completeness"),
          inputs=("prepare",), outputs=(MODEL, TRAINING),
          compute=_train),
    Stage("evaluate", config=("report", "run.seed"), inputs=("prepare", "train"),
          outputs=(PREDICTIONS, INPUTS_FILE, PREDICTIONS_FILE, METRICS, REPORT), compute=_evaluate),
)

