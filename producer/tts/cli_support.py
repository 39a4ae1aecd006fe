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
    from producer.audio.parts import open_part_cache

    lines = []
    for name, cache in (
        ("segment cache", open_cache(settings)),
        ("encoded parts", open_part_cache(settings)),
    ):
        stats = cache.stats()
        lines += [
            f"{name}: {cache.root}",
            f"entries: {stats.entries}",
            f"size: {_size(stats.bytes)} of {_size(cache.max_bytes)} (least recently used evicted beyond)",
        ]
    return "\n".join(lines)


def cache_clear_text(settings: Settings) -> str:
    from producer.audio.parts import open_part_cache

    speech, parts = open_cache(settings), open_part_cache(settings)
    segments, encoded = speech.clear(), parts.clear()
    return (
        f"removed {segments} cached segment{'s' if segments != 1 else ''} from {speech.root}"
        f" and {encoded} encoded part{'s' if encoded != 1 else ''} from {parts.root}"
    )
