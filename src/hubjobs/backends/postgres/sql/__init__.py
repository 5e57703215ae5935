"""SQL of the PostgreSQL backend: one file per operation."""
