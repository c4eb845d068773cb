"""'Where does it fail': a few plain sentences read off the network's metrics (no new numbers)."""

from __future__ import annotations

import math

from astromlp.reports.kinds import report_kind
from astromlp.reports.pdf_evaluation import headline
from astromlp.reports.scoring import BETTER


def _fmt(value) -> str:
    return "undefined" if value is None else f"{value:.3g}"


def findings(metrics: dict) -> list[str]:
    """Sentences naming the network's weakest class or bins, for the report's summary."""
    result, kind = metrics["results"][metrics["network"]], report_kind(metrics["task"])
    sentences = kind.findings(result, metrics)
    key, better = kind.worst_bin
    overall = result["scalars"][key]
    for table in result["bins"]:
        sentence = _worst_bin(table, key, better, overall, metrics["metric_labels"][key])
        if sentence:
            sentences.append(sentence)
    return sentences


def outlier_findings(result: dict, metrics: dict) -> list[str]:
    """The share of catastrophic photo-z outliers."""
    fraction = result["scalars"]["outlier_fraction"]
    return [
        f"{_fmt(100 * fraction if fraction is not None else None)} % of test objects are "
        "catastrophic outliers (|Δz| > 0.15)."
    ]


def pdf_findings(result: dict, metrics: dict) -> list[str]:
    """Whether the network's PDFs beat each PDF baseline on CRPS and PIT calibration, then the outliers."""
    pdfs = metrics.get("pdfs")
    return (headline(pdfs, metrics["network"]) if pdfs else []) + outlier_findings(result, metrics)


def class_findings(result: dict, metrics: dict) -> list[str]:
    """The weakest (least complete) class, what it is mistaken for, and the least pure class."""
    classes = metrics["classes"]
    rows = [row for row in result["per_class"] if row["completeness"] is not None]
    if not rows:
        return []
    weakest = min(rows, key=lambda row: row["completeness"])
    k = classes.index(weakest["class"])
    counts = result["confusion"]["counts"][k]
    others = [(count, classes[j]) for j, count in enumerate(counts) if j != k]
    sentence = (
        f"Weakest class: {weakest['class']}, completeness {_fmt(weakest['completeness'])} "
        f"({counts[k]} of {weakest['support']})"
    )
    if others and max(others)[0] > 0:
        count, label = max(others)
        sentence += f"; most often mistaken for {label} ({count} objects)"
    sentences = [sentence + "."]
    pure = [row for row in result["per_class"] if row["purity"] is not None]
    if pure:
        least = min(pure, key=lambda row: row["purity"])
        sentences.append(f"Least pure class: {least['class']}, purity {_fmt(least['purity'])}.")
    return sentences


def _worst_bin(table: dict, key: str, better: str, overall, label: str) -> str | None:
    rows = [row for row in table["rows"] if row["values"].get(key) is not None and row["count"] > 0]
    if len(rows) < 2 or overall is None or not math.isfinite(overall):
        return None
    worst = min(rows, key=lambda row: BETTER[better](row["values"][key]))
    return (
        f"Worst {table['by']} bin [{worst['low']:.3g}, {worst['high']:.3g}] ({worst['count']} objects): "
        f"{label} {_fmt(worst['values'][key])} against {_fmt(overall)} overall."
    )
