"""The Next.js app's own identity for the jobs' dashboard and API: a signed JWT whose role claim
ADMIN makes its bearer an admin.

The app's API layer calls us with ``Authorization: Bearer <jwt>``. The token is checked with
PyJWT: signature (HS256 with the shared ``SEQUENCEHUB_APP_JWT_SECRET``, or RS256/ES256 with a key
from ``SEQUENCEHUB_APP_JWKS`` — a JWKS file path or an https URL), ``aud`` (``SEQUENCEHUB_APP_JWT_AUDIENCE``),
``exp`` (required) and, if set, ``iss`` (``SEQUENCEHUB_APP_JWT_ISSUER``). Only the algorithms the
configuration allows are accepted (an HS256 token is refused when only a JWKS is configured, and
``none`` never). A valid token whose ``role`` claim (``SEQUENCEHUB_APP_JWT_ROLE_CLAIM``) is
``ADMIN`` maps to the hubjobs admin role; any other role is refused, so the seed's endpoints answer
401 to everyone who is not an ADMIN, as the app's own code does. Refusals are logged with the
reason only, never the token.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Any

import jwt

from hubjobs.admin.tokens import Role, TokenInfo

log = logging.getLogger("sequencehub.app_identity")

HMAC_ALGORITHMS = ("HS256",)
KEY_ALGORITHMS = ("RS256", "ES256")
MAX_TOKEN_CHARS = 8192


@dataclass(frozen=True)
class AppJwtSettings:
    """How to check the app's tokens."""

    audience: str
    secret: str = ""
    """HS256 shared secret (empty: HS256 is not accepted)."""
    jwks: str = ""
    """Path or URL of a JWKS for RS256/ES256 (empty: those are not accepted)."""
    issuer: str = ""
    role_claim: str = "role"
    leeway: float = 0.0

    def __post_init__(self) -> None:
        if not self.audience:
            raise ValueError("the app's JWT audience must be set (SEQUENCEHUB_APP_JWT_AUDIENCE)")
        if not self.secret and not self.jwks:
            raise ValueError("set SEQUENCEHUB_APP_JWT_SECRET (HS256) or SEQUENCEHUB_APP_JWKS (RS256/ES256)")


class AppJwtAuthenticator:
    """A bearer authenticator for the hubjobs admin app: ``await auth(token)`` is the admin
    TokenInfo of a valid app token with role ADMIN, else None."""

    def __init__(self, settings: AppJwtSettings) -> None:
        self.settings = settings
        self._jwks: jwt.PyJWKClient | None = None
        self._file_keys: jwt.PyJWKSet | None = None
        if settings.jwks:
            uri = settings.jwks if "://" in settings.jwks else None
            self._jwks = jwt.PyJWKClient(uri) if uri else None
            self._file_keys = None if uri else jwt.PyJWKSet.from_json(_read(settings.jwks))

    def algorithms(self) -> list[str]:
        """The algorithms this configuration accepts."""
        return [*(HMAC_ALGORITHMS if self.settings.secret else ()), *(KEY_ALGORITHMS if self.settings.jwks else ())]

    def claims(self, token: str) -> dict[str, Any]:
        """The verified claims of `token`; raises jwt.InvalidTokenError saying why."""
        if len(token) > MAX_TOKEN_CHARS:
            raise jwt.InvalidTokenError("token too long")
        header = jwt.get_unverified_header(token)
        algorithm = header.get("alg")
        if algorithm not in self.algorithms():
            raise jwt.InvalidAlgorithmError(f"algorithm {algorithm!r} is not accepted")
        key: Any
        if algorithm in HMAC_ALGORITHMS:
            key = self.settings.secret
        elif self._jwks is not None:
            key = self._jwks.get_signing_key_from_jwt(token).key
        else:
            kid = header.get("kid")
            matches = [k for k in self._file_keys.keys if kid is None or k.key_id == kid] if self._file_keys else []
            if not matches:
                raise jwt.InvalidKeyError(f"no key {kid!r} in the JWKS")
            key = matches[0].key
        options = {"require": ["exp", "aud"] + (["iss"] if self.settings.issuer else [])}
        claims: dict[str, Any] = jwt.decode(
            token, key, algorithms=[algorithm], audience=self.settings.audience,
            issuer=self.settings.issuer or None, leeway=self.settings.leeway, options=options)  # type: ignore[arg-type]
        return claims

    async def __call__(self, token: str) -> TokenInfo | None:
        """The admin identity of an app token with role ADMIN; None (logged without the token)
        for anything else."""
        try:
            claims = self.claims(token)
        except jwt.PyJWTError as exc:
            log.info("app JWT refused: %s", type(exc).__name__)
            return None
        if claims.get(self.settings.role_claim) != "ADMIN":
            log.info("app JWT refused: role %r is not ADMIN", claims.get(self.settings.role_claim))
            return None
        subject = str(claims.get("sub") or claims.get("email") or "app-user")
        name = str(claims.get("email") or claims.get("name") or subject)
        return TokenInfo(id="app:" + hashlib.sha256(subject.encode()).hexdigest()[:16], name=f"app:{name}",
                         role=Role.ADMIN, created_at=float(claims.get("iat") or time.time()), last_used=None,
                         revoked_at=None)


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()
