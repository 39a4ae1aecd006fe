"""Engines by name, built from Settings with lazy imports.

An engine's library is imported only when that engine is asked for, so a missing optional
dependency disables that engine alone, with one sentence saying why.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from producer.errors import EngineUnavailable
from producer.settings import Settings
from producer.tts.base import Engine
from producer.tts.cache import SegmentCache


def _espeak(settings: Settings) -> Engine:
    from producer.tts.espeak import EspeakConfig, EspeakEngine
    from producer.tts.pace import espeak_rate

    rate = settings.espeak_rate or espeak_rate(settings.pace)
    return EspeakEngine(EspeakConfig(rate=rate, pitch=settings.espeak_pitch))


def _piper(settings: Settings) -> Engine:
    try:
        from producer.tts.piper import PiperConfig, PiperEngine
    except ImportError as exc:
        raise EngineUnavailable(
            "The piper engine needs the piper-tts package: install it with pip install 'producer[piper]'."
        ) from exc

    return PiperEngine(
        PiperConfig(voices_dir=settings.voices_dir, pace=settings.pace, threads=settings.workers)
    )


def _gtts(settings: Settings) -> Engine:
    from producer.tts.gtts import GttsConfig, GttsEngine

    return GttsEngine(
        GttsConfig(
            tld=settings.gtts_tld,
            timeout=settings.gtts_timeout,
            concurrency=settings.gtts_concurrency,
            base_url=settings.gtts_base_url,
        )
    )


class EngineName(StrEnum):
    """The engines there are: the CLI, the API's schema and the web forms all list these."""

    ESPEAK = "espeak"
    PIPER = "piper"
    GTTS = "gtts"


@dataclass(frozen=True)
class EngineEntry:
    module: str  # where the engine's class lives, imported only when it is used
    cls: str
    build: Callable[[Settings], Engine]


ENGINES: dict[EngineName, EngineEntry] = {
    EngineName.ESPEAK: EngineEntry("producer.tts.espeak", "EspeakEngine", _espeak),
    EngineName.PIPER: EngineEntry("producer.tts.piper", "PiperEngine", _piper),
    EngineName.GTTS: EngineEntry("producer.tts.gtts", "GttsEngine", _gtts),
}


def _unknown(name: str) -> EngineUnavailable:
    return EngineUnavailable(f"There is no TTS engine {name!r}; choose one of {', '.join(ENGINES)}.")


def engine_names() -> list[str]:
    return [name.value for name in ENGINES]


def _entry(name: str) -> EngineEntry:
    try:
        return ENGINES[EngineName(name)]
    except ValueError:
        raise _unknown(name) from None


def wants_diacritics(name: str) -> bool:
    """Whether the named engine is fed diacritized text, known without building or checking it."""
    entry = _entry(name)
    try:
        return bool(getattr(importlib.import_module(entry.module), entry.cls).wants_diacritics)
    except ImportError:
        return False


def create_engine(name: str, settings: Settings) -> Engine:
    """A ready engine, or EngineUnavailable saying in one sentence why it cannot run here."""
    entry = _entry(name)
    try:
        engine = entry.build(settings)
    except ImportError as exc:
        package = exc.name or "it depends on"
        raise EngineUnavailable(
            f"The {name} engine needs the Python package {package}, which is not installed."
        ) from exc
    reason = engine.check()
    if reason is not None:
        engine.close()
        raise EngineUnavailable(reason)
    return engine


def open_cache(settings: Settings) -> SegmentCache:
    """The segment cache of this installation, in the data folder."""
    return SegmentCache(settings.cache_dir / "speech", settings.cache_max_mb * 1024 * 1024)


def warm_engine(settings: Settings, engine: str | None = None, voice: str | None = None) -> None:
    """Load an offline engine and its voice into this process by voicing one word, so that the
    next segment does not wait for them (a Piper model takes seconds to load). gTTS is left
    alone (nothing to load, and Google is not asked for nothing); an engine or voice that cannot
    run here is left for the next segment to report."""
    from producer.errors import ProducerError

    name = engine or settings.engine
    if name == "gtts":
        return
    try:
        tts = create_engine(name, settings)
    except ProducerError:
        return
    try:
        if tts.check() is None:
            for _chunk in tts.synthesize("الأخبار", voice or settings.voice):
                pass
    except ProducerError:
        pass
    finally:
        tts.close()
