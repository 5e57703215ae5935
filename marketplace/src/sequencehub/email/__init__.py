"""Marketplace email: templates (Jinja2 HTML + text), transports and the ``send-email`` job."""

from .schemas import SendEmailJob
from .sender import (
    JOB_NAME,
    QUEUE,
    EmailDelivery,
    EmailSender,
    SentEmail,
    email_job_data,
    enqueue_email,
    enqueue_email_sync,
)
from .templates import (
    TEMPLATES,
    RenderedEmail,
    TemplateRenderer,
    TemplateSpec,
    UnknownTemplate,
    template_spec,
)
from .transports import (
    EmailSendError,
    EmailTransport,
    HttpApiTransport,
    OutboxTransport,
    SmtpTransport,
    make_transport,
)

__all__ = [
    "JOB_NAME",
    "QUEUE",
    "TEMPLATES",
    "EmailDelivery",
    "EmailSendError",
    "EmailSender",
    "EmailTransport",
    "HttpApiTransport",
    "OutboxTransport",
    "RenderedEmail",
    "SendEmailJob",
    "SentEmail",
    "SmtpTransport",
    "TemplateRenderer",
    "TemplateSpec",
    "UnknownTemplate",
    "email_job_data",
    "enqueue_email",
    "enqueue_email_sync",
    "make_transport",
    "template_spec",
]
