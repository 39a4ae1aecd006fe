"""Log output of the long-running processes (`serve`, `worker`): text for a person at a terminal,
one JSON object per line for a log collector (PRODUCER_LOG_FORMAT).

What is logged while a job is worked on carries the job's id and attempt: `job_context` marks the
thread (and the lease and render processes started from it), and every record logged there,
by producer or by a library, gets `job_id` and `attempt` (JSON fields; `[job … attempt …]` in
text). A record may also give them itself with `extra=`.
"""

from __future__ import annotations

import contextvars
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal, TextIO

from pythonjsonlogger.json import JsonFormatter

LogFormat = Literal["auto", "text", "json"]

_JOB: contextvars.ContextVar[tuple[str, int] | None] = contextvars.ContextVar("producer_job", default=None)
_TEXT = "%(asctime)s %(levelname)s %(name)s%(job)s: %(message)s"
_JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"


@contextmanager
def job_context(job_id: str, attempt: int) -> Iterator[None]:
    """Records logged in this context (this thread, and threads started with its copy) carry the job."""
    token = _JOB.set((job_id, attempt))
    try:
        yield
    finally:
        _JOB.reset(token)


def current_job() -> tuple[str, int] | None:
    return _JOB.get()


class _JobFields(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        job = _JOB.get()
        if job is not None and not hasattr(record, "job_id"):
            record.job_id, record.attempt = job
        return True


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        job_id, attempt = getattr(record, "job_id", None), getattr(record, "attempt", None)
        if job_id is None:
            record.job = ""
        elif attempt is None:
            record.job = f" [job {job_id}]"
        else:
            record.job = f" [job {job_id} attempt {attempt}]"
        return super().format(record)


def formatter(chosen: LogFormat, *, terminal: bool) -> logging.Formatter:
    """The formatter for `chosen`; "auto" is text on a terminal and JSON otherwise."""
    if chosen == "json" or (chosen == "auto" and not terminal):
        return JsonFormatter(
            _JSON_FIELDS,
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            datefmt="%Y-%m-%dT%H:%M:%S%z",
            json_ensure_ascii=False,  # Arabic reasons stay readable; the line is UTF-8 JSON all the same
        )
    return _TextFormatter(_TEXT, datefmt="%Y-%m-%d %H:%M:%S")


def configure_logging(chosen: LogFormat, level: str, stream: TextIO | None = None) -> logging.Handler:
    """Send every record at `level` or above to standard error (or `stream`) in the chosen format.

    Called again, it replaces the handler it installed before rather than adding a second one.
    """
    out = stream if stream is not None else sys.stderr
    handler = logging.StreamHandler(out)
    handler.set_name("producer")
    handler.addFilter(_JobFields())
    handler.setFormatter(formatter(chosen, terminal=out.isatty()))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "producer"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    return handler
