"""The demo: seed a marketplace, start workers, scheduler and dashboard, push work through
every queue, show live progress, and print a summary read back from storage."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import signal
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.logging import RichHandler
from rich.table import Table
from sqlalchemy import select

from hubjobs import Backoff, Worker
from hubjobs.admin.tokens import default_token_store_path
from hubjobs.scheduler import run_scheduler

from ..app import Marketplace, create_marketplace
from ..config import Settings
from ..email.sender import enqueue_email
from ..models import AlertBatch, DeadLetter, Order
from ..processing import FileProcessingSettings, aenqueue_file_processing
from ..stripe_events import store_stripe_event, stripe_signature_header
from ..webhooks import enqueue_webhook, record_webhook_event
from .dashboard import RunningDashboard, start_dashboard
from .receiver import FlakyReceiver
from .resend_server import DEMO_API_KEY, LocalResend
from .seeding import SeededDemo, seed_demo
from .handoff import NotScannedCounter, email_explanation, jobs_url_of, next_steps, not_scanned_in, stderr_to
from .summary import DemoSummary, collect_summary

DEMO_FILES = ("jobs.db", "jobs.db-wal", "jobs.db-shm", "marketplace.db", "marketplace.db-wal", "marketplace.db-shm",
              "tokens.db", "jobs.tokens.db", "jobs.tokens.db-wal", "jobs.tokens.db-shm", "summary.json",
              "worker-stderr.log")
DEMO_DIRS = ("outbox", "storage")
WEBHOOK_SECRET = "demo-webhook-secret"
STRIPE_SECRET = "whsec_demo_endpoint_secret"


@dataclass
class DemoOptions:
    """Where the demo writes, and how it runs."""

    workdir: Path = Path("sequencehub-demo")
    keep_running: bool = False
    dashboard: bool = True
    dashboard_port: int = 8080
    timeout: float = 300.0
    live: bool = True
    database_url: str | None = None
    """The marketplace database (e.g. a PostgreSQL database made from schema.prisma); default:
    ``marketplace.db`` in the demo folder. Use an empty one: the demo seeds it."""
    jobs_url: str | None = None
    """The job engine's URL; default: ``jobs.db`` in the demo folder."""


@dataclass
class DemoRun:
    """Everything the demo started, so it can be stopped in order."""

    marketplace: Marketplace
    seeded: SeededDemo
    receiver: FlakyReceiver
    worker: Worker
    worker_task: asyncio.Task[None]
    scheduler_stop: asyncio.Event
    scheduler_task: asyncio.Task[None]
    webhook_id: str
    receiver_url: str
    dashboard: RunningDashboard | None = None
    tracked: list[tuple[str, str]] = field(default_factory=list)
    resend: LocalResend | None = None
    stripe_event_row: str = ""


def prepare_workdir(workdir: Path) -> None:
    """Create the demo folder, removing what an earlier run left (only the demo's own files)."""
    workdir.mkdir(parents=True, exist_ok=True)
    for name in DEMO_FILES:
        (workdir / name).unlink(missing_ok=True)
    for name in DEMO_DIRS:
        shutil.rmtree(workdir / name, ignore_errors=True)


def demo_settings(workdir: Path, database_url: str | None = None,
                  resend_url: str | None = None) -> tuple[Settings, FileProcessingSettings]:
    """Marketplace settings pointing into the demo folder (and at `database_url` if given); with
    `resend_url`, email goes through the Resend transport to that (local) API."""
    root = workdir.resolve()
    resend: dict[str, Any] = {} if resend_url is None else {
        "email_transport": "resend", "resend_api_key": DEMO_API_KEY, "resend_api_url": resend_url}
    settings = Settings(
        **resend,
        stripe_webhook_secret=STRIPE_SECRET,
        database_url=database_url or f"sqlite:///{root / 'marketplace.db'}",
        outbox_dir=root / "outbox",
        webhook_secret=WEBHOOK_SECRET,
        webhook_backoff_base=1.0,
        outbound_allow=("127.0.0.1",),
        admin_alert_emails=("admin@sequencehub.local",),
        alert_window=2.0,
    )
    files = FileProcessingSettings(database_url=settings.database_url, storage_root=root / "storage",
                                   job_timeout=120.0)
    return settings, files


