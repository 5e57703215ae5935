"""The dashboard as a first visit sees it, in Debian's Chromium: overview, a queue page, a job
page and search at 1280 px and 390 px in light and dark themes. At 390 px no page scrolls
sideways; axe-core (from the npm registry, tests/admin/axe) finds no serious or critical
violation on any of them; the charts show history written before the dashboard (re)started.
Screenshots go to test-artifacts/admin/views/."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from hubjobs.admin import AdminSettings, create_standalone_app

from ..helpers import ROOT
from .conftest import Tokens
from .support import make_app, seed, served, token_store_path
from .test_browser import CHROMIUM, CHROMIUM_ARGS

AXE_DIR = Path(__file__).parent / "axe"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts" / "admin" / "views"
WIDTHS = {"desktop": 1280, "phone": 390}
WIDE_ELEMENTS = """Array.from(document.querySelectorAll('body *'))
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
  .slice(0, 6).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe-core installed from the lock file (npm ci) the first time it is needed."""
    if not AXE_JS.is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is needed to install axe-core for the accessibility test")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=AXE_DIR, check=True, timeout=300)
    return AXE_JS


def sign_in(page: Page, base: str, token: str) -> None:
    page.goto(base + "/")
    page.fill("#token", token)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Queues")


def check_page(page: Page, axe: Path, name: str, width: int) -> None:
    """No sideways scroll at phone width; no serious or critical axe violation."""
    if width < 500:
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        wide = page.evaluate(WIDE_ELEMENTS) if overflow > 0 else []
        assert overflow <= 0, f"{name}: the page is {overflow} px wider than the {width} px screen: {wide}"
    page.evaluate(axe.read_text(encoding="utf-8"))  # through the debugger: the page's CSP stays strict
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
           for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"{name} at {width} px: {bad}"


def test_pages_at_every_width_and_theme(tmp_path: Path, tokens: Tokens, axe_script: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    seeder = make_app(url)
    ids = asyncio.run(seed(seeder))  # a worker ran: the history holds 3 completed and 2 failed
    seeder.close()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    failed_id = ids["failed"][0]
    pages = {
        "overview": "/",
        "queue": "/queues/files?state=failed",
        "job": f"/queues/files/jobs/{failed_id}",
        "search": "/search?q=bad",
    }
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for restart in range(2):  # the second dashboard process starts after the first stopped
                server_app = make_app(url)
                admin = create_standalone_app(server_app, settings=AdminSettings(token_store=token_store_path(tmp_path)))
                with served(admin, server_app) as root:
                    base = root + "/admin/queues"
                    if restart == 0:
                        visit_every_page(browser, base, tokens, pages, axe_script)
                    else:
                        page = browser.new_page(viewport={"width": 1280, "height": 900})
                        sign_in(page, base, tokens.viewer)
                        assert_chart_shows_history(page)
                        page.goto(base + "/queues/files")
                        assert_chart_shows_history(page)
                        page.close()
        finally:
            browser.close()


def assert_chart_shows_history(page: Page) -> None:
    chart = page.locator("#charts svg.chart")
    expect(chart).to_have_attribute("aria-label", "Throughput, last hour: 3 completed, 2 failed (40.0 % failed)")
    assert page.locator("#charts svg.chart rect.ok").count() >= 1
    assert page.locator("#charts svg.chart rect.bad").count() >= 1


def visit_every_page(browser: Browser, base: str, tokens: Tokens, pages: dict[str, str], axe: Path) -> None:
    for scheme in ("light", "dark"):
        for label, width in WIDTHS.items():
            context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
            sign_in(page, base, tokens.admin)
            for name, path in pages.items():
                page.goto(base + path)
                if name == "overview":
                    assert_chart_shows_history(page)
                if name == "search":
                    expect(page.locator("table.jobs mark").first).to_have_text("bad")
                page.screenshot(path=str(ARTIFACTS / f"{name}-{label}-{scheme}.png"), full_page=True)
                check_page(page, axe, f"{name} ({scheme})", width)
            assert not [e for e in errors if "Content Security Policy" in e], errors
            context.close()
    for name in pages:
        assert (ARTIFACTS / f"{name}-phone-dark.png").stat().st_size > 5_000
