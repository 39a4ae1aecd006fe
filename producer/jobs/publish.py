"""Storing a rendered episode: idempotent uploads, then one fenced transaction switches the feed.

The files go under a revision named by the job and attempt, so a retried upload rewrites the same
keys and two attempts never share one. Only after every file is stored and checked does one
transaction — fenced on the attempt — mark the job done and point the episode at them: the feed
never shows an enclosure whose objects are not all there. A lost fence deletes this attempt's
objects; the replaced revision is deleted after the switch.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from pathlib import Path

from producer.feed import stories_of, summary_text
from producer.jobs.broker import Backoff
from producer.jobs.child import RenderResult
from producer.jobs.lease import Claim, Lease, LeaseLost, fenced_update
from producer.scriptfile import script_from_dict
from producer.store import db
from producer.store.db import Bulletin, Database, Episode, JobState
from producer.store.files import FileStore, StoreError

log = logging.getLogger("producer.jobs")

UPLOAD_TRIES = 6  # with the backoff: about a minute of storage outage is ridden out


def revision_of(claim: Claim) -> str:
    """Twelve hex digits (the media routes' form), the same for every try of one attempt."""
    return hashlib.sha256(f"{claim.job_id}:{claim.attempt}".encode()).hexdigest()[:12]


def publish(
    database: Database,
    store: FileStore,
    claim: Claim,
    result: RenderResult,
    lease: Lease,
    stop: threading.Event,
) -> int:
    """Upload, then switch the episode; returns the episode id. Raises LeaseLost or StoreError."""
    with database.read() as s:
        existing = db.episode_of(s, claim.bulletin_id)
        guid = existing.guid if existing else secrets.token_hex(16)
    revision = revision_of(claim)
    prefix = db.episode_media(guid, revision)
    with database.write() as s:
        fenced_update(s, claim, output=prefix, stage="store")
    try:
        keys = {}
        for name, path in (
            ("audio", result.audio),
            ("transcript", result.transcript),
            ("chapters", result.chapters),
            ("subtitles", result.subtitles),
        ):
            keys[name] = f"{prefix}/{path.name}"
            _upload(store, keys[name], path, lease, stop)
        audio = store.stat(keys["audio"])
        if audio is None:
            raise StoreError("the rendered audio vanished from the file store")
        lease.check()
        episode_id, old = _switch(
            database, claim, guid, revision, keys, audio.size, audio.content_type, result
        )
    except (LeaseLost, StoreError):
        _delete_quietly(store, prefix)
        raise
    if old and old != revision:
        _delete_quietly(store, db.episode_media(guid, old))
    log.info(
        "job %s attempt %d stored episode %s revision %s", claim.job_id, claim.attempt, episode_id, revision
    )
    return episode_id


def _upload(store: FileStore, key: str, path: Path, lease: Lease, stop: threading.Event) -> None:
    """Store one file, checked by its size; storage outages are retried with backoff while the
    lease holds (its heartbeats go on in their own thread)."""
    backoff = Backoff(first=1.0, most=20.0)
    size = path.stat().st_size
    while True:
        lease.check()
        try:
            stored = store.put_file(key, path)
            if stored.size != size:
                raise StoreError(f"{key} was stored with {stored.size} bytes instead of {size}")
            return
        except StoreError as exc:
            if backoff.failures + 1 >= UPLOAD_TRIES or stop.is_set():
                raise
            delay = backoff.next()
            log.warning("storing %s failed (%s); try %d again in %.1f s", key, exc, backoff.failures, delay)
            time.sleep(delay)


def _switch(
    database: Database,
    claim: Claim,
    guid: str,
    revision: str,
    keys: dict[str, str],
    audio_bytes: int,
    audio_type: str,
    result: RenderResult,
) -> tuple[int, str | None]:
    # Each story's headline and first sentence, which the feed shows as the episode's description.
    description = summary_text(stories_of(script_from_dict(claim.script)))
    with database.write() as s:
        now = database.now(s)
        # First, so a lost fence leaves the episode untouched; the row stays locked until commit.
        fenced_update(s, claim, stage="publish")
        episode = db.episode_of(s, claim.bulletin_id)
        old = episode.revision if episode else None
        if episode is None:
            episode = Episode(guid=guid, bulletin_id=claim.bulletin_id)
            s.add(episode)
        episode.title = str(claim.script.get("title", ""))[:300]
        episode.description = description
        episode.revision, episode.audio_key, episode.audio_type = revision, keys["audio"], audio_type
        episode.audio_bytes, episode.transcript_key = audio_bytes, keys["transcript"]
        episode.chapters_key, episode.duration = keys["chapters"], result.duration
        episode.subtitles_key = keys["subtitles"]
        episode.chapters = [{"title": c.title, "start": c.start, "end": c.end} for c in result.chapters_list]
        episode.cues = [{"start": c.start, "end": c.end, "text": c.text} for c in result.cues]
        episode.rendered = now
        if episode.published:
            db.touch_feed(s, now)
        bulletin = s.get(Bulletin, claim.bulletin_id)
        if bulletin is not None:
            bulletin.updated = now
        s.flush()
        fenced_update(
            s,
            claim,
            state=JobState.DONE.value,
            progress=1.0,
            stage="done",
            finished=now,
            lease_until=None,
            output=None,
            episode_id=episode.id,
        )
        return episode.id, old


def _delete_quietly(store: FileStore, prefix: str) -> None:
    try:
        store.delete_prefix(prefix)
    except Exception as exc:  # the storage may be down: the objects stay, logged for the operator
        log.warning("could not delete %s from the store (%s: %s)", prefix, type(exc).__name__, exc)


def delete_orphans(store: FileStore, prefixes: list[str]) -> None:
    for prefix in prefixes:
        _delete_quietly(store, prefix)
