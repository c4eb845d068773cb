"""The sweep page: one self-contained HTML file (styles and SVG figures inline, no scripts), autoescaped."""

from __future__ import annotations

import json
from importlib.metadata import version

from markupsafe import Markup

from astromlp.reports.html import environment
from astromlp.reports.kinds import report_kind
from astromlp.reports.sweep_figures import metric_by_value, top_loss_curves

BETTER_TEXT = {"higher": "higher is better", "lower": "lower is better", "zero": "closest to 0 is best"}


def _value_text(value) -> str:
    """A swept value as the config spells it (arrays as JSON), numbers to 4 significant digits (sweep.json and
    best.toml hold them in full)."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return value if isinstance(value, str) else json.dumps(value)


def render_sweep(comparison: dict) -> str:
    figures = [(key, svg, caption) for key, svg, caption in (
        ("metric-by-value", metric_by_value(comparison),
         "Validation metric against each swept value; the best trial in blue, trials not significantly worse "
         "in green, the rest in grey; bars are 95 % bootstrap intervals."),
        ("top-loss-curves", top_loss_curves(comparison),
         "Loss per epoch of the chosen start of the top trials: training solid, validation dashed."),
    ) if svg]
    context = {
        "comparison": comparison,
        "title": f"Sweep: {len(comparison['trials'])} trials",
        "task_title": report_kind(comparison["task"]).title,
        "better_text": BETTER_TEXT[comparison["metric"]["better"]],
        "params": {t["name"]: {key: _value_text(t["params"].get(key)) for key in comparison["swept"]}
                   for t in comparison["trials"]},
        "figures": [{"key": key, "svg": Markup(svg), "caption": caption} for key, svg, caption in figures],
        "astromlp_version": version("astromlp"),
    }
    return environment().get_template("sweep.html.j2").render(context)
