"""Shared fixtures: an isolated data folder per test session, the project's own sample pages, and
the database and queue backends (embedded SQLite, or real PostgreSQL and Redis servers)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.backends import Backend, PostgresServer, RedisServer, backend_for, postgres_bindir

ROOT = Path(__file__).resolve().parent.parent
SHARED_FIXTURE = ROOT.parent / "shared" / "fixtures" / "alwan_article.txt"
ALWAN_PAGE = ROOT / "tests" / "data" / "pages" / "alwan.txt"
# The tests' news sites are on loopback, which a station's server refuses to fetch by default; set
# before any fixture starts a server (they inherit it). tests/air/test_air_sources.py checks the refusal.
os.environ.setdefault("PRODUCER_SOURCES_PRIVATE", "1")


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep every test's cache, lexicon and database out of the user's real data folder.

    One folder per test session, so the segment cache is shared and repeated voicing stays cheap.
    """
    data = tmp_path_factory.getbasetemp() / "producer-data"
    data.mkdir(exist_ok=True)
    monkeypatch.setenv("PRODUCER_DATA_DIR", str(data))
    return data


@pytest.fixture(scope="session")
def examples() -> list[Path]:
    return sorted((ROOT / "examples").glob("*.txt"))


# ---- backends: started on first use, one server of each kind per test process ------------------


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    bindir = postgres_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL's server (initdb) is not installed: apt install postgresql")
    with PostgresServer.running(bindir) as server:
        yield server


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed: apt install redis-server")
    with RedisServer.running(Path(binary)) as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql+redis"])
def backend(request: pytest.FixtureRequest) -> Backend:
    """A service's database and queue: the embedded SQLite pair, or scale-out PostgreSQL and Redis.

    A test narrows or widens the list with @pytest.mark.parametrize("backend", [...], indirect=True).
    """
    return backend_for(request, request.param)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database."""
    return backend_for(request, request.param).database_url or f"sqlite:///{tmp_path / 'producer.db'}"


@pytest.fixture(params=["sqlite", "redis"])
def queue_url(request: pytest.FixtureRequest) -> str | None:
    """A fresh job queue: None is the SQLite file in the data folder."""
    return backend_for(request, request.param).queue_url
