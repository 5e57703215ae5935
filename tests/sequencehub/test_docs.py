"""docs/jobs.md is generated from the registered handlers and must be up to date."""

from __future__ import annotations

from pathlib import Path

from sequencehub.docs_gen import documented_app, main, render_jobs_doc, split_docstring

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "jobs.md"


def test_docs_jobs_md_is_up_to_date() -> None:
    app, schedules = documented_app()
    expected = render_jobs_doc(app, schedules)
    assert DOC.is_file(), "docs/jobs.md is missing: run python -m sequencehub.docs_gen"
    assert DOC.read_text(encoding="utf-8") == expected, (
        "docs/jobs.md is out of date: run python -m sequencehub.docs_gen"
    )


def test_every_queue_job_and_schedule_is_documented() -> None:
    app, schedules = documented_app()
    text = render_jobs_doc(app, schedules)
    for queue, name in app.handlers:
        assert f"## Queue `{queue}`" in text and f"### `{name}`" in text
    for schedule in schedules:
        assert f"| `{schedule.id}` | `scheduled-jobs` | `{schedule.name}` | `{schedule.cron}` |" in text
    for required in (
        "custom `webhook` (5 s, 25 s, 125 s, 625 s, 3125 s, …), capped at 3600 s",
        "fixed 10 s",
        "10 starts per 1 s",
        'Variant `template: "order-confirmation"`',
        "**Failure:** 2xx succeeds; 410 Gone fails at once",
    ):
        assert required in text


def test_check_mode_fails_on_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "jobs.md"
    stale.write_text("# Jobs\n\nold\n", encoding="utf-8")
    assert main([str(stale), "--check"]) == 1
    assert main([str(stale)]) == 0
    assert main([str(stale), "--check"]) == 0


def test_docstring_sections() -> None:
    summary, sections = split_docstring("""Do a thing
    in two lines.

    Writes: table a,
    table b.
    Failure: retried.
    """)
    assert summary == "Do a thing in two lines."
    assert sections == {"Writes": "table a, table b.", "Failure": "retried."}


def test_registering_declares_queues_and_schedules(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from hubjobs import App
    from hubjobs.scheduling import next_tick
    from sequencehub.db import open_database
    from sequencehub.jobs import SCHEDULES, register_marketplace_jobs
    from tests.sequencehub.marketplace_support import settings_for

    settings = settings_for(tmp_path, timezone="Europe/Berlin")
    app = App(f"sqlite:///{tmp_path / 'jobs.db'}")
    marketplace = register_marketplace_jobs(app, settings, db=open_database(settings.database_url))
    assert marketplace.queues == ["webhook-retry", "email", "scheduled-jobs"]
    assert set(app.queues) == set(marketplace.queues)
    assert {(q, n) for q, n in app.handlers} == {
        ("webhook-retry", "retry-webhook"),
        ("webhook-retry", "process-stripe-event"),
        ("email", "send-email"),
        ("scheduled-jobs", "daily-cleanup"),
        ("scheduled-jobs", "daily-analytics"),
        ("scheduled-jobs", "weekly-analytics"),
        ("scheduled-jobs", "database-optimization"),
        ("scheduled-jobs", "monthly-payouts"),
        ("scheduled-jobs", "dead-letter-alert"),
    }
    assert {s.id for s in SCHEDULES} <= set(app.schedules)
    daily = app.schedules["daily-cleanup"]
    assert (daily.queue, daily.name, daily.cron, daily.tz) == (
        "scheduled-jobs",
        "daily-cleanup",
        "0 2 * * *",
        "Europe/Berlin",
    )
    assert next_tick(daily, datetime(2025, 3, 10, 0, 30, tzinfo=UTC)) == datetime(
        2025, 3, 10, 1, 0, tzinfo=UTC
    )
    payouts = app.schedules["monthly-payouts"]
    assert next_tick(payouts, datetime(2025, 3, 10, tzinfo=UTC)) == datetime(2025, 4, 1, 2, 0, tzinfo=UTC)
    assert app.queue("email").defaults.rate_limit is not None
    assert app.schedules["daily-analytics"].cron == "0 1 * * *"  # daily, not only weekly
    assert app.schedules["database-optimization"].cron == "0 5 * * 0"
    scheduled = app.queue("scheduled-jobs")
    assert scheduled.options_for("daily-analytics").priority == 7
    assert scheduled.options_for("database-optimization").priority == 10
    app.close()