async def start(options: DemoOptions, console: Console) -> DemoRun:
    """Seed, then start the receiver, workers, scheduler and dashboard."""
    prepare_workdir(options.workdir)
    root = options.workdir.resolve()
    resend = LocalResend(root / "outbox")
    settings, files = demo_settings(options.workdir, options.database_url, resend.start())
    marketplace = create_marketplace(settings, files, url=options.jobs_url or f"sqlite:///{root / 'jobs.db'}")
    console.print("[bold]1.[/] seeding a marketplace: creators, products, orders, uploads …")
    seeded = await asyncio.to_thread(seed_demo, marketplace.jobs.db, files.storage_root)
    receiver = FlakyReceiver(WEBHOOK_SECRET, failures=2)
    receiver_url = receiver.start()
    webhook_id = await asyncio.to_thread(record_webhook_event, marketplace.jobs.db, event_type="order.paid",
                                         url=receiver_url, payload={"orderId": seeded.sample.order_ids[0]})
    app = marketplace.app
    await app.backend()
    worker = app.worker(lease=15.0, grace=10.0, install_signals=False)  # each queue's own slots per worker
    worker_task = asyncio.create_task(worker.arun())
    stop = asyncio.Event()
    scheduler_task = asyncio.create_task(run_scheduler(app, stop))
    run = DemoRun(marketplace, seeded, receiver, worker, worker_task, stop, scheduler_task, webhook_id, receiver_url,
                  resend=resend)
    if options.dashboard:
        try:
            # the store `hubjobs --url sqlite:///<workdir>/jobs.db tokens create` writes to, too
            store = default_token_store_path(app.url)
            run.dashboard = await start_dashboard(marketplace, store, options.dashboard_port)
        except (ImportError, OSError) as exc:
            console.print(f"[yellow]dashboard not started: {exc}[/]")
    return run


