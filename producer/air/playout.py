"""Handing a bulletin to the station's playout: a watch folder, Liquidsoap, or a webhook.

A target is written as the programme's settings name it: `dir:PATH` (a folder that AzuraCast,
LibreTime or Rivendell imports from: the broadcast WAV, with its bext and cart chunks, is written
under a hidden temporary name, flushed and renamed, so the importer never sees half a file),
`liquidsoap:HOST:PORT` or `liquidsoap:unix:PATH` (the file is pushed into a request queue of a
running Liquidsoap through its server socket: `QUEUE.push URI`; its path when it stays where it
is, else its HTTP URL, which Liquidsoap downloads into a file of its own), or `webhook:URL` (a
JSON body signed with HMAC-SHA256 in `X-Producer-Signature`). Each `deliver` either succeeds or
raises PlayoutError in one sentence.

The watch folder and Liquidsoap are the air: they take the broadcast WAV (−23 LUFS, EBU R128), so
a programme rendered as a podcast MP3 may have only webhook targets (`check_targets`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import shutil
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from producer.atomic import atomic_path
from producer.errors import InputError, ProducerError

_TIMEOUT = 10.0
_SAFE_NAME = re.compile(r"[^\w.-]+")


class PlayoutError(ProducerError):
    """A hand-off failed; the message says which target and why."""


@dataclass(frozen=True)
class Handoff:
    """What a playout receives: the file to air and what it is."""

    audio: Path
    title: str
    guid: str
    air_time: datetime
    audio_url: str | None = None
    # The file at `audio` stays after the hand-off (the store's own file), so a playout may read it
    # later; False for a temporary download of an object-store episode.
    audio_lasts: bool = True


class Playout(Protocol):
    """Where a bulletin is handed to air (a playout target, named by its `spec`)."""

    @property
    def spec(self) -> str: ...

    def deliver(self, handoff: Handoff) -> str:
        """Hand the bulletin over; returns a short receipt (where it went, the queue's request id)."""
        ...


@dataclass(frozen=True)
class WatchFolder:
    spec: str
    folder: Path

    def deliver(self, handoff: Handoff) -> str:
        if not is_broadcast_wav(handoff.audio):
            raise PlayoutError(
                f"the watch folder {self.folder} takes the broadcast WAV, and {handoff.audio.name} is not one"
            )
        stamp = handoff.air_time.strftime("%Y%m%d-%H%M")
        name = f"{stamp}-{_SAFE_NAME.sub('-', handoff.guid)[:40]}{handoff.audio.suffix}"
        final = self.folder / name
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # Copied under a hidden name (".NAME.….tmp": importers skip dot files and other
            # extensions), flushed to disk, then renamed: the importer sees the whole file at once.
            with atomic_path(final) as temporary:
                shutil.copyfile(handoff.audio, temporary)
        except OSError as exc:
            raise PlayoutError(
                f"the bulletin cannot be written to {self.folder}: {exc.strerror or exc}"
            ) from exc
        return str(final)


@dataclass(frozen=True)
class Liquidsoap:
    spec: str
    address: tuple[str, int] | str  # (host, port) or a Unix socket path
    queue: str

    def deliver(self, handoff: Handoff) -> str:
        # A server command is one line and the title sits in a quoted annotation: a headline's line
        # breaks, quotes or backslashes must not end either early (and run what follows as a command).
        title = " ".join(handoff.title.split()).replace("\\", "/").replace('"', "'")
        # A temporary file may be gone before the bulletin airs: Liquidsoap then downloads it from
        # the service when it resolves the request, into a file of its own that it deletes after.
        where = str(handoff.audio) if handoff.audio_lasts else handoff.audio_url
        if where is None:
            raise PlayoutError(
                f"Liquidsoap at {self.spec} needs the bulletin's URL (PRODUCER_BASE_URL): the episodes "
                "are in object storage, and a downloaded copy would not outlive the hand-off"
            )
        if "\n" in where or "\r" in where:
            raise PlayoutError(f"Liquidsoap at {self.spec} cannot be given a path with a line break")
        uri = f'annotate:title="{title}",producer_air_time="{handoff.air_time.isoformat()}":{where}'
        reply = self.command(f"{self.queue}.push {uri}")
        request = reply.strip().splitlines()[0] if reply.strip() else ""
        if not request.isdigit():
            raise PlayoutError(f"Liquidsoap at {self.spec} refused the bulletin: {reply.strip()[:200]}")
        return f"request {request} in {self.queue}"

    def command(self, line: str) -> str:
        """One server command; the reply up to Liquidsoap's END line."""
        try:
            with self._connect() as conn:
                conn.sendall(line.encode() + b"\n")
                reply = b""
                while not reply.rstrip().endswith(b"END"):
                    piece = conn.recv(4096)
                    if not piece:
                        break
                    reply += piece
                conn.sendall(b"quit\n")
        except OSError as exc:
            raise PlayoutError(f"Liquidsoap at {self.spec} cannot be reached: {exc.strerror or exc}") from exc
        return reply.decode(errors="replace").rstrip().removesuffix("END")

    def _connect(self) -> socket.socket:
        if isinstance(self.address, str):
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            conn.settimeout(_TIMEOUT)
            try:
                conn.connect(self.address)
            except OSError:
                conn.close()
                raise
            return conn
        # By name or address, IPv4 or IPv6 (liquidsoap:[::1]:1234).
        conn = socket.create_connection(self.address, timeout=_TIMEOUT)
        conn.settimeout(_TIMEOUT)
        return conn


@dataclass(frozen=True)
class Webhook:
    spec: str
    url: str
    secret: bytes

    def deliver(self, handoff: Handoff) -> str:
        import httpx

        body = json.dumps(
            {
                "event": "bulletin.ready",
                "title": handoff.title,
                "guid": handoff.guid,
                "air_time": handoff.air_time.isoformat(),
                "audio_url": handoff.audio_url,
            },
            ensure_ascii=False,
        ).encode()
        signature = hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "X-Producer-Signature": f"sha256={signature}"}
        try:
            response = httpx.post(self.url, content=body, headers=headers, timeout=_TIMEOUT)
        except httpx.HTTPError as exc:
            raise PlayoutError(f"the webhook {self.url} cannot be reached: {exc}") from exc
        if response.status_code >= 300:
            raise PlayoutError(f"the webhook {self.url} answered HTTP {response.status_code}")
        return f"HTTP {response.status_code}"


