"""Connection limits for `producer serve`: uvicorn's h11 protocol with a deadline for the request
head and a ceiling on open connections, and floods logged once a minute instead of per connection.

uvicorn closes idle keep-alive connections but never one that keeps sending a request head a byte
at a time: three hundred such clients held every file handle. Here a connection must deliver its
request head within `header_timeout` seconds of opening (or of its previous response), and
at `max_connections` a new connection takes the place of the one that has waited longest without
sending its request head (or is closed when every connection is busy with a request); connections
kept alive after a response are closed only when no new one is waiting, so a flood of slow heads
does not cut the podcast apps between two requests. The connections waiting for a head are kept in
the order their deadlines fall, so finding the one to close is O(1): a scan of every connection on
each accept once stalled the event loop for seconds under 2,100 slow clients.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger("producer.web")


class FloodLog:
    """Counts refused connections by reason; logs the first at once, then a sum at most once a minute."""

    def __init__(self, every: float = 60.0) -> None:
        self.every = every
        self.counts: dict[str, int] = {}
        self.last = -every

    def note(self, reason: str) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + 1
        now = time.monotonic()
        if now - self.last >= self.every:
            summary = ", ".join(f"{n} {what}" for what, n in sorted(self.counts.items()))
            log.warning("connections closed by the service's limits: %s", summary)
            self.counts.clear()
            self.last = now


class GuardedH11Protocol(H11Protocol):
    header_timeout: float = 10.0
    max_connections: int = 1000
    flood: FloodLog = FloodLog()
    # The connections whose request-head deadline is running, oldest deadline first (the deadline
    # is always `header_timeout` after arming, so arming order is deadline order): new ones, and
    # those kept alive after a response.
    waiting: ClassVar[OrderedDict[GuardedH11Protocol, None]] = OrderedDict()
    kept: ClassVar[OrderedDict[GuardedH11Protocol, None]] = OrderedDict()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if len(self.connections) >= self.max_connections and not self._evict_oldest_waiting():
            self.transport = transport  # connection_lost closes it
            self.flood.note("over the connection limit")
            transport.abort()
            return
        super().connection_made(transport)
        self._arm(self.waiting)

    def _evict_oldest_waiting(self) -> bool:
        """Close the connection that has waited longest without sending a request head (a new
        one before one that already had an answer), so a client that sends its request at once
        still gets in while slow ones fill the limit."""
        queue = self.waiting or self.kept
        if not queue:
            return False
        oldest, _ = queue.popitem(last=False)
        oldest._disarm()
        self.flood.note("waiting connections closed for new ones")
        oldest.transport.abort()
        self.connections.discard(oldest)
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()  # the request head is in

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm(self.kept)  # the next request on this connection gets its own deadline

    def _arm(self, queue: OrderedDict[GuardedH11Protocol, None]) -> None:
        self._disarm()
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_overdue)
        queue[self] = None

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
            self.waiting.pop(self, None)
            self.kept.pop(self, None)

    def _head_overdue(self) -> None:
        self._head_timer = None
        self.waiting.pop(self, None)
        self.kept.pop(self, None)
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.flood.note("slow request heads")
            self.transport.abort()


def guarded_protocol(header_timeout: float, max_connections: int) -> type[GuardedH11Protocol]:
    """The protocol class with these limits, for uvicorn's `http=` option."""
    return type(
        "StationH11Protocol",
        (GuardedH11Protocol,),
        {
            "header_timeout": header_timeout,
            "max_connections": max_connections,
            "flood": FloodLog(),
            "waiting": OrderedDict(),
            "kept": OrderedDict(),
        },
    )
