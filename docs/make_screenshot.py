"""Screenshot a report of a real `astromlp demo` run in headless Chromium, for the README and the guide.

    python docs/make_screenshot.py                      # runs the demo in a temporary folder (~1-3 min)
    python docs/make_screenshot.py --demo astromlp-demo # reuses a finished `astromlp demo` folder

Writes docs/_static/report-<task>.png, the top of the page (summary, headline table, comparisons) at a
laptop's width, and docs/_static/report-<task>-figure.png, one of its figures, both loaded offline as a
user opens the page. Needs playwright and Debian's chromium.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

STATIC = Path(__file__).resolve().parent / "_static"
VIEWPORT = {"width": 1280, "height": 1000}
FIGURES = {"classification": "confusion_matrices", "photoz": "predicted_vs_true"}
FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def run_demo(folder: Path) -> Path:
    subprocess.run(["astromlp", "demo", "--quiet", "--out", str(folder)], check=True)
    return folder


def screenshot(report: Path, task: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("chromium is not installed (Debian package `chromium`)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=FLAGS)
        context = browser.new_context(offline=True, viewport=VIEWPORT)
        page = context.new_page()
        page.goto(report.resolve().as_uri(), wait_until="load")
        top, figure = STATIC / f"report-{task}.png", STATIC / f"report-{task}-figure.png"
        page.screenshot(path=str(top))
        page.locator(f"#figure-{FIGURES[task]}").screenshot(path=str(figure))
        browser.close()
    return [top, figure]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", type=Path, help="a finished `astromlp demo` folder (default: run the demo)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        demo = args.demo or run_demo(Path(temporary) / "astromlp-demo")
        for task in FIGURES:
            for path in screenshot(demo / task / "report.html", task):
                print(path)


if __name__ == "__main__":
    main()
