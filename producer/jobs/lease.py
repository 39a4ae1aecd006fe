"""Claiming jobs, their leases and fencing tokens, and the reconciler that strands nothing.

A worker claims the first queued job in fairness order (`due`) and holds it with a lease whose
expiry is computed by the database clock; the job's attempt number is the fencing token. Every
write a worker makes for its job — heartbeat, progress, output prefix, publish — is a
conditional UPDATE on (id, attempt, state running): once the lease was taken away (expired and
requeued, or cancelled), the old worker's writes match no row and it discards its work.

The reconciler, run by every worker, requeues jobs whose lease expired (any worker's, its own
included) and re-sends queue messages for queued rows the broker may have lost (the outbox).
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from producer.errors import ProducerError
from producer.store.db import ACTIVE_STATES, Database, Job, JobState

log = logging.getLogger("producer.jobs")

MAX_ATTEMPTS = 3
# Fairness: a job waits this long per character of script before it is due, so a small bulletin
# queued after a huge one goes first, and the huge one still gets its turn (at most FAIR_MAX later).
FAIR_SECONDS_PER_CHAR = 0.01
FAIR_MAX = timedelta(minutes=30)
_PROGRESS_EVERY = 0.5  # seconds between progress writes
LOST_WORKER = "انقطع العامل أثناء التوليد أكثر من مرة (أُعيد تشغيل الخادم أو توقف)؛ أعيدوا المحاولة."
CANCELLED = "أُلغيت المهمة."


class LeaseLost(ProducerError):
    """This worker no longer holds the job: its lease expired and was taken, or it was cancelled."""


def due_at(created: datetime, script: dict[str, Any]) -> datetime:
    chars = sum(len(str(seg.get("text", ""))) for seg in script.get("segments", []))
    return created + min(FAIR_MAX, timedelta(seconds=chars * FAIR_SECONDS_PER_CHAR))


@dataclass(frozen=True)
class Claim:
    """A job this worker holds: the attempt is the fencing token every later write carries."""

    job_id: str
    attempt: int
    bulletin_id: int
    script: dict[str, Any]
    engine: str | None
    voice: str | None
    target: str
    station: dict[str, Any]


def _fence(claim: Claim) -> Any:
    return (Job.id == claim.job_id) & (Job.attempts == claim.attempt) & (Job.state == JobState.RUNNING.value)


def claim_next(database: Database, worker: str, lease_seconds: float) -> Claim | None:
    """Take the first due queued job, or None. Concurrent claimers skip each other's row."""
    from producer.store import db

    with database.write() as s:
        now = database.now(s)
        query = (
            select(Job)
            .where(Job.state == JobState.QUEUED.value)
            .order_by(Job.due.asc(), Job.created.asc())
            .limit(1)
        )
        if database.is_postgresql:
            query = query.with_for_update(skip_locked=True)
        job = s.scalar(query)
        if job is None:
            return None
        job.state, job.attempts, job.worker = JobState.RUNNING.value, job.attempts + 1, worker
        job.heartbeat, job.lease_until = now, now + timedelta(seconds=lease_seconds)
        job.progress, job.stage, job.error, job.output = 0.0, "start", None, None
        return Claim(
            job.id,
            job.attempts,
            job.bulletin_id,
            dict(job.script),
            job.engine,
            job.voice,
            job.target,
            db.station_values(s),
        )


def fenced_update(s: Session, claim: Claim, **values: Any) -> None:
    """Write to the claimed job only while this worker holds it; raises LeaseLost otherwise."""
    result = s.execute(update(Job).where(_fence(claim)).values(**values))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise LeaseLost(f"job {claim.job_id} attempt {claim.attempt} lost its lease")


