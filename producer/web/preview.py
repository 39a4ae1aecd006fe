"""Work the pages hand to a separate process: voicing one segment, listing the engines.

Engines keep process-wide native state (libespeak-ng), so the web process never loads one; these
functions run in the app's single-worker process pool and return plain, picklable values.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from producer.settings import Settings


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


def voice_segment(settings: Settings, text: str, engine: str | None, voice: str | None) -> bytes:
    """One segment as the render would voice it (same text preparation, same cache), as WAV bytes."""
    import soundfile

    from producer.arabic.lexicon import Lexicon
    from producer.pipeline import speakable_lines
    from producer.tts.registry import create_engine, open_cache
    from producer.tts.synth import synthesize_segments

    tts = create_engine(engine or settings.engine, settings)
    try:
        lexicon = Lexicon.load(settings.lexicon_file)
        spoken = speakable_lines(text.split("\n"), lexicon, diacritize=tts.wants_diacritics)
        clips = synthesize_segments(
            tts, ["\n".join(spoken)], voice=voice or settings.voice, cache=open_cache(settings), workers=1
        )
        clip = clips[0].load()
    finally:
        tts.close()
    out = io.BytesIO()
    soundfile.write(out, clip.samples, clip.rate, format="WAV", subtype="PCM_16")
    return out.getvalue()
