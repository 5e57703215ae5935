"""Wiring: the marketplace's queues, handlers, schedules and dead-letter hook on a hubjobs App.

::

    from hubjobs import App
    from sequencehub.config import Settings
    from sequencehub.jobs import register_marketplace_jobs

    app = App()                                   # HUBJOBS_URL or sqlite:///./hubjobs.db
    marketplace = register_marketplace_jobs(app, Settings.from_env())
    worker = app.worker()
    marketplace.attach_dead_letter_hook(worker)   # dead letters + admin alerts for every queue
    worker.run()

Queues and defaults (DESIGN section 6): ``webhook-retry`` 5 tries, backoff 5 s * 5^(n-1) capped
at 1 h, concurrency 5; ``email`` 3 tries, fixed 10 s, concurrency 10, rate limit from settings,
priority 5 (order confirmations 1); ``scheduled-jobs`` 3 tries, exponential 60 s, concurrency 2
(so a dead-letter alert never waits behind a long cleanup).
"""

from __future__ import annotations

from dataclasses import dataclass

from hubjobs import App, Backoff, Priority, Worker

from . import priorities
from .config import Settings
from .daily_analytics import DailyAnalytics
from .db_maintenance import DatabaseOptimization
from .db import Database, open_database
from .dead_letter import ALERT_JOB, AlertJob, DeadLetterAlerter, DeadLetterHook
from .dead_letter_reconciler import DeadLetterReconciler
from .email.schemas import SendEmailJob
from .email.sender import JOB_NAME as SEND_EMAIL
from .email.sender import QUEUE as EMAIL_QUEUE
from .email.sender import EmailDelivery, EmailSender, email_options
from .email.transports import EmailTransport
from .files.storage import FileStorage
from .stripe_events import JOB_NAME as STRIPE_EVENT
from .stripe_events import StripeEventJob, StripeEventProcessor
from .scheduled import DailyCleanup, MonthlyPayouts, PayoutRun, ScheduledRun, WeeklyAnalytics
from .webhooks import BACKOFF_STRATEGY, WebhookJob, WebhookSender, webhook_add_options, webhook_backoff
from .webhooks import JOB_NAME as RETRY_WEBHOOK
from .webhooks import QUEUE as WEBHOOK_QUEUE

SCHEDULED_QUEUE = "scheduled-jobs"


@dataclass(frozen=True)
class ScheduleDef:
    """A marketplace schedule: which job runs when (cron in the settings' time zone)."""

    id: str
    name: str
    cron: str
    description: str


SCHEDULES: tuple[ScheduleDef, ...] = (
    ScheduleDef("daily-cleanup", "daily-cleanup", "0 2 * * *", "every day at 02:00"),
    ScheduleDef("daily-analytics", "daily-analytics", "0 1 * * *", "every day at 01:00"),
    ScheduleDef("weekly-analytics", "weekly-analytics", "0 3 * * 1", "Mondays at 03:00"),
    ScheduleDef("database-optimization", "database-optimization", "0 5 * * 0", "Sundays at 05:00"),
    ScheduleDef("monthly-payouts", "monthly-payouts", "0 4 1 * *", "the 1st of each month at 04:00"),
)


@dataclass
class MarketplaceJobs:
    """What :func:`register_marketplace_jobs` set up: the pieces a runner or demo drives."""

    app: App
    settings: Settings
    db: Database
    email: EmailDelivery
    dead_letter_hook: DeadLetterHook
    schedules: tuple[ScheduleDef, ...]

    @property
    def queues(self) -> list[str]:
        """The queues declared here."""
        return [WEBHOOK_QUEUE, EMAIL_QUEUE, SCHEDULED_QUEUE]

    def attach_dead_letter_hook(self, worker: Worker) -> None:
        """Record dead letters and alert admins for every job that fails for good on `worker`: its
        ``failed`` listener records at once, and a reconciler service derives the ones a crash
        lost from the engine's durable failed state (at start, then periodically)."""
        self.dead_letter_hook.attach(worker)
        worker.add_service(DeadLetterReconciler(self.app, self.db, self.dead_letter_hook, worker.queues,
                                                interval=self.settings.dead_letter_reconcile_interval))


