"""The email templates: subject, schema and priority per template, rendered with Jinja2.

HTML bodies are autoescaped (a product called ``<script>`` arrives as ``&lt;script&gt;``); text
bodies and subjects are plain text. Templates live beside this module in ``templates/`` as
``<name>.html`` and ``<name>.txt``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from pydantic import BaseModel

from hubjobs import Priority

from .schemas import (
    AnnouncementData,
    CreatorPayoutData,
    DeadLetterAlertData,
    DownloadReadyData,
    OrderConfirmationData,
    ProductApprovedData,
    ProductRejectedData,
)


@dataclass(frozen=True)
class TemplateSpec:
    """One email template: its subject (a Jinja2 expression over the data), schema and priority."""

    name: str
    subject: str
    schema: type[BaseModel]
    priority: int = int(Priority.NORMAL)
    description: str = ""


TEMPLATES: tuple[TemplateSpec, ...] = (
    TemplateSpec(
        "order-confirmation",
        "Your SequenceHUB order {{ orderId }} is confirmed",
        OrderConfirmationData,
        int(Priority.CRITICAL),
        "Sent to the buyer when an order is paid.",
    ),
    TemplateSpec(
        "download-ready",
        "Your download is ready: {{ productTitle }}",
        DownloadReadyData,
        description="Sent to the buyer when purchased files can be downloaded.",
    ),
    TemplateSpec(
        "creator-payout",
        "Your SequenceHUB payout for {{ period }}",
        CreatorPayoutData,
        description="Sent to a creator after the monthly payout run.",
    ),
    TemplateSpec(
        "product-approved",
        "Approved: {{ productTitle }} is live on SequenceHUB",
        ProductApprovedData,
        description="Sent to a creator when review publishes a product.",
    ),
    TemplateSpec(
        "product-rejected",
        "Changes needed: {{ productTitle }}",
        ProductRejectedData,
        description="Sent to a creator when review rejects a product.",
    ),
    TemplateSpec(
        "announcement",
        "{{ subject }}",
        AnnouncementData,
        description="A marketplace announcement; the subject comes from the data.",
    ),
    TemplateSpec(
        "dead-letter-alert",
        "[SequenceHUB] {{ count }} job{{ 's' if count != 1 }} failed permanently",
        DeadLetterAlertData,
        int(Priority.HIGH),
        "Sent to admins when jobs fail for the last time (one alert or a digest).",
    ),
)
"""Every template, in documentation order."""


class UnknownTemplate(KeyError):
    """No template of that name."""

    def __str__(self) -> str:
        return str(self.args[0])


def template_spec(name: str) -> TemplateSpec:
    """The template called `name`, or UnknownTemplate listing the known ones."""
    for spec in TEMPLATES:
        if spec.name == name:
            return spec
    raise UnknownTemplate(f"unknown email template {name!r}; known: {', '.join(t.name for t in TEMPLATES)}")


@dataclass(frozen=True)
class RenderedEmail:
    """A template rendered for one recipient."""

    template: str
    subject: str
    text: str
    html: str


def money(cents: int, currency: str = "USD") -> str:
    """``1999, "USD"`` -> ``"19.99 USD"``."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{whole:,}.{rest:02d} {currency}"


def paragraphs(text: str) -> list[str]:
    """Split plain text into paragraphs at blank lines."""
    return [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]


def safe_url(value: str | None) -> str:
    """The URL if it is http(s) or mailto, else ``#`` (no ``javascript:`` links in emails)."""
    if not value:
        return "#"
    scheme = urlsplit(value.strip()).scheme.lower()
    return value.strip() if scheme in ("http", "https", "mailto") else "#"


def format_datetime(value: datetime | str) -> str:
    """A datetime as ``2025-01-31 14:00 UTC``."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime("%Y-%m-%d %H:%M %Z").strip()


class TemplateRenderer:
    """Renders templates by name with validated data."""

    def __init__(self) -> None:
        self.environment = Environment(
            loader=PackageLoader("sequencehub.email", "templates"),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=StrictUndefined,
            trim_blocks=False,
            keep_trailing_newline=True,
        )
        self.environment.filters.update(
            money=money, paragraphs=paragraphs, url=safe_url, datetime=format_datetime
        )

    def render(self, template: str, data: BaseModel | dict[str, Any]) -> RenderedEmail:
        """Validate `data` against the template's schema and render subject, text and HTML."""
        spec = template_spec(template)
        model = (
            data
            if isinstance(data, spec.schema)
            else spec.schema.model_validate(data.model_dump() if isinstance(data, BaseModel) else data)
        )
        context = dict(model)
        subject = " ".join(self.environment.from_string(spec.subject).render(context).split())
        context["subject"] = subject
        text = self.environment.get_template(f"{template}.txt").render(context)
        html = self.environment.get_template(f"{template}.html").render(context)
        return RenderedEmail(template, subject, text, html)
