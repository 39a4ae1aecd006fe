"""gTTS, the online engine: Google Translate's voice, reached over HTTP.

gTTS packages each request (its RPC body and headers); this adapter owns the transport: text cut
below Google's 100-character limit at sentence, clause and word boundaries, a bounded number of
requests in flight, timeouts, retries with exponential backoff on 429 and 5xx, and MP3 decoding.
A host that cannot be reached at all is reported at once as an unavailable engine.
"""

from __future__ import annotations

import base64
import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np
import requests
import soundfile as sf
import urllib3.exceptions
from gtts import gTTS
from gtts.version import __version__ as gtts_version

from producer.errors import EngineError, EngineUnavailable
from producer.tts.base import AudioChunk, Engine
from producer.tts.text import split_sentences, split_to_limit

_RPC_PATH = "/_/TranslateWebserverUi/data/batchexecute"
_LANGUAGE = "ar"
_PROBE_TIMEOUT = 3.0


@dataclass(frozen=True)
class GttsConfig:
    """`base_url` replaces https://translate.google.<tld> (a proxy, or a local fake in tests)."""

    tld: str = "com"
    timeout: float = 15.0
    concurrency: int = 4
    base_url: str | None = None
    attempts: int = 4
    backoff: float = 0.5  # seconds before the first retry, doubled for each further one


def _unreachable_reason(exc: requests.ConnectionError) -> str | None:
    """Why no connection could be made at all (DNS failure, refused, connect timeout), else None."""
    if isinstance(exc, requests.ConnectTimeout):
        return "no connection within the timeout"
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if not isinstance(reason, urllib3.exceptions.NewConnectionError):
        return None
    cause = reason.__context__
    return (cause.strerror if isinstance(cause, OSError) else None) or type(reason).__name__


def _audio_bytes(body: str) -> bytes:
    """The MP3 inside a batchexecute answer: lines of JSON, one holding ["wrb.fr", rpc, payload]."""
    for line in body.splitlines():
        if gTTS.GOOGLE_TTS_RPC not in line:
            continue
        try:
            envelope = json.loads(line)
        except ValueError:
            continue
        for entry in envelope:
            if isinstance(entry, list) and entry[:2] == ["wrb.fr", gTTS.GOOGLE_TTS_RPC] and entry[2]:
                try:
                    return base64.b64decode(json.loads(entry[2])[0])
                except (ValueError, TypeError, IndexError) as exc:
                    raise EngineError("Google TTS answered with a malformed audio payload.") from exc
    raise EngineError("Google TTS answered without audio.")


def _decode(mp3: bytes) -> tuple[np.ndarray, int]:
    try:
        samples, rate = sf.read(io.BytesIO(mp3), dtype="float32")
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise EngineError(f"Google TTS returned audio that cannot be decoded: {exc}.") from exc
    return (samples.mean(axis=1) if samples.ndim == 2 else samples), rate


class GttsEngine(Engine):
    name = "gtts"
    # Google's voice vowels bare Arabic script itself.
    wants_diacritics = False
    concurrency = "threads"

    def __init__(self, config: GttsConfig | None = None) -> None:
        self.config = config or GttsConfig()
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._sessions: list[requests.Session] = []
        self._local = threading.local()

    @property
    def endpoint(self) -> str:
        base = self.config.base_url or f"https://translate.google.{self.config.tld}"
        return base.rstrip("/") + _RPC_PATH

    def check(self) -> str | None:
        parts = urlsplit(self.endpoint)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            socket.create_connection((parts.hostname, port), timeout=_PROBE_TIMEOUT).close()
        except OSError as exc:
            return f"Google TTS cannot be reached at {parts.hostname}: {exc.strerror or exc}."
        return None

    def voices(self) -> list[str]:
        return [_LANGUAGE]

    def default_voice(self) -> str:
        return _LANGUAGE

    def version(self) -> str:
        return f"gTTS {gtts_version}"

    def options_key(self) -> str:
        key = f"lang={_LANGUAGE} tld={self.config.tld}"
        return f"{key} host={self.config.base_url}" if self.config.base_url else key

    def synthesize(self, text: str, voice: str | None = None) -> Iterator[AudioChunk]:
        if (voice or _LANGUAGE) != _LANGUAGE:
            raise EngineError(f"gTTS has no voice {voice!r}; use {_LANGUAGE}.")
        sentences = [
            [part for part in split_to_limit(sentence, gTTS.GOOGLE_TTS_MAX_CHARS) if _speakable(part)]
            for sentence in split_sentences(text)
        ]
        pool = self._executor()
        # Every request of the text is queued at once; the shared pool bounds how many are in flight.
        pending = [[pool.submit(self._fetch, part) for part in parts] for parts in sentences]
        try:
            for futures in pending:
                if futures:
                    yield self._joined(futures)
        finally:
            for future in (f for futures in pending for f in futures):
                future.cancel()

    def _joined(self, futures: list[Future[tuple[np.ndarray, int]]]) -> AudioChunk:
        decoded = [future.result() for future in futures]
        rates = {rate for _, rate in decoded}
        if len(rates) != 1:
            raise EngineError(f"Google TTS answered one sentence at several sample rates: {sorted(rates)}.")
        return AudioChunk(np.concatenate([samples for samples, _ in decoded]), rates.pop())

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.config.concurrency, thread_name_prefix="gtts")
            return self._pool

    def _session(self) -> requests.Session:
        # requests.Session is not documented as thread-safe: one per pool thread.
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            with self._lock:
                self._sessions.append(session)
        return session

    def _fetch(self, part: str) -> tuple[np.ndarray, int]:
        request = gTTS(part, lang=_LANGUAGE, tld=self.config.tld, lang_check=False, pre_processor_funcs=[])
        (body,) = request.get_bodies()  # one body: the part is within gTTS's limit
        status = "no answer"
        for attempt in range(self.config.attempts):
            if attempt:
                time.sleep(self.config.backoff * 2 ** (attempt - 1))
            try:
                response = self._session().post(
                    self.endpoint, data=body, headers=gTTS.GOOGLE_TTS_HEADERS, timeout=self.config.timeout
                )
            except requests.ConnectionError as exc:
                why = _unreachable_reason(exc)
                if why is not None:
                    host = urlsplit(self.endpoint).hostname
                    raise EngineUnavailable(f"Google TTS cannot be reached at {host}: {why}.") from exc
                status = "connection lost"
                continue
            except requests.Timeout:
                status = f"no answer within {self.config.timeout:g} s"
                continue
            if response.status_code == 429 or response.status_code >= 500:
                status = f"HTTP {response.status_code}"
                continue
            if response.status_code != 200:
                raise EngineError(f"Google TTS refused the request with HTTP {response.status_code}.")
            return _decode(_audio_bytes(response.text))
        raise EngineError(f"Google TTS kept failing ({status}) after {self.config.attempts} attempts.")

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
            sessions, self._sessions = self._sessions, []
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        for session in sessions:
            session.close()
        self._local = threading.local()


def _speakable(part: str) -> bool:
    """gTTS refuses a piece with nothing but punctuation in it."""
    return any(ch.isalnum() for ch in part)
