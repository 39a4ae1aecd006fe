"""The queue adapter: Huey over a SQLite file by default, Redis by URL, same code.

A queue message is only a doorbell carrying a job id: the job row in the database is the truth
(see lease.py), so a lost or duplicated message delays or wastes one look, never a render.
Broker failures come out of here as `QueueUnavailable`, whatever the backend raised.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import threading

from huey import Huey, SqliteHuey

from producer.errors import ProducerError
from producer.settings import Settings

log = logging.getLogger("producer.jobs")

TASK = "producer.render"
REDIS_TIMEOUT = 5.0  # seconds


class QueueUnavailable(ProducerError):
    """The job queue (Redis or the queue file) cannot be reached just now."""


def _broker_errors() -> tuple[type[BaseException], ...]:
    errors: tuple[type[BaseException], ...] = (sqlite3.Error, OSError)
    try:
        from redis.exceptions import RedisError
    except ImportError:  # pragma: no cover - the redis extra is not installed
        return errors
    return (*errors, RedisError)


BROKER_ERRORS = _broker_errors()


def make_huey(settings: Settings) -> Huey:
    if settings.queue_url:
        if not settings.queue_url.startswith(("redis://", "rediss://", "unix://")):
            raise ProducerError(f"unsupported queue URL {settings.queue_url!r}: use redis://host:port/db")
        try:
            from huey import RedisHuey
            from redis import ConnectionPool
        except ImportError as exc:  # pragma: no cover - depends on the optional extra
            raise ProducerError(
                "a redis:// queue needs the redis package: pip install 'producer[scale]'"
            ) from exc
        # A dead Redis must not hang a render request or a worker: fail fast, retry later.
        pool = ConnectionPool.from_url(
            settings.queue_url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
        )
        return RedisHuey("producer", connection_pool=pool, results=False)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("producer", filename=str(settings.data_dir / "queue.db"), results=False)


class Broker:
    def __init__(self, settings: Settings) -> None:
        self.huey = make_huey(settings)
        # The task body never runs: workers only read the id from the message (see module doc).
        self._task = self.huey.task(name=TASK)(_doorbell)
        # Redis answers a take only when a message comes or after its read timeout (1 s): such a
        # take is itself the wait, and a worker need not sleep after an empty one.
        self.blocks = bool(getattr(self.huey.storage, "blocking", False))

    def submit(self, job_id: str) -> None:
        try:
            self._task(job_id)
        except BROKER_ERRORS as exc:
            raise QueueUnavailable(f"the job queue is unavailable: {type(exc).__name__}") from exc

    def take(self) -> str | None:
        """The job id of the next message, or None when the queue is empty."""
        try:
            task = self.huey.dequeue()
        except BROKER_ERRORS as exc:
            raise QueueUnavailable(f"the job queue is unavailable: {type(exc).__name__}") from exc
        return None if task is None else str(task.args[0])

    def pending(self) -> int:
        try:
            return int(self.huey.pending_count())
        except BROKER_ERRORS as exc:
            raise QueueUnavailable(f"the job queue is unavailable: {type(exc).__name__}") from exc


def _doorbell(job_id: str) -> None:
    """Never called: a message only says "look at the job rows"."""


class Backoff:
    """Bounded exponential backoff with jitter for outages (broker, database, storage)."""

    def __init__(self, first: float = 0.5, most: float = 30.0) -> None:
        self.first, self.most, self.failures = first, most, 0

    def next(self) -> float:
        self.failures += 1
        delay: float = min(self.most, self.first * 2 ** (self.failures - 1))
        return delay * random.uniform(0.8, 1.0)

    def reset(self) -> None:
        self.failures = 0


def wait_out(what: str, exc: BaseException, backoff: Backoff, stop: threading.Event) -> None:
    """Log an outage once per try with the next delay, then wait it out (or until stopped)."""
    delay = backoff.next()
    log.warning(
        "%s unavailable (%s: %s); try %d again in %.1f s",
        what,
        type(exc).__name__,
        exc,
        backoff.failures,
        delay,
    )
    stop.wait(delay)
