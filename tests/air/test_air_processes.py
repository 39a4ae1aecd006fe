"""Exactly once with real processes: two scheduler processes on one database (SQLite, and a
throwaway PostgreSQL server) tick the same clock and claim the same slots; each slot gets one run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from producer.settings import load_settings
from producer.store.air import Mode, Programme, Run, SourceKind, add_programme, add_source
from producer.store.db import Database, database_url
from tests.backends import Backend

STEPS = 40
T0 = (datetime.now(UTC) + timedelta(days=1)).replace(minute=55, second=0, microsecond=0)

# One scheduler process: it says it is ready, waits for the go file (so both start at once), ticks
# the clock minute by minute, then claims the same later slots directly (as a --now run would).
CHILD = """
import json, sys, time
from datetime import datetime, timedelta
from pathlib import Path

from producer.air.runs import Services, schedule_tick, start_run
from producer.jobs import JobQueue
from producer.settings import load_settings
from producer.store.db import Database, database_url
from producer.store.files import open_store

settings = load_settings()
db = Database(database_url(settings.data_dir, settings.database_url))
store = open_store(settings)
services = Services(settings, db, store, JobQueue(settings, db, store))
t0, programme_id = datetime.fromisoformat(sys.argv[1]), int(sys.argv[2])
go, steps = Path(sys.argv[3]), int(sys.argv[4])
print("ready", flush=True)
while not go.exists():
    time.sleep(0.002)
ticked = []
for i in range(steps):
    ticked += schedule_tick(services, now=t0 + timedelta(minutes=i))
later = [t0 + timedelta(hours=2, minutes=i) for i in range(steps)]
claimed = [start_run(services, programme_id, air, now=t0) for air in later]
print(json.dumps({"ticked": ticked, "claimed": [c for c in claimed if c is not None]}), flush=True)
"""


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_two_scheduler_processes_make_one_run_per_slot(backend: Backend, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    env = {**os.environ, "PRODUCER_DATA_DIR": str(data), **{k: v for k, v in backend.env().items() if v}}
    settings = load_settings(data_dir=data, database_url=backend.database_url)
    database = Database(database_url(data, settings.database_url))
    database.migrate()
    with database.write() as s:
        # A source with nothing in it: every run is claimed and settled at once (skipped), so the
        # processes race on the claims alone.
        add_source(s, "ألوان", "http://127.0.0.1:9/feed.xml", SourceKind.FEED)
        programme = add_programme(
            s,
            Programme(
                name="نشرة الدقيقة",
                cron="* * * * *",
                lead_minutes=5,
                length_seconds=60,
                max_stories=2,
                sources=["ألوان"],
                mode=Mode.AUTO.value,
                playout=[],
                created=T0 - timedelta(hours=1),
                checked=T0 - timedelta(seconds=30),
            ),
        )
        programme_id = programme.id
    go = tmp_path / "go"
    args = [sys.executable, "-c", CHILD, T0.isoformat(), str(programme_id), str(go), str(STEPS)]
    children = [
        subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    try:
        for child in children:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready", child.stderr.read() if child.stderr else ""
        go.touch()
        outputs = [child.communicate(timeout=300) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    for child, (_, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err[-3000:]
    results = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]

    with database.read() as s:
        runs = s.scalars(select(Run).order_by(Run.air_time)).all()
    database.dispose()
    ticked_slots = [T0 + timedelta(minutes=5 + i) for i in range(STEPS)]
    claimed_slots = [T0 + timedelta(hours=2, minutes=i) for i in range(STEPS)]
    # One run per slot, and no other.
    assert [run.air_time for run in runs] == ticked_slots + claimed_slots
    by_slot = {run.air_time: run.id for run in runs}
    for phase, slots in (("ticked", ticked_slots), ("claimed", claimed_slots)):
        one, two = (set(result[phase]) for result in results)
        # Each process reports the runs it claimed: never the same one twice, together all of them.
        assert not one & two
        assert one | two == {by_slot[slot] for slot in slots}
    assert {run.state for run in runs} == {"skipped"}
