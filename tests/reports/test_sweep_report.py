"""The comparison of trials on the same validation rows: ranking, paired bootstrap against the best, the
JSON and the page (in Chromium too: offline, no errors, catalog strings shown as text)."""

import json
import shutil

import numpy as np
import pytest
from sklearn.metrics import mean_absolute_error

from astromlp.reports.sweep import TrialOutcome, compare_trials, write_sweep_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
EVIL = '<script>alert("x")</script>'


def _trial(name, predicted, lr, test_mae=None, evil=False):
    curve = [1.0 / (epoch + 1) + lr for epoch in range(5)]
    return TrialOutcome(name=name, params={"model.learning_rate": lr, "features": EVIL if evil else "colours"},
                        predicted=predicted, proba=None,
                        test={"results": {"MLP": {"scalars": {"mae": test_mae}, "intervals": {"mae": [0.1, 0.2]}}}},
                        training={"chosen_start": 0, "starts": [{"loss_curve": curve,
                                                                 "validation_loss_curve": curve}]},
                        config_text="", run_dir=f"/runs/{name}")


@pytest.fixture(scope="module")
def comparison():
    rng = np.random.default_rng(1)
    y = rng.normal(size=400)
    good = y + rng.normal(scale=0.30, size=400)
    trials = [
        _trial("good", good, 0.01, test_mae=0.25),
        _trial("mirror", y - (good - y), 0.02),  # the same absolute errors on every row
        _trial("tied", y + rng.normal(scale=0.30, size=400), 0.003),  # same error scale: not significantly worse
        _trial("bad", y + rng.normal(scale=1.00, size=400), 0.1, evil=True),  # far worse
    ]
    result = compare_trials("regression", "z", "mae", y, None, trials, swept=["model.learning_rate", "features"],
                            log_scaled=["model.learning_rate"], n_bootstrap=300, random_state=0)
    return result, y, trials


def test_trials_are_ranked_by_the_validation_metric(comparison):
    result, y, trials = comparison
    expected = {t.name: mean_absolute_error(y, t.predicted) for t in trials}
    assert [t["name"] for t in result["trials"]] == sorted(expected, key=expected.get)
    for row in result["trials"]:
        assert row["validation"]["value"] == pytest.approx(expected[row["name"]], abs=1e-12)
        low, high = row["validation"]["interval"]
        assert low < row["validation"]["value"] < high
    assert result["best"] == result["trials"][0]["name"] and result["trials"][0]["rank"] == 1
    assert result["metric"] == {"key": "mae", "label": "MAE", "better": "lower", "split": "validation"}


def test_the_paired_bootstrap_marks_ties_not_clear_losers(comparison):
    result, y, trials = comparison
    rows = {row["name"]: row for row in result["trials"]}
    assert rows["bad"]["not_worse"] is False and rows["bad"]["difference_to_best"]["interval"][1] < 0
    best = result["trials"][0]
    assert best["name"] in ("good", "mirror", "tied") and best["not_worse"]
    for row in result["trials"][1:-1]:  # the same error scale as the best: not significantly worse
        low, high = row["difference_to_best"]["interval"]
        assert low <= 0 <= high and row["not_worse"]
        assert row["difference_to_best"]["value"] == pytest.approx(best["validation"]["value"]
                                                                   - row["validation"]["value"])
    # paired: every resample draws the same rows for every trial, so equal absolute errors never differ
    assert rows["good"]["validation"]["interval"] == rows["mirror"]["validation"]["interval"]
    if best["name"] == "tied":
        assert rows["good"]["difference_to_best"]["interval"] == rows["mirror"]["difference_to_best"]["interval"]
    else:
        other = rows["mirror" if best["name"] == "good" else "good"]
        assert other["difference_to_best"]["interval"] == [0.0, 0.0]


def test_the_test_column_is_each_runs_own_report(comparison):
    result, *_ = comparison
    rows = {row["name"]: row for row in result["trials"]}
    assert rows["good"]["test"] == {"value": 0.25, "interval": [0.1, 0.2]}
    assert rows["tied"]["test"]["value"] is None


def test_json_and_page(comparison, tmp_path):
    result, *_ = comparison
    assert write_sweep_report(tmp_path, result) == ["sweep.html", "sweep.json"]
    record = json.loads((tmp_path / "sweep.json").read_text())
    assert record["schema"] == "astromlp.sweep/1" and "curves" not in record["trials"][0]
    page = (tmp_path / "sweep.html").read_text()
    assert EVIL not in page and "&lt;script&gt;" in page
    assert "MAE<span class=\"better-hint\">test · not used to choose" in page and page.count("<svg") == 2


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_the_page_in_chromium(comparison, tmp_path):
    from playwright.sync_api import sync_playwright

    result, *_ = comparison
    write_sweep_report(tmp_path, result)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(offline=True, viewport={"width": 1366, "height": 768})
        page = context.new_page()
        errors, dialogs, requests = [], [], []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.on("request", lambda request: requests.append(request.url))
        page.goto((tmp_path / "sweep.html").as_uri(), wait_until="load")
        assert errors == [] and dialogs == [] and requests == [page.url]
        assert page.evaluate("document.querySelectorAll('script, img').length") == 0
        assert EVIL in page.evaluate("document.body.innerText")
        rows = page.eval_on_selector_all("table.sweep-ranking tbody tr", "rows => rows.map(r => r.innerText)")
        assert len(rows) == 4 and rows[0].startswith("1")
        for key in ("metric-by-value", "top-loss-curves"):
            box = page.locator(f"#figure-{key} svg").bounding_box()
            assert box["width"] > 300 and box["height"] > 150
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        browser.close()
