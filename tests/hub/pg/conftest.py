"""Fixtures for the hub on PostgreSQL: one server per test session (IMI_TEST_PG's, else a
throwaway one, see tests/pg_server.py) and a new empty database for each test.

There is no skip: without PostgreSQL (or psycopg) these tests fail, saying what is missing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests import pg_server as pg

# pg_server (one server for the session) is tests/hub/conftest.py's: the whole hub suite runs on both backends


@pytest.fixture
def pg_url(pg_server: pg.PostgresServer) -> Iterator[str]:
    """The URL of a new empty database, dropped after the test."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    yield pg_server.database(name)
    pg_server.drop(name)
