"""The DuckDB warehouse: DDL (schema.sql), analyst views (views/v_*.sql) and loading. Only place importing duckdb."""

from warehouse.store import (
    DEFAULT_DB,
    connect,
    load_extraction,
    quarantine_document,
    query,
    summary,
)

__all__ = ["DEFAULT_DB", "connect", "load_extraction", "query", "quarantine_document", "summary"]
