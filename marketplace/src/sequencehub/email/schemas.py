"""Per-template data schemas of the ``send-email`` job, and the job's own schema.

Field names are camelCase, as the marketplace's API layer sends them. A missing or wrong field
fails when the job is added, with an error naming it (e.g. ``order-confirmation.data.orderId``).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator

ADDRESS = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+$")
PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"


class TemplateData(BaseModel):
    """Base of template data: unknown fields are refused, so typos show up at enqueue."""

    model_config = ConfigDict(extra="forbid")


class OrderLine(TemplateData):
    """One product line of an order confirmation."""

    title: str = Field(min_length=1)
    priceCents: int = Field(ge=0)


class OrderConfirmationData(TemplateData):
    """Data of ``order-confirmation``."""

    customerName: str = Field(min_length=1)
    orderId: str = Field(min_length=1)
    items: list[OrderLine] = Field(min_length=1)
    totalCents: int = Field(ge=0)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    orderUrl: str | None = None


class DownloadReadyData(TemplateData):
    """Data of ``download-ready``."""

    customerName: str = Field(min_length=1)
    productTitle: str = Field(min_length=1)
    downloadUrl: str = Field(min_length=1)
    expiresAt: datetime | None = None


class CreatorPayoutData(TemplateData):
    """Data of ``creator-payout``."""

    creatorName: str = Field(min_length=1)
    period: str = Field(pattern=PERIOD, description="The month paid, YYYY-MM.")
    amountCents: int = Field(ge=0)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    itemCount: int = Field(ge=0)


class ProductApprovedData(TemplateData):
    """Data of ``product-approved``."""

    creatorName: str = Field(min_length=1)
    productTitle: str = Field(min_length=1)
    productUrl: str = Field(min_length=1)


class ProductRejectedData(TemplateData):
    """Data of ``product-rejected``."""

    creatorName: str = Field(min_length=1)
    productTitle: str = Field(min_length=1)
    reason: str = Field(min_length=1)


class AnnouncementData(TemplateData):
    """Data of ``announcement``: the subject comes from the data."""

    subject: str = Field(min_length=1, max_length=200)
    headline: str = Field(min_length=1)
    message: str = Field(min_length=1, description="Plain text; blank lines separate paragraphs.")
    actionUrl: str | None = None
    actionLabel: str | None = None


class FailedJobLine(TemplateData):
    """One failed job in a dead-letter alert."""

    queue: str
    jobId: str
    jobName: str
    error: str
    attempts: int
    failedAt: str


class DeadLetterAlertData(TemplateData):
    """Data of ``dead-letter-alert`` (sent to admins by the dead-letter hook)."""

    count: int = Field(ge=1)
    items: list[FailedJobLine]
    omitted: int = Field(default=0, ge=0, description="Failures not listed (digest cut short).")
    dashboardUrl: str | None = None


class _EmailJob(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: str = Field(description="Recipient address.")

    @field_validator("to")
    @classmethod
    def _address(cls, value: str) -> str:
        if not ADDRESS.match(value.strip()):
            raise ValueError(f"{value!r} is not an email address")
        return value.strip()


class OrderConfirmationEmail(_EmailJob):
    """``send-email`` with template order-confirmation."""

    template: Literal["order-confirmation"]
    data: OrderConfirmationData


class DownloadReadyEmail(_EmailJob):
    """``send-email`` with template download-ready."""

    template: Literal["download-ready"]
    data: DownloadReadyData


class CreatorPayoutEmail(_EmailJob):
    """``send-email`` with template creator-payout."""

    template: Literal["creator-payout"]
    data: CreatorPayoutData


class ProductApprovedEmail(_EmailJob):
    """``send-email`` with template product-approved."""

    template: Literal["product-approved"]
    data: ProductApprovedData


class ProductRejectedEmail(_EmailJob):
    """``send-email`` with template product-rejected."""

    template: Literal["product-rejected"]
    data: ProductRejectedData


class AnnouncementEmail(_EmailJob):
    """``send-email`` with template announcement."""

    template: Literal["announcement"]
    data: AnnouncementData


class DeadLetterAlertEmail(_EmailJob):
    """``send-email`` with template dead-letter-alert."""

    template: Literal["dead-letter-alert"]
    data: DeadLetterAlertData


EmailJobVariant = Annotated[
    OrderConfirmationEmail
    | DownloadReadyEmail
    | CreatorPayoutEmail
    | ProductApprovedEmail
    | ProductRejectedEmail
    | AnnouncementEmail
    | DeadLetterAlertEmail,
    Field(discriminator="template"),
]


class SendEmailJob(RootModel[EmailJobVariant]):
    """Payload of ``send-email``: {to, template, data}, data checked against the template's schema."""
