"""TokenStore: API tokens (hashed at rest), dashboard sessions and the signing secret.

A small SQLite file of its own (the storage contract has no token operations), by default next
to the job database. Only SHA-256 digests of tokens and session ids are stored; a token is shown
once, when it is created. Tokens look like ``hjt_<id>_<secret>``: the id is public (it names the
token in lists and audit lines), the secret is 256 random bits.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import os
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

TOKEN_PREFIX = "hjt_"
TOKEN_STORE_ENV = "HUBJOBS_TOKEN_STORE"
_ID_HEX = 12
_MAX_NAME = 100
_DUMMY_DIGEST = hashlib.sha256(b"no such token").digest()

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    digest      BLOB NOT NULL,
    created_at  REAL NOT NULL,
    last_used   REAL,
    revoked_at  REAL
);
CREATE TABLE IF NOT EXISTS sessions (
    digest      BLOB PRIMARY KEY,
    token_id    TEXT NOT NULL REFERENCES tokens(id),
    created_at  REAL NOT NULL,
    expires_at  REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
"""


class Role(str, enum.Enum):
    """What a token may do: viewers read, admins read and act, producers only enqueue."""

    ADMIN = "admin"
    VIEWER = "viewer"
    PRODUCER = "producer"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def parse(cls, value: str) -> Role:
        """The role named `value`, or ValueError listing the roles."""
        try:
            return cls(value)
        except ValueError:
            raise ValueError(f"unknown role {value!r}; use one of: admin, viewer, producer") from None


@dataclass(frozen=True)
class TokenInfo:
    """A stored token, without its secret."""

    id: str
    name: str
    role: Role
    created_at: float
    last_used: float | None
    revoked_at: float | None

    @property
    def active(self) -> bool:
        """True until revoked."""
        return self.revoked_at is None


@dataclass(frozen=True)
class CreatedToken:
    """A new token: `token` is the only copy of the secret."""

    info: TokenInfo
    token: str


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8")).digest()


def default_token_store_path(url: str) -> Path:
    """`HUBJOBS_TOKEN_STORE`, else `<db>.tokens.db` beside a SQLite database, else
    `./hubjobs.tokens.db`."""
    env = os.environ.get(TOKEN_STORE_ENV)
    if env:
        return Path(env)
    if url.lower().startswith("sqlite:"):
        from ..backends.sqlite.connection import file_from_url

        db = file_from_url(url)
        return db.with_name(db.stem + ".tokens.db")
    return Path("hubjobs.tokens.db")


class TokenStore:
    """Tokens, sessions and the session-signing secret in one SQLite file (mode 0600).

    Methods are synchronous and quick; async callers run them in a thread."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._ready = False

    def __repr__(self) -> str:
        return f"TokenStore({str(self.path)!r})"

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        if not self._ready:
            self._prepare()
        conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
        try:
            yield conn
        finally:
            conn.close()

    def _prepare(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.executescript(_SCHEMA)
        finally:
            conn.close()
        self._ready = True

    # ------------------------------------------------------------ tokens

    def create(self, role: Role | str, name: str | None = None) -> CreatedToken:
        """A new token of `role`; its secret is returned once and stored only as a digest."""
        role = role if isinstance(role, Role) else Role.parse(role)
        token_id = secrets.token_hex(_ID_HEX // 2)
        name = (name or f"{role.value}-{token_id}").strip()
        if not name or len(name) > _MAX_NAME or not name.isprintable():
            raise ValueError(f"token name must be 1-{_MAX_NAME} printable characters, got {name!r}")
        secret = secrets.token_urlsafe(32)
        now = time.time()
        with self._connect() as conn:
            conn.execute("INSERT INTO tokens (id, name, role, digest, created_at) VALUES (?, ?, ?, ?, ?)",
                         (token_id, name, role.value, _digest(secret), now))
        info = TokenInfo(token_id, name, role, now, None, None)
        return CreatedToken(info, f"{TOKEN_PREFIX}{token_id}_{secret}")

    def all(self) -> list[TokenInfo]:
        """Every token, revoked ones included, oldest first."""
        with self._connect() as conn:
            rows = conn.execute("SELECT id, name, role, created_at, last_used, revoked_at FROM tokens "
                                "ORDER BY created_at").fetchall()
        return [TokenInfo(r[0], r[1], Role(r[2]), r[3], r[4], r[5]) for r in rows]

    def revoke(self, token_id: str) -> bool:
        """Revoke a token and end its sessions; False if no active token has that id."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            changed = conn.execute("UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                                   (time.time(), token_id)).rowcount
            conn.execute("DELETE FROM sessions WHERE token_id = ?", (token_id,))
            conn.execute("COMMIT")
        return changed == 1

    def verify(self, token: str) -> TokenInfo | None:
        """The active token matching `token`, compared in constant time; None otherwise."""
        token_id, secret = _split(token)
        with self._connect() as conn:
            row = conn.execute("SELECT id, name, role, created_at, last_used, revoked_at, digest FROM tokens "
                               "WHERE id = ?", (token_id,)).fetchone()
            stored = bytes(row[6]) if row is not None else _DUMMY_DIGEST
            matches = hmac.compare_digest(stored, _digest(secret))
            if row is None or not matches or row[5] is not None:
                return None
            now = time.time()
            if row[4] is None or now - float(row[4]) > 60:
                conn.execute("UPDATE tokens SET last_used = ? WHERE id = ?", (now, token_id))
        return TokenInfo(row[0], row[1], Role(row[2]), row[3], now, None)

    # ------------------------------------------------------------ sessions

    def create_session(self, token_id: str, max_age: float) -> str:
        """A new session id for an active token (stored as a digest), valid `max_age` seconds."""
        session_id = secrets.token_urlsafe(32)
        now = time.time()
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM sessions WHERE expires_at < ?", (now,))
            conn.execute("INSERT INTO sessions (digest, token_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                         (_digest(session_id), token_id, now, now + max_age))
            conn.execute("COMMIT")
        return session_id

    def session_token(self, session_id: str) -> TokenInfo | None:
        """The active token behind a live session, or None."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT t.id, t.name, t.role, t.created_at, t.last_used, t.revoked_at FROM sessions s "
                "JOIN tokens t ON t.id = s.token_id WHERE s.digest = ? AND s.expires_at > ? "
                "AND t.revoked_at IS NULL", (_digest(session_id), time.time())).fetchone()
        if row is None:
            return None
        return TokenInfo(row[0], row[1], Role(row[2]), row[3], row[4], row[5])

    def end_session(self, session_id: str) -> None:
        """Forget a session (logout)."""
        with self._connect() as conn:
            conn.execute("DELETE FROM sessions WHERE digest = ?", (_digest(session_id),))

    # ------------------------------------------------------------ secret

    def signing_secret(self) -> bytes:
        """The secret that signs session cookies and CSRF tokens (created once, then kept)."""
        with self._connect() as conn:
            conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('signing_secret', ?)",
                         (secrets.token_bytes(32),))
            row = conn.execute("SELECT value FROM meta WHERE key = 'signing_secret'").fetchone()
        return bytes(row[0])


def _split(token: str) -> tuple[str, str]:
    """(id, secret) of a token string; a malformed one gives ids that match nothing."""
    if not token.startswith(TOKEN_PREFIX):
        return "", token
    body = token[len(TOKEN_PREFIX):]
    token_id, sep, secret = body.partition("_")
    if not sep or len(token_id) != _ID_HEX:
        return "", token
    return token_id, secret
