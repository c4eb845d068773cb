"""The report in a real browser: Debian's chromium, headless, with the network switched off.

Skips only when chromium is not installed (.ci/run installs it); Playwright drives the system binary.
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (Debian package `chromium`; .ci/run installs it)"
)
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAPTOP = {"width": 1366, "height": 768}
SECTIONS = {
    "classification": ["summary", "data", "training", "classification", "provenance"],
    "photoz": ["summary", "data", "training", "regression", "provenance"],
}
FIGURES = {
    "classification": [
        "loss_curves",
        "confusion_matrices",
        "roc_curves",
        "precision_recall_curves",
        "reliability_diagram",
        "class_reliability",
    ],
    "photoz": ["loss_curves", "predicted_vs_true", "residuals_target", "residuals_magnitude"],
}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


class Visit:
    """One offline page load, recording console messages, page errors, dialogs and every request."""

    def __init__(self, browser, report: Path):
        self.context = browser.new_context(offline=True, viewport=LAPTOP)
        self.page = self.context.new_page()
        self.console, self.errors, self.dialogs, self.requests = [], [], [], []
        self.page.on("console", lambda message: self.console.append((message.type, message.text)))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.goto(report.as_uri(), wait_until="load")

    def close(self):
        self.context.close()


@pytest.fixture(params=["classification", "photoz"])
def visit(request, browser):
    run_dir = request.getfixturevalue(f"{request.param}_run")
    visit = Visit(browser, run_dir / "report.html")
    visit.task = request.param
    yield visit
    visit.close()


def test_opens_offline_with_no_console_errors_and_no_requests(visit):
    assert visit.errors == []
    assert [text for kind, text in visit.console if kind in ("error", "warning")] == []
    assert visit.requests == [visit.page.url]  # the file itself, nothing else


def test_every_section_and_figure_is_rendered(visit):
    page = visit.page
    assert (
        page.eval_on_selector_all("main > section", "nodes => nodes.map(n => n.id)") == SECTIONS[visit.task]
    )
    assert page.eval_on_selector_all("figure", "nodes => nodes.map(n => n.id)") == [
        f"figure-{key}" for key in FIGURES[visit.task]
    ]
    for key in FIGURES[visit.task]:
        box = page.locator(f"#figure-{key} svg").bounding_box()
        assert box["width"] > 300 and box["height"] > 150, key
    # reads on a laptop: nothing wider than the window, body text at least 14 px
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"]
    assert float(page.evaluate("getComputedStyle(document.body).fontSize").removesuffix("px")) >= 14


def test_screenshot_is_not_blank(visit, tmp_path):
    path = tmp_path / f"{visit.task}.png"
    visit.page.screenshot(path=path, full_page=True)
    pixels = np.asarray(Image.open(path).convert("L"), dtype=float)
    assert pixels.shape[1] == LAPTOP["width"] and pixels.shape[0] > 3 * LAPTOP["height"]
    assert pixels.std() > 20
    assert np.mean(pixels < 128) > 0.01  # dark text and lines on a light page


def test_print_hides_navigation_and_paginates(visit):
    page = visit.page
    page.emulate_media(media="print")
    assert page.evaluate("getComputedStyle(document.querySelector('nav')).display") == "none"
    pdf = page.pdf(format="A4")
    pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))
    assert pdf.startswith(b"%PDF") and 2 <= pages <= 12


def test_markup_in_catalog_strings_shows_as_text(browser, evil_run, evil_strings):
    visit = Visit(browser, evil_run / "report.html")
    try:
        assert visit.page.evaluate("document.querySelectorAll('script, img').length") == 0
        assert visit.dialogs == [] and visit.errors == []
        text = visit.page.evaluate("document.body.innerText") + visit.page.evaluate(
            "Array.from(document.querySelectorAll('svg text')).map(t => t.textContent).join('\\n')"
        )
        for string in evil_strings:
            assert string in text, string
        image = Image.open(io.BytesIO(visit.page.screenshot()))
        assert np.asarray(image.convert("L")).std() > 20
    finally:
        visit.close()
