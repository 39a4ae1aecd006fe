"""Throwaway PostgreSQL and Redis servers for the tests, and the backends built on them.

Each test process (each pytest-xdist worker) starts its own servers in a fresh temporary folder,
reached over Unix sockets only: no port to collide on, nothing shared between workers. They run
without durability (fsync off, no persistence) because the folder is deleted afterwards anyway.
A test gets a fresh PostgreSQL database or Redis database index of its own on the shared server.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pytest
import redis

PG_VERSIONS = Path("/usr/lib/postgresql")
PG_SYSTEM_USER = "postgres"  # made by Debian's postgresql package
PG_PORT = 5432  # only names the socket file: the server listens on no TCP address
REDIS_DATABASES = 1024  # one index per test that asks for a Redis queue
START_TIMEOUT = 60.0
T = TypeVar("T")
# Throwaway servers: no TCP listener (the Unix socket only), no fsync or durable commits, no
# persistence; the folder is deleted afterwards anyway.
INITDB_OPTIONS = ("-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync")
POSTGRES_OPTIONS = ("-h", "", "-p", str(PG_PORT), "-F", "-c", "synchronous_commit=off")
REDIS_OPTIONS = ("--port", "0", "--save", "", "--appendonly", "no", "--databases", str(REDIS_DATABASES))


@dataclass(frozen=True)
class Backend:
    """Where a service keeps its rows and its job queue; None = the embedded SQLite default."""

    name: str
    database_url: str | None = None
    queue_url: str | None = None

    def env(self) -> dict[str, str]:
        # "" leaves the setting unset (tests.web.support.server_env drops empty PRODUCER_ values).
        return {
            "PRODUCER_DATABASE_URL": self.database_url or "",
            "PRODUCER_QUEUE_URL": self.queue_url or "",
        }


def backend_for(request: pytest.FixtureRequest, name: str) -> Backend:
    """The backend a test id names: "postgresql" and "redis" in it pick those servers."""
    database_url = request.getfixturevalue("postgres").new_database() if "postgresql" in name else None
    queue_url = request.getfixturevalue("redis_server").new_url() if "redis" in name else None
    return Backend(name, database_url, queue_url)


def run_together(work: list[Callable[[], T]]) -> list[T]:
    """Call each function in its own thread, all released at the same instant, as concurrent
    clients of one server; returns their results in order, or raises the first failure."""
    start = threading.Barrier(len(work))
    results: dict[int, T] = {}
    failures: list[BaseException] = []

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = work[index]()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return [results[i] for i in range(len(work))]


def postgres_bindir() -> Path | None:
    """initdb's folder: on the PATH, or Debian's /usr/lib/postgresql/<version>/bin (newest)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = [p.parent for p in PG_VERSIONS.glob("*/bin/initdb") if p.parent.parent.name.isdigit()]
    return max(versions, key=lambda p: int(p.parent.name), default=None)


def _wait_until(ready: Callable[[], bool], process: subprocess.Popen[bytes], log: Path, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}: {log.read_text()[-3000:]}")
        try:
            if ready():
                return
        except (OSError, psycopg.OperationalError, redis.RedisError):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start within {START_TIMEOUT:.0f} s: {log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen[bytes], sig: int) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class _Outage:
    """A server process that can be stopped and started again on its data (fault tests)."""

    def __init__(
        self,
        launch: Callable[[], subprocess.Popen[bytes]],
        ready: Callable[[], bool],
        log: Path,
        what: str,
        stop_signal: int,
    ) -> None:
        self.launch, self.ready, self.log, self.what, self.stop_signal = launch, ready, log, what, stop_signal
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = self.launch()
        _wait_until(self.ready, self.process, self.log, self.what)

    def stop(self, sig: int | None = None) -> None:
        if self.process is not None:
            _stop(self.process, sig or self.stop_signal)
            self.process = None


def _system_account() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        raise RuntimeError(
            f"initdb refuses to run as root and there is no {PG_SYSTEM_USER!r} user to run it as "
            "(Debian's postgresql package creates one)"
        ) from None


