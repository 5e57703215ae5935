"""Generate ``docs/jobs.md`` from the registered queues, handlers, schemas and schedules.

Run ``python -m sequencehub.docs_gen`` to rewrite the file, or ``--check`` to fail when it is
out of date (a test does the same). Everything in the document comes from the App: queue defaults,
handler options, each handler's docstring (first paragraph, then ``Writes:``, ``Failure:`` and
``Priority:`` sections) and each payload schema (pydantic JSON schema).
"""

from __future__ import annotations

import argparse
import inspect
import os
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from hubjobs import App, Backoff
from hubjobs.job import JobOptions
from hubjobs.registry import HandlerSpec, QueueDefaults
from hubjobs.retention import Retention

from .config import Settings
from .db import Database
from .jobs import SCHEDULES, ScheduleDef, register_marketplace_jobs

DEFAULT_PATH = Path("docs/jobs.md")
SECTION_NAMES = ("Writes", "Failure", "Priority")
BACKOFF_SAMPLES = 5


def documented_app() -> tuple[App, tuple[ScheduleDef, ...]]:
    """The App the document describes, with default settings (never opened): the file-processing
    queue (``sequencehub.processing``) followed by the marketplace jobs of :mod:`sequencehub.jobs`."""
    app = App("sqlite:///./hubjobs-docs-never-opened.db")
    settings = Settings()
    saved = dict(os.environ)
    try:  # registering file processing exports its settings to the environment: undo that here
        from .processing import register_file_processing

        register_file_processing(app, settings)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    register_marketplace_jobs(app, settings, db=Database("sqlite:///:memory:"), schedules=False)
    return app, SCHEDULES


# --------------------------------------------------------------------- docstrings


def split_docstring(text: str | None) -> tuple[str, dict[str, str]]:
    """(summary, {section: text}) from a handler docstring; sections start with ``Name:`` lines."""
    lines = inspect.cleandoc(text or "").splitlines()
    summary: list[str] = []
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines:
        match = re.match(rf"^({'|'.join(SECTION_NAMES)}):\s*(.*)$", line)
        if match:
            current = sections.setdefault(match.group(1), [])
            current.append(match.group(2))
        elif current is not None:
            current.append(line)
        else:
            summary.append(line)
    first_paragraph = " ".join(" ".join(summary).split("\n\n")[0].split())
    return first_paragraph, {k: " ".join(" ".join(v).split()) for k, v in sections.items()}


# --------------------------------------------------------------------- options


def _seconds(value: float) -> str:
    return f"{value:g} s"


def describe_backoff(backoff: Backoff | None, app: App) -> str:
    """A readable backoff: kind, base delay, cap, and for custom strategies the first delays."""
    if backoff is None:
        return "none (retry at once)"
    if backoff.kind == "fixed":
        text = f"fixed {_seconds(backoff.delay)}"
    elif backoff.kind == "exponential":
        text = f"exponential {_seconds(backoff.delay)} × 2^(n−1)"
    else:
        delays = ", ".join(
            _seconds(backoff.compute(n, app.backoff_strategies)) for n in range(1, BACKOFF_SAMPLES + 1)
        )
        text = f"custom `{backoff.name}` ({delays}, …)"
    if backoff.cap is not None:
        text += f", capped at {_seconds(backoff.cap)}"
    if backoff.jitter:
        text += f", jitter {backoff.jitter:g}"
    return text


def describe_retention(retention: Retention) -> str:
    """``keep all``, ``keep none`` or ``keep 1000 / 86400 s``."""
    if retention.keeps_all:
        return "keep all"
    if retention.keeps_none:
        return "keep none"
    parts = []
    if retention.count is not None:
        parts.append(f"last {retention.count}")
    if retention.age is not None:
        parts.append(f"{_seconds(retention.age)}")
    return "keep " + " / ".join(parts)


def _options_rows(options: JobOptions, defaults: QueueDefaults | None, app: App) -> list[tuple[str, str]]:
    rows = [
        ("attempts", str(options.attempts)),
        ("backoff", describe_backoff(options.backoff, app)),
        ("priority", str(options.priority)),
        ("timeout", _seconds(options.timeout) if options.timeout else "none"),
    ]
    if defaults is not None:
        rows.append(("concurrency", str(defaults.concurrency) if defaults.concurrency else "worker's slots"))
        rate = defaults.rate_limit
        rows.append(("rate limit", f"{rate.max} starts per {_seconds(rate.period)}" if rate else "none"))
    rows += [
        ("completed jobs", describe_retention(options.remove_on_complete)),
        ("failed jobs", describe_retention(options.remove_on_fail)),
    ]
    return rows