def declare_queues(app: App, settings: Settings) -> None:
    """Declare the three queues with their defaults and the webhook backoff strategy."""
    app.backoff_strategy(BACKOFF_STRATEGY)(
        webhook_backoff(settings.webhook_backoff_base, settings.webhook_backoff_cap)
    )
    app.queue(
        WEBHOOK_QUEUE,
        attempts=5,
        backoff=Backoff.custom(BACKOFF_STRATEGY, cap=settings.webhook_backoff_cap),
        concurrency=5,
        timeout=settings.webhook_timeout + 30.0,
    )
    app.queue(
        EMAIL_QUEUE,
        attempts=3,
        backoff=Backoff.fixed(10.0),
        concurrency=10,
        rate_limit=settings.email_rate_limit,
        priority=int(Priority.NORMAL),
        timeout=settings.smtp_timeout + 30.0,
    )
    app.queue(SCHEDULED_QUEUE, attempts=3, backoff=Backoff.exponential(60.0), concurrency=2, timeout=3600.0)


def register_marketplace_jobs(
    app: App,
    settings: Settings | None = None,
    *,
    db: Database | None = None,
    storage: FileStorage | None = None,
    email_transport: EmailTransport | None = None,
    schedules: bool = True,
) -> MarketplaceJobs:
    """Declare the webhook-retry, email and scheduled-jobs queues on `app`, register their
    handlers and schedules, and return the pieces (database, email delivery, dead-letter hook).

    `db` defaults to ``open_database(settings.database_url)`` (migrated to the latest schema);
    `storage` lets the daily cleanup delete stored files; `email_transport` overrides the one the
    settings name; `schedules=False` registers no cron schedules (tests, one-off runs).
    """
    settings = settings or Settings.from_env()
    db = db or open_database(settings.database_url)
    declare_queues(app, settings)
    delivery = EmailDelivery(db, settings, transport=email_transport)

    app.job(WEBHOOK_QUEUE, RETRY_WEBHOOK, schema=WebhookJob, priority=priorities.PAYMENT_WEBHOOK,
            options_from_data=webhook_add_options(settings.webhook_backoff_base, settings.webhook_backoff_cap))(
        WebhookSender(db, settings).handle
    )
    app.job(WEBHOOK_QUEUE, STRIPE_EVENT, schema=StripeEventJob, priority=priorities.PAYMENT_WEBHOOK)(
        StripeEventProcessor(app, db, settings).handle
    )
    app.job(EMAIL_QUEUE, SEND_EMAIL, schema=SendEmailJob, options_from_data=email_options)(
        EmailSender(delivery).handle
    )
    app.job(SCHEDULED_QUEUE, "daily-cleanup", schema=ScheduledRun, priority=priorities.CLEANUP)(
        DailyCleanup(db, settings, storage).handle
    )
    app.job(SCHEDULED_QUEUE, "weekly-analytics", schema=ScheduledRun, priority=priorities.ANALYTICS)(
        WeeklyAnalytics(db, settings).handle
    )
    app.job(SCHEDULED_QUEUE, "daily-analytics", schema=ScheduledRun, priority=priorities.ANALYTICS)(
        DailyAnalytics(db).handle
    )
    app.job(SCHEDULED_QUEUE, "database-optimization", schema=ScheduledRun, priority=priorities.MAINTENANCE)(
        DatabaseOptimization(db).handle
    )
    app.job(SCHEDULED_QUEUE, "monthly-payouts", schema=PayoutRun, priority=int(Priority.NORMAL))(
        MonthlyPayouts(db, app.queue(EMAIL_QUEUE)).handle
    )
    app.job(SCHEDULED_QUEUE, ALERT_JOB, schema=AlertJob, priority=int(Priority.HIGH))(
        DeadLetterAlerter(db, settings, delivery).handle
    )

    if schedules:
        for schedule in SCHEDULES:
            _add_schedule(app, schedule, settings.timezone)
    return MarketplaceJobs(
        app, settings, db, delivery, DeadLetterHook(app, db, settings), SCHEDULES if schedules else ()
    )


def _add_schedule(app: App, schedule: ScheduleDef, tz: str) -> None:
    app.schedule(schedule.id, queue=SCHEDULED_QUEUE, name=schedule.name, data={}, cron=schedule.cron, tz=tz)
