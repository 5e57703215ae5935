"""Settings of the marketplace's jobs, read from ``SEQUENCEHUB_*`` environment variables.

Every field has a default that works on one machine with nothing else installed (SQLite file,
emails written to an outbox folder). Build one with :meth:`Settings.from_env`, or construct it
directly (tests and the demo do), and change fields with :func:`dataclasses.replace`.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

EmailTransportName = Literal["outbox", "smtp", "http", "resend"]

DEFAULT_DATABASE_URL = "sqlite:///./sequencehub.db"
PRISMA_DATABASE_URL_ENV = "DATABASE_URL"
"""The app's own variable for its database, read when SEQUENCEHUB_DATABASE_URL is not set."""
DEFAULT_OUTBOX_DIR = "./outbox"
ENV_PREFIX = "SEQUENCEHUB_"


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Configuration of the marketplace jobs. Environment variable names are in brackets."""

    database_url: str = DEFAULT_DATABASE_URL
    """Marketplace database (the Next.js app's Prisma database), ``sqlite:///...`` or
    ``postgresql://...[?schema=NAME]`` [SEQUENCEHUB_DATABASE_URL, else DATABASE_URL as Prisma
    names it]. It may differ from the job engine's URL (HUBJOBS_URL) or share its server."""
    timezone: str = "UTC"
    """Time zone of the cron schedules [SEQUENCEHUB_TIMEZONE]."""
    public_base_url: str = "http://127.0.0.1:8000"
    """Base of links put into emails [SEQUENCEHUB_PUBLIC_BASE_URL]."""

    email_transport: EmailTransportName = "outbox"
    """outbox (default: .eml files in `outbox_dir`), smtp or http [SEQUENCEHUB_EMAIL_TRANSPORT]."""
    outbox_dir: Path = Path(DEFAULT_OUTBOX_DIR)
    """Folder the outbox transport writes .eml files to [SEQUENCEHUB_OUTBOX_DIR]."""
    email_from: str = "SequenceHUB <noreply@sequencehub.com>"
    """From header of every email [SEQUENCEHUB_EMAIL_FROM]."""
    smtp_host: str = "127.0.0.1"
    """[SEQUENCEHUB_SMTP_HOST]"""
    smtp_port: int = 25
    """[SEQUENCEHUB_SMTP_PORT]"""
    smtp_username: str | None = None
    """Login user; no login when unset [SEQUENCEHUB_SMTP_USERNAME]."""
    smtp_password: str | None = None
    """[SEQUENCEHUB_SMTP_PASSWORD]"""
    smtp_starttls: bool = False
    """Upgrade the connection with STARTTLS [SEQUENCEHUB_SMTP_STARTTLS]."""
    smtp_ssl: bool = False
    """Connect with implicit TLS (port 465) [SEQUENCEHUB_SMTP_SSL]."""
    smtp_timeout: float = 30.0
    """Seconds [SEQUENCEHUB_SMTP_TIMEOUT]."""
    email_api_url: str | None = None
    """Endpoint of an HTTP email provider for transport `http` [SEQUENCEHUB_EMAIL_API_URL]."""
    email_api_key: str | None = None
    """Bearer token for the HTTP provider [SEQUENCEHUB_EMAIL_API_KEY]."""
    email_rate_limit: tuple[int, float] = (10, 1.0)
    """At most N sends per period seconds across all workers [SEQUENCEHUB_EMAIL_RATE_LIMIT as "N/SECONDS"]."""

    webhook_secret: str | None = None
    """HMAC-SHA256 key of the webhook signature header; required to send webhooks
    [SEQUENCEHUB_WEBHOOK_SECRET]."""
    webhook_timeout: float = 30.0
    """Seconds per webhook POST [SEQUENCEHUB_WEBHOOK_TIMEOUT]."""
    webhook_backoff_base: float = 5.0
    """First retry delay in seconds; try n waits base * 5**(n-1) [SEQUENCEHUB_WEBHOOK_BACKOFF_BASE]."""
    webhook_backoff_cap: float = 3600.0
    """Longest retry delay in seconds [SEQUENCEHUB_WEBHOOK_BACKOFF_CAP]."""
    webhook_max_retry_after: float = 86400.0
    """Longest Retry-After honoured, in seconds [SEQUENCEHUB_WEBHOOK_MAX_RETRY_AFTER]."""
    outbound_allow: tuple[str, ...] = ()
    """SSRF allow-list: host names, IP addresses or networks (CIDR) that outbound webhooks may reach
    even though they are private, loopback or link-local [SEQUENCEHUB_OUTBOUND_ALLOW, comma-separated]."""

    admin_alert_emails: tuple[str, ...] = ()
    """Admins emailed about dead letters [SEQUENCEHUB_ADMIN_ALERT_EMAILS, comma-separated]."""
    admin_alert_webhook_url: str | None = None
    """URL that receives dead-letter alerts as JSON [SEQUENCEHUB_ADMIN_ALERT_WEBHOOK_URL]."""
    alert_window: float = 60.0
    """Seconds a dead-letter alert waits to gather more failures into one digest
    [SEQUENCEHUB_ALERT_WINDOW]."""
    resend_api_key: str = ""
    """Resend API key for ``email_transport = "resend"`` [RESEND_API_KEY, as the app names it, or
    SEQUENCEHUB_RESEND_API_KEY]."""
    resend_api_url: str = "https://api.resend.com"
    """Resend's API base [SEQUENCEHUB_RESEND_API_URL]."""
    app_jwt_audience: str = ""
    """The ``aud`` the Next.js app puts into the JWTs it sends us; set it (with a secret or JWKS)
    to accept the app's admins [SEQUENCEHUB_APP_JWT_AUDIENCE]."""
    app_jwt_secret: str = ""
    """HS256 secret shared with the app [SEQUENCEHUB_APP_JWT_SECRET]."""
    app_jwks: str = ""
    """JWKS file path or URL for RS256/ES256 app tokens [SEQUENCEHUB_APP_JWKS]."""
    app_jwt_issuer: str = ""
    """Required ``iss`` of app tokens, if set [SEQUENCEHUB_APP_JWT_ISSUER]."""
    app_jwt_role_claim: str = "role"
    """The claim holding the app's role (ADMIN makes an admin) [SEQUENCEHUB_APP_JWT_ROLE_CLAIM]."""
    stripe_webhook_secret: str = ""
    """The Stripe endpoint's signing secret (``whsec_...``) that process-stripe-event verifies
    with [SEQUENCEHUB_STRIPE_WEBHOOK_SECRET]."""
    stripe_tolerance: float = 300.0
    """Seconds a Stripe signature's timestamp may lie from the event's receipt [SEQUENCEHUB_STRIPE_TOLERANCE]."""
    dead_letter_reconcile_interval: float = 30.0
    """Seconds between a worker's passes deriving dead letters from the engine's failed jobs
    [SEQUENCEHUB_DEAD_LETTER_RECONCILE_INTERVAL]."""

    upload_session_grace_hours: float = 0.0
    """Expired upload sessions are deleted this long after they expire [SEQUENCEHUB_UPLOAD_GRACE_HOURS]."""
    audit_retention_days: int = 90
    """Audit entries older than this are deleted, except protected actions
    [SEQUENCEHUB_AUDIT_RETENTION_DAYS]."""
    soft_delete_retention_days: int = 30
    """Soft-deleted products and files are purged after this [SEQUENCEHUB_SOFT_DELETE_RETENTION_DAYS]."""
    popular_products_limit: int = 10
    """How many products the weekly popularity ranking keeps [SEQUENCEHUB_POPULAR_PRODUCTS_LIMIT]."""

    extra: Mapping[str, str] = field(default_factory=dict, compare=False)
    """Unrecognised SEQUENCEHUB_* variables, kept for diagnostics."""

    def __post_init__(self) -> None:
        if self.email_transport not in get_args(EmailTransportName):
            raise SettingsError(
                f"SEQUENCEHUB_EMAIL_TRANSPORT must be one of "
                f"{', '.join(get_args(EmailTransportName))}, got {self.email_transport!r}"
            )
        if self.email_transport == "http" and not self.email_api_url:
            raise SettingsError("SEQUENCEHUB_EMAIL_API_URL is required when the email transport is http")
        if self.email_transport == "resend" and not self.resend_api_key:
            raise SettingsError("RESEND_API_KEY is required when the email transport is resend")
        count, period = self.email_rate_limit
        if count < 1 or period <= 0:
            raise SettingsError(
                f"SEQUENCEHUB_EMAIL_RATE_LIMIT needs N >= 1 and SECONDS > 0, got {count}/{period}"
            )
        for name in (
            "webhook_timeout",
            "webhook_backoff_base",
            "webhook_backoff_cap",
            "alert_window",
            "dead_letter_reconcile_interval",
            "smtp_timeout",
        ):
            if getattr(self, name) <= 0:
                raise SettingsError(f"SEQUENCEHUB_{name.upper()} must be > 0, got {getattr(self, name)!r}")
        for entry in self.outbound_allow:
            _check_allow_entry(entry)
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(
                f"SEQUENCEHUB_TIMEZONE {self.timezone!r} is not a known IANA time zone"
            ) from None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from `environ` (default `os.environ`); keyword arguments win over both."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        known = set()
        for spec in _ENV_FIELDS:
            var = ENV_PREFIX + spec.env
            known.add(var)
            if var in env and env[var] != "":
                values[spec.field] = spec.parse(var, env[var])
        extra = {
            k: v
            for k, v in env.items()
            if k.startswith(ENV_PREFIX) and k not in known and k != "SEQUENCEHUB_SAMPLES"
        }
        if "resend_api_key" not in values and env.get("RESEND_API_KEY"):
            values["resend_api_key"] = env["RESEND_API_KEY"]
        if "database_url" not in values and env.get(PRISMA_DATABASE_URL_ENV):
            values["database_url"] = env[PRISMA_DATABASE_URL_ENV]
        values.update(overrides)
        return cls(**values, extra=extra)  # type: ignore[arg-type]


