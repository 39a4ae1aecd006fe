"""The render itself, in a child process of the worker, and the worker's side of watching it.

A crash, a hang or a timeout of an engine never takes the worker (or the web server hosting it)
down; the child reports progress and its typed result through a pipe. It dies with its worker
(the kernel's parent-death signal), so a kill -9 of `serve` leaves no render running unobserved.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import gc
import importlib
import itertools
import multiprocessing
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from producer.errors import (
    AudioError,
    EngineError,
    EngineUnavailable,
    InputError,
    ProducerError,
    TemplateError,
)
from producer.jobs.lease import Lease
from producer.models import Chapter, Cue, Target
from producer.settings import Settings

if TYPE_CHECKING:
    from producer.arabic.lexicon import Lexicon

RENDER_NICENESS = 19
_PR_SET_PDEATHSIG = 1


class FailureKind(StrEnum):
    ENGINE_UNAVAILABLE = "engine-unavailable"
    ENGINE = "engine"
    INPUT = "input"
    AUDIO = "audio"
    TEMPLATE = "template"
    DISK_FULL = "disk-full"
    CRASH = "crash"


# What the editor sees when a render fails: the kind of failure in Arabic, then the reason.
FAILURE_PREFIX = {
    FailureKind.ENGINE_UNAVAILABLE: "محرّك النطق غير متاح",
    FailureKind.ENGINE: "فشل محرّك النطق",
    FailureKind.INPUT: "نص النشرة غير صالح للتوليد",
    FailureKind.AUDIO: "خطأ في معالجة الصوت",
    FailureKind.TEMPLATE: "خطأ في قالب المحطة",
    FailureKind.DISK_FULL: "امتلأ القرص",
    FailureKind.CRASH: "حدث خطأ غير متوقع أثناء التوليد",
}
_KINDS: tuple[tuple[type[BaseException], FailureKind], ...] = (
    (EngineUnavailable, FailureKind.ENGINE_UNAVAILABLE),
    (EngineError, FailureKind.ENGINE),
    (InputError, FailureKind.INPUT),
    (AudioError, FailureKind.AUDIO),
    (TemplateError, FailureKind.TEMPLATE),
)


def failure_kind(exc: BaseException) -> FailureKind:
    """Mapped by type; a full disk is an OSError with ENOSPC wherever it was raised, also when
    a stage wrapped it in one of the project's errors."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OSError) and cause.errno == errno.ENOSPC:
            return FailureKind.DISK_FULL
        cause = cause.__cause__ or cause.__context__
    for kind_type, kind in _KINDS:
        if isinstance(exc, kind_type):
            return kind
    return FailureKind.CRASH


class RenderFailed(Exception):
    """A render ended without episode files; the message is shown to the editor as it is."""


@dataclass(frozen=True)
class RenderResult:
    audio: Path
    transcript: Path
    chapters: Path
    subtitles: Path
    duration: float
    chapters_list: list[Chapter]
    cues: list[Cue]
    cache_hits: int = 0  # segment and part cache lookups of this render
    cache_misses: int = 0


@dataclass(frozen=True)
class RenderTask:
    """What the render process builds (the API's request body is web.api.RenderRequest)."""

    settings: Settings
    script: dict[str, Any]
    out: Path
    engine: str | None
    voice: str | None
    target: Target
    # The station's words as the worker read them from the database when it took the job.
    lexicon: Lexicon | None = None
    templates: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Assignment:
    """A task as handed to a waiting child, with the job and attempt its log lines carry."""

    task: RenderTask
    job_id: str
    attempt: int


class Renderer:
    """Starts each render's child process ahead of its job: the next child is started (and imports
    the pipeline, ~0.5 s) as soon as a render ends, and waits for its request, so a render starts
    at once. One child still renders one job only; a standby that died meanwhile is replaced.

    Children are started from the thread that calls `render` (the worker's loop), whose end sends
    them the parent-death signal (see `die_with_parent`). Only a worker loop keeps one ahead
    (`ahead`): a command that renders one job in its own thread must not leave a child waiting.
    """

    def __init__(self) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._standby: tuple[multiprocessing.process.BaseProcess, Connection] | None = None
        self.ahead = False
        # The last job's engine and voice: most likely the next one's, so a standby loads them
        # while it waits (a Piper model takes seconds).
        self._last: tuple[Settings, str | None, str | None] | None = None

    def waiting(self) -> int | None:
        """The process id of the child waiting for the next job, if one is."""
        return self._standby[0].pid if self._standby and self._standby[0].is_alive() else None

    def start_standby(self) -> None:
        if self._standby is None or not self._standby[0].is_alive():
            self.close()
            self._standby = self._spawn()

    def _spawn(self) -> tuple[multiprocessing.process.BaseProcess, Connection]:
        ours, theirs = self._context.Pipe()
        child = self._context.Process(target=_child_main, args=(theirs, self._last), name="producer-render")
        child.start()
        theirs.close()
        return child, ours

    def _hand(self, request: Assignment) -> tuple[multiprocessing.process.BaseProcess, Connection]:
        """A child with `request` handed to it: the standby if it is alive, else a new one."""
        standby, self._standby = self._standby, None
        candidates = itertools.chain([standby] if standby else [], iter(self._spawn, None))
        for child, conn in itertools.islice(candidates, 2):
            try:
                if child.is_alive():
                    conn.send(request)
                    return child, conn
            except OSError:
                pass
            _end(child, conn)
        raise RenderFailed(FAILURE_PREFIX[FailureKind.CRASH])  # a child just started refused it

    def render(
        self, job_id: str, request: RenderTask, lease: Lease, timeout: float, stop: threading.Event
    ) -> RenderResult:
        """Run the pipeline in a child process; its progress goes to the lease, which writes it."""
        child, conn = self._hand(Assignment(request, job_id, lease.claim.attempt))
        self._last = (request.settings, request.engine, request.voice)
        deadline = time.monotonic() + timeout
        try:
            while True:
                lease.check()
                if stop.is_set():
                    raise RenderFailed("أُوقف الخادم أثناء التوليد.")
                if time.monotonic() > deadline:
                    raise RenderFailed(f"تجاوز التوليد المهلة المسموح بها ({timeout:.0f} ثانية).")
                try:
                    if not conn.poll(0.5):
                        continue
                    message = conn.recv()
                except (EOFError, OSError):
                    child.join(5)
                    raise RenderFailed(
                        f"توقّفت عملية التوليد فجأة (رمز الخروج {child.exitcode})؛ "
                        "أعيدوا المحاولة أو اختاروا محركًا آخر."
                    ) from None
                if isinstance(message, RenderResult):
                    return message
                if isinstance(message, RenderError):
                    raise RenderFailed(f"{FAILURE_PREFIX[message.kind]}: {message.message}")
                lease.progress(*message)
        finally:
            _end(child, conn)
            if self.ahead and not stop.is_set():
                self.start_standby()

    def close(self) -> None:
        standby, self._standby = self._standby, None
        if standby is not None:
            _end(*standby)


