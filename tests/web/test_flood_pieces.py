"""The pieces that keep /feed.xml answering under floods (issue #15), each on its own: a new
connection takes the place of the oldest headless one, the feed kept in memory is dropped by any
commit that changes it and rechecked against the database, and the preview gate counts by caller
so the door can refuse before the session is looked up. scripts/load_floods.py measures the whole."""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from producer.store import db
from producer.store.db import Database, database_url
from producer.web.feedcache import RECHECK, FeedCache, RenderedFeed
from producer.web.limits import guarded_protocol
from producer.web.preview import PreviewGate
from tests.web.support import free_port

LIMIT = 20


async def hello(scope: Scope, _receive: Receive, send: Send) -> None:
    assert scope["type"] == "http"
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
def guarded() -> Iterator[int]:
    """A real uvicorn server with the service's protocol: head deadline 60 s, at most LIMIT connections."""
    port = free_port()
    config = uvicorn.Config(
        hello,
        host="127.0.0.1",
        port=port,
        http=guarded_protocol(60.0, LIMIT),
        lifespan="off",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


def headless(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # never finished
    return sock


def closed_by_server(socks: list[socket.socket], wait: float) -> set[int]:
    """Indexes of the sockets the server has closed (readable: end of stream or reset)."""
    readable, _, _ = select.select(socks, [], [], wait)
    return {socks.index(s) for s in readable}


def test_new_connections_take_the_place_of_the_oldest_headless_ones(guarded: int) -> None:
    first = [headless(guarded) for _ in range(LIMIT)]
    time.sleep(0.5)  # all accepted: the server's own order is this one
    second = [headless(guarded) for _ in range(LIMIT)]
    try:
        time.sleep(0.5)
        assert closed_by_server(first, 2.0) == set(range(LIMIT))  # the oldest made room …
        assert closed_by_server(second, 0.2) == set()  # … the newer ones still wait
        with socket.create_connection(("127.0.0.1", guarded)) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(1024).startswith(b"HTTP/1.1 200")  # a real request still gets in
        assert closed_by_server(second, 2.0) == {0}
    finally:
        for sock in first + second:
            sock.close()


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    found = Database(database_url(tmp_path, None))
    found.migrate()
    try:
        yield found
    finally:
        found.dispose()


def test_the_feed_in_memory_is_dropped_by_a_commit_that_changes_it(database: Database) -> None:
    cache, base = FeedCache(), "http://radio.example"
    feed = RenderedFeed(b"<rss/>", '"one"', None)

    def kept() -> None:
        cache.keep(base, "", feed, db.feed_generation(), time.monotonic())

    kept()
    assert cache.current(base) is feed
    with database.write() as s:
        db.audit(s, "editor", "edit", "bulletin 1")  # a write that does not touch the feed
    assert cache.current(base) is feed
    with pytest.raises(RuntimeError), database.write() as s:
        db.touch_feed(s)
        raise RuntimeError  # rolled back: nothing changed
    assert cache.current(base) is feed
    with database.write() as s:
        db.set_station_values(s, {"feed_title": "عنوان جديد"})
    assert cache.current(base) is None
    assert cache.current("http://other.example") is None
    kept()
    assert cache.current(base) is feed


def test_the_feed_in_memory_is_rechecked_after_a_second() -> None:
    cache, base = FeedCache(), "http://radio.example"
    feed = RenderedFeed(b"<rss/>", '"one"', None)
    cache.keep(base, "", feed, db.feed_generation(), time.monotonic() - RECHECK)
    assert cache.current(base) is None  # a writer in another process may have changed it
    older = RenderedFeed(b"<rss>old</rss>", '"old"', None)
    cache.keep(base, "", feed, db.feed_generation(), time.monotonic())
    cache.keep(base, "old", older, db.feed_generation(), time.monotonic() - 0.5)
    assert cache.current(base) is feed  # an older check never replaces a newer one


def test_the_preview_gate_counts_by_account_and_by_caller() -> None:
    gate = PreviewGate(per_user=2, total=3)
    assert gate.enter(1, "session-a") and gate.enter(1, "session-a")
    assert gate.refuses("session-a")
    assert not gate.refuses("session-b") and not gate.refuses(None)
    assert not gate.enter(1, "session-b")  # the same account from another session: its share is used
    assert gate.enter(2, "session-c")
    assert gate.refuses("session-d")  # three in all
    gate.leave(1, "session-a")
    assert not gate.refuses("session-a") and not gate.refuses("session-d")
    assert gate.enter(1, "session-b")