def is_broadcast_wav(path: Path) -> bool:
    """Whether the file is a RIFF WAVE with a bext chunk (the broadcast WAV), by walking its chunks."""
    try:
        with path.open("rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:] != b"WAVE":
                return False
            while len(chunk := f.read(8)) == 8:
                name, size = chunk[:4], int.from_bytes(chunk[4:], "little")
                if name == b"bext":
                    return True
                if name == b"data":
                    return False
                f.seek(size + size % 2, os.SEEK_CUR)
    except OSError:
        return False
    return False


AIR_KINDS = ("dir", "liquidsoap")  # the targets that put the file itself on air


def check_targets(specs: list[str], target: str) -> None:
    """A podcast MP3 is not made for the air: its programme hands off to webhooks only."""
    on_air = [spec for spec in specs if spec.partition(":")[0] in AIR_KINDS]
    if target == "podcast" and on_air:
        raise InputError(
            f"{on_air[0]} plays the broadcast WAV, and a podcast programme renders the MP3 for the feed: "
            "use --target broadcast, or a webhook target"
        )


def parse_target(spec: str, *, queue: str, secret: bytes) -> Playout:
    """A playout target from its written form (see the module's docstring)."""
    kind, _, rest = spec.partition(":")
    if kind == "dir" and rest:
        return WatchFolder(spec, Path(rest).expanduser())
    if kind == "liquidsoap" and rest:
        if rest.startswith("unix:") and len(rest) > 5:
            return Liquidsoap(spec, rest[5:], queue)
        host, _, port = rest.rpartition(":")
        if host and port.isdigit() and 0 < int(port) < 65536:
            return Liquidsoap(spec, (host.strip("[]"), int(port)), queue)
    if kind == "webhook" and rest.startswith(("http://", "https://")):
        return Webhook(spec, rest, secret)
    raise InputError(
        f"{spec!r} is not a playout target: use dir:PATH, liquidsoap:HOST:PORT, liquidsoap:unix:PATH "
        "or webhook:URL"
    )
