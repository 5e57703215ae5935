"""schema.prisma and the jobs' SQLAlchemy models agree field by field; a database made by Prisma
from that file is used as is (no migration) and a missing column is named at startup."""

from __future__ import annotations

import re

import psycopg
import pytest
from sqlalchemy import BigInteger, Boolean, Date, Enum, Integer, Text, inspect
from sqlalchemy.sql.schema import Column, Table, UniqueConstraint

from sequencehub.db import SchemaMismatchError, normalise_url, open_database
from sequencehub.models import Base, UTCDateTime
from tests.backends.postgres import libpq_url
from tests.sequencehub.prisma_schema import PrismaField, load_schema, prisma_database


def _prisma_type(column: Column[object]) -> str:
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return "DateTime"
    if isinstance(kind, Enum):
        assert kind.name is not None
        return kind.name
    if isinstance(kind, BigInteger):
        return "BigInt"
    if isinstance(kind, Integer):
        return "Int"
    if isinstance(kind, Boolean):
        return "Boolean"
    if isinstance(kind, Date):
        return "DateTime"
    if isinstance(kind, Text):
        return "String"
    return "Json"


def _single_unique(table: Table, column: Column[object]) -> bool:
    return any(
        isinstance(c, UniqueConstraint) and [col.name for col in c.columns] == [column.name]
        for c in table.constraints
    )


def _check_field(table: Table, column: Column[object], field: PrismaField) -> None:
    where = f"{table.name}.{column.name}"
    assert field.type == _prisma_type(column), where
    assert field.optional == (column.nullable and not column.primary_key), where
    assert ("@id" in field.attributes) == column.primary_key, where
    assert ("@unique" in field.attributes) == _single_unique(table, column), where
    assert ("@updatedAt" in field.attributes) == (column.name == "updatedAt"), where
    assert ("@db.Date" in field.attributes) == isinstance(column.type, Date), where
    if column.primary_key and field.type == "String":
        assert "@default(cuid())" in field.attributes, where


def test_schema_prisma_and_the_models_agree_field_by_field() -> None:
    schema = load_schema()
    assert set(schema.models) == set(Base.metadata.tables)
    for table in Base.metadata.tables.values():
        fields = schema.scalar_fields(table.name)
        assert set(fields) == {c.name for c in table.columns}, table.name
        for column in table.columns:
            _check_field(table, column, fields[column.name])
            if isinstance(column.type, Enum):
                assert schema.enums[str(column.type.name)] == list(column.type.enums), column.name
        blocks = schema.models[table.name].block_attributes
        indexes = {f"@@index([{', '.join(c.name for c in i.columns)}])" for i in table.indexes}
        uniques = {
            f"@@unique([{', '.join(c.name for c in u.columns)}])"
            for u in table.constraints
            if isinstance(u, UniqueConstraint) and len(u.columns) > 1
        }
        assert set(blocks) == indexes | uniques, table.name
        for column in table.columns:
            for fk in column.foreign_keys:
                relation = next(
                    f for f in schema.models[table.name].fields.values()
                    if f"fields: [{column.name}]" in f.attributes
                )
                assert relation.type == fk.column.table.name, column.name
                action = {"CASCADE": "Cascade", "SET NULL": "SetNull"}[str(fk.ondelete)]
                assert f"onDelete: {action}" in relation.attributes, column.name


def test_the_prisma_ddl_creates_every_table_and_column_of_schema_prisma() -> None:
    schema = load_schema()
    with prisma_database() as url:
        db = open_database(url)  # made by Prisma: used as is, checked, not migrated
        try:
            inspector = inspect(db.engine)
            assert "alembic_version" not in inspector.get_table_names()
            for name in schema.models:
                columns = {c["name"] for c in inspector.get_columns(name)}
                assert columns == set(schema.scalar_fields(name)), name
        finally:
            db.dispose()


def test_a_missing_column_is_named_at_startup() -> None:
    with prisma_database() as url:
        with psycopg.connect(libpq_url(url), autocommit=True) as conn:
            schema = dict(re.findall(r"(\w+)=([\w-]+)", url.split("?", 1)[1]))["schema"]
            conn.execute(f'ALTER TABLE "{schema}"."ProductFile" DROP COLUMN "processingStatus"')
        with pytest.raises(SchemaMismatchError) as failure:
            open_database(url)
        assert str(failure.value).startswith('table "ProductFile" has no column "processingStatus"')


def test_prisma_schema_parameter_becomes_the_search_path() -> None:
    assert normalise_url("postgresql://u@h/db?schema=app") == (
        "postgresql+psycopg://u@h/db?options=-csearch_path%3Dapp"
    )
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
