"""Which priority each marketplace job runs at (the app's JobPriority; a lower number runs first).

| kind | priority |
|---|---|
| payment webhooks (``retry-webhook``, ``process-stripe-event``), order confirmations | CRITICAL 1 |
| file processing of new uploads (``process-file`` added by :func:`enqueue_file_processing`) | HIGH 3 |
| other email, ``process-file`` without a ``priority`` in its data (the app's ``data.priority \\|\\| 5``) | NORMAL 5 |
| analytics and cleanup | LOW 7 |
| scheduled maintenance (database optimisation) | BACKGROUND 10 |

The rules are attached to the handlers (``app.job(..., priority=...)`` or ``options_from_data``),
so they hold however a job is added: Python, ``hubjobs enqueue`` or the HTTP API. A priority the
producer passes explicitly still wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hubjobs import Priority

JobPriority = Priority
"""The app's names: CRITICAL 1, HIGH 3, NORMAL 5, LOW 7, BACKGROUND 10."""

PAYMENT_WEBHOOK = int(Priority.CRITICAL)
NEW_UPLOAD = int(Priority.HIGH)
FILE_DEFAULT = int(Priority.NORMAL)
ANALYTICS = int(Priority.LOW)
CLEANUP = int(Priority.LOW)
MAINTENANCE = int(Priority.BACKGROUND)


def process_file_options(data: Any) -> Mapping[str, Any]:
    """``process-file``: the ``priority`` its data carries (1..10), else NORMAL 5, as the app's
    ``data.priority || 5``. The job's schema has already checked the value."""
    priority = data.get("priority") if isinstance(data, Mapping) else None
    return {"priority": int(priority) if priority else FILE_DEFAULT}
