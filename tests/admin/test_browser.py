"""The dashboard in real headless Chromium (Debian's `chromium`, driven by Playwright through its
executable path) on a served dashboard with seeded jobs and a running worker: sign in, see
counts, search by a value inside a job's data, open it and see its logs, retry a failed job and
watch its state change without reloading (SSE), bulk-replay dead letters, pause and resume a
queue. Screenshots go to test-artifacts/admin/."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hubjobs import App

from ..helpers import ROOT, wait_until_sync
from .conftest import Tokens
from .support import Switch, make_app, served, token_store_path

from playwright.sync_api import Page, expect, sync_playwright

from hubjobs.admin import AdminSettings, create_standalone_app

CHROMIUM = os.environ.get("HUBJOBS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = ROOT / "test-artifacts" / "admin"
CUSTOMER = "customer-7731@example.com"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[App, Switch, str]]:
    """Seeded jobs, a worker thread, and the dashboard served on a free loopback port."""
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    switch = Switch(on=True)
    seeder = make_app(url, switch)
    try:
        email = seeder.queue("email")
        email.add("send-email", {"to": CUSTOMER, "template": "order-confirmation"})
        for i in range(8):
            email.add("send-email", {"to": f"user{i}@example.com", "template": "newsletter"})
        email.add("send-email", {"to": "later@example.com", "template": "reminder"}, delay=3600)
        for i in range(3):
            seeder.queue("files").add("process-file", {"fileId": f"f{i}"})
        flaky_ids = [seeder.queue("flaky").add("flaky", {"order": 1000 + i}).id for i in range(3)]
        worker_app = make_app(url, switch)
        worker = worker_app.worker(["email", "files", "flaky"], install_signals=False, lease=5.0, heartbeat=0.5)
        thread = threading.Thread(target=worker.run, name="browser-test-worker", daemon=True)
        thread.start()
        wait_until_sync(lambda: seeder.queue("flaky").counts()["failed"] == 3
                        and seeder.queue("email").counts()["completed"] == 9, what="seeded jobs to finish")
        server_app = make_app(url, switch)
        admin = create_standalone_app(server_app, settings=AdminSettings(token_store=token_store_path(tmp_path)))
        try:
            with served(admin, server_app) as base:
                yield seeder, switch, base + "/admin/queues"
        finally:
            worker.stop()
            thread.join(30)
        seeder.queue("flaky").counts()
        assert flaky_ids
    finally:
        seeder.close()


def _count(page: Page, queue: str, state: str) -> str:
    return page.locator(f'tr[data-queue="{queue}"] [data-count="{state}"]').inner_text()


def test_dashboard_in_chromium(world: tuple[App, Switch, str], tokens: Tokens) -> None:
    seeder, switch, base = world
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

            # sign in
            page.goto(base + "/")
            expect(page.locator("h1")).to_have_text("Sign in")
            page.fill("#token", tokens.admin)
            page.click("button[type=submit]")
            expect(page.locator("h1")).to_have_text("Queues")

            # see counts
            assert _count(page, "email", "completed") == "9"
            assert _count(page, "email", "delayed") == "1"
            assert _count(page, "flaky", "failed") == "3"
            assert _count(page, "files", "completed") == "3"
            expect(page.locator("#live-status")).to_have_class("live on")
            page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)

            # search by a value inside a job's data, open it, see its logs
            page.fill("header .search input", "7731")
            page.press("header .search input", "Enter")
            rows = page.locator("table.jobs tbody tr[data-job-id]")
            expect(rows).to_have_count(1)
            rows.first.locator("a.mono").click()
            expect(page.locator("#job-state")).to_have_text("completed")
            expect(page.locator("#job-logs")).to_contain_text(f"sending order-confirmation to {CUSTOMER}")
            expect(page.locator("#job-data")).to_contain_text(CUSTOMER)
            page.screenshot(path=str(ARTIFACTS / "job-completed.png"), full_page=True)

            # a failed job: its error, then retry it and watch the state change without reloading
            page.goto(base + "/queues/flaky?state=failed")
            expect(page.locator("table.jobs tbody tr[data-job-id]")).to_have_count(3)
            page.locator("table.jobs tbody tr[data-job-id] a.mono").first.click()
            expect(page.locator("#job-state")).to_have_text("failed")
            expect(page.locator("#job-failed-reason")).to_contain_text("switch is on")
            expect(page.locator("#job-logs")).to_contain_text("try while switch is on")
            page.screenshot(path=str(ARTIFACTS / "job-failed.png"), full_page=True)
            page.evaluate("window.__notReloaded = true")
            switch.on = False
            page.click("#retry-job")
            expect(page.locator("#job-state")).to_have_text("completed", timeout=20_000)
            expect(page.locator("#job-logs")).to_contain_text("try while switch is off")
            assert page.evaluate("window.__notReloaded === true"), "the page reloaded"
            expect(page.locator("#retry-job")).to_be_hidden()
            page.screenshot(path=str(ARTIFACTS / "job-retried.png"), full_page=True)

            # bulk-replay the dead letters
            page.click("nav >> text=Dead letters")
            items = page.locator("table.jobs tbody tr[data-job-id]")
            expect(items).to_have_count(2)
            page.screenshot(path=str(ARTIFACTS / "dead-letters.png"), full_page=True)
            page.check("input[data-select-all]")
            page.click("#replay-selected")
            expect(page.locator("p.notice").first).to_contain_text("Replayed 2 dead letter(s).")
            wait_until_sync(lambda: seeder.queue("flaky").counts()["completed"] == 3, what="replayed jobs to run")
            page.goto(base + "/dead-letters")
            expect(page.locator("table.jobs tbody tr[data-job-id]")).to_have_count(0)

            # the overview follows live: counts change without reloading
            page.goto(base + "/")
            page.evaluate("window.__notReloaded = true")
            expect(page.locator("#live-status")).to_have_class("live on")
            seeder.queue("email").add("send-email", {"to": "live@example.com", "template": "t"})
            expect(page.locator('tr[data-queue="email"] [data-count="completed"]')).to_have_text("10", timeout=20_000)
            assert page.evaluate("window.__notReloaded === true")

            # pause and resume a queue
            page.goto(base + "/queues/email")
            page.click("#pause-queue")
            expect(page.locator("#queue-paused")).to_have_text("paused")
            expect(page.locator("p.notice").first).to_contain_text("Queue paused.")
            assert seeder.queue("email").is_paused()
            page.screenshot(path=str(ARTIFACTS / "queue-paused.png"), full_page=True)
            page.click("#resume-queue")
            expect(page.locator("#queue-paused")).to_have_text("running")
            assert not seeder.queue("email").is_paused()

            assert not [e for e in errors if "Content Security Policy" in e], errors
        finally:
            browser.close()
    for name in ("overview.png", "job-completed.png", "job-failed.png", "dead-letters.png"):
        assert (ARTIFACTS / name).stat().st_size > 10_000
