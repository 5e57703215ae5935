"""The Lua scripts: one `.lua` file per operation in `lua/`, sharing helper libraries from
`lua/lib/` through `--@include NAME` lines, registered with a client for EVALSHA (redis-py
reloads a script on NOSCRIPT, e.g. after a Redis restart)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

_INCLUDE = "--@include "
LUA_PACKAGE = "hubjobs.backends.redis.lua"


def _lib(name: str) -> str:
    path = resources.files(LUA_PACKAGE).joinpath("lib", f"{name}.lua")
    if not path.is_file():
        raise FileNotFoundError(f"Lua library {name!r} (lua/lib/{name}.lua) does not exist")
    return path.read_text(encoding="utf-8")


def assemble(operation: str, text: str) -> str:
    """An operation's script text with its `--@include` lines replaced by the libraries; a
    `#!lua` shebang line stays first, as Redis requires."""
    lines = text.splitlines()
    head: list[str] = []
    if lines and lines[0].startswith("#!"):
        head, lines = [lines[0]], lines[1:]
    out: list[str] = []
    for line in lines:
        if line.startswith(_INCLUDE):
            out.append(_lib(line[len(_INCLUDE):].strip()))
        else:
            out.append(line)
    if not any(line.startswith("--") for line in out[:3]):
        raise ValueError(f"{operation}.lua must open with a header comment documenting KEYS and ARGV")
    return "\n".join(head + out) + "\n"


def load_sources() -> dict[str, str]:
    """Every operation's assembled script text, by operation name."""
    out: dict[str, str] = {}
    for entry in resources.files(LUA_PACKAGE).iterdir():
        if entry.name.endswith(".lua") and entry.is_file():
            op = entry.name[:-4]
            out[op] = assemble(op, entry.read_text(encoding="utf-8"))
    return out


@dataclass
class Scripts:
    """Registered scripts of one client, callable by operation name."""

    registered: dict[str, Any]

    @classmethod
    def register(cls, client: Any, sources: dict[str, str]) -> Scripts:
        """Register every script with a redis-py (cluster) client."""
        return cls({op: client.register_script(text) for op, text in sources.items()})

    def __getitem__(self, operation: str) -> Any:
        return self.registered[operation]
