"""Ways to hand an email over: an outbox folder of .eml files (default), SMTP, or an HTTP API."""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
import time
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

import httpx

from ..config import Settings


class EmailSendError(Exception):
    """Sending failed; `permanent` says whether retrying can help; `retry_after` is the wait the
    provider asked for (HTTP 429 Retry-After), if any."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class EmailTransport(Protocol):
    """Something that delivers a message and returns the provider's id for it."""

    name: str

    def send(self, message: EmailMessage) -> str:
        """Deliver `message`; return its provider id. Raise EmailSendError on failure."""
        ...


def _message_id(message: EmailMessage) -> str:
    return str(message["Message-ID"] or "").strip()


class OutboxTransport:
    """Writes each message as an .eml file into a folder (the embedded default)."""

    name = "outbox"

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def send(self, message: EmailMessage) -> str:
        """Write ``<time>-<id>.eml`` atomically; the Message-ID is the provider id."""
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        target = self.folder / f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".sending-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(message.as_bytes(policy=message.policy.clone(linesep="\r\n")))
            os.replace(tmp, target)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise EmailSendError(f"cannot write {target}: {exc.strerror or exc}") from None
        return _message_id(message)


class SmtpTransport:
    """Sends through an SMTP server (STARTTLS or implicit TLS, optional login)."""

    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        use_ssl: bool = False,
        timeout: float = 30.0,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.starttls = starttls
        self.use_ssl = use_ssl
        self.timeout = timeout

    def send(self, message: EmailMessage) -> str:
        """Deliver over SMTP; the Message-ID is the provider id."""
        where = f"SMTP server {self.host}:{self.port}"
        try:
            client: smtplib.SMTP
            if self.use_ssl:
                client = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if self.starttls and not self.use_ssl:
                    client.starttls(context=ssl.create_default_context())
                if self.username:
                    client.login(self.username, self.password or "")
                client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            refused = ", ".join(
                f"{addr} ({code} {reply.decode(errors='replace')})"
                for addr, (code, reply) in exc.recipients.items()
            )
            raise EmailSendError(f"{where} refused the recipient: {refused}", permanent=True) from None
        except smtplib.SMTPResponseException as exc:
            text = (
                exc.smtp_error.decode(errors="replace")
                if isinstance(exc.smtp_error, bytes)
                else exc.smtp_error
            )
            raise EmailSendError(
                f"{where} answered {exc.smtp_code} {text}", permanent=500 <= exc.smtp_code < 600
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise EmailSendError(f"cannot send through {where}: {type(exc).__name__}: {exc}") from None
        return _message_id(message)


class HttpApiTransport:
    """POSTs each message as JSON to an email provider's HTTP API (Bearer token)."""

    name = "http"

    def __init__(
        self,
        url: str,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url
        self.api_key = api_key
        self.timeout = timeout
        self.transport = transport

    @staticmethod
    def payload(message: EmailMessage) -> dict[str, Any]:
        """The JSON body: from, to, subject, text, html and the Message-ID."""
        text_part = message.get_body(preferencelist=("plain",))
        html_part = message.get_body(preferencelist=("html",))
        return {
            "from": str(message["From"]),
            "to": [a.strip() for a in str(message["To"]).split(",") if a.strip()],
            "subject": str(message["Subject"]),
            "text": text_part.get_content() if text_part is not None else "",
            "html": html_part.get_content() if html_part is not None else "",
            "headers": {"Message-ID": _message_id(message)},
        }

    def send(self, message: EmailMessage) -> str:
        """POST the message; the provider's ``id`` (or ``messageId``) from the answer is returned."""
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            with httpx.Client(timeout=self.timeout, trust_env=False, transport=self.transport) as client:
                response = client.post(self.url, json=self.payload(message), headers=headers)
        except httpx.HTTPError as exc:
            raise EmailSendError(f"email API {self.url} unreachable: {type(exc).__name__}: {exc}") from None
        if not response.is_success:
            permanent = 400 <= response.status_code < 500 and response.status_code not in (408, 429)
            raise EmailSendError(
                f"email API {self.url} answered HTTP {response.status_code}: {response.text[:300]}",
                permanent=permanent,
            )
        try:
            body = response.json()
        except ValueError:
            body = {}
        provider_id = body.get("id") or body.get("messageId") if isinstance(body, dict) else None
        return str(provider_id or _message_id(message))


class ResendTransport:
    """Resend's HTTP API, as the app sends: ``POST {api}/emails`` with a Bearer ``RESEND_API_KEY``
    and ``{from, to, subject, html, text, headers}``; the answer's ``id`` is the provider id.
    4xx validation/auth errors are permanent; 429 carries Retry-After; 5xx and network errors retry."""

    name = "resend"

    def __init__(self, api_key: str, *, api_url: str = "https://api.resend.com", timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        if not api_key:
            raise ValueError("the Resend transport needs RESEND_API_KEY")
        self.url = api_url.rstrip("/") + "/emails"
        self.api_key = api_key
        self.timeout = timeout
        self.transport = transport

    def send(self, message: EmailMessage) -> str:
        """POST one email; return Resend's id."""
        try:
            with httpx.Client(timeout=self.timeout, trust_env=False, transport=self.transport) as client:
                response = client.post(self.url, json=HttpApiTransport.payload(message),
                                       headers={"Authorization": f"Bearer {self.api_key}"})
        except httpx.HTTPError as exc:
            raise EmailSendError(f"Resend {self.url} unreachable: {type(exc).__name__}") from None
        if response.status_code == 429:
            wait = _retry_after(response.headers.get("retry-after"))
            raise EmailSendError(f"Resend rate limit (HTTP 429); retry after {wait:g} s", retry_after=wait)
        if not response.is_success:
            raise EmailSendError(f"Resend answered HTTP {response.status_code}: {_resend_error(response)}",
                                 permanent=400 <= response.status_code < 500 and response.status_code != 408)
        try:
            body = response.json()
        except ValueError:
            body = {}
        email_id = body.get("id") if isinstance(body, dict) else None
        if not email_id:
            raise EmailSendError(f"Resend answered HTTP {response.status_code} without an email id")
        return str(email_id)


def _retry_after(value: str | None) -> float:
    try:
        return max(0.0, float(value)) if value is not None else 1.0
    except ValueError:
        return 1.0


def _resend_error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, dict):
        return f"{body.get('name', 'error')}: {body.get('message', '')}"[:300]
    return str(body)[:300]


def make_transport(settings: Settings) -> EmailTransport:
    """The transport `settings.email_transport` names."""
    if settings.email_transport == "resend":
        return ResendTransport(settings.resend_api_key, api_url=settings.resend_api_url, timeout=settings.smtp_timeout)
    if settings.email_transport == "smtp":
        return SmtpTransport(
            settings.smtp_host,
            settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            use_ssl=settings.smtp_ssl,
            timeout=settings.smtp_timeout,
        )
    if settings.email_transport == "http":
        assert settings.email_api_url is not None
        return HttpApiTransport(settings.email_api_url, settings.email_api_key, timeout=settings.smtp_timeout)
    return OutboxTransport(settings.outbox_dir)