class PostgresServer:
    """A cluster made by initdb in a temporary folder, reached over its Unix socket."""

    def __init__(self, root: Path) -> None:
        self.root = root  # the data folder's parent, and the socket's folder
        self._names = itertools.count(1)

    @classmethod
    @contextmanager
    def running(cls, bindir: Path) -> Iterator[PostgresServer]:
        # initdb and postgres refuse to run as root: as root, they run as the package's system user,
        # in a folder that user owns (outside pytest's 0700 temporary root, which it cannot enter).
        account = _system_account() if os.geteuid() == 0 else None
        as_user: dict[str, Any] = (
            {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []} if account else {}
        )
        root = Path(tempfile.mkdtemp(prefix="producer-pg-"))
        if account:
            os.chown(root, account.pw_uid, account.pw_gid)
        log = root / "postgres.log"
        try:
            initdb = subprocess.run(
                [bindir / "initdb", "-D", root / "data", *INITDB_OPTIONS],
                cwd=root,
                capture_output=True,
                check=False,
                **as_user,
            )
            if initdb.returncode != 0:
                raise RuntimeError(f"initdb failed: {initdb.stderr.decode(errors='replace')[-3000:]}")

            def launch() -> subprocess.Popen[bytes]:
                with log.open("ab") as out:
                    return subprocess.Popen(
                        [bindir / "postgres", "-D", root / "data", "-k", root, *POSTGRES_OPTIONS],
                        cwd=root,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        **as_user,
                    )

            server = cls(root)
            server._outage = _Outage(launch, server._accepts, log, "postgres", signal.SIGINT)
            try:
                server._outage.start()
                yield server
            finally:
                server._outage.stop()  # "fast" shutdown: ends sessions, no checkpoint wait
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def stop(self) -> None:
        """Stop the server (an outage); `start` brings it back with its data."""
        self._outage.stop()

    def start(self) -> None:
        self._outage.start()

    def _connect(self, dbname: str = "postgres") -> psycopg.Connection[Any]:
        return psycopg.connect(host=str(self.root), port=PG_PORT, user="postgres", dbname=dbname)

    def _accepts(self) -> bool:
        with self._connect():
            return True

    def new_database(self) -> str:
        """A fresh, empty database on this server, as a SQLAlchemy URL."""
        name = f"producer_{next(self._names)}"
        with self._connect() as conn:
            conn.autocommit = True  # CREATE DATABASE cannot run inside a transaction
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@/{name}?host={self.root}&port={PG_PORT}"


class RedisServer:
    """redis-server without persistence, on a Unix socket in a temporary folder."""

    def __init__(self, socket: Path) -> None:
        self.socket = socket
        self._indexes = itertools.count(1)  # index 0 stays unused: nothing lands there by default

    @classmethod
    @contextmanager
    def running(cls, binary: Path) -> Iterator[RedisServer]:
        root = Path(tempfile.mkdtemp(prefix="producer-redis-"))
        server = cls(root / "redis.sock")
        log = root / "redis.log"
        try:

            def launch() -> subprocess.Popen[bytes]:
                with log.open("ab") as out:
                    return subprocess.Popen(
                        [binary, "--unixsocket", server.socket, "--dir", root, *REDIS_OPTIONS],
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )

            server._outage = _Outage(launch, server._accepts, log, "redis-server", signal.SIGTERM)
            try:
                server._outage.start()
                yield server
            finally:
                server._outage.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the server (SIGKILL for a crash); without persistence, its queues are lost."""
        self._outage.stop(sig)

    def start(self) -> None:
        self._outage.start()

    def _accepts(self) -> bool:
        with redis.Redis(unix_socket_path=str(self.socket)) as client:
            return bool(client.ping())

    def new_url(self) -> str:
        """A Redis database index no other test of this process uses, as a queue URL."""
        index = next(self._indexes)
        if index >= REDIS_DATABASES:
            raise RuntimeError(f"more than {REDIS_DATABASES - 1} Redis queues asked of one test process")
        return f"unix://{self.socket}?db={index}"
