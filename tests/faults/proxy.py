"""A small fault-injecting TCP proxy in front of an HTTP endpoint (the S3 server in the tests).

Modes, switched at any time: pass traffic through; hold every request that starts with a given
method (PUT: uploads), optionally to some paths only, for some seconds before passing it on (a slow
store); or refuse service by closing every connection at once (a store that is down).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass


@dataclass
class Faults:
    slow_method: bytes | None = None
    slow_seconds: float = 0.0
    slow_path: bytes = b"/"  # only requests whose target contains this are held
    down: bool = False
    held: int = 0  # requests held back so far


class FaultProxy:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.faults = Faults()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._closing = threading.Event()
        threading.Thread(target=self._accept, name="fault-proxy", daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._closing.set()
        self._listener.close()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.faults.down:
                client.close()
                continue
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, dest: socket.socket, requests: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if self.faults.down:
                    break
                method = self.faults.slow_method
                if (
                    requests
                    and method is not None
                    and chunk.startswith(method + b" ")
                    and self.faults.slow_path in chunk.split(b"\r\n", 1)[0]
                ):
                    self.faults.held += 1
                    time.sleep(self.faults.slow_seconds)
                dest.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, dest):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()


@contextmanager
def proxy_to(url: str) -> Iterator[FaultProxy]:
    host, port = url.removeprefix("http://").split(":")
    proxy = FaultProxy((host, int(port)))
    try:
        yield proxy
    finally:
        proxy.close()
