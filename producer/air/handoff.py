"""Handing a run's bulletin to its programme's playout targets, each on its own, with retries.

Each target's state lives in the run's `handoff` JSON: a receipt once it took the bulletin, or the
last error, the number of tries and when the next try is due (30 s, doubling up to 4 minutes).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from producer.air.playout import Handoff, PlayoutError, parse_target
from producer.errors import ProducerError
from producer.store.air import Programme, Run, RunState
from producer.store.db import User
from producer.store.files import FileStore, LocalFileStore

if TYPE_CHECKING:
    from producer.air.runs import Services

log = logging.getLogger("producer.air")

# A target that failed is tried again after 30 s, then 1, 2 and 4 minutes (and every 4 after),
# as long as its air time has not come.
RETRY_FIRST = timedelta(seconds=30)
RETRY_MOST = timedelta(minutes=4)


def retry_wait(attempts: int) -> timedelta:
    """How long after its `attempts`-th failed try a target is tried again."""
    return min(RETRY_FIRST * 2 ** max(0, attempts - 1), RETRY_MOST)


def target_due(entry: dict[str, Any] | None, now: datetime) -> bool:
    """Whether a target is to be tried now: never tried, or failed and its wait is over."""
    if entry is None:
        return True
    if entry.get("receipt"):
        return False
    return "next" not in entry or datetime.fromisoformat(entry["next"]) <= now


def hand_off(
    services: Services, run_id: int, programme: Programme, now: datetime, author: User, *, force: bool = False
) -> None:
    """Publish the run's episode and deliver it to each target due (see target_due; every target
    not yet served when an editor `force`s a retry); HANDED_OFF when every target has it, PUBLISHED
    with each failure's reason, tries and next try otherwise."""
    from producer.web import service

    with services.db.read() as s:
        run = s.get(Run, run_id)
        if run is None or run.episode_id is None:
            return
    episode = service.set_published(services.as_state(), author, run.episode_id, True)
    handoff: dict[str, dict[str, Any]] = {spec: dict(v) for spec, v in (run.handoff or {}).items()}
    pending = [
        spec
        for spec in programme.playout
        if target_due(handoff.get(spec), now) or (force and not handoff.get(spec, {}).get("receipt"))
    ]
    if pending:
        secret = services.settings.webhook_secret
        key = secret.get_secret_value().encode() if secret else b""
        base = services.settings.base_url
        with audio_file(services.store, episode.audio_key) as (audio, lasts):
            parcel = Handoff(
                audio=audio,
                title=episode.title,
                guid=episode.guid,
                air_time=run.air_time,
                audio_url=f"{base.rstrip('/')}/media/{episode.audio_key}" if base else None,
                audio_lasts=lasts,
            )
            for spec in pending:
                attempts = int(handoff.get(spec, {}).get("attempts", 0)) + 1
                try:
                    target = parse_target(spec, queue=services.settings.liquidsoap_queue, secret=key)
                    receipt = target.deliver(parcel)
                    handoff[spec] = {"receipt": receipt, "at": now.isoformat(), "attempts": attempts}
                except (PlayoutError, ProducerError) as exc:
                    log.warning("hand-off of run %s to %s failed (try %d): %s", run_id, spec, attempts, exc)
                    handoff[spec] = {
                        "error": str(exc),
                        "at": now.isoformat(),
                        "attempts": attempts,
                        "next": (now + retry_wait(attempts)).isoformat(),
                    }
    failed = [f"{spec}: {v['error']}" for spec, v in handoff.items() if v.get("error")]
    if not programme.playout:
        state = RunState.PUBLISHED
    else:
        state = RunState.PUBLISHED if failed else RunState.HANDED_OFF
    with services.db.write() as s:
        row = s.get(Run, run_id)
        if row is not None:
            row.handoff, row.state, row.updated = handoff, state.value, now
            row.error = "; ".join(failed) or None


def handoff_status(run: Run, zone: ZoneInfo) -> list[str]:
    """Each target's hand-off in a few words, as `programme list` shows it."""
    out = []
    for spec, entry in (run.handoff or {}).items():
        tries = int(entry.get("attempts", 1))
        if entry.get("receipt"):
            out.append(f"{spec}: handed off ({entry['receipt']}; try {tries})")
            continue
        line = f"{spec}: failed {tries} time{'s' if tries > 1 else ''}"
        nxt = datetime.fromisoformat(entry["next"]) if entry.get("next") else None
        if run.state == RunState.PUBLISHED and nxt is not None and nxt < run.air_time:
            line += f", next try {nxt.astimezone(zone):%H:%M:%S}"
        out.append(f"{line}: {entry.get('error')}")
    return out


@contextmanager
def audio_file(store: FileStore, key: str) -> Iterator[tuple[Path, bool]]:
    """The episode's audio as a local file, and whether it stays after the hand-off: the stored
    file itself, or a temporary download (deleted on leaving)."""
    if isinstance(store, LocalFileStore):
        yield store.path(key), True
        return
    with tempfile.TemporaryDirectory(prefix="producer-handoff-") as folder:
        path = Path(folder) / Path(key).name
        store.fetch(key, path)
        yield path, False
