"""Alembic migrations of the marketplace database (run them with ``sequencehub.db.upgrade_schema``)."""
