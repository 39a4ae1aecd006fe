"""The pieces that keep /feed.xml answering under floods (issue #15), each on its own: a new
connection takes the place of the oldest headless one (not of a client between two requests),
the feed kept in memory is dropped by any commit that changes it and rechecked against the
database, and the preview door refuses a session's third preview before the session is looked
up. scripts/load_floods.py measures the whole."""

from __future__ import annotations

import asyncio
import select
import socket
import threading
import time
from collections.abc import Awaitable, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from producer.store import db
from producer.store.db import Database, database_url
from producer.web.deps import SESSION_COOKIE, preview_caller
from producer.web.feedcache import RECHECK, FeedCache, RenderedFeed
from producer.web.limits import guarded_protocol
from producer.web.preview import PreviewDoor, PreviewGate
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
        log_config=None,  # leaves the test process's logging as it is
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


def ask(sock: socket.socket) -> bytes:
    """One request on the connection, and the whole of its answer (head and body)."""
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    reply = b""
    while not reply.endswith(b"\r\n\r\nok"):
        chunk = sock.recv(1024)
        if not chunk:
            break
        reply += chunk
    return reply


def test_new_connections_take_the_place_of_the_oldest_headless_ones(guarded: int) -> None:
    alive = socket.create_connection(("127.0.0.1", guarded))  # a client between two requests
    assert ask(alive).startswith(b"HTTP/1.1 200")
    first = [headless(guarded) for _ in range(LIMIT - 1)]  # the limit reached
    time.sleep(0.5)  # all accepted: the server's own order is this one
    second = [headless(guarded) for _ in range(LIMIT - 1)]
    try:
        time.sleep(0.5)
        assert closed_by_server(first, 2.0) == set(range(LIMIT - 1))  # the oldest made room …
        assert closed_by_server(second, 0.2) == set()  # … the newer ones still wait
        assert closed_by_server([alive], 0.2) == set()  # one kept alive goes after every new one
        assert ask(alive).startswith(b"HTTP/1.1 200")
        with socket.create_connection(("127.0.0.1", guarded)) as sock:
            assert ask(sock).startswith(b"HTTP/1.1 200")  # a real request still gets in
        assert closed_by_server(second, 2.0) == {0}
    finally:
        for sock in [alive, *first, *second]:
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


def test_the_preview_door_lets_two_requests_of_a_session_in_and_none_when_the_gate_is_full() -> None:
    release = asyncio.Event()
    reached: list[str] = []

    async def route(scope: Scope, _receive: Receive, send: Send) -> None:
        reached.append(scope["path"])
        await release.wait()  # a preview being voiced
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    gate = PreviewGate(per_user=2, total=3)
    door = PreviewDoor(route, gate, preview_caller)

    async def run() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=door), base_url="http://x") as client:

            def listen(cookie: str | None, path: str = "/bulletins/1/listen") -> Awaitable[httpx.Response]:
                headers = {"Cookie": f"{SESSION_COOKIE}={cookie}"} if cookie else None
                return client.post(path, data={"text": "نص"}, headers=headers)

            first = [asyncio.create_task(listen("session-a")) for _ in range(2)]
            while len(reached) < 2:
                await asyncio.sleep(0.01)
            third = await listen("session-a")
            assert third.status_code == 429 and third.headers["retry-after"] == "5"
            other = asyncio.create_task(listen("session-b"))  # another session gets in
            anonymous = asyncio.create_task(listen(None))  # left to the route (its 401)
            elsewhere = asyncio.create_task(listen("session-a", "/bulletins/1/speakable"))
            while len(reached) < 5:
                await asyncio.sleep(0.01)
            assert gate.enter(7) and gate.enter(8) and gate.enter(9)  # three voicing: full
            assert (await listen("session-c")).status_code == 429
            release.set()
            assert [r.status_code for r in await asyncio.gather(*first, other, anonymous, elsewhere)] == [
                200
            ] * 5
            gate.leave(7)
            assert (await listen("session-a")).status_code == 200  # its two are done

    asyncio.run(asyncio.wait_for(run(), 30))  # a door that let a third in would wait for ever
    assert len(reached) == 6
