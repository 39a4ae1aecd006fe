"""Work the pages hand to a separate process: voicing one segment, listing the engines; and how
previews are let in (PreviewGate, PreviewDoor) and how that process yields the CPU.

Engines keep process-wide native state (libespeak-ng), so the web process never loads one; these
functions run in the app's single-worker process pool and return plain, picklable values.
"""

from __future__ import annotations

import io
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from producer.arabic.lexicon import Lexicon
from producer.settings import Settings

if TYPE_CHECKING:
    from producer.tts.synth import Preparation

# ---- admission: how many previews may wait or run, refused cheaply past that ---------------------------


@dataclass
class PreviewGate:
    """Segment previews waiting or voicing: at most `per_user` for one account and `total` in all.

    The preview process voices one segment at a time; past these a request is answered 429 at
    once instead of queueing behind a flood (80 previews from one viewer once held up everyone).
    """

    per_user: int = 2
    total: int = 8
    _busy: dict[int, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def enter(self, user_id: int) -> bool:
        with self._lock:
            if self._busy.get(user_id, 0) >= self.per_user or self.full():
                return False
            self._busy[user_id] = self._busy.get(user_id, 0) + 1
            return True

    def leave(self, user_id: int) -> None:
        with self._lock:
            left = self._busy.get(user_id, 0) - 1
            if left > 0:
                self._busy[user_id] = left
            else:
                self._busy.pop(user_id, None)

    def full(self) -> bool:
        return sum(self._busy.values()) >= self.total


def busy_response() -> Response:
    return JSONResponse(
        {"detail": "مقاطع كثيرة قيد الاستماع الآن؛ انتظروا انتهاء ما طلبتم ثم أعيدوا المحاولة."},
        status_code=429,
        headers={"Retry-After": "5"},
    )


_LISTEN = re.compile(r"/bulletins/\d+/listen")


class PreviewDoor:
    """Lets at most the gate's `per_user` preview requests of one caller (a digest of its session
    cookie or API token) past at a time, and none while the gate is full; the others get 429
    before routing, the session lookup, the form or CSRF (pure ASGI). A flood of previews from
    one session then costs a header read per request instead of a database trip and a form parse;
    the route still counts by account (a second session of the same account included)."""

    def __init__(self, app: ASGIApp, gate: PreviewGate, caller: Callable[[Request], str | None]) -> None:
        self.app, self.gate, self.caller = app, gate, caller
        self.inside: dict[str, int] = {}  # the event loop's own: no lock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (scope["type"] == "http" and scope["method"] == "POST" and _LISTEN.fullmatch(scope["path"])):
            await self.app(scope, receive, send)
            return
        caller = self.caller(Request(scope))
        if self.gate.full() or (caller is not None and self.inside.get(caller, 0) >= self.gate.per_user):
            await busy_response()(scope, receive, send)
            return
        if caller is None:  # no session or token: the route says 401
            await self.app(scope, receive, send)
            return
        self.inside[caller] = self.inside.get(caller, 0) + 1
        try:
            await self.app(scope, receive, send)
        finally:
            left = self.inside[caller] - 1
            if left:
                self.inside[caller] = left
            else:
                del self.inside[caller]


# ---- priority: the preview process yields the CPU to the web process --------------------------------

# The preview process runs niced, so voicing never takes the core that answers the feed and media;
# with nothing else to run it still gets a whole core.
PREVIEW_NICE = 10


def start_preview_process() -> None:
    """The preview process's initializer: ended with its parent, and at a lower CPU priority."""
    from producer.jobs.child import watch_parent

    watch_parent()
    os.nice(PREVIEW_NICE)


@dataclass(frozen=True)
class EngineInfo:
    name: str
    available: bool
    reason: str | None
    voices: tuple[str, ...]
    default_voice: str | None


def engine_catalog(settings: Settings) -> list[EngineInfo]:
    """Every engine with its voices, or the one-sentence reason it cannot run here."""
    from producer.errors import ProducerError
    from producer.tts.registry import create_engine, engine_names

    catalog = []
    for name in engine_names():
        try:
            engine = create_engine(name, settings)
        except ProducerError as exc:
            catalog.append(EngineInfo(name, False, str(exc), (), None))
            continue
        try:
            catalog.append(EngineInfo(name, True, None, tuple(engine.voices()), engine.default_voice()))
        except ProducerError as exc:
            catalog.append(EngineInfo(name, False, str(exc), (), None))
        finally:
            engine.close()
    return catalog


def voice_segment(
    settings: Settings, text: str, engine: str | None, voice: str | None, lexicon: Lexicon | None = None
) -> bytes:
    """One segment as the render voices it (same text preparation with the station's `lexicon` —
    the shipped one if None —, same cache, the same breath between its lines), as WAV bytes."""
    import numpy as np
    import soundfile

    from producer.audio.assemble import Pacing
    from producer.pipeline import speakable_lines, voice_lines
    from producer.tts.cache import DEFAULT_RATE
    from producer.tts.registry import create_engine

    tts = create_engine(engine or settings.engine, settings)
    try:
        lexicon = Lexicon.default() if lexicon is None else lexicon
        spoken = speakable_lines(text.split("\n"), lexicon, diacritize=False, clock=settings.clock_dial)
        (lines,) = voice_lines(tts, ["\n".join(spoken)], voice=voice or settings.voice, settings=settings)
        clips = [clip.load() for clip in lines if clip.frames]
    finally:
        tts.close()
    rate = clips[0].rate if clips else DEFAULT_RATE
    breath = np.zeros(round(Pacing().between_lines * rate), np.float32)
    pieces = [piece for clip in clips for piece in (breath, clip.samples)][1:]
    samples = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    out = io.BytesIO()
    soundfile.write(out, samples, rate, format="WAV", subtype="PCM_16")
    return out.getvalue()


# The browser's preview: MP3 (which Chromium's and Firefox's Media Source play as frames arrive),
# mono, constant bitrate; libsndfile's LAME at this level gives about 80 kb/s at 22 kHz.
PREVIEW_MEDIA_TYPE = "audio/mpeg"
_MP3 = {"format": "MP3", "subtype": "MPEG_LAYER_III", "bitrate_mode": "CONSTANT", "compression_level": 0.5}
_prepare: Preparation | None = None  # the diacritizer, loaded once per preview process


def _diacritizer() -> Preparation:
    global _prepare
    if _prepare is None:
        from producer.pipeline import diacritization

        _prepare = diacritization()
    return _prepare


def stream_segment(
    settings: Settings,
    text: str,
    engine: str | None,
    voice: str | None,
    out: Path,
    lexicon: Lexicon | None = None,
) -> None:
    """One segment voiced as the render voices it (same text, same cache, same breath between its
    lines) into `out` as MP3, written clause by clause as they are voiced: the web process sends
    the file's bytes on while it grows, so the listener hears the first clause while the rest is
    voiced."""
    import numpy as np
    import soundfile

    from producer.audio.assemble import Pacing
    from producer.pipeline import speakable_lines
    from producer.tts.base import AudioChunk
    from producer.tts.cache import DEFAULT_RATE
    from producer.tts.registry import create_engine, open_cache
    from producer.tts.synth import voice_streaming

    tts = create_engine(engine or settings.engine, settings)
    writer: Any = None
    pending_breath = False

    def write(chunk: AudioChunk) -> None:
        nonlocal writer, pending_breath
        if writer is None:
            writer = soundfile.SoundFile(out, "w", samplerate=chunk.rate, channels=1, **_MP3)
        if pending_breath:
            writer.write(np.zeros(round(Pacing().between_lines * writer.samplerate), np.float32))
            pending_breath = False
        writer.write(chunk.samples)

    try:
        lexicon = Lexicon.default() if lexicon is None else lexicon
        spoken = speakable_lines(text.split("\n"), lexicon, diacritize=False, clock=settings.clock_dial)
        cache = open_cache(settings)
        prepare = _diacritizer() if tts.wants_diacritics else None
        for line in spoken:
            clip = voice_streaming(
                tts, line, voice=voice or settings.voice, cache=cache, on_chunk=write, prepare=prepare
            )
            pending_breath = pending_breath or (writer is not None and clip.frames > 0)
        if writer is None:  # nothing to say: a valid, empty stream all the same
            writer = soundfile.SoundFile(out, "w", samplerate=DEFAULT_RATE, channels=1, **_MP3)
    finally:
        if writer is not None:
            writer.close()
        tts.close()


def warm_up(settings: Settings) -> None:
    """Load what the first preview would otherwise wait for: the engine (a Piper voice is loaded
    and kept) and the diacritizer."""
    from producer.errors import ProducerError
    from producer.tts.registry import wants_diacritics, warm_engine

    try:
        if wants_diacritics(settings.engine):
            _diacritizer().apply(["الأخبار"])
    except ProducerError:
        pass  # an unknown engine: its previews will say so
    warm_engine(settings)
