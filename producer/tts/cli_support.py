"""What `producer engines`, `producer cache stats|clear` and `producer voices` report, as data and text.

The CLI prints the text; the web UI uses `engine_statuses` to offer the engines that can run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from producer.errors import EngineUnavailable, InputError
from producer.settings import Settings
from producer.tts.registry import create_engine, engine_names, open_cache

if TYPE_CHECKING:
    from producer.tts.voices import InstalledVoice


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
    from producer.pipeline import open_cue_cache

    speech, parts = open_cache(settings), open_part_cache(settings)
    segments, encoded = speech.clear(), parts.clear()
    open_cue_cache(settings).clear()  # derived from the segments: no count of its own
    return (
        f"removed {segments} cached segment{'s' if segments != 1 else ''} from {speech.root}"
        f" and {encoded} encoded part{'s' if encoded != 1 else ''} from {parts.root}"
    )


def _voice_line(voice: InstalledVoice, default: str | None) -> str:
    mark = "*" if voice.name == default else " "
    arabic = "" if voice.language.startswith("ar") else "  (not Arabic: not offered)"
    return f"{mark} {voice.name:<28} {voice.language:<6} {voice.quality:<7} {_size(voice.size):>9}{arabic}"


def voices_text(settings: Settings, *, available: bool = False) -> str:
    """The installed Piper voices, or with `available` the Arabic voices of the catalog."""
    from producer.tts.voices import arabic_catalog, installed_voices

    if available:
        lines = [f"Arabic voices at {settings.voices_base_url}:"]
        for entry in arabic_catalog(settings.voices_base_url):
            size = _size(entry.model.size)
            lines.append(f"  {entry.name:<28} {entry.language:<6} {entry.quality:<7} {size:>9}")
        return "\n".join(lines)
    folder = settings.voices_dir
    voices = installed_voices(folder)
    if not voices:
        return f"no Piper voice in {folder}; install one with `producer voices install ar_JO-kareem-medium`"
    default = settings.voice if settings.engine == "piper" else None
    return "\n".join([f"Piper voices in {folder}:", *(_voice_line(v, default) for v in voices)])


def install_voice_text(settings: Settings, name: str | None, source: str | None) -> str:
    from producer.tts.voices import install_by_name, install_from

    if source is not None:
        voice = install_from(source, settings.voices_dir, name)
    elif name is not None:
        voice = install_by_name(name, settings.voices_dir, settings.voices_base_url)
    else:
        raise InputError("give a voice name, or --from FILE_OR_URL")
    what = f"{voice.language}, {voice.quality}, {_size(voice.size)}"
    return f"installed {voice.name} ({what}) in {settings.voices_dir}"


def remove_voice_text(settings: Settings, name: str) -> str:
    from producer.tts.voices import remove_voice

    remove_voice(name, settings.voices_dir)
    return f"removed {name} from {settings.voices_dir}"
