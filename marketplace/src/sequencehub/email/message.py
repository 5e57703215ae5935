"""Building the MIME message of a rendered email (text and HTML alternatives)."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import formatdate, make_msgid

from .templates import RenderedEmail

MESSAGE_ID_DOMAIN = "sequencehub.local"
TEMPLATE_HEADER = "X-SequenceHUB-Template"
MESSAGE_POLICY = default_policy.clone(max_line_length=998)
"""Fold headers only past RFC 5322's hard limit: the stdlib folds a long subject right after
"Subject:", which some readers show with a leading space."""


def build_message(
    rendered: RenderedEmail, *, to: str, sender: str, message_id_domain: str = MESSAGE_ID_DOMAIN
) -> EmailMessage:
    """A multipart/alternative message with a fresh Message-ID."""
    message = EmailMessage(policy=MESSAGE_POLICY)
    message["Subject"] = rendered.subject
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=message_id_domain)
    message[TEMPLATE_HEADER] = rendered.template
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message
