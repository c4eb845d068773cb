"""The `astromlp sweep` and `astromlp compare` commands; `cli.py` registers them on the `astromlp` group."""

from __future__ import annotations

import os
from pathlib import Path

import click

from astromlp.errors import AstromlpError
from astromlp.pipeline.commands import quiet_option, run_options, scheduler_option, workers_option


@click.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--out", type=click.Path(file_okay=False), help="Sweep directory (default: [run] out of CONFIG).")
@click.option("--resume", is_flag=True, help="Keep the finished trials whose keys are unchanged; run the rest.")
@click.option("--force", is_flag=True, help="Recompute the data stages and every trial.")
@scheduler_option
@workers_option
@quiet_option
def sweep(config, out, resume, force, scheduler, workers, quiet) -> None:
    """Train every trial of a [sweep] config and compare them.

    Ingest and prepare run once; each trial (a grid point or random draw over [model], [normalise] and named
    feature sets) writes an ordinary run directory under SWEEP_DIR/trials, on a cluster with every start a
    Dask task. The trials are ranked on the validation split (or, with [sweep] cv = k, by the mean over k folds
    of the training split) in SWEEP_DIR/sweep.html and sweep.json; best.toml is the chosen config.

    \b
    Example:
      astromlp sweep sweep.toml --workers 4
    """
    from astromlp.pipeline.sweep import run_sweep
    from astromlp.pipeline.sweep_config import load_sweep

    options = run_options(out, resume, force, scheduler, workers, quiet)
    result = run_sweep(load_sweep(config), options)
    if quiet:
        click.echo(result.report)
        return
    best = result.comparison["best"]
    trial = next(t for t in result.comparison["trials"] if t["name"] == best)
    label = result.comparison["metric"]["label"]
    score = (f"{label} over {len(trial['cv']['scores'])} folds = {trial['cv']['mean']:.4g} ± {trial['cv']['std']:.2g}"
             if "cv" in trial else f"{label} on validation = {trial['validation']['value']:.4g}")
    click.echo(f"astromlp sweep {os.path.normpath(config)}: {len(result.comparison['trials'])} trials on the "
               f"{result.scheduler} ({len(result.reused)} reused)\n"
               f"best: {best} ({score})\n"
               f"report: {result.report}\nbest config: {result.sweep_dir / 'best.toml'}")


@click.command()
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(file_okay=False))
@click.option("-o", "--out", required=True, type=click.Path(file_okay=False),
              help="Folder for sweep.html and sweep.json.")
@click.option("--metric", default=None, help="Metric to rank by (default: the task's headline metric).")
@click.option("--bootstrap", "n_bootstrap", default=200, show_default=True, type=click.IntRange(min=0),
              help="Bootstrap resamples of the validation rows for the intervals (0: none).")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0), help="Seed of the resamples.")
def compare(run_dirs, out, metric, n_bootstrap, seed) -> None:
    """Compare finished runs on their shared validation rows.

    Builds the sweep page (sweep.html, sweep.json) from runs made separately; refuses runs whose splits
    differ, since a paired comparison needs the same rows.

    \b
    Example:
      astromlp compare runs/small runs/large -o comparison
    """
    from astromlp.files import output_errors
    from astromlp.pipeline.sweep_compare import write_comparison

    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise AstromlpError(f"--out {folder} is not a folder; choose another")
    folder.mkdir(parents=True, exist_ok=True)
    with output_errors(f"the comparison into {folder}", "free some space or make the folder writable"):
        write_comparison(folder, [Path(d) for d in run_dirs], metric, seed=seed, best_toml=False,
                         settings=_Bootstrap(n_bootstrap))
    click.echo(folder / "sweep.html")


class _Bootstrap:
    """The one report setting the comparison reads."""

    def __init__(self, n_bootstrap: int):
        self.n_bootstrap = n_bootstrap


COMMANDS = (sweep, compare)