async def push_work(run: DemoRun, console: Console) -> None:
    """Put work on every queue."""
    app = run.marketplace.app
    console.print("[bold]2.[/] pushing work through every queue …")
    for file_id, key in run.seeded.uploads:
        job = await aenqueue_file_processing(app, file_id, key)
        run.tracked.append(("file-processing", job.id))
    job = await enqueue_webhook(app.queue("webhook-retry"), webhook_id=run.webhook_id, event_type="order.paid",
                                payload={"orderId": run.seeded.sample.order_ids[0], "status": "paid"},
                                url=run.receiver_url, attempts=5, backoff=Backoff.custom("webhook", cap=5))
    run.tracked.append(("webhook-retry", job.id))
    for job in await _order_emails(run):
        run.tracked.append(("email", job.id))
    scheduled = app.queue("scheduled-jobs")
    last_month = (datetime.now(UTC).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    run.stripe_event_row = await asyncio.to_thread(_stored_checkout_event, run)
    job = await app.queue("webhook-retry").aadd("process-stripe-event", {"storedEventId": run.stripe_event_row})
    run.tracked.append(("webhook-retry", job.id))
    for name, data in (("daily-cleanup", {}), ("weekly-analytics", {}), ("daily-analytics", {}),
                       ("monthly-payouts", {"period": last_month})):
        job = await scheduled.aadd(name, data, job_id=f"demo-{name}")
        run.tracked.append(("scheduled-jobs", job.id))


def _stored_checkout_event(run: DemoRun) -> str:
    """A signed checkout.session.completed for the seeded PENDING order, stored as the app would."""
    order_id = run.seeded.sample.order_ids[-1]
    body = json.dumps({"id": "evt_demo_checkout", "object": "event", "type": "checkout.session.completed",
                       "data": {"object": {"id": "cs_demo_1", "object": "checkout.session", "payment_intent":
                                           "pi_demo_1", "metadata": {"orderId": order_id},
                                           "customer_details": {"name": "Demo Buyer"}}}}).encode()
    return store_stripe_event(run.marketplace.jobs.db, body, stripe_signature_header(STRIPE_SECRET, body))


async def _order_emails(run: DemoRun) -> list[Any]:
    db = run.marketplace.jobs.db
    queue = run.marketplace.app.queue("email")

    def recent_orders() -> list[dict[str, Any]]:
        with db.session() as s:
            orders = s.scalars(select(Order).where(Order.paid_at.is_not(None)).order_by(Order.paid_at.desc())
                               .limit(4)).all()
            return [{"id": o.id, "email": o.buyer_email, "total": o.total_cents, "currency": o.currency,
                     "items": [{"title": i.product_title, "priceCents": i.price_cents} for i in o.items]}
                    for o in orders]

    jobs = []
    for order in await asyncio.to_thread(recent_orders):
        name = order["email"].split("@")[0].title()
        jobs.append(await enqueue_email(queue, order["email"], "order-confirmation", {
            "customerName": name, "orderId": order["id"], "items": order["items"], "totalCents": order["total"],
            "currency": order["currency"]}, job_id=f"order-{order['id']}-confirmation"))
        jobs.append(await enqueue_email(queue, order["email"], "download-ready", {
            "customerName": name, "productTitle": order["items"][0]["title"],
            "downloadUrl": f"https://sequencehub.local/downloads/{order['id']}"},
            job_id=f"order-{order['id']}-download"))
    return jobs


async def _settled(run: DemoRun) -> bool:
    app = run.marketplace.app
    for name in app.queues:
        counts = await app.queue(name).acounts()
        if counts["waiting"] or counts["delayed"] or counts["active"]:
            return False
    for queue, job_id in run.tracked:
        job = await app.queue(queue).aget(job_id)
        if job is not None and job.state.value not in ("completed", "failed"):
            return False

    def alerts_done() -> bool:
        with run.marketplace.jobs.db.session() as s:
            unbatched = s.scalars(select(DeadLetter).where(DeadLetter.alert_batch_id.is_(None))).first()
            pending = s.scalars(select(AlertBatch).where(AlertBatch.status == "PENDING")).first()
            return unbatched is None and pending is None

    return await asyncio.to_thread(alerts_done)


async def _progress_table(run: DemoRun) -> Table:
    app = run.marketplace.app
    table = Table(title="queues (live)", expand=False)
    for col in ("queue", "waiting", "delayed", "active", "completed", "failed"):
        table.add_column(col, justify="right" if col != "queue" else "left")
    for name in sorted(app.queues):
        c = await app.queue(name).acounts()
        table.add_row(name, *(str(c[s]) for s in ("waiting", "delayed", "active", "completed", "failed")))
    return table


async def watch(run: DemoRun, options: DemoOptions, console: Console) -> None:
    """Show live queue counts until all the demo's work has settled."""
    deadline = time.monotonic() + options.timeout
    calls = run.receiver.calls
    if not options.live:
        while not await _settled(run):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the demo did not finish within {options.timeout:.0f} s")
            await asyncio.sleep(0.2)
        return
    with Live(console=console, refresh_per_second=8, transient=False) as live:
        while True:
            hook = f"webhook receiver: {len(calls)} call(s), answers {[c.status for c in calls]}"
            live.update(Group(await _progress_table(run), hook))
            if await _settled(run):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"the demo did not finish within {options.timeout:.0f} s")
            await asyncio.sleep(0.2)
    console.line()  # the live table's last line ends here, not glued to what follows


async def stop(run: DemoRun) -> None:
    """Stop scheduler, worker, dashboard and receiver."""
    run.scheduler_stop.set()
    run.worker.stop()
    await asyncio.gather(run.scheduler_task, run.worker_task, return_exceptions=True)
    if run.dashboard is not None:
        await run.dashboard.stop()
    run.receiver.stop()
    if run.resend is not None:
        run.resend.stop()


