"""Fixtures of the online mall's tests."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest


@pytest.fixture
def fresh_schema(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL store URL in a schema of its own, made before any worker opens it (two
    workers would race to make it), and dropped afterwards."""
    import psycopg
    from psycopg import sql

    from onestop.storage import from_url

    schema = f"onestop_test_{secrets.token_hex(6)}"
    separator = "&" if "?" in postgres_url else "?"
    url = f"{postgres_url}{separator}schema={schema}"
    try:
        from_url(url).close()
        yield url
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
