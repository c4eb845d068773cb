"""The `astromlp` command line: one-line errors with exit code 2, tracebacks only under --debug."""

from __future__ import annotations

import atexit
import os
import sys
from importlib.metadata import version

import click

from astromlp.errors import AstromlpError, printable
from astromlp.pipeline.commands import COMMANDS as PIPELINE_COMMANDS
from astromlp.pipeline.sweep_cli import COMMANDS as SWEEP_COMMANDS


def _fail(message: str) -> None:
    """One line on stderr (whatever the message holds, control characters escaped) and exit code 2."""
    click.echo("astromlp: error: " + printable(" ".join(message.split())), err=True)
    sys.exit(2)


class _Group(click.Group):
    """Turns AstromlpError and click's usage errors into one line on stderr and exit code 2 (AstromlpError
    shows its traceback under --debug)."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:  # a bare `astromlp`: its help, not an error
            click.echo(exc.ctx.get_help())
            sys.exit(0)
        except click.UsageError as exc:  # an option of `astromlp` itself
            _fail(f"{exc.format_message()} (see astromlp --help)")

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except AstromlpError as exc:
            if ctx.params.get("debug"):
                raise
            _fail(str(exc))
        except click.UsageError as exc:
            failed = exc.ctx if exc.ctx is not None and exc.ctx is not ctx else None  # a subcommand's own
            _fail(f"{exc.format_message()} (see astromlp{' ' + failed.info_name if failed else ''} --help)")


@click.group(cls=_Group)
@click.version_option(version("astromlp"), prog_name="astromlp")
@click.option("--debug", is_flag=True, help="Show the full traceback of errors.")
def main(debug: bool) -> None:
    """Survey catalogs in, trained neural networks and reports out.

    Start with `astromlp demo`, then `astromlp init` for a config of your own; `astromlp COMMAND --help`
    explains each command.

    \b
    Example:
      astromlp demo --out astromlp-demo
    """
    os.environ.setdefault("ASTROMLP_COMPILE_NOTICE", "1")  # a first run says it compiles (nn/compiling.py)


for _command in (*PIPELINE_COMMANDS, *SWEEP_COMMANDS):  # run, demo, predict, init, sweep, compare
    main.add_command(_command)


@main.command()
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--bootstrap", "n_bootstrap", default=None, type=click.IntRange(min=0),
              help="Bootstrap resamples for the confidence intervals (0: none; default: the run's [report] "
                   "n_bootstrap).")
def report(run_dir: str, n_bootstrap: int | None) -> None:
    """Rebuild a run directory's report.html and metrics.json.

    Reads RUN_DIR/report_inputs.json and RUN_DIR/test_predictions.parquet (written by `astromlp run`), so
    the report can be redone, e.g. with more bootstrap resamples, without retraining.

    \b
    Example:
      astromlp report runs/photoz --bootstrap 1000
    """
    from astromlp.files import output_errors
    from astromlp.pipeline.config import check_option
    from astromlp.pipeline.rundir import finished_run
    from astromlp.reports import load_inputs, write_report
    from astromlp.reports.html import configured_bootstrap

    if n_bootstrap is not None:
        check_option("report", "n_bootstrap", n_bootstrap, "--bootstrap (the config's [report] n_bootstrap)")
    with (output_errors(f"the report into {run_dir}", "free some space or make the folder writable"),
          finished_run(run_dir)):
        inputs = load_inputs(run_dir)
        if n_bootstrap is None:  # the run's own count, from a file that may have been edited: the same bounds
            check_option("report", "n_bootstrap", configured_bootstrap(inputs)[0],
                         f"[report] n_bootstrap in {os.path.join(run_dir, 'report_inputs.json')}")
        click.echo(write_report(run_dir, inputs, n_bootstrap=n_bootstrap))


@main.command()
@click.argument("catalogs", nargs=-1, required=True)
@click.option("--hdu", default=None, help="FITS HDU (index or EXTNAME) or VOTable table to read.")
@click.option("--format", "format_name", default=None, help="Catalog format, when not recognisable.")
def inspect(catalogs: tuple[str, ...], hdu: str | None, format_name: str | None) -> None:
    """Show what catalogs hold: columns, types, units, missing values.

    One line per column of the CATALOGS (files or globs): type, unit, missing count, count of common
    sentinel values (-9999, 99.99, ...), minimum, maximum and description.

    \b
    Example:
      astromlp inspect my_catalog.fits --hdu 1
    """
    from astromlp.catalogs import inspect_text

    click.echo(inspect_text(list(catalogs), hdu=hdu, format=format_name), nl=False)


def console_main() -> None:
    """The `astromlp` program: `main`, then the exit handlers (Dask pools, logging), then an immediate exit.

    Python's own teardown of the ~2,000 modules a run loads takes about a second and writes nothing: every
    output is already closed and renamed into place when a command returns. Uncaught exceptions, and runs
    under a profiler or tracer (cProfile, a debugger), which write their results after this returns, take
    the normal way out.
    """
    try:
        main()
        code = 0
    except SystemExit as exit:
        if sys.getprofile() is not None or sys.gettrace() is not None:
            raise
        code = exit.code
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):  # the reader has gone (`astromlp ... | head`): nothing to keep
            pass
    os._exit(code or 0)


if __name__ == "__main__":
    console_main()