def print_summary(summary: DemoSummary, run: DemoRun, console: Console, options: DemoOptions,
                  not_scanned: int = 0, captured: Path | None = None) -> None:
    """The closing table and where to look."""
    t = Table(title="SequenceHUB demo: what happened (read back from the databases)")
    t.add_column("what")
    t.add_column("result")
    t.add_row("uploads processed", ", ".join(f"{n} {s}" for s, n in summary.files_by_status.items()))
    t.add_row("webhook to local receiver",
              f"{summary.webhook_status} after {summary.webhook_attempts} tries "
              f"(X-Webhook-Retry {', '.join(summary.webhook_retry_headers)})")
    email_jobs = summary.jobs.get("email", {}).get("completed", 0)
    t.add_row("emails", f"{email_explanation(summary.emails_sent, email_jobs, summary.alerts_sent)}; "
                        f"{summary.outbox_files} .eml files in the outbox")
    t.add_row("Resend ids (local Resend API)", ", ".join(summary.resend_ids[:4])
              + (f" … ({len(summary.resend_ids)} in all)" if len(summary.resend_ids) > 4 else ""))
    t.add_row("Stripe event", f"{summary.stripe_event} → order {summary.stripe_order_status}")
    t.add_row("daily analytics", ", ".join(f"{k} {v}" for k, v in summary.engagement.items()))
    t.add_row("creator payouts", str(summary.payouts))
    t.add_row("upload sessions after cleanup", str(summary.upload_sessions_left))
    t.add_row("dead letters", f"{summary.dead_letters} (admin alerts sent: {summary.alerts_sent})")
    for name, counts in summary.jobs.items():
        t.add_row(f"queue {name}", f"{counts['completed']} completed, {counts['failed']} failed")
    console.print(t)
    if not_scanned:
        console.print(f"[yellow]virus scanner:[/] none configured, so {not_scanned} upload(s) were NOT checked for "
                      "malware (recorded as NOT SCANNED, never as clean)")
        if captured is not None:
            console.print(f"worker processes' warnings: {captured}", markup=False, highlight=False)
    console.print(f"outbox folder: {summary.outbox_dir}")
    if run.dashboard is not None and options.keep_running:
        console.print(f"dashboard: {run.dashboard.url}  (sign in with token: {run.dashboard.token})")
    for line in next_steps(jobs_url_of(options.workdir, options.jobs_url),
                           dashboard_url=run.dashboard.url if run.dashboard else None,
                           kept_running=options.keep_running, workdir=options.workdir):
        console.print(line, markup=False, highlight=False, soft_wrap=True)


async def run_demo(options: DemoOptions, console: Console | None = None) -> DemoSummary:
    """Run the whole demo; returns the summary (also written to summary.json in the demo folder)."""
    console = console or Console()
    logging.basicConfig(level=logging.WARNING, format="%(message)s", force=True,
                        handlers=[RichHandler(console=console, show_path=False, show_time=False)])
    not_scanned = NotScannedCounter()
    for handler in logging.getLogger().handlers:
        handler.addFilter(not_scanned)
    run = await start(options, console)
    try:
        if run.dashboard is not None:
            console.print(f"    dashboard: [link]{run.dashboard.url}[/]  token: {run.dashboard.token}")
        captured = options.workdir / "worker-stderr.log"
        with stderr_to(captured):  # worker processes' warnings go to the file, not across the table
            await push_work(run, console)
            console.print("[bold]3.[/] workers, scheduler and dashboard running; waiting for the work to settle …")
            await watch(run, options, console)
        summary = await collect_summary(run.marketplace.app, run.marketplace.jobs.db,
                                        run.marketplace.settings.outbox_dir, run.webhook_id,
                                        [c.retry_header or "" for c in run.receiver.calls])
        summary.dashboard_url = run.dashboard.url if run.dashboard else None
        (options.workdir / "summary.json").write_text(json.dumps(summary.to_dict(), indent=2, default=str))
        print_summary(summary, run, console, options, not_scanned.count + not_scanned_in(captured), captured)
        if options.keep_running:
            await _wait_for_ctrl_c(console)
        return summary
    finally:
        await stop(run)
        await run.marketplace.app.aclose()


async def _wait_for_ctrl_c(console: Console) -> None:
    console.print("[bold]--keep-running:[/] workers and dashboard stay up; press Ctrl-C to stop.")
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, done.set)
    try:
        await done.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    console.print("stopping …")
