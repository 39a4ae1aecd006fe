"""What `producer engines` and `producer cache stats|clear` report, as data and as text.

The CLI prints the text; the web UI uses `engine_statuses` to offer the engines that can run.
"""

from __future__ import annotations

from dataclasses import dataclass

from producer.errors import EngineUnavailable
from producer.settings import Settings
from producer.tts.registry import create_engine, engine_names, open_cache


@dataclass(frozen=True)
class EngineStatus:
    name: str
    available: bool
    reason: str | None  # why the engine cannot run, when it cannot
    voices: tuple[str, ...]
    default_voice: str | None


def engine_status(name: str, settings: Settings) -> EngineStatus:
    try:
        engine = create_engine(name, settings)
    except EngineUnavailable as exc:
        return EngineStatus(name, False, str(exc), (), None)
    with engine:
        return EngineStatus(name, True, None, tuple(engine.voices()), engine.default_voice())


def engine_statuses(settings: Settings) -> list[EngineStatus]:
    return [engine_status(name, settings) for name in engine_names()]


def engines_text(settings: Settings) -> str:
    """One line per engine: name, availability, then its voices or why it is unavailable."""
    lines = []
    for status in engine_statuses(settings):
        mark = "*" if status.name == settings.engine else " "
        if status.available:
            voices = ", ".join(
                f"{voice} (default)" if voice == status.default_voice else voice for voice in status.voices
            )
            lines.append(f"{mark} {status.name:<7} available    voices: {voices}")
        else:
            lines.append(f"{mark} {status.name:<7} unavailable  {status.reason}")
    lines.append("* = default engine (PRODUCER_ENGINE)")
    return "\n".join(lines)


def _size(count: int) -> str:
    return f"{count / (1024 * 1024):.1f} MiB"


def cache_stats_text(settings: Settings) -> str:
    cache = open_cache(settings)
    stats = cache.stats()
    return (
        f"segment cache: {cache.root}\n"
        f"entries: {stats.entries}\n"
        f"size: {_size(stats.bytes)} of {_size(cache.max_bytes)} (least recently used evicted beyond)"
    )


def cache_clear_text(settings: Settings) -> str:
    cache = open_cache(settings)
    removed = cache.clear()
    return f"removed {removed} cached segment{'s' if removed != 1 else ''} from {cache.root}"
