"""Admins are the app's admins: the Next.js app's JWT (HS256 shared secret, or RS256/ES256 from a
JWKS file or URL; audience and expiry checked) with role ADMIN is an admin; anything else is 401
on the seed's endpoints, and no log line holds the token."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sequencehub.admin_integration import marketplace_admin_settings
from sequencehub.app import create_marketplace
from sequencehub.processing import FileProcessingSettings

from hubjobs.admin import TokenStore
from hubjobs.admin.application import create_standalone_app
from tests.admin.support import bearer
from tests.sequencehub.marketplace_support import close_app, settings_for

AUDIENCE = "sequencehub-jobs"
SECRET = "a-shared-secret-long-enough-for-hs512-" + "x" * 40


def claims(**extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": "user_1", "email": "boss@sequencehub.com", "role": "ADMIN", "aud": AUDIENCE,
            "iat": now, "exp": now + 300, **extra}


@dataclass
class Keys:
    rsa: rsa.RSAPrivateKey
    ec: ec.EllipticCurvePrivateKey
    jwks: dict[str, Any]


@pytest.fixture(scope="module")
def keys() -> Keys:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    rsa_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key()))
    ec_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key()))
    rsa_jwk.update(kid="rsa-1", use="sig", alg="RS256")
    ec_jwk.update(kid="ec-1", use="sig", alg="ES256")
    return Keys(rsa_key, ec_key, {"keys": [rsa_jwk, ec_jwk]})


@pytest.fixture
def jwks_url(keys: Keys) -> Iterator[str]:
    """The JWKS served by a local HTTP server, as the app's auth provider would."""
    body = json.dumps(keys.jwks).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    server.shutdown()
    server.server_close()


async def _client(tmp_path: Path, **settings: Any) -> AsyncIterator[tuple[httpx.AsyncClient, TokenStore]]:
    market_settings = settings_for(tmp_path, app_jwt_audience=AUDIENCE, **settings)
    files = FileProcessingSettings(database_url=market_settings.database_url, storage_root=tmp_path / "storage")
    marketplace = create_marketplace(market_settings, files, url=f"sqlite:///{tmp_path / 'jobs.db'}",
                                     schedules=False)
    store = TokenStore(tmp_path / "tokens.db")
    server = create_standalone_app(marketplace.app, settings=marketplace_admin_settings(
        marketplace, token_store=tmp_path / "tokens.db"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(server), base_url="http://testserver") as client:
        yield client, store
    await server.state.admin.aclose()
    await close_app(marketplace.app)


async def test_hs256_admin_accepted_everything_else_refused(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                            keys: Keys) -> None:
    caplog.set_level(logging.DEBUG)
    sent: list[str] = []
    async for client, store in _client(tmp_path, app_jwt_secret=SECRET):
        async def status(token: str) -> int:
            sent.append(token)
            return (await client.get("/api/admin/jobs", headers=bearer(token))).status_code

        assert await status(jwt.encode(claims(), SECRET, algorithm="HS256")) == 200
        refused = {
            "buyer": jwt.encode(claims(role="BUYER"), SECRET, algorithm="HS256"),
            "wrong audience": jwt.encode(claims(aud="another-app"), SECRET, algorithm="HS256"),
            "expired": jwt.encode(claims(exp=int(time.time()) - 10), SECRET, algorithm="HS256"),
            "no expiry": jwt.encode({k: v for k, v in claims().items() if k != "exp"}, SECRET, algorithm="HS256"),
            "other algorithm": jwt.encode(claims(), SECRET, algorithm="HS512"),
            "rsa when only HS256 is set": jwt.encode(claims(), keys.rsa, algorithm="RS256",
                                                     headers={"kid": "rsa-1"}),
            "unsigned": jwt.encode(claims(), None, algorithm="none"),
            "wrong secret": jwt.encode(claims(), SECRET + "x", algorithm="HS256"),
        }
        for what, token in refused.items():
            assert await status(token) == 401, what
        viewer = store.create("viewer", "victor").token  # a hubjobs token that is not an admin
        assert await status(viewer) == 401
        retry = await client.post("/api/admin/jobs/retry", headers=bearer(viewer),
                                  json={"jobId": "x", "queueName": "email"})
        assert retry.status_code == 401
        admin = store.create("admin", "alice").token  # hubjobs tokens still work
        assert await status(admin) == 200
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(token in logged for token in sent)


async def test_rs256_and_es256_from_a_jwks_file_and_url(tmp_path: Path, keys: Keys, jwks_url: str) -> None:
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(keys.jwks))
    rs = jwt.encode(claims(), keys.rsa, algorithm="RS256", headers={"kid": "rsa-1"})
    es = jwt.encode(claims(), keys.ec, algorithm="ES256", headers={"kid": "ec-1"})
    hs = jwt.encode(claims(), SECRET, algorithm="HS256")
    for source in (str(jwks_file), jwks_url):
        async for client, _ in _client(tmp_path / source[-8:].replace("/", "_"), app_jwks=source):
            for token, expected in ((rs, 200), (es, 200), (hs, 401)):
                answer = await client.get("/api/admin/jobs", headers=bearer(token))
                assert answer.status_code == expected, (source, answer.text)
            foreign = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            forged = jwt.encode(claims(), foreign, algorithm="RS256", headers={"kid": "rsa-1"})
            assert (await client.get("/api/admin/jobs", headers=bearer(forged))).status_code == 401
