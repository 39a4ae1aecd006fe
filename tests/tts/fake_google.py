"""A local stand-in for Google Translate's TTS endpoint, at the HTTP boundary only.

A real HTTP server on 127.0.0.1 that reads gTTS's batchexecute request, and answers the way
Google does: a `)]}'` preamble, then JSON lines, one holding ["wrb.fr", "jQ1olc", "[\"<base64 MP3>\"]"].
The MP3 is encoded by the real ffmpeg: a tone lasting 40 ms per character of the requested text.
Queued failure statuses are answered first, to exercise retries.
"""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs

import imageio_ffmpeg
import numpy as np

RATE = 24000
SECONDS_PER_CHAR = 0.04
RPC_PATH = "/_/TranslateWebserverUi/data/batchexecute"


def tone_mp3(text: str) -> bytes:
    """An MP3 of a tone whose pitch depends on the text and whose length grows with it."""
    frames = int(len(text) * SECONDS_PER_CHAR * RATE)
    pitch = 200 + zlib.crc32(text.encode()) % 400
    samples = (0.3 * np.sin(2 * np.pi * pitch * np.arange(frames) / RATE)).astype("<f4")
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "f32le", "-ar", str(RATE), "-ac", "1"]
    command += ["-i", "pipe:0", "-c:a", "libmp3lame", "-b:a", "32k", "-f", "mp3", "pipe:1"]
    return subprocess.run(command, input=samples.tobytes(), capture_output=True, check=True).stdout


def batchexecute_answer(mp3: bytes) -> bytes:
    payload = json.dumps([base64.b64encode(mp3).decode()])
    line = json.dumps([["wrb.fr", "jQ1olc", payload, None, None, None, "generic"], ["di", 42]])
    return f')]}}\'\n\n{len(line)}\n{line}\n25\n[["e",4,null,null,{len(line)}]]\n'.encode()


def free_port() -> int:
    """A port nothing listens on (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class FakeGoogle:
    def __init__(self, failures: list[int] | None = None) -> None:
        self.failures = list(failures or [])
        self.texts: list[str] = []
        self.requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeGoogle:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, path: str, body: bytes) -> tuple[int, bytes]:
        with self._lock:
            self.requests += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            failure = self.failures.pop(0) if self.failures else None
        try:
            if failure is not None:
                return failure, b"busy"
            if path != RPC_PATH:
                return 404, b"not found"
            rpc = json.loads(parse_qs(body.decode())["f.req"][0])
            text, language, _speed, _ = json.loads(rpc[0][0][1])
            if language != "ar":
                return 400, b"language"
            with self._lock:
                self.texts.append(text)
            return 200, batchexecute_answer(tone_mp3(text))
        finally:
            with self._lock:
                self.in_flight -= 1

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, answer = fake._answer(self.path, body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the tests read the counters instead."""

        return Handler
