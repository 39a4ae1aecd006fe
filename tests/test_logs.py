"""Log lines of `serve` and `worker`: one JSON object per line off a terminal, each line of a job
with its id and attempt (from the worker's thread, its lease's thread and the render process),
and text on a real terminal."""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from producer.jobs.lease import Lease, claim_next
from producer.logs import configure_logging, job_context
from producer.settings import load_settings
from tests.test_jobs import add_job, expire, job_row, make_queue


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """The root logger, given back as it was (configure_logging changes it for the process)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)


def records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_jobs_lines_carry_its_id_and_attempt(tmp_path: Path, root_logger: logging.Logger) -> None:
    out = io.StringIO()
    configure_logging("auto", "INFO", out)  # not a terminal: JSON
    queue = make_queue(load_settings(data_dir=tmp_path))
    queue.db.migrate()
    job_id = add_job(queue)
    first = claim_next(queue.db, "frozen-worker", 30)
    assert first is not None
    expire(queue, job_id)
    queue.reconcile()  # attempt 1's lease ran out: the reconciler says so
    claim = claim_next(queue.db, queue.identity, 30)
    assert claim is not None and claim.attempt == 2
    # An engine that does not exist: the render process fails at once, and the worker says why.
    queue.run_claim(replace(claim, engine="no-such-engine"))
    assert job_row(queue, job_id).state == "failed"
    logging.getLogger("producer.jobs").info("between jobs")

    lines = records(out)
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    mine = [line for line in lines if job_id in line["message"]]
    assert [(line["job_id"], line["attempt"]) for line in mine] == [(job_id, 1)] + [(job_id, 2)] * 2
    assert "lease expired" in mine[0]["message"] and mine[0]["level"] == "WARNING"
    assert "claimed" in mine[1]["message"] and mine[1]["level"] == "INFO"
    assert "no-such-engine" in mine[2]["message"] and mine[2]["logger"] == "producer.jobs"
    (between,) = [line for line in lines if line["message"] == "between jobs"]
    assert "job_id" not in between and "attempt" not in between


def test_the_lease_thread_logs_as_its_job(tmp_path: Path, root_logger: logging.Logger) -> None:
    out = io.StringIO()
    configure_logging("json", "INFO", out)
    queue = make_queue(load_settings(data_dir=tmp_path))
    queue.db.migrate()
    job_id = add_job(queue)
    claim = claim_next(queue.db, queue.identity, 30)
    assert claim is not None
    with job_context(claim.job_id, claim.attempt):
        lease = Lease(queue.db, claim, 0.4)
    with lease:  # started outside the context: the thread keeps the one it was made in
        assert queue.cancel(job_id)
        assert lease.lost.wait(30)
    (line,) = [line for line in records(out) if "lease lost" in line["message"]]
    assert (line["job_id"], line["attempt"], line["level"]) == (job_id, 1, "WARNING")


def test_text_on_a_terminal(root_logger: logging.Logger) -> None:
    leader, follower = os.openpty()
    with os.fdopen(follower, "w") as terminal, os.fdopen(leader, "rb", buffering=0) as screen:
        configure_logging("auto", "INFO", terminal)
        configure_logging("auto", "INFO", terminal)  # a second call replaces the handler
        with job_context("abc123", 3):
            logging.getLogger("producer.jobs").warning("heartbeat failed")
        logging.getLogger("producer.web").info("started")
        terminal.flush()
        seen = b""
        while seen.count(b"\n") < 2:  # a terminal hands its output over a line at a time
            seen += screen.read(4096)
        shown = seen.decode().splitlines()
    assert len(shown) == 2
    assert shown[0].endswith(" WARNING producer.jobs [job abc123 attempt 3]: heartbeat failed")
    assert shown[1].endswith(" INFO producer.web: started")


def test_level_and_format_chosen_by_setting(root_logger: logging.Logger) -> None:
    out = io.StringIO()
    configure_logging("text", "WARNING", out)
    logging.getLogger("producer.web").info("not shown")
    logging.getLogger("producer.web").warning("shown")
    assert out.getvalue().splitlines()[-1].endswith(" WARNING producer.web: shown")
    assert "not shown" not in out.getvalue()