def _end(child: multiprocessing.process.BaseProcess, conn: Connection) -> None:
    conn.close()
    if child.is_alive():
        child.terminate()
        child.join(5)
        if child.is_alive():
            child.kill()
            child.join()


@dataclass(frozen=True)
class RenderError:
    kind: FailureKind
    message: str


# What build_episode imports on first use (scipy, the audio stages, the engines): imported while a
# standby child waits for its job.
_PIPELINE_MODULES = (
    "producer.audio.assemble",
    "producer.audio.encode",
    "producer.audio.master",
    "producer.audio.parts",
    "producer.transcript",
    "producer.tts.espeak",
    "producer.tts.registry",
    "producer.tts.synth",
)


def _child_main(conn: Connection, warm: tuple[Settings, str | None, str | None] | None = None) -> None:
    """The render itself, in its own process: the pipeline is imported (and the `warm` engine and
    voice loaded) while the child waits for its job; everything it reports goes through `conn`."""
    die_with_parent()
    # A render is batch work: at a lower priority (inherited by its ffmpeg), the web server and
    # the feed stay responsive while it runs on the same cores.
    os.nice(RENDER_NICENESS)

    def send(message: object) -> None:
        try:
            conn.send(message)
        except OSError:  # the worker is gone: nobody will use this render
            os._exit(3)

    for module in _PIPELINE_MODULES:
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    if warm is not None:
        from producer.tts.registry import warm_engine

        warm_engine(*warm)
    # What the imports and the warm engine made lives as long as this one-job process: frozen, the
    # collector's full passes during the render do not walk it again.
    gc.freeze()
    try:
        job: Assignment = conn.recv()
    except (EOFError, OSError):  # the worker stopped before it had a job for this child
        return
    from producer.logs import configure_logging, job_context

    request = job.task
    # A spawned process starts with no logging set up: it logs as the worker does, as this job.
    configure_logging(request.settings.log_format, request.settings.log_level)
    with job_context(job.job_id, job.attempt):
        _render(conn, request, send)


def _render(conn: Connection, request: RenderTask, send: Callable[[object], None]) -> None:
    from producer.filecache import lookup_totals, use_shared_tier
    from producer.pipeline import build_episode
    from producer.scriptfile import script_from_dict
    from producer.store.files import open_store

    try:
        if request.settings.storage == "s3":
            # Scale-out: the voiced segments and encoded parts are shared through the bucket.
            use_shared_tier(open_store(request.settings), request.settings.cache_dir)

        files = build_episode(
            script_from_dict(request.script),
            request.out,
            settings=request.settings,
            engine=request.engine,
            voice=request.voice,
            target=request.target,
            progress=lambda fraction, stage: send((fraction, stage)),
            lexicon=request.lexicon,
            templates=request.templates,
        )
        send(
            RenderResult(
                audio=files.audio,
                transcript=files.transcript,
                chapters=files.chapters,
                subtitles=files.subtitles,
                duration=files.duration,
                chapters_list=list(files.chapters_list),
                cues=list(files.cues),
                cache_hits=lookup_totals()[0],
                cache_misses=lookup_totals()[1],
            )
        )
    except ProducerError as exc:
        send(RenderError(failure_kind(exc), str(exc)))
    except Exception as exc:
        traceback.print_exc()
        send(RenderError(failure_kind(exc), f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def die_with_parent() -> None:
    """A render whose worker was killed stops too, instead of running on unobserved: Linux's
    parent-death signal when there is one, else a thread watching the parent's pid.

    The signal comes when the *thread* that started this process ends: the worker's loop thread
    lives as long as the worker. A process started from short-lived threads uses `watch_parent`."""
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0 and os.getppid() == parent:
            return
    except (OSError, AttributeError):
        pass
    watch_parent()


def watch_parent() -> None:
    """Exit within a second once the parent process is gone (it was killed outright)."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(3)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
