"""Optional parts of the engine and the extra that installs each.

`import hubjobs` needs only the core dependencies. A backend, the dashboard or an integration
whose packages are missing fails with one line naming the extra to install, e.g.
``the Redis backend needs the hubjobs[redis] extra: pip install 'hubjobs[redis]'``.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from .errors import ConfigurationError


@dataclass(frozen=True)
class Extra:
    """One optional part: what it is called and the modules it imports."""

    name: str
    feature: str
    modules: tuple[str, ...]


EXTRAS: dict[str, Extra] = {
    extra.name: extra
    for extra in (
        Extra("redis", "the Redis backend", ("redis", "hiredis")),
        Extra("postgres", "the PostgreSQL backend", ("psycopg", "psycopg_pool")),
        Extra("dashboard", "the dashboard", ("starlette", "uvicorn", "jinja2", "multipart", "prometheus_client")),
        Extra("otel", "the OpenTelemetry integration", ("opentelemetry",)),
        Extra("sentry", "the Sentry integration", ("sentry_sdk",)),
    )
}
"""Every extra of the `hubjobs` distribution but `all` (which installs them all)."""


class MissingExtra(ConfigurationError, ImportError):
    """A part of the engine was used whose optional packages are not installed."""

    def __init__(self, extra: Extra, module: str) -> None:
        super().__init__(f"{extra.feature} needs the hubjobs[{extra.name}] extra "
                         f"(module {module!r} is missing): pip install 'hubjobs[{extra.name}]'")
        self.extra = extra.name
        self.module = module
        self.name = module


def _top_level(module: str | None) -> str:
    return (module or "").split(".", 1)[0]


def missing_module(name: str) -> str | None:
    """The first module of extra `name` that cannot be imported, else None."""
    for module in EXTRAS[name].modules:
        if importlib.util.find_spec(module) is None:
            return module
    return None


def require(name: str) -> None:
    """Raise `MissingExtra` unless every module of extra `name` is installed."""
    module = missing_module(name)
    if module is not None:
        raise MissingExtra(EXTRAS[name], module)


def explain(name: str, exc: ImportError) -> MissingExtra | None:
    """A `MissingExtra` for `exc` when it is one of extra `name`'s modules missing, else None
    (an ImportError with another cause is a real error and must be shown as it is)."""
    missing = _top_level(exc.name)
    if missing in EXTRAS[name].modules:
        return MissingExtra(EXTRAS[name], missing)
    return None