def _check_allow_entry(entry: str) -> None:
    if not isinstance(entry, str) or not entry.strip() or any(c.isspace() for c in entry.strip()):
        raise SettingsError(
            f"SEQUENCEHUB_OUTBOUND_ALLOW entry {entry!r} must be a host name, IP address or CIDR"
        )
    if "/" in entry:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise SettingsError(
                f"SEQUENCEHUB_OUTBOUND_ALLOW entry {entry!r} is not a valid network"
            ) from None


def _parse_bool(var: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{var} must be true or false, got {raw!r}")


def _parse_int(var: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{var} must be an integer, got {raw!r}") from None


def _parse_float(var: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{var} must be a number, got {raw!r}") from None


def _parse_list(var: str, raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _parse_rate(var: str, raw: str) -> tuple[int, float]:
    count, sep, period = raw.partition("/")
    if not sep:
        raise SettingsError(f"{var} must look like N/SECONDS (e.g. 10/1), got {raw!r}")
    return _parse_int(var, count.strip()), _parse_float(var, period.strip())


def _parse_str(var: str, raw: str) -> str:
    return raw


def _parse_path(var: str, raw: str) -> Path:
    return Path(raw).expanduser()


class _EnvSpec(NamedTuple):
    field: str
    env: str
    parse: Callable[[str, str], object]


_ENV_FIELDS: tuple[_EnvSpec, ...] = (
    _EnvSpec("database_url", "DATABASE_URL", _parse_str),
    _EnvSpec("timezone", "TIMEZONE", _parse_str),
    _EnvSpec("public_base_url", "PUBLIC_BASE_URL", _parse_str),
    _EnvSpec("email_transport", "EMAIL_TRANSPORT", _parse_str),
    _EnvSpec("outbox_dir", "OUTBOX_DIR", _parse_path),
    _EnvSpec("email_from", "EMAIL_FROM", _parse_str),
    _EnvSpec("smtp_host", "SMTP_HOST", _parse_str),
    _EnvSpec("smtp_port", "SMTP_PORT", _parse_int),
    _EnvSpec("smtp_username", "SMTP_USERNAME", _parse_str),
    _EnvSpec("smtp_password", "SMTP_PASSWORD", _parse_str),
    _EnvSpec("smtp_starttls", "SMTP_STARTTLS", _parse_bool),
    _EnvSpec("smtp_ssl", "SMTP_SSL", _parse_bool),
    _EnvSpec("smtp_timeout", "SMTP_TIMEOUT", _parse_float),
    _EnvSpec("email_api_url", "EMAIL_API_URL", _parse_str),
    _EnvSpec("email_api_key", "EMAIL_API_KEY", _parse_str),
    _EnvSpec("email_rate_limit", "EMAIL_RATE_LIMIT", _parse_rate),
    _EnvSpec("webhook_secret", "WEBHOOK_SECRET", _parse_str),
    _EnvSpec("webhook_timeout", "WEBHOOK_TIMEOUT", _parse_float),
    _EnvSpec("webhook_backoff_base", "WEBHOOK_BACKOFF_BASE", _parse_float),
    _EnvSpec("webhook_backoff_cap", "WEBHOOK_BACKOFF_CAP", _parse_float),
    _EnvSpec("webhook_max_retry_after", "WEBHOOK_MAX_RETRY_AFTER", _parse_float),
    _EnvSpec("outbound_allow", "OUTBOUND_ALLOW", _parse_list),
    _EnvSpec("admin_alert_emails", "ADMIN_ALERT_EMAILS", _parse_list),
    _EnvSpec("admin_alert_webhook_url", "ADMIN_ALERT_WEBHOOK_URL", _parse_str),
    _EnvSpec("alert_window", "ALERT_WINDOW", _parse_float),
    _EnvSpec("resend_api_key", "RESEND_API_KEY", _parse_str),
    _EnvSpec("resend_api_url", "RESEND_API_URL", _parse_str),
    _EnvSpec("app_jwt_audience", "APP_JWT_AUDIENCE", _parse_str),
    _EnvSpec("app_jwt_secret", "APP_JWT_SECRET", _parse_str),
    _EnvSpec("app_jwks", "APP_JWKS", _parse_str),
    _EnvSpec("app_jwt_issuer", "APP_JWT_ISSUER", _parse_str),
    _EnvSpec("app_jwt_role_claim", "APP_JWT_ROLE_CLAIM", _parse_str),
    _EnvSpec("stripe_webhook_secret", "STRIPE_WEBHOOK_SECRET", _parse_str),
    _EnvSpec("stripe_tolerance", "STRIPE_TOLERANCE", _parse_float),
    _EnvSpec("dead_letter_reconcile_interval", "DEAD_LETTER_RECONCILE_INTERVAL", _parse_float),
    _EnvSpec("upload_session_grace_hours", "UPLOAD_GRACE_HOURS", _parse_float),
    _EnvSpec("audit_retention_days", "AUDIT_RETENTION_DAYS", _parse_int),
    _EnvSpec("soft_delete_retention_days", "SOFT_DELETE_RETENTION_DAYS", _parse_int),
    _EnvSpec("popular_products_limit", "POPULAR_PRODUCTS_LIMIT", _parse_int),
)
