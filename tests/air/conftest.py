"""A real HTTP server on loopback serving the feeds and pages of tests/data/air, with ETags."""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from producer.air.fetch import FetchLimits

DATA = Path(__file__).resolve().parent.parent / "data" / "air"
# The sites below are on loopback, which a station's server refuses to fetch unless allowed.
LOCAL = FetchLimits(private=True)


@dataclass
class Site:
    base: str
    pages: dict[str, tuple[str, bytes]]
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path, If-None-Match)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


@pytest.fixture
def site() -> Iterator[Site]:
    pages: dict[str, tuple[str, bytes]] = {
        "/feed.xml": ("application/rss+xml", (DATA / "alwan_feed.xml").read_bytes()),
        "/agency.xml": ("application/atom+xml", (DATA / "agency_feed.xml").read_bytes()),
        "/news/schools": ("text/html; charset=utf-8", (DATA / "schools.html").read_bytes()),
        "/huge": ("text/html", b"<p>" + b"x" * (6 * 1024 * 1024) + b"</p>"),
    }
    holder: dict[str, Site] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            # A client that gave up (the timeout test) is not answered.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._answer()

        def _answer(self) -> None:
            current = holder["site"]
            path = self.path.split("?")[0]
            current.requests.append((path, self.headers.get("If-None-Match")))
            if path == "/slow":
                time.sleep(3)
            if path == "/broken" or path not in current.pages:
                self.send_error(500 if path == "/broken" else 404)
                return
            kind, body = current.pages[path]
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["site"] = Site(f"http://127.0.0.1:{server.server_address[1]}", pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder["site"]
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Hook:
    url: str
    status: int = 204
    failures: int = 0  # the first this many requests are answered 503 (a playout down, then back)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def hook() -> Iterator[Hook]:
    holder: dict[str, Hook] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            current = holder["hook"]
            current.received.append((dict(self.headers.items()), body))
            self.send_response(503 if len(current.received) <= current.failures else current.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder["hook"] = Hook(f"http://127.0.0.1:{server.server_address[1]}/playout/news")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder["hook"]
    finally:
        server.shutdown()
        server.server_close()
