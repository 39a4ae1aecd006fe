"""The store tests' database: a fresh one per test, migrated (test_migrations.py has its own, not
migrated yet)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from producer.store.db import Database


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.migrate()
    yield database
    database.dispose()
