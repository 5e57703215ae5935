"""A small reader of ``schema.prisma`` (models, scalar fields, enums, block attributes) and the
Prisma-made marketplace database the tests use: the DDL ``prisma migrate`` emits for that file
(``prisma_schema.sql``) applied to a PostgreSQL schema of the test's own."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from tests.backends.postgres import libpq_url, server_url, with_schema

REPO = Path(__file__).resolve().parents[2]
SCHEMA_PRISMA = REPO / "marketplace" / "schema.prisma"
PRISMA_DDL = Path(__file__).with_name("prisma_schema.sql")


@dataclass
class PrismaField:
    """One field line of a model."""

    name: str
    type: str
    optional: bool
    is_list: bool
    attributes: str


@dataclass
class PrismaModel:
    """A model block: its fields and ``@@`` attributes."""

    name: str
    fields: dict[str, PrismaField] = field(default_factory=dict)
    block_attributes: list[str] = field(default_factory=list)


@dataclass
class PrismaSchema:
    """Models and enums of one schema file."""

    models: dict[str, PrismaModel]
    enums: dict[str, list[str]]

    def scalar_fields(self, model: str) -> dict[str, PrismaField]:
        """Fields stored as columns (not relation fields)."""
        return {
            name: f
            for name, f in self.models[model].fields.items()
            if f.type not in self.models and "@relation" not in f.attributes
        }


_BLOCK = re.compile(r"^(model|enum)\s+(\w+)\s*\{(.*?)^\}", re.DOTALL | re.MULTILINE)
_FIELD = re.compile(r"^(\w+)\s+(\w+)(\[\])?(\?)?\s*(.*)$")


def parse_prisma(text: str) -> PrismaSchema:
    """Parse the parts of the Prisma schema language this repository's file uses."""
    text = re.sub(r"//.*", "", text)
    models: dict[str, PrismaModel] = {}
    enums: dict[str, list[str]] = {}
    for kind, name, body in _BLOCK.findall(text):
        lines = [line.strip() for line in body.splitlines() if line.strip()]
        if kind == "enum":
            enums[name] = lines
            continue
        model = PrismaModel(name)
        for line in lines:
            if line.startswith("@@"):
                model.block_attributes.append(line)
                continue
            match = _FIELD.match(line)
            assert match, f"cannot read field line {line!r} of model {name}"
            fname, ftype, is_list, optional, attributes = match.groups()
            model.fields[fname] = PrismaField(fname, ftype, bool(optional), bool(is_list), attributes)
        models[name] = model
    return PrismaSchema(models, enums)


def load_schema() -> PrismaSchema:
    """The repository's ``schema.prisma``."""
    return parse_prisma(SCHEMA_PRISMA.read_text(encoding="utf-8"))


@contextmanager
def prisma_database() -> Iterator[str]:
    """A fresh PostgreSQL schema holding the tables ``prisma migrate`` makes from schema.prisma;
    yields its URL in Prisma's form (``...?schema=NAME``)."""
    schema = f"shp_{uuid.uuid4().hex[:12]}"
    url = with_schema(server_url(), schema)
    ddl = PRISMA_DDL.read_text(encoding="utf-8")
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        with conn.transaction():
            conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(schema)))
            conn.execute(ddl.encode())
    try:
        yield url
    finally:
        with psycopg.connect(libpq_url(url), autocommit=True) as conn:
            conn.execute("SET lock_timeout = '10s'")
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
