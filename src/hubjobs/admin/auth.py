"""Who is asking and may they: bearer tokens, signed session cookies, roles, CSRF and Origin checks.

Deny by default: every route declares the `Permission` it needs, and `Authenticator.require`
answers 401 (no valid credentials), 403 (role lacks the permission, or a state change without a
valid CSRF token or from a foreign Origin) before the endpoint runs. Credential checks compare in
constant time.
"""

from __future__ import annotations

import asyncio
import base64
import enum
import hashlib
import hmac
import math
import secrets
import time
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import Response

from .http import Problem, check_form_length
from .ratelimit import AttemptLimiter, retry_after_header, source_of, whole_seconds
from .settings import AdminSettings
from .tokens import Role, TokenInfo, TokenStore

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
LOGIN_COOKIE = "hubjobs_login"


class Permission(enum.Enum):
    """What a route needs."""

    READ = "read"
    """See queues, jobs, logs, schedules, workers, metrics."""
    ACT = "act"
    """Change state: retry, remove, promote, cancel, pause, resume, drain, clean, replay."""
    ENQUEUE = "enqueue"
    """Add jobs through the producer endpoint."""
    SIGNED_IN = "signed-in"
    """Any valid token, whatever its role (the OpenAPI document)."""


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.VIEWER: frozenset({Permission.READ, Permission.SIGNED_IN}),
    Role.PRODUCER: frozenset({Permission.ENQUEUE, Permission.SIGNED_IN}),
}


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: the token, and whether it came as a bearer token or a session."""

    token: TokenInfo
    via: Literal["token", "session"]
    session_id: str | None = None

    @property
    def role(self) -> Role:
        """The token's role."""
        return self.token.role

    @property
    def name(self) -> str:
        """The token's name (used in audit lines)."""
        return self.token.name

    def can(self, permission: Permission) -> bool:
        """True if the role grants `permission`."""
        return permission in GRANTS[self.role]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


