"""AdminSettings: how the admin app is secured, where it keeps tokens, and how it is extended."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from starlette.routing import BaseRoute

from .audit import AuditHook
from .dead_letters import DeadLetterProvider
from .tokens import TokenInfo

DEFAULT_MOUNT_PATH = "/admin/queues"

BearerAuthenticator = Callable[[str], Awaitable["TokenInfo | None"]]
"""``await authenticator(token)``: the caller's identity for a bearer token, or None."""


@dataclass(frozen=True)
class NavLink:
    """An extra link in the dashboard's navigation, relative to the admin app (e.g. "/refunds")."""

    label: str
    path: str


@dataclass(frozen=True)
class AdminSettings:
    """Settings of `create_admin_app`. Every field has a safe default."""

    token_store: Path | str | None = None
    """Token/session file; default `HUBJOBS_TOKEN_STORE`, else `<db>.tokens.db` beside a SQLite
    database, else `./hubjobs.tokens.db`."""
    secret_key: str | bytes | None = None
    """Signs session cookies and CSRF tokens; default a random secret kept in the token store (so
    every process sharing the store accepts the same cookies)."""
    session_max_age: float = 8 * 3600.0
    """Seconds a dashboard session lasts."""
    cookie_name: str = "hubjobs_session"
    cookie_secure: bool | None = None
    """Mark cookies Secure; None = when the request came over https."""
    allowed_origins: Sequence[str] = ()
    """Origins (scheme://host[:port]) besides the request's own host that may send state changes."""
    login_attempts: int = 5
    login_window: float = 60.0
    """At most `login_attempts` failed sign-ins per source address per `login_window` seconds;
    then that source waits (429 with Retry-After) until its oldest failure leaves the window."""
    token_attempts: int = 20
    token_window: float = 60.0
    """At most `token_attempts` requests with a bad bearer token per source address per
    `token_window` seconds; then every bearer request from it gets 429 with Retry-After."""
    forwarded_allow_ips: Sequence[str] = ()
    """Proxies (addresses, CIDR blocks or "*") whose X-Forwarded-For / X-Forwarded-Proto are
    trusted as the client's address and scheme; empty (the default): none, the socket's peer is
    the source every limit counts."""
    public_metrics: bool = False
    """Serve /metrics without a token (it never carries job data)."""
    list_data_chars: int = 200
    """Job data longer than this is truncated in lists and search results."""
    detail_data_chars: int = 200_000
    """Job data, results and errors longer than this are truncated on the job page."""
    max_body_bytes: int = 2 * 1024 * 1024
    """Largest request body accepted."""
    title: str = "hubjobs"
    mount_path: str = DEFAULT_MOUNT_PATH
    """Where the standalone server (`hubjobs dashboard`) serves the dashboard."""
    dead_letters: DeadLetterProvider | None = None
    """Source of the dead-letter view; default: the engine's failed jobs."""
    audit_hooks: Sequence[AuditHook] = ()
    """Called with every audit entry (e.g. to write a host's audit table)."""
    extra_routes: Sequence[BaseRoute] = ()
    """More Starlette routes served by the admin app (they secure themselves with `AdminState.auth`)."""
    nav_links: Sequence[NavLink] = field(default_factory=tuple)
    """Extra navigation links for pages served by `extra_routes`."""
    bearer_authenticators: Sequence[BearerAuthenticator] = ()
    """More ways to accept a bearer token (e.g. a host application's JWTs): each is awaited with
    the token, in order, when it is not a hubjobs token, and returns the caller's TokenInfo or None."""
    seed_admin_only: bool = False
    """Answer 401 on the seed endpoints (`/api/admin/jobs...`) to every caller that is not an admin."""

    def __post_init__(self) -> None:
        if self.session_max_age <= 0:
            raise ValueError(f"session_max_age must be > 0 seconds, got {self.session_max_age!r}")
        if self.list_data_chars < 20 or self.detail_data_chars < 100:
            raise ValueError("list_data_chars must be >= 20 and detail_data_chars >= 100")
        if self.max_body_bytes < 1024:
            raise ValueError(f"max_body_bytes must be >= 1024, got {self.max_body_bytes!r}")
        if not self.mount_path.startswith("/") or self.mount_path.endswith("/") and self.mount_path != "/":
            raise ValueError(f"mount_path must start with '/' and not end with one, got {self.mount_path!r}")
        for origin in self.allowed_origins:
            if "://" not in origin or origin.endswith("/"):
                raise ValueError(f"allowed origin must look like https://host[:port], got {origin!r}")
