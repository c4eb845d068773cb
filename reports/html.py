"""The report page: jinja2 with autoescaping on, one self-contained file, written with metrics.json."""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path

import jinja2
from markupsafe import Markup

from astromlp.errors import AstromlpError
from astromlp.files import write_text
from astromlp.reports.context import report_context
from astromlp.reports.figures import build_figures
from astromlp.reports.inputs import EvaluationInputs
from astromlp.reports.metrics import compute_metrics

REPORT_FILE = "report.html"
METRICS_FILE = "metrics.json"
DEFAULT_BOOTSTRAP = 200  # the [report] n_bootstrap default of a run config


def number(value, digits: int = 3) -> str:
    """A metric value for a table cell: `digits` significant figures, an en dash where undefined."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if isinstance(value, bool) or isinstance(value, int):
        return f"{value:,}"
    if abs(value) >= 10**digits:
        return f"{value:,.0f}"
    return f"{value:#.{digits}g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.{digits - 1}e}"


def interval(bounds, digits: int = 3) -> str:
    """A bootstrap interval as '[low, high]', or empty when there is none."""
    return "" if not bounds else f"[{number(bounds[0], digits)}, {number(bounds[1], digits)}]"


def environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("astromlp.reports", "templates"),
        autoescape=True,  # every catalog-derived string (labels, columns, file names) is escaped
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(number=number, interval=interval)
    return environment


def render_report(inputs: EvaluationInputs, metrics: dict) -> str:
    """The report page as one HTML string (figures inline as SVG, styles inline, no scripts)."""
    context = report_context(inputs, metrics, build_figures(inputs, metrics))
    for figures in context["figures"].values():
        for figure in figures:
            figure["svg"] = Markup(figure["svg"])  # matplotlib wrote it, text escaped
    return environment().get_template("report.html.j2").render(context)


def configured_bootstrap(inputs: EvaluationInputs) -> tuple[int, str]:
    """[report] n_bootstrap of the run's config text, and where it came from ("config" or "default")."""
    text = inputs.provenance.get("config_text")
    if not text:
        return DEFAULT_BOOTSTRAP, "default"
    try:
        value = tomllib.loads(text).get("report", {}).get("n_bootstrap")
    except (tomllib.TOMLDecodeError, AttributeError):
        raise AstromlpError("provenance config_text of the report inputs is not a TOML config; rerun the "
                            "evaluate stage, or give the bootstrap count explicitly (--bootstrap N)") from None
    if value is None:
        return DEFAULT_BOOTSTRAP, "default"
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise AstromlpError(f"[report] n_bootstrap = {value!r} in the run's config is not a count >= 0; give "
                            "the bootstrap count explicitly (--bootstrap N)")
    return value, "config"


def write_report(
    run_dir, inputs: EvaluationInputs, *, n_bootstrap: int | None = None, random_state: int | None = None
) -> Path:
    """Write metrics.json and report.html into `run_dir` (each atomically); return the page's path.

    None takes the run's own settings, so the pipeline and `astromlp report RUN_DIR` produce the same
    numbers: n_bootstrap from the [report] table of provenance["config_text"] (else 200), random_state from
    provenance["seed"] (else 0). metrics.json records the values used and where they came from.
    """
    n_bootstrap, source = (n_bootstrap, "given") if n_bootstrap is not None else configured_bootstrap(inputs)
    if random_state is None:
        random_state = int(inputs.provenance.get("seed") or 0)
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    metrics = compute_metrics(inputs, n_bootstrap=n_bootstrap, random_state=random_state)
    metrics["bootstrap"]["n_resamples_from"] = source
    page = render_report(inputs, metrics)
    write_text(
        run_dir / METRICS_FILE, json.dumps(metrics, indent=1, allow_nan=False, ensure_ascii=False) + "\n"
    )
    return write_text(run_dir / REPORT_FILE, page)
