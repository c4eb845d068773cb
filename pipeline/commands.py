"""The pipeline's subcommands (run, demo, predict, init, lr-find); `cli.py` registers them on the `astromlp` group."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from astromlp.errors import AstromlpError
from astromlp.pipeline.kinds import TASK_KINDS
from astromlp.pipeline.templates import TASK_NAMES, template

DEMO_TASKS = tuple(name for name, kind in TASK_KINDS.items() if kind.demo)
scheduler_option = click.option(
    "--scheduler", metavar="ADDRESS",
    help="tcp://HOST:PORT of a running Dask scheduler, or threads / synchronous / processes.")
workers_option = click.option(
    "--workers", type=click.IntRange(min=1), metavar="N",
    help="Start a local Dask cluster of N worker processes (one thread each) for this run.")
quiet_option = click.option("--quiet", is_flag=True, help="No progress bars; print only the output paths.")


def run_options(out, resume, force, scheduler, workers, quiet):
    from astromlp.pipeline.runner import RunOptions
    from astromlp.pipeline.schedulers import check_scheduler

    if resume and force:
        raise AstromlpError("--resume and --force contradict each other; give one of them")
    check_scheduler(scheduler, "--scheduler: ")
    return RunOptions(out=Path(out) if out else None, resume=resume, force=force, scheduler=scheduler,
                      workers=workers, quiet=quiet)


@click.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--out", type=click.Path(file_okay=False), help="Run directory (default: [run] out of CONFIG).")
@click.option("--resume", is_flag=True, help="Reuse the finished stages whose inputs and config are unchanged.")
@click.option("--force", is_flag=True, help="Recompute every stage of an existing run directory.")
@scheduler_option
@workers_option
@quiet_option
def run(config, out, resume, force, scheduler, workers, quiet) -> None:
    """Train and evaluate a model as a TOML config says.

    Runs the stages ingest, prepare, train and evaluate for CONFIG and writes the model, the metrics and
    report.html into the run directory.

    \b
    Example:
      astromlp run photoz.toml --workers 4
    """
    from astromlp.pipeline.config import load_config
    from astromlp.pipeline.runner import run as run_config
    from astromlp.pipeline.summary import summary_text

    options = run_options(out, resume, force, scheduler, workers, quiet)
    result = run_config(load_config(config), options)
    click.echo(result.report if quiet else summary_text(result, f"astromlp run {os.path.normpath(config)}"))


@click.command()
@click.option("--out", type=click.Path(file_okay=False), default="astromlp-demo", show_default=True,
              help="Folder for the demo's configs and run directories.")
@scheduler_option
@workers_option
@quiet_option
def demo(out, scheduler, workers, quiet) -> None:
    """Run both demo tasks on the bundled SDSS sample.

    Classifies GALAXY / STAR / QSO and estimates galaxy redshifts, writing a config, a run directory and a
    report.html per task into OUT.

    \b
    Example:
      astromlp demo --out astromlp-demo
    """
    from astromlp.files import write_text
    from astromlp.pipeline.config import parse_config
    from astromlp.pipeline.rundir import RunDirectory
    from astromlp.pipeline.runner import run as run_config
    from astromlp.pipeline.summary import summary_text

    folder = RunDirectory(Path(out)).path.resolve()
    texts = {folder / f"{task}.toml": template(task, out=task) for task in DEMO_TASKS}
    for path, text in texts.items():  # refuse before any training, not after the first task
        _check_demo_config(path, text)
        RunDirectory.refuse_foreign(folder / path.stem)
    for path, text in texts.items():  # each report path once: in its summary, or alone with --quiet
        write_text(path, text)
        task = path.stem
        options = run_options(None, True, False, scheduler, workers, quiet)
        result = run_config(parse_config(text, path), options)
        click.echo(f"report: {result.report}" if quiet else summary_text(result, f"demo: {task}") + "\n")


def _check_demo_config(path: Path, text: str) -> None:
    """A demo config may be (re)written only where none is, or an identical one: never over the user's file."""
    if not (path.is_symlink() or path.exists()):
        return
    if path.is_file() and not path.is_symlink() and path.read_bytes() == text.encode("utf-8"):
        return
    raise AstromlpError(f"{path} already exists and is not the demo's config; the demo never overwrites a "
                        "file it did not write: choose another --out")


