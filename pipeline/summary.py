"""The one-screen summary printed at the end of a run: what ran, on what, the headline numbers, the paths."""

from __future__ import annotations

from astromlp.pipeline.runner import RunResult


def _number(value) -> str:
    return "n/a" if value is None else f"{value:.4g}" if isinstance(value, float) else str(value)


def _headline(metrics: dict) -> list[str]:
    results, network = metrics.get("results", {}), metrics.get("network")
    baselines = [name for name in metrics.get("models", []) if name != network]
    lines = []
    for metric in metrics.get("headline", []):
        key, label = metric["key"], metric["label"]
        scores = {name: results.get(name, {}).get("scalars", {}).get(key) for name in [network, *baselines]}
        others = ", ".join(f"{name} {_number(scores[name])}" for name in baselines)
        lines.append(f"  {label}: {network} {_number(scores[network])}" + (f"  (baselines: {others})" if others
                                                                         else ""))
    return lines


def summary_text(result: RunResult, title: str) -> str:
    """Stages with their times (reused or computed), rows and split, headline metrics, where the files are."""
    stages = " | ".join(f"{s.name} {'reused' if s.reused else f'{s.seconds:.1f} s'}" for s in result.stages)
    metrics = result.metrics
    lines = [f"{title} on the {result.scheduler}",
             f"  stages: {stages}",
             f"  test rows: {metrics.get('n_test')}   task: {metrics.get('task')}   target: {metrics.get('target')}",
             *_headline(metrics),
             f"  run directory: {result.run_dir}",
             f"  model:  {result.run_dir / 'model.zip'}",
             f"  report: {result.report}"]
    return "\n".join(lines)