class Lease:
    """Renews a claim's lease in the background (through renders and uploads alike) and writes
    progress; `lost` is set once the job was taken away or the lease ran out unrenewed."""

    def __init__(self, database: Database, claim: Claim, seconds: float) -> None:
        self.db, self.claim, self.seconds = database, claim, seconds
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._progress: tuple[float, str] | None = None
        self._lock = threading.Lock()
        self._renewed = time.monotonic()
        # Started with this thread's context, so its log lines carry the job (see producer.logs).
        self._thread = threading.Thread(
            target=contextvars.copy_context().run,
            args=(self._run,),
            name=f"lease-{claim.job_id}",
            daemon=True,
        )

    def __enter__(self) -> Lease:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def progress(self, fraction: float, stage: str) -> None:
        with self._lock:
            self._progress = (fraction, stage)

    def check(self) -> None:
        if self.lost.is_set():
            raise LeaseLost(f"job {self.claim.job_id} attempt {self.claim.attempt} lost its lease")

    def _run(self) -> None:
        every = max(0.2, self.seconds / 4)
        last_beat = 0.0
        while not self._stop.wait(_PROGRESS_EVERY):
            with self._lock:
                progress, self._progress = self._progress, None
            now = time.monotonic()
            if progress is None and now - last_beat < every:
                continue
            try:
                self.renew(progress)
                last_beat = self._renewed = now
            except LeaseLost:
                log.warning(
                    "job %s attempt %d: lease lost, discarding the work",
                    self.claim.job_id,
                    self.claim.attempt,
                )
                self.lost.set()
                return
            except Exception as exc:  # the database is down: keep trying while the lease may hold
                if now - self._renewed >= self.seconds:
                    log.warning(
                        "job %s attempt %d: lease not renewed for %.0f s (%s), giving it up",
                        self.claim.job_id,
                        self.claim.attempt,
                        now - self._renewed,
                        exc,
                    )
                    self.lost.set()
                    return
                log.warning(
                    "job %s attempt %d: heartbeat failed (%s: %s); retrying",
                    self.claim.job_id,
                    self.claim.attempt,
                    type(exc).__name__,
                    exc,
                )

    def renew(self, progress: tuple[float, str] | None = None) -> None:
        with self.db.write() as s:
            now = self.db.now(s)
            values: dict[str, Any] = {"heartbeat": now, "lease_until": now + timedelta(seconds=self.seconds)}
            if progress is not None:
                # The bar only moves forward, even when a stage reports coarsely.
                current = s.scalar(select(Job.progress).where(Job.id == self.claim.job_id)) or 0.0
                values["progress"] = max(float(current), min(float(progress[0]), 0.99))
                values["stage"] = str(progress[1])[:64]
            fenced_update(s, self.claim, **values)


@dataclass(frozen=True)
class Reaped:
    requeued: list[str]
    failed: list[str]
    orphans: list[str]  # store prefixes of the expired attempts, to delete
    attempts: dict[str, int] = field(default_factory=dict)  # the attempt each job's lease expired in


def requeue_expired(database: Database) -> Reaped:
    """Requeue (or fail, after MAX_ATTEMPTS) running jobs whose lease has expired.

    Each change is one conditional UPDATE, so of several reconcilers at once exactly one wins;
    all take the rows in id order, so that on PostgreSQL they cannot deadlock.
    """
    requeued: list[str] = []
    failed: list[str] = []
    orphans: list[str] = []
    expired_attempts: dict[str, int] = {}
    with database.write() as s:
        now = database.now(s)
        rows = s.execute(
            select(Job.id, Job.attempts, Job.output)
            .where(Job.state == JobState.RUNNING.value, (Job.lease_until.is_(None)) | (Job.lease_until < now))
            .order_by(Job.id)
        ).all()
        for job_id, attempts, output in rows:
            expired = (
                (Job.id == job_id)
                & (Job.attempts == attempts)
                & (Job.state == JobState.RUNNING.value)
                & ((Job.lease_until.is_(None)) | (Job.lease_until < now))
            )
            if attempts < MAX_ATTEMPTS:
                values: dict[str, Any] = {
                    "state": JobState.QUEUED.value,
                    "worker": None,
                    "stage": "retry",
                    "progress": 0.0,
                    "enqueued": None,
                    "lease_until": None,
                    "output": None,
                }
                target = requeued
            else:
                values = {
                    "state": JobState.FAILED.value,
                    "error": LOST_WORKER,
                    "finished": now,
                    "worker": None,
                    "lease_until": None,
                    "output": None,
                }
                target = failed
            if s.execute(update(Job).where(expired).values(**values)).rowcount == 1:  # type: ignore[attr-defined]
                target.append(job_id)
                expired_attempts[job_id] = attempts
                if output:
                    orphans.append(output)
    return Reaped(requeued, failed, orphans, expired_attempts)


