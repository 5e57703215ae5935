"""Load named SQL statements from `.sql` files: one file per operation.

A file opens with a header comment documenting the operation and its parameters, then holds
one or more statements, each introduced by a line `-- name: <statement>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

_NAME_LINE = re.compile(r"^--\s*name:\s*([A-Za-z_][A-Za-z0-9_]*)\s*$")


@dataclass(frozen=True)
class SqlFile:
    """The named statements of one operation's SQL file."""

    operation: str
    statements: dict[str, str]

    def __getitem__(self, name: str) -> str:
        try:
            return self.statements[name]
        except KeyError:
            raise KeyError(f"{self.operation}.sql has no statement named {name!r}") from None


def parse_sql(operation: str, text: str) -> SqlFile:
    """Split SQL text into its `-- name:` statements (comment-only lines dropped)."""
    statements: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        match = _NAME_LINE.match(line.strip())
        if match:
            current = statements.setdefault(match.group(1), [])
            continue
        if current is None or line.strip().startswith("--"):
            continue
        current.append(line)
    cleaned = {name: "\n".join(lines).strip().rstrip(";").strip() for name, lines in statements.items()}
    empty = [name for name, body in cleaned.items() if not body]
    if empty:
        raise ValueError(f"{operation}.sql: empty statement(s) {empty}")
    return SqlFile(operation, cleaned)


def load_sql_dir(package: str) -> dict[str, SqlFile]:
    """Load every `<operation>.sql` file in a package directory."""
    out: dict[str, SqlFile] = {}
    for entry in resources.files(package).iterdir():
        if entry.name.endswith(".sql"):
            op = entry.name[:-4]
            out[op] = parse_sql(op, entry.read_text(encoding="utf-8"))
    return out
