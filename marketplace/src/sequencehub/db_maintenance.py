"""The ``database-optimization`` job (weekly): keeps the marketplace tables' statistics and files
in shape. PostgreSQL: ``VACUUM (ANALYZE)`` of each marketplace table (outside a transaction, as
VACUUM requires); SQLite: ``PRAGMA optimize`` and ``PRAGMA incremental_vacuum``."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from hubjobs import Job

from .db import Database
from .models import Base


def optimize_database(db: Database) -> dict[str, Any]:
    """Run the dialect's maintenance; returns what was done."""
    started = time.monotonic()
    dialect = db.engine.dialect.name
    tables = [table.name for table in Base.metadata.sorted_tables]
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if dialect == "postgresql":
            for name in tables:
                connection.exec_driver_sql(f'VACUUM (ANALYZE) "{name}"')
            done = [f"VACUUM (ANALYZE) {len(tables)} tables"]
        else:
            connection.exec_driver_sql("PRAGMA optimize")
            connection.exec_driver_sql("PRAGMA incremental_vacuum")
            done = ["PRAGMA optimize", "PRAGMA incremental_vacuum"]
    return {"success": True, "dialect": dialect, "done": done, "seconds": round(time.monotonic() - started, 3)}


class DatabaseOptimization:
    """The ``database-optimization`` handler."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def handle(self, job: Job) -> dict[str, Any]:
        """Maintain the marketplace database: PostgreSQL ``VACUUM (ANALYZE)`` of the marketplace
        tables; SQLite ``PRAGMA optimize`` + ``PRAGMA incremental_vacuum``.

        Writes: nothing but the database's own statistics and free pages.
        Failure: retried like any scheduled job.
        """
        result = await asyncio.to_thread(optimize_database, self.db)
        await job.alog(f"{result['dialect']}: {', '.join(result['done'])} in {result['seconds']} s")
        return result