def unsent(database: Database, resend_after: float, broker_empty: bool) -> list[str]:
    """Queued jobs whose message was never sent, or (when the broker holds none) may be lost."""
    with database.read() as s:
        now = database.now(s)
        lost: ColumnElement[bool] = Job.enqueued.is_(None)
        if broker_empty:
            lost = lost | (Job.enqueued < now - timedelta(seconds=resend_after))
        return list(
            s.scalars(select(Job.id).where(Job.state == JobState.QUEUED.value, lost).order_by(Job.due)).all()
        )


def mark_enqueued(database: Database, job_ids: list[str]) -> list[str]:
    """Mark queued jobs as sent and return those marked, whose messages the caller then sends.

    Committed before the messages go: a worker claims with SKIP LOCKED, so a mark written after a
    message could hold the row while the worker looks, and the message would find nothing. On
    PostgreSQL the rows are locked in id order (reconcilers marking at once cannot deadlock), and
    one that another transaction holds is skipped: that one is sending or claiming it.
    """
    if not job_ids:
        return []
    with database.write() as s:
        now = database.now(s)
        query = select(Job.id).where(Job.id.in_(job_ids), Job.state == JobState.QUEUED.value).order_by(Job.id)
        if database.is_postgresql:
            query = query.with_for_update(skip_locked=True)
        marked = list(s.scalars(query).all())
        if marked:
            s.execute(update(Job).where(Job.id.in_(marked)).values(enqueued=now))
        return marked


def unmark_enqueued(database: Database, job_ids: list[str]) -> None:
    if not job_ids:
        return
    with database.write() as s:
        s.execute(update(Job).where(Job.id.in_(job_ids)).values(enqueued=None))


def cancel(database: Database, job_id: str) -> bool:
    """Cancel a queued or running job; a running one's worker sees its fence fail and stops."""
    with database.write() as s:
        now = database.now(s)
        result = s.execute(
            update(Job)
            .where(Job.id == job_id, Job.state.in_(ACTIVE_STATES))
            .values(
                state=JobState.CANCELLED.value,
                error=CANCELLED,
                finished=now,
                worker=None,
                lease_until=None,
            )
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def give_back(database: Database, claim: Claim, reason: str) -> bool:
    """After a transient failure (storage or database outage): queued again, or failed after
    MAX_ATTEMPTS. Returns True when queued again."""
    with database.write() as s:
        now = database.now(s)
        if claim.attempt < MAX_ATTEMPTS:
            fenced_update(
                s,
                claim,
                state=JobState.QUEUED.value,
                worker=None,
                stage="retry",
                progress=0.0,
                enqueued=None,
                lease_until=None,
                output=None,
            )
            return True
        fenced_update(
            s,
            claim,
            state=JobState.FAILED.value,
            error=reason,
            finished=now,
            worker=None,
            lease_until=None,
            output=None,
        )
        return False


def fail(database: Database, claim: Claim, reason: str) -> None:
    with database.write() as s:
        fenced_update(
            s,
            claim,
            state=JobState.FAILED.value,
            error=reason,
            finished=database.now(s),
            worker=None,
            lease_until=None,
            output=None,
        )
