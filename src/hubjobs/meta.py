"""Job meta: a small string map stored with a job (set by producers and middleware, e.g. a W3C
trace context), read by handlers and middleware as `job.meta`, kept across retries and shown in
the dashboard and API. It is stored in the job's options document, so every backend keeps it
without a column of its own."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import InvalidJobOptions

MAX_META_ENTRIES = 32
MAX_META_KEY_CHARS = 64
MAX_META_VALUE_CHARS = 1024

Meta = tuple[tuple[str, str], ...]
"""Meta as stored on JobOptions: (key, value) pairs sorted by key (hashable, comparable)."""


def normalize_meta(value: Any) -> Meta:
    """Meta from a mapping (or stored pairs), checked: at most MAX_META_ENTRIES entries, keys of
    1-MAX_META_KEY_CHARS characters, values strings of at most MAX_META_VALUE_CHARS characters,
    no control characters in keys. Raises InvalidJobOptions naming the culprit (`meta.<key>`)."""
    if value is None:
        return ()
    if isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, (tuple, list)) and all(isinstance(p, (tuple, list)) and len(p) == 2 for p in value):
        items = [(p[0], p[1]) for p in value]
    else:
        raise InvalidJobOptions(f"meta must be a mapping of strings to strings, got {type(value).__name__}",
                                field="meta")
    if len(items) > MAX_META_ENTRIES:
        raise InvalidJobOptions(f"meta holds at most {MAX_META_ENTRIES} entries, got {len(items)}", field="meta")
    for key, text in items:
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_META_KEY_CHARS \
                or any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in key):
            raise InvalidJobOptions(f"meta keys must be 1-{MAX_META_KEY_CHARS} characters without control "
                                    f"characters, got {key!r}"[:200], field="meta")
        if not isinstance(text, str):
            raise InvalidJobOptions(f"meta value of {key!r} must be a string, got {type(text).__name__}",
                                    field=f"meta.{key}")
        if len(text) > MAX_META_VALUE_CHARS:
            raise InvalidJobOptions(f"meta value of {key!r} is longer than {MAX_META_VALUE_CHARS} characters",
                                    field=f"meta.{key}")
        try:
            text.encode("utf-8")
            key.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidJobOptions(f"meta entry {key!r} holds a lone surrogate", field=f"meta.{key}") from None
    return tuple(sorted((str(k), str(v)) for k, v in items))