@click.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.argument("catalogs", nargs=-1, required=True)
@click.option("-o", "--output", required=True, type=click.Path(),
              help="Output catalog: .fits, .fits.gz or .parquet (written atomically); for a photoz-pdf model also "
                   ".hdf5, a qp ensemble of the PDFs with the point estimates as its ancillary table; for a HATS "
                   "input, a directory without suffix (or hats:DIR) gets a HATS catalog with the input's pixels.")
@click.option("--keep", multiple=True, metavar="COLUMN",
              help="Also copy this catalog column into the output (repeatable); the model's id/ra/dec are kept.")
@click.option("--select", "select", default=None, metavar="EXPR",
              help="Predict only rows passing this condition, e.g. \"(r < 19) & (0 < z < 2)\" (the [data] select "
                   "language; false where a compared value is missing).")
@scheduler_option
@workers_option
@quiet_option
def predict(model, catalogs, output, keep, select, scheduler, workers, quiet) -> None:
    """Apply a trained model to new catalogs.

    MODEL is a run's model.zip; its features, sentinels and normalisation are applied to CATALOGS
    partition by partition, streaming the predictions into OUTPUT.

    \b
    Example:
      astromlp predict runs/photoz/model.zip new_galaxies.fits -o photoz.parquet --select "r < 19"
    """
    from astromlp.pipeline.predict import predict_catalogs
    from astromlp.pipeline.schedulers import executor

    with executor(scheduler, workers, show_progress=not quiet and sys.stderr.isatty()):
        rows = predict_catalogs(Path(model), list(catalogs), Path(output), list(keep), select=select,
                                warn=lambda line: click.echo(f"warning: {line}", err=True))
    click.echo(os.path.normpath(output) if quiet else f"wrote {rows} rows of predictions to {os.path.normpath(output)}")


@click.command()
@click.option("--task", type=click.Choice(TASK_NAMES), default="classification", show_default=True,
              help="Which kind of run the template sets up.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="astromlp.toml", show_default=True,
              help="Where to write the config.")
@click.option("--force", is_flag=True, help="Overwrite OUTPUT if it exists.")
def init(task, output, force) -> None:
    """Write a commented config template.

    The template runs as written on the bundled sample; point [data] catalogs at your own files and adapt
    [task] and [features] to their columns.

    \b
    Example:
      astromlp init --task photoz -o photoz.toml
    """
    from astromlp.files import write_text

    path = Path(output)
    if path.exists() and not force:
        raise AstromlpError(f"{path} already exists; choose another --output or pass --force to overwrite it")
    if not path.parent.is_dir():
        raise AstromlpError(f"folder {path.parent} does not exist; create it or choose another --output")
    text = template(task)
    try:
        write_text(path, text)
    except OSError as exc:
        raise AstromlpError(f"cannot write {path} ({exc.strerror}); choose another --output") from None
    click.echo(f"wrote {path}; run it with:  astromlp run {path}")


@click.command("lr-find")
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="lr_find.html", show_default=True,
              help="The HTML page with the loss-versus-rate figure (written atomically).")
@click.option("--steps", type=click.IntRange(min=10), default=200, show_default=True,
              help="Minibatches, each at a larger rate.")
@click.option("--start", type=click.FloatRange(min=0, min_open=True), default=1e-6, show_default=True,
              help="The first (smallest) learning rate.")
@click.option("--stop", type=click.FloatRange(min=0, min_open=True), default=10.0, show_default=True,
              help="The last (largest) learning rate; the test stops earlier once the loss diverges.")
def lr_find_command(config, output, steps, start, stop) -> None:
    """Suggest a learning rate for CONFIG by a range test.

    Trains a fresh network on CONFIG's training split for STEPS minibatches while the learning rate grows
    exponentially from START to STOP, plots the loss against the rate and suggests the rate where the
    loss falls fastest, before its minimum. Nothing is written but OUTPUT.

    \b
    Example:
      astromlp lr-find photoz.toml -o lr_find.html
    """
    from astromlp.pipeline.lr_find import range_test

    suggestion = range_test(Path(config), Path(output), steps, start, stop, sys.stderr.isatty())
    click.echo(f"suggested learning_rate = {suggestion:.3g}; the loss-versus-rate figure is in "
               f"{os.path.normpath(output)}")


COMMANDS = (run, demo, predict, init, lr_find_command)
