from __future__ import annotations

import pytest
from tts_support import LONG, MEDIUM, SHORT, joined, rms

from producer.errors import EngineError
from producer.tts.espeak import EspeakConfig, EspeakEngine


def test_espeak_is_available_with_arabic_voices(espeak: EspeakEngine) -> None:
    assert espeak.check() is None
    assert espeak.default_voice() == "ar"
    assert espeak.voices()[0] == "ar"
    assert {"ar+m3", "ar+f2"} <= set(espeak.voices())
    assert espeak.version().startswith("espeak-ng 1.52")
    assert espeak.wants_diacritics
    assert espeak.concurrency == "processes"


def test_espeak_voices_one_chunk_per_sentence_at_22050_hz(espeak: EspeakEngine) -> None:
    chunks = list(espeak.synthesize(MEDIUM))
    assert len(chunks) == 2
    assert {chunk.rate for chunk in chunks} == {22050}
    assert all(chunk.samples.dtype.name == "float32" for chunk in chunks)
    assert all(rms(chunk.samples) > 0.02 for chunk in chunks)
    assert max(float(abs(chunk.samples).max()) for chunk in chunks) <= 1.0


def test_espeak_duration_grows_with_the_text(espeak: EspeakEngine) -> None:
    durations = [len(joined(list(espeak.synthesize(text)))) / 22050 for text in (SHORT, MEDIUM, LONG)]
    assert 1.0 < durations[0] < durations[1] < durations[2]
    assert durations[2] > 2.5 * durations[0]


def test_espeak_rate_setting_changes_the_speed() -> None:
    slow = joined(list(EspeakEngine(EspeakConfig(rate=100)).synthesize(MEDIUM)))
    fast = joined(list(EspeakEngine(EspeakConfig(rate=250)).synthesize(MEDIUM)))
    assert len(slow) > 1.8 * len(fast)
    assert (
        EspeakEngine(EspeakConfig(rate=100)).options_key()
        != EspeakEngine(EspeakConfig(rate=250)).options_key()
    )


def test_espeak_variant_voice_differs_from_the_default(espeak: EspeakEngine) -> None:
    default = joined(list(espeak.synthesize(SHORT)))
    female = joined(list(espeak.synthesize(SHORT, "ar+f2")))
    assert rms(female) > 0.02
    assert len(default) != len(female) or not (default == female).all()


@pytest.mark.parametrize("voice", ["en", "ar+nosuchvariant"])
def test_espeak_rejects_a_voice_it_does_not_have(espeak: EspeakEngine, voice: str) -> None:
    with pytest.raises(EngineError, match="espeak-ng has no Arabic voice"):
        list(espeak.synthesize(SHORT, voice))


def test_espeak_gives_no_audio_for_empty_text(espeak: EspeakEngine) -> None:
    assert list(espeak.synthesize("  \n")) == []