# --------------------------------------------------------------------- schemas


def _type_of(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in prop:
        return str(prop["$ref"]).rsplit("/", 1)[-1]
    if "const" in prop:
        return f"`{prop['const']!r}`".replace("'", '"')
    if "enum" in prop:
        return " or ".join(f'`"{v}"`' for v in prop["enum"])
    if "anyOf" in prop:
        return " or ".join(_type_of(p, defs) for p in prop["anyOf"])
    kind = prop.get("type")
    if kind == "array":
        return f"list of {_type_of(prop.get('items', {}), defs)}"
    if kind == "string" and prop.get("format"):
        return f"string ({prop['format']})"
    if kind is None:
        return "any JSON"
    return str(kind)


def _constraints(prop: dict[str, Any]) -> str:
    notes = []
    for key, label in (
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("minimum", "≥"),
        ("maximum", "≤"),
        ("minItems", "min items"),
        ("pattern", "pattern"),
    ):
        if key in prop:
            value = prop[key]
            notes.append(f"{label} `{value}`" if key == "pattern" else f"{label} {value}")
    if "default" in prop:
        notes.append(f"default `{prop['default']!r}`".replace("'", '"').replace("None", "null"))
    text = ", ".join(notes)
    description = str(prop.get("description") or "").strip()
    if description:
        text = f"{description} ({text})" if text else description
    return _cell(text)


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _object_table(schema: dict[str, Any], defs: dict[str, Any]) -> list[str]:
    props = schema.get("properties", {})
    required = set(schema.get("required", []))
    lines = ["| field | type | required | notes |", "|---|---|---|---|"]
    for name, prop in props.items():
        lines.append(
            f"| `{name}` | {_type_of(prop, defs)} | {'yes' if name in required else 'no'} | "
            f"{_constraints(prop)} |"
        )
    return lines


def _referenced(schema: dict[str, Any], defs: dict[str, Any], seen: list[str]) -> None:
    for value in schema.values() if isinstance(schema, dict) else []:
        if isinstance(value, dict):
            ref = value.get("$ref")
            if ref:
                name = ref.rsplit("/", 1)[-1]
                if name not in seen:
                    seen.append(name)
                    _referenced(defs.get(name, {}), defs, seen)
            _referenced(value, defs, seen)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    _referenced({"_": item}, defs, seen)


def schema_section(model: type[Any]) -> list[str]:
    """Markdown tables for a pydantic model: one for the payload (or each union variant), then one
    per nested type it uses."""
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    lines: list[str] = []
    variants = schema.get("oneOf") or schema.get("anyOf")
    if variants and "properties" not in schema:
        key = (schema.get("discriminator") or {}).get("propertyName")
        for variant in variants:
            body = defs.get(variant.get("$ref", "").rsplit("/", 1)[-1], variant)
            tag = body.get("properties", {}).get(key, {}).get("const") if key else None
            lines += ["", f'Variant `{key}: "{tag}"`:' if tag else "Variant:", ""]
            lines += _object_table(body, defs)
        nested: list[str] = []
        for variant in variants:
            name = variant.get("$ref", "").rsplit("/", 1)[-1]
            _referenced(defs.get(name, {}), defs, nested)
    else:
        lines += [""] + _object_table(schema, defs)
        nested = []
        _referenced(schema, defs, nested)
    for name in nested:
        lines += ["", f"`{name}`:", ""] + _object_table(defs[name], defs)
    return lines


# --------------------------------------------------------------------- document


def _job_section(app: App, queue: str, spec: HandlerSpec) -> list[str]:
    summary, sections = split_docstring(spec.fn.__doc__)
    options = app.get_queue(queue).options_for(spec.name)
    defaults = app.get_queue(queue).defaults
    lines = [f"### `{spec.name}`", "", summary or "(no description)", ""]
    changed = [
        (k, v)
        for k, v in _options_rows(options, None, app)
        if dict(_options_rows(defaults.options, None, app)).get(k) != v
    ]
    if changed:
        lines += [
            "Options that differ from the queue's: " + ", ".join(f"{k} {v}" for k, v in changed) + ".",
            "",
        ]
    for name in SECTION_NAMES:
        if name in sections:
            lines += [f"**{name}:** {sections[name]}", ""]
    lines.append("**Payload:**" if spec.schema is not None else "**Payload:** any JSON (no schema).")
    if spec.schema is not None:
        lines += schema_section(spec.schema)
    lines.append("")
    return lines


APP_SECTIONS: list[str] = [
    "## The app's database (Prisma)",
    "",
    (
        "The jobs read and write the Next.js app's own tables in Prisma's default layout: table = model "
        "name (`\"ProductFile\"`, `\"WebhookLog\"`, `\"EmailLog\"`, `\"UploadSession\"`, `\"AuditLog\"`, "
        "`\"DeadLetterJob\"`, `\"Order\"`, `\"StripeEvent\"`...), column = camelCase field "
        "(`processingStatus`, `lastAttemptAt`, `externalId`, `entityType`, `queueName`, `jobData`, "
        "`failedAt`...), PostgreSQL enum types named after the Prisma enums, cuid text ids, `updatedAt` "
        "set on every update. `marketplace/schema.prisma` describes exactly these models; "
        "merge them into the app's schema. `DATABASE_URL` (or `SEQUENCEHUB_DATABASE_URL`, which wins) "
        "names the database, with Prisma's `?schema=NAME` honoured; it may be the job engine's server "
        "too. Tables made by `prisma migrate` are used as they are (no Alembic run); a missing table "
        "or column stops the worker at startup with one error naming it. Without the app, "
        "`alembic upgrade head` (run automatically) creates the same layout on SQLite or PostgreSQL."
    ),
    "",
    "## Audit vocabulary",
    "",
    "| event | action | entityType | metadata (a JSON string) |",
    "|---|---|---|---|",
    "| a file job fails for good, or finds malware | `SECURITY_ALERT` | `file-processing` | "
    "`{\"error\", \"attempts\"}` |",
    "| a webhook try succeeds | `STRIPE_WEBHOOK_PROCESSED` | `webhook` | `{\"eventType\", \"attempt\", \"success\"}` |",
    "| a webhook try fails | `STRIPE_WEBHOOK_FAILED` | `webhook` | `{\"eventType\", \"attempt\", \"error\"}` |",
    "",
    "The daily cleanup never deletes `ORDER_CREATED`, `PAYMENT_RECEIVED` or `REFUND_INITIATED` entries. "
    "File jobs log `Completed: <task>` / `Failed: <task> - <message>` per task.",
    "",
    "## Priorities (the app's JobPriority)",
    "",
    "| kind | priority |",
    "|---|---|",
    "| payment webhooks (`retry-webhook`, `process-stripe-event`), order confirmations | CRITICAL 1 |",
    "| file processing of new uploads (`enqueue_file_processing`) | HIGH 3 |",
    "| other email; `process-file` without `priority` in its data (`data.priority \\|\\| 5`) | NORMAL 5 |",
    "| analytics and cleanup | LOW 7 |",
    "| scheduled maintenance | BACKGROUND 10 |",
    "",
    (
        "The rules live on the handlers, so they apply however a job is added: Python, "
        "`hubjobs enqueue` or `POST /api/queues/{queue}/jobs`. A `process-file` job's data may carry "
        "`priority`; an explicit priority option still wins. A `retry-webhook` job added with "
        "`attempt = n > 1` waits `calculateBackoff(n)` = 5 s × 5^(n−1), capped at 1 h."
    ),
    "",
    "## How the Next.js app calls the jobs",
    "",
    (
        "**Enqueue** from the app's API layer with `POST /api/queues/{queue}/jobs` and a JSON body "
        "`{\"name\", \"data\", \"options\"?: {\"priority\", \"delay\", ...}}` (an `Idempotency-Key` "
        "header becomes the job id) — e.g. "
        "`{\"name\": \"process-file\", \"data\": {\"fileId\", \"storageKey\", \"priority\": 3}}` after "
        "an upload, or `{\"name\": \"process-stripe-event\", \"data\": {\"storedEventId\"}}` after storing "
        "a `\"StripeEvent\"` row. The schema of each job is checked on add (422 naming the field). When "
        "the engine is the app's PostgreSQL database, Python producers can add inside their own "
        "transaction (`connection=`)."
    ),
    "",
    (
        "**Authenticate** with `Authorization: Bearer <token>`: either a hubjobs token (`hubjobs tokens "
        "create producer app`), or the app's own signed JWT: set `SEQUENCEHUB_APP_JWT_AUDIENCE` and "
        "`SEQUENCEHUB_APP_JWT_SECRET` (HS256, shared with the app) or `SEQUENCEHUB_APP_JWKS` (a JWKS file "
        "or URL; RS256/ES256), optionally `SEQUENCEHUB_APP_JWT_ISSUER`. `aud` and `exp` are required; a "
        "token whose `role` claim is `ADMIN` is an admin; wrong audience, expired, another algorithm or "
        "another role answer 401, and no log line holds the token. The seed's endpoints "
        "(`GET /api/admin/jobs`, `POST /api/admin/jobs/retry`) answer 401 to anyone who is not an admin."
    ),
    "",
]
"""Hand-written sections about the app's database, audit words and priorities."""


def render_jobs_doc(app: App, schedules: Iterable[ScheduleDef] = ()) -> str:
    """The whole Markdown document for `app`."""
    lines = [
        "# Jobs",
        "",
        "<!-- Generated by `python -m sequencehub.docs_gen` from the registered handlers; do not edit. -->",
        "",
        (
            "Every queue of the marketplace, its defaults, and each job: what it does, its payload schema "
            "(checked when the job is added: a bad field fails `add` with its name), what it writes and how "
            "it fails. Times are seconds; `n` is the number of the failed try."
        ),
        "",
    ]
    for queue_name, queue in app.queues.items():
        specs = [s for (q, _), s in sorted(app.handlers.items()) if q == queue_name]
        if not specs:
            continue
        lines += [f"## Queue `{queue_name}`", "", "| default | value |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in _options_rows(queue.defaults.options, queue.defaults, app)]
        lines.append("")
        for spec in specs:
            lines += _job_section(app, queue_name, spec)
    schedule_list = list(schedules)
    if schedule_list:
        lines += ["## Schedules", "", "| schedule | queue | job | cron | when |", "|---|---|---|---|---|"]
        lines += [
            f"| `{s.id}` | `scheduled-jobs` | `{s.name}` | `{s.cron}` | {s.description} |"
            for s in schedule_list
        ]
        lines += [
            "",
            "Cron times are in `SEQUENCEHUB_TIMEZONE` (default UTC). Each tick adds exactly one job.",
            "",
        ]
    lines += APP_SECTIONS
    lines += [
        "## Dead letters",
        "",
        (
            "When a job on any queue fails for the last time (tries used up, an unrecoverable error, or "
            "stalled too often), the dead-letter hook attached to the worker writes one `DeadLetterJob` row "
            "(queue, job id, name, data, error, tries, failed at) and puts it into the open alert batch. The "
            "batch's `dead-letter-alert` job runs `SEQUENCEHUB_ALERT_WINDOW` seconds after the first failure "
            "and sends one alert (or one digest for a burst) to `SEQUENCEHUB_ADMIN_ALERT_EMAILS` and/or "
            "`SEQUENCEHUB_ADMIN_ALERT_WEBHOOK_URL`. Admins replay a dead letter (its job runs again) or "
            "resolve it. The dashboard's dead-letter view (and its \"Replay all (N)\") lists the OPEN rows whose "
            "job is still failed in the engine or gone from it; a row whose job already runs again by another "
            "way (retried from its job page) is left out and a replay skips it. "
            "Dead letters are derived from the engine's durable `failed` state: besides the "
            "listener, every marketplace worker runs a reconciler (at start, then every "
            "`SEQUENCEHUB_DEAD_LETTER_RECONCILE_INTERVAL` s) that records failures no listener recorded "
            "(a worker killed between the engine's commit and its listener) and re-adds lost alert jobs. "
            "`failureKey` (queue/job id/tries/finish time) makes one dead letter per job and failure."
        ),
        "",
    ]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write docs/jobs.md, or with --check report whether it is up to date (exit 1 if not)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when the file differs from the generated text"
    )
    args = parser.parse_args(argv)
    app, schedules = documented_app()
    text = render_jobs_doc(app, schedules)
    current = args.path.read_text(encoding="utf-8") if args.path.exists() else None
    if args.check:
        if current != text:
            print(f"{args.path} is out of date: run python -m sequencehub.docs_gen", file=sys.stderr)
            return 1
        return 0
    if current != text:
        args.path.parent.mkdir(parents=True, exist_ok=True)
        args.path.write_text(text, encoding="utf-8")
        print(f"wrote {args.path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
