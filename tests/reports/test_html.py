"""The report page: every section and figure present, self-contained, deterministic, and every
catalog-derived string escaped."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import numpy as np
import pytest

from astromlp.reports import EvaluationInputs, compute_metrics, write_report
from astromlp.reports.html import number


class Page(HTMLParser):
    """Every start tag with its attributes, the ids of sections and figures, and the visible text."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.stack: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self.stack.append(tag)

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data):
        if not self.stack or self.stack[-1] != "style":
            self.text.append(data)

    def ids(self, tag: str) -> list[str]:
        return [attrs["id"] for name, attrs in self.tags if name == tag and "id" in attrs]

    def count(self, tag: str) -> int:
        return sum(name == tag for name, _ in self.tags)

    @property
    def all_text(self) -> str:
        return "".join(self.text)


def page_of(run_dir) -> tuple[str, Page]:
    text = (run_dir / "report.html").read_text(encoding="utf-8")
    return text, Page(text)


def test_classification_page_has_every_section_and_figure(classification_run):
    _, page = page_of(classification_run)
    assert page.ids("section") == ["summary", "data", "training", "classification", "provenance"]
    assert page.ids("figure") == [
        "figure-loss_curves",
        "figure-confusion_matrices",
        "figure-roc_curves",
        "figure-precision_recall_curves",
        "figure-reliability_diagram",
        "figure-class_reliability",
    ]
    assert page.count("svg") == 6
    for heading in (
        "Headline metrics on the test split",
        "The network against each baseline",
        "Where it fails",
        "Input files",
        "Class balance",
        "Features",
        "Per class: completeness (recall) and purity",
        "Metrics in bins of r [mag]",
        "Package versions",
        "Input file hashes",
        "Configuration",
    ):
        assert heading in page.all_text


def test_photoz_page_has_every_section_and_figure(photoz_run):
    _, page = page_of(photoz_run)
    assert page.ids("section") == ["summary", "data", "training", "regression", "provenance"]
    assert page.ids("figure") == [
        "figure-loss_curves",
        "figure-predicted_vs_true",
        "figure-residuals_target",
        "figure-residuals_magnitude",
    ]
    assert "Metrics in bins of redshift" in page.all_text and "Metrics in bins of r [mag]" in page.all_text
    assert "σ_NMAD" in page.all_text and "catastrophic outliers" in page.all_text


def test_page_loads_nothing_from_anywhere(classification_run, photoz_run):
    for run_dir in (classification_run, photoz_run):
        text, page = page_of(run_dir)
        assert {"script", "link", "img", "iframe", "object", "embed", "image"}.isdisjoint(
            name for name, _ in page.tags
        )
        for name, attrs in page.tags:
            for key, value in attrs.items():
                if key in ("href", "src", "xlink:href", "srcset", "action"):
                    assert value.startswith("#"), (name, key, value)
        style = text[text.index("<style>") : text.index("</style>")]
        assert "url(" not in style and "@import" not in style and "@font-face" not in style


def test_metrics_json_holds_the_pages_numbers(classification_inputs, classification_run):
    metrics = json.loads((classification_run / "metrics.json").read_text(), parse_constant=pytest.fail)
    assert metrics["bootstrap"] == {"n_resamples": 200, "random_state": 0, "level": 0.95, "paired": True,
                                    "n_resamples_from": "config"}
    unresampled = compute_metrics(classification_inputs, n_bootstrap=0)
    for name in metrics["models"]:
        assert metrics["results"][name]["scalars"] == unresampled["results"][name]["scalars"]
        assert metrics["results"][name]["per_class"] == unresampled["results"][name]["per_class"]
    _, page = page_of(classification_run)
    network = metrics["results"][metrics["network"]]
    summary = page.all_text[: page.all_text.index("Where it fails")]
    for key in ("balanced_accuracy", "macro_f1", "accuracy", "roc_auc_ovr", "log_loss"):
        assert number(network["scalars"][key]) in summary
        low, high = network["intervals"][key]
        assert f"[{number(low)}, {number(high)}]" in summary
    assert metrics["primary"]["verdict"] in ("better", "worse", "not significant")
    text, _ = page_of(classification_run)
    assert text.count('<span class="star"') == len(metrics["headline"])  # one best model per headline column


def test_rebuilding_the_report_gives_identical_files(photoz_inputs, photoz_run, tmp_path):
    write_report(tmp_path, photoz_inputs)
    for name in ("metrics.json", "report.html"):
        assert (tmp_path / name).read_bytes() == (photoz_run / name).read_bytes()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["metrics.json", "report.html"]


def test_catalog_strings_are_text_never_markup(evil_run, evil_strings):
    text, page = page_of(evil_run)
    assert page.count("script") == 0 and page.count("img") == 0 and page.count("blink") == 0
    assert "★" not in page.all_text  # one model alone is not "best" of anything
    assert page.count("svg") == 6 and page.count("i") == 0 and page.count("u") == 0
    for string in evil_strings:
        assert string in page.all_text, string
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert not any("onload" in attrs or "onerror" in attrs for _, attrs in page.tags)


def test_a_report_from_predictions_alone_says_what_is_missing(tmp_path):
    y = np.linspace(0.0, 1.0, 50)
    inputs = EvaluationInputs("regression", "mass", y, {"net": y + 0.1, "zero": np.zeros(50)}, "net")
    _, page = page_of(write_report(tmp_path, inputs, n_bootstrap=10).parent)
    assert page.ids("figure") == ["figure-predicted_vs_true", "figure-residuals_target"]
    assert "no training record" in page.all_text and page.all_text.count("not recorded") >= 5


def test_loss_spikes_show_in_the_starts_table_and_on_the_curves(tmp_path):
    y = np.linspace(0.0, 1.0, 50)
    curve = [1.0, 0.5, 0.4, 6.0, 0.45, 0.3]
    starts = [{"seed": 1, "loss_curve": curve, "rollbacks": [3]},
              # a model file's record is not trusted: only epochs of the curve count
              {"seed": 2, "loss_curve": curve, "rollbacks": ["<b>3</b>", 10**12, True, -1, 1]},
              {"seed": 3, "loss_curve": curve, "rollbacks": "<b>x</b>"}]
    inputs = EvaluationInputs("regression", "z", y, {"net": y + 0.1}, "net",
                              training={"starts": starts, "chosen_start": 0})
    text, page = page_of(write_report(tmp_path, inputs, n_bootstrap=10).parent)
    rows = text.split('<section id="training">')[1].split("</table>")[0].split("<tr")[2:]
    spikes = [re.findall(r"<td>([^<]*)</td>", row)[-1] for row in rows]  # stop reason, diverged, spikes
    assert spikes == ["4", "2", ""] and "<b>3" not in text and "&lt;b&gt;" not in text
    assert "loss spike: back to the best epoch, rate halved" in page.all_text
