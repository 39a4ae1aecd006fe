"""The rendered podcast feed kept in memory, and when it may be answered without the database.

Podcast apps and directories poll `/feed.xml` all day; under a flood it must stay fast, so the web
process answers it from memory (public.FeedFastPath) while the copy is known current: no commit in
this process changed the feed since it was rendered (store.db.feed_generation), and the database
said so less than RECHECK seconds ago (a publish by a worker in another process shows within that).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from producer.store import db

RECHECK = 1.0  # seconds; the feed says max-age=60, so a second's delay is well within what it allows
KEPT = 16  # rendered versions kept (one per public address the feed was asked for, in practice one)


@dataclass(frozen=True)
class RenderedFeed:
    body: bytes
    etag: str
    changed: datetime | None


@dataclass
class FeedCache:
    _rendered: dict[tuple[str, str], RenderedFeed] = field(default_factory=dict)
    _current: dict[str, tuple[RenderedFeed, int, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def current(self, base: str) -> RenderedFeed | None:
        """The feed for this address if it is known current, else None (ask the database)."""
        found = self._current.get(base)
        if found is None:
            return None
        feed, generation, checked = found
        if generation != db.feed_generation() or time.monotonic() - checked >= RECHECK:
            return None
        return feed

    def rendered(self, base: str, changed: str) -> RenderedFeed | None:
        return self._rendered.get((base, changed))

    def keep(self, base: str, changed: str, feed: RenderedFeed, generation: int, checked: float) -> None:
        """Remember a feed the database vouched for at `checked` (a monotonic time taken, like
        `generation`, before the database was read)."""
        with self._lock:
            if len(self._rendered) >= KEPT and (base, changed) not in self._rendered:
                self._rendered.clear()
                self._current.clear()
            self._rendered[(base, changed)] = feed
            held = self._current.get(base)
            if held is None or held[2] <= checked:  # a slower, older check never replaces a newer
                self._current[base] = (feed, generation, checked)
