"""Open the published dashboard in headless Chromium, as the office would open the file.

Used by the tests that publish a real warehouse. Chromium comes from the Debian package
(`make test` installs it); Playwright drives it over its DevTools protocol, with no network.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from core.settings import PROJECT_DIR

# where the tests leave the screenshot for a person to look at (data/ is for runtime files)
SCREENSHOTS = PROJECT_DIR / "data" / "test-artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",  # the machines have no internet: no update or sync calls
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class OpenedPage:
    console_errors: list[str]
    charts: list[dict]  # per chart: its id, title and the number of points of each trace
    headings: list[str]
    screenshot: Path


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise RuntimeError("no Chromium: `make test` installs the Debian package chromium (apt-get install chromium)")
    return path


def open_dashboard(page_path: Path, screenshot_name: str) -> OpenedPage:
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    screenshot = SCREENSHOTS / screenshot_name
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("requestfailed", lambda request: errors.append(f"request failed: {request.url}"))
            page.goto(page_path.resolve().as_uri(), wait_until="load")
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length > 0")
            charts = page.evaluate(
                """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(chart => ({
                    id: chart.id,
                    title: (chart.layout && chart.layout.title && chart.layout.title.text) || '',
                    // _fullData: the traces as drawn, typed arrays decoded (plotly ships numbers as binary)
                    points: chart._fullData.map(trace => {
                        const values = trace.z || trace.x || trace.y || [];
                        return Array.from(values).flat().filter(v => v !== null && v !== undefined).length;
                    }),
                    drawn: chart.querySelectorAll('.main-svg').length,
                }))"""
            )
            headings = page.eval_on_selector_all("h2", "nodes => nodes.map(node => node.textContent)")
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return OpenedPage(errors, charts, headings, screenshot)
