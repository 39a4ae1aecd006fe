"""The worker: takes queue messages, claims jobs, renders, publishes, and reconciles.

`serve` runs one inside itself (embedded default); `producer worker` runs one alone (scale-out).
Every loop rides out broker, database and storage outages with bounded exponential backoff and
says so in the log; a job is never left without an owner for longer than its lease.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from producer.errors import ProducerError
from producer.jobs.broker import Backoff, Broker, QueueUnavailable, wait_out
from producer.jobs.child import (
    FAILURE_PREFIX,
    FailureKind,
    Renderer,
    RenderFailed,
    RenderTask,
    failure_kind,
)
from producer.jobs.lease import (
    Claim,
    Lease,
    LeaseLost,
    Reaped,
    cancel,
    claim_next,
    fail,
    give_back,
    mark_enqueued,
    requeue_expired,
    unmark_enqueued,
    unsent,
)
from producer.jobs.publish import delete_orphans, publish
from producer.logs import job_context
from producer.metrics import Metrics
from producer.models import Target
from producer.settings import Settings
from producer.store.db import Database, Job, JobState
from producer.store.files import FileStore, StoreError
from producer.store.station import StationConfig, station_settings
from producer.store.words import station_words

log = logging.getLogger("producer.jobs")

STORAGE_DOWN = "تعذّر حفظ ملفات الحلقة في المخزن مرات عدة؛ أعيدوا المحاولة لاحقًا."
DATABASE_DOWN = "تعذّر الوصول إلى قاعدة البيانات مرات عدة؛ أعيدوا المحاولة لاحقًا."
# Absolute paths in an error (engine, ffmpeg, OS messages) say nothing to an editor and show the
# server's layout: only the file's name is kept.
_PATH = re.compile(r"(?<![\w:])/(?:[^\s/'\"«»:,]+/)+([^\s/'\"«»:,]*)")
_WEB_SCRATCH_AGE = 3600.0


def redact_paths(message: str) -> str:
    return _PATH.sub(lambda m: m.group(1) or "…", message)


def _identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class JobQueue:
    """Submits render jobs and runs them; the web app and `producer worker` each build one."""

    def __init__(
        self, settings: Settings, database: Database, store: FileStore, metrics: Metrics | None = None
    ) -> None:
        self.settings, self.db, self.store = settings, database, store
        self.metrics = metrics or Metrics()
        self.broker = Broker(settings)
        self.huey = self.broker.huey
        self.identity = _identity()
        self.lease_seconds = settings.job_stale_seconds
        self._stop = threading.Event()
        # Rung by a submit in this process (the embedded worker of `serve`), so that a render is
        # picked up at once instead of at the next look at the queue file (up to 1 s later).
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self.renderer = Renderer()

    # ---- submitting ----------------------------------------------------------------------------

    def submit(self, job_id: str) -> None:
        """Ring the queue for a job whose row is committed; raises QueueUnavailable after clearing
        its `enqueued` mark. The row is the truth: the reconciler sends the message once the
        broker is back."""
        self._send([job_id])
        self._wake.set()

    def _send(self, job_ids: list[str]) -> list[str]:
        """Mark the jobs sent, then send the messages of those marked (see mark_enqueued), which
        are returned; the unsent are unmarked on failure."""
        marked = mark_enqueued(self.db, job_ids)
        sent = 0
        try:
            for job_id in marked:
                self.broker.submit(job_id)
                sent += 1
        except QueueUnavailable:
            try:
                unmark_enqueued(self.db, marked[sent:])
            except SQLAlchemyError as exc:  # then the reconciler resends them after a lease's time
                log.warning("messages not sent and not marked so (%s): %s", exc, ", ".join(marked[sent:]))
            raise
        return marked

    def cancel(self, job_id: str) -> bool:
        return cancel(self.db, job_id)

    # ---- running -------------------------------------------------------------------------------

    def start(self) -> None:
        """Run the worker loop and the reconciler in background threads (inside `serve`)."""
        self._stop.clear()
        for target, name in ((self.run, "producer-worker"), (self._reconcile_loop, "producer-reconciler")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def run_forever(self) -> None:
        """`producer worker`: reconciler in the background, jobs in this thread until stopped."""
        reconciler = threading.Thread(target=self._reconcile_loop, name="producer-reconciler", daemon=True)
        reconciler.start()
        self.run()

    def request_stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def run(self) -> None:
        """Take messages until stopped; each one claims the first due job (fairness order)."""
        self._clean_work_folders()
        self.renderer.ahead = True
        self.renderer.start_standby()
        try:
            self._take_messages()
        finally:
            self.renderer.ahead = False
            self.renderer.close()

    def _take_messages(self) -> None:
        backoff, idle = Backoff(), 0.05
        while not self._stop.is_set():
            try:
                message = self.broker.take()
            except QueueUnavailable as exc:
                wait_out("job queue", exc, backoff, self._stop)
                continue
            backoff.reset()
            if message is None:
                if not self.broker.blocks:
                    self._wake.wait(idle)
                    self._wake.clear()
                    idle = min(idle * 2, 1.0)
                continue
            idle = 0.05
            self.work_once()

    def work_once(self) -> bool:
        """Claim and run one job; False when none was queued."""
        backoff = Backoff()
        while not self._stop.is_set():
            try:
                claim = claim_next(self.db, self.identity, self.lease_seconds)
                break
            except SQLAlchemyError as exc:
                wait_out("database", exc, backoff, self._stop)
        else:
            return False
        if claim is None:
            return False
        self.run_claim(claim)
        return True

    def run_claim(self, claim: Claim) -> None:
        with job_context(claim.job_id, claim.attempt):
            log.info("job %s attempt %d claimed by %s", claim.job_id, claim.attempt, self.identity)
            self._run_claim(claim)

    def _run_claim(self, claim: Claim) -> None:
        work = self.settings.data_dir / "work" / f"{claim.job_id}-{claim.attempt}"
        started, outcome = time.monotonic(), "failed"
        # The attempts this claim replaces are no longer running: free their folders before the
        # render needs the disk, not after it.
        self._clean_work_folders()
        with Lease(self.db, claim, self.lease_seconds) as lease:
            try:
                work.mkdir(parents=True, exist_ok=True)
                station = StationConfig.load(self.settings, claim.station)
                conf = station_settings(self.settings, station, self.store, work)
                words = station_words(self.db)
                target = Target(claim.target)
                suffix = ".mp3" if target is Target.PODCAST else ".wav"
                request = RenderTask(
                    conf,
                    claim.script,
                    work / f"bulletin-{claim.bulletin_id}{suffix}",
                    claim.engine,
                    claim.voice,
                    target,
                    words.lexicon,
                    words.templates,
                )
                result = self.renderer.render(
                    claim.job_id, request, lease, self.settings.render_timeout, self._stop
                )
                self.metrics.cache_lookups.labels("hit").inc(result.cache_hits)
                self.metrics.cache_lookups.labels("miss").inc(result.cache_misses)
                publish(self.db, self.store, claim, result, lease, self._stop)
                outcome = "done"
            except LeaseLost:
                outcome = "lost"
                log.warning("job %s attempt %d: lease lost; work discarded", claim.job_id, claim.attempt)
            except RenderFailed as exc:
                reason = redact_paths(str(exc))
                log.warning("job %s attempt %d: render failed: %s", claim.job_id, claim.attempt, reason)
                if self._stop.is_set():
                    # Shutting down, not failing: the next worker start picks the job up again.
                    self._settle(claim, lambda: give_back(self.db, claim, reason))
                else:
                    self._settle(claim, lambda: fail(self.db, claim, reason))
            except StoreError as exc:
                outcome = "retry"
                log.warning("job %s attempt %d: storage failed (%s)", claim.job_id, claim.attempt, exc)
                self._settle(claim, lambda: give_back(self.db, claim, STORAGE_DOWN))
            except SQLAlchemyError as exc:
                outcome = "retry"
                log.warning("job %s attempt %d: database failed (%s)", claim.job_id, claim.attempt, exc)
                self._settle(claim, lambda: give_back(self.db, claim, DATABASE_DOWN))
            except (ProducerError, OSError) as exc:
                kind = failure_kind(exc)
                if kind is not FailureKind.DISK_FULL:
                    log.exception("job %s failed", claim.job_id)
                reason = f"{FAILURE_PREFIX[kind]}: {redact_paths(str(exc))}"
                self._settle(claim, lambda: fail(self.db, claim, reason))
            except Exception as exc:
                log.exception("job %s crashed", claim.job_id)
                reason = (
                    f"{FAILURE_PREFIX[failure_kind(exc)]}: {redact_paths(f'{type(exc).__name__}: {exc}')}"
                )
                self._settle(claim, lambda: fail(self.db, claim, reason))
            finally:
                shutil.rmtree(work, ignore_errors=True)
                # Also folders of dead attempts whose jobs were still running at the claim.
                self._clean_work_folders()
                self.metrics.render_seconds.labels(outcome).observe(time.monotonic() - started)

    def _settle(self, claim: Claim, write: Callable[[], object]) -> None:
        """Record how an attempt ended; if that fails too, its lease runs out and it is retried."""
        try:
            write()
        except LeaseLost:
            log.warning(
                "job %s attempt %d: lease lost before its end was recorded", claim.job_id, claim.attempt
            )
        except SQLAlchemyError as exc:
            log.warning(
                "job %s attempt %d: end not recorded (%s); the lease will expire",
                claim.job_id,
                claim.attempt,
                exc,
            )

    # ---- the reconciler ------------------------------------------------------------------------

    def _reconcile_loop(self) -> None:
        interval = max(0.5, min(self.lease_seconds / 3, 10.0))
        backoff = Backoff()
        while not self._stop.is_set():
            try:
                self.reconcile()
                backoff.reset()
            except (QueueUnavailable, SQLAlchemyError) as exc:
                wait_out("reconciler: queue or database", exc, backoff, self._stop)
                continue
            except Exception:
                log.exception("reconciling jobs failed")
            self._stop.wait(interval)

    def reconcile(self) -> Reaped:
        """Requeue expired leases, delete their attempts' objects, send lost queue messages."""
        reaped = requeue_expired(self.db)
        for outcome, job_ids in (
            ("expired, queued again", reaped.requeued),
            ("expired too often, failed", reaped.failed),
        ):
            for job_id in job_ids:
                attempt = reaped.attempts.get(job_id)
                log.warning(
                    "job %s attempt %s: lease %s",
                    job_id,
                    attempt,
                    outcome,
                    extra={"job_id": job_id, "attempt": attempt},
                )
        delete_orphans(self.store, reaped.orphans)
        broker_empty = self.broker.pending() == 0
        sent = self._send(unsent(self.db, self.lease_seconds, broker_empty))
        if sent:
            log.info("sent queue messages for %d queued job(s)", len(sent))
        return reaped

    def reap(self) -> list[str]:
        """Requeue expired leases now; returns the requeued ids (see `reconcile`)."""
        return self.reconcile().requeued

    def _clean_work_folders(self) -> None:
        """Remove work folders of attempts no longer running (left by a killed worker) and old
        scratch folders of the web pages."""
        base = self.settings.data_dir / "work"
        if not base.is_dir():
            return
        try:
            with self.db.read() as s:
                running = {
                    f"{job_id}-{attempts}"
                    for job_id, attempts in s.execute(
                        select(Job.id, Job.attempts).where(Job.state == JobState.RUNNING.value)
                    )
                }
        except SQLAlchemyError:
            return
        now = time.time()
        for folder in base.iterdir():
            stale_scratch = folder.name.startswith("web-") and now - _mtime(folder) > _WEB_SCRATCH_AGE
            attempt_gone = not folder.name.startswith("web-") and folder.name not in running
            if stale_scratch or attempt_gone:
                shutil.rmtree(folder, ignore_errors=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _ids(claim: Claim) -> tuple[str, int]:
    return claim.job_id, claim.attempt