class Signer:
    """HMAC-SHA256 signatures for session cookies and CSRF tokens."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the admin secret key must be at least 16 bytes")
        self._secret = secret

    def _mac(self, purpose: str, value: str) -> str:
        return _b64(hmac.new(self._secret, f"{purpose}|{value}".encode(), hashlib.sha256).digest())

    def session_cookie(self, session_id: str, expires: float) -> str:
        """The cookie value for a session: `<id>.<expiry>.<signature>`."""
        payload = f"{session_id}.{int(expires)}"
        return f"{payload}.{self._mac('session', payload)}"

    def session_id(self, cookie: str) -> str | None:
        """The session id in a cookie whose signature is valid and which has not expired."""
        parts = cookie.split(".")
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        payload = f"{parts[0]}.{parts[1]}"
        if not hmac.compare_digest(self._mac("session", payload), parts[2]):
            return None
        if int(parts[1]) < time.time():
            return None
        return parts[0]

    def csrf_token(self, session_id: str) -> str:
        """The CSRF token bound to a session."""
        return self._mac("csrf", session_id)

    def csrf_valid(self, session_id: str, token: str) -> bool:
        """Constant-time check of a CSRF token."""
        return hmac.compare_digest(self.csrf_token(session_id), token)


class Authenticator:
    """Finds the caller of a request and enforces permissions, CSRF and Origin."""

    def __init__(self, store: TokenStore, settings: AdminSettings) -> None:
        self.store = store
        self.settings = settings
        secret = settings.secret_key
        if secret is None:
            raw = store.signing_secret()
        else:
            raw = secret.encode() if isinstance(secret, str) else secret
        self.signer = Signer(raw)
        self.token_limiter = AttemptLimiter(settings.token_attempts, settings.token_window)

    # ------------------------------------------------------------ who

    async def principal(self, request: Request) -> Principal | None:
        """The caller, from `Authorization: Bearer` or else the session cookie; None if neither
        is valid. A present but malformed Authorization header is not valid."""
        header = request.headers.get("authorization")
        if header is not None:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return None
            info = None if len(token) > 512 else await asyncio.to_thread(self.store.verify, token.strip())
            for authenticate in self.settings.bearer_authenticators if info is None else ():
                info = await authenticate(token.strip())
                if info is not None:
                    break
            return None if info is None else Principal(info, "token")
        cookie = request.cookies.get(self.settings.cookie_name)
        if cookie:
            session_id = self.signer.session_id(cookie)
            if session_id is not None:
                info = await asyncio.to_thread(self.store.session_token, session_id)
                if info is not None:
                    return Principal(info, "session", session_id)
        return None

    async def require(self, request: Request, permission: Permission) -> Principal:
        """The caller if allowed `permission`; else Problem 401/403. State changes also need a
        same-origin request and, for sessions, a valid CSRF token."""
        bearer = request.headers.get("authorization") is not None
        if bearer:
            self.check_token_throttle(request)
        principal = await self.principal(request)
        if principal is None:
            if bearer:
                self.token_limiter.failed(source_of(request))
            raise Problem(401, "authentication required: send Authorization: Bearer <token> or sign in",
                          headers={"WWW-Authenticate": 'Bearer realm="hubjobs"'})
        if not principal.can(permission):
            raise Problem(403, f"a {principal.role.value} token may not {_verb(permission)}")
        if request.method not in SAFE_METHODS:
            self.check_origin(request, required=principal.via == "session")
            if principal.via == "session":
                await self.check_csrf(request, principal)
        return principal

    def check_token_throttle(self, request: Request) -> None:
        """429 with Retry-After while the request's source is over its bad-token limit."""
        wait = self.token_limiter.retry_after(source_of(request))
        if wait is not None:
            raise Problem(429, f"too many requests with invalid tokens from this address; try again in "
                               f"{whole_seconds(wait)} s", headers=retry_after_header(wait))

    # ------------------------------------------------------------ request forgery

    def check_origin(self, request: Request, *, required: bool) -> None:
        """Refuse a state change whose Origin (or Referer) is another site; with `required`,
        also one that names no origin at all."""
        origin = request.headers.get("origin")
        if origin is None:
            referer = request.headers.get("referer")
            if referer:
                origin = _origin_of(referer)
        if origin is None:
            if required:
                raise Problem(403, "state changes from a browser must carry an Origin header")
            return
        claimed = origin_key(origin)
        if claimed is not None and claimed in {origin_key(o) for o in self.settings.allowed_origins}:
            return
        own = origin_key(f"{request.url.scheme}://{request.headers.get('host', '')}")
        if claimed is None or claimed != own:
            raise Problem(403, "cross-origin request refused: Origin does not match this site "
                               "(scheme, host and port must all match)")

    async def check_csrf(self, request: Request, principal: Principal) -> None:
        """Refuse a session's state change without the session's CSRF token (header or form)."""
        assert principal.session_id is not None
        token = request.headers.get(CSRF_HEADER)
        if token is None and _is_form(request):
            check_form_length(request, self.settings.max_body_bytes)
            try:
                form = await request.form()
            except (HTTPException, MultiPartException, ValueError):
                raise Problem(400, "request body is not a valid form") from None
            value = form.get(CSRF_FIELD)
            token = value if isinstance(value, str) else None
        if not token or not self.signer.csrf_valid(principal.session_id, token):
            raise Problem(403, "missing or invalid CSRF token")

    def csrf_token(self, principal: Principal | None) -> str:
        """The CSRF token pages embed for this caller ("" for bearer callers)."""
        if principal is None or principal.session_id is None:
            return ""
        return self.signer.csrf_token(principal.session_id)

    # ------------------------------------------------------------ sessions

    def secure_cookies(self, request: Request) -> bool:
        """Whether cookies get the Secure flag."""
        if self.settings.cookie_secure is not None:
            return self.settings.cookie_secure
        return request.url.scheme == "https"

    def cookie_path(self, request: Request) -> str:
        """Cookies are scoped to where the admin app is mounted."""
        root = str(request.scope.get("root_path", "") or "")
        return root or "/"

    async def start_session(self, request: Request, response: Response, token: TokenInfo) -> None:
        """Create a session for `token` and set its signed HttpOnly SameSite=Strict cookie."""
        max_age = self.settings.session_max_age
        session_id = await asyncio.to_thread(self.store.create_session, token.id, max_age)
        response.set_cookie(self.settings.cookie_name, self.signer.session_cookie(session_id, time.time() + max_age),
                            max_age=int(max_age), path=self.cookie_path(request), httponly=True,
                            samesite="strict", secure=self.secure_cookies(request))

    async def end_session(self, request: Request, response: Response, principal: Principal) -> None:
        """Forget the session and clear its cookie."""
        if principal.session_id is not None:
            await asyncio.to_thread(self.store.end_session, principal.session_id)
        response.delete_cookie(self.settings.cookie_name, path=self.cookie_path(request), httponly=True,
                               samesite="strict", secure=self.secure_cookies(request))

    def new_login_nonce(self) -> str:
        """A random value for the login form's double-submit cookie."""
        return secrets.token_urlsafe(24)

    def login_nonce_valid(self, request: Request, submitted: str) -> bool:
        """The login form's nonce matches its cookie (constant time)."""
        cookie = request.cookies.get(LOGIN_COOKIE, "")
        return bool(cookie) and bool(submitted) and hmac.compare_digest(cookie, submitted)


DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def origin_key(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin or URL, the port made explicit and case folded; None
    when it names no host (`null`, garbage)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if not scheme or not parts.hostname:
        return None
    if port is None:
        port = DEFAULT_PORTS.get(scheme)
        if port is None:
            return None
    return scheme, parts.hostname.lower().rstrip("."), port


def _origin_of(url: str) -> str:
    """scheme://host[:port] of a URL, or "null"."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "null"
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else "null"


def _is_form(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


def _verb(permission: Permission) -> str:
    return {Permission.READ: "read queues and jobs", Permission.ACT: "change queues or jobs",
            Permission.ENQUEUE: "enqueue jobs", Permission.SIGNED_IN: "sign in"}[permission]
