from __future__ import annotations

import json
from pathlib import Path

import pytest
from make_test_voice import HOP, make_test_voice
from real_size_voice import install_real_size_voice
from tts_support import LONG, MEDIUM, SHORT, joined, rms

from producer.errors import EngineError, EngineUnavailable
from producer.settings import load_settings
from producer.tts.pace import count_words, voiced_seconds, words_per_minute
from producer.tts.piper import MAX_CHARS, MAX_PHONEME_IDS, PiperConfig, PiperEngine, _bounded
from producer.tts.registry import create_engine


def test_piper_offers_the_generated_arabic_voice(piper: PiperEngine) -> None:
    assert piper.check() is None
    assert piper.voices() == ["ar_XX-test-tiny"]
    assert piper.default_voice() == "ar_XX-test-tiny"
    assert piper.version().startswith("piper-tts ")


def test_piper_synthesizes_through_the_real_voice_loader(piper: PiperEngine) -> None:
    chunks = list(piper.synthesize(MEDIUM))
    assert len(chunks) == 2  # Piper cuts sentences itself
    assert {chunk.rate for chunk in chunks} == {22050}
    assert all(rms(chunk.samples) > 0.1 for chunk in chunks)
    # The test voice gives one hop of audio per phoneme id.
    assert all(len(chunk.samples) % HOP == 0 for chunk in chunks)


def test_piper_duration_grows_with_the_text(piper: PiperEngine) -> None:
    lengths = [len(joined(list(piper.synthesize(text)))) for text in (SHORT, MEDIUM, LONG)]
    assert lengths[0] < lengths[1] < lengths[2]


def test_piper_ignores_voices_that_do_not_speak_arabic(tmp_path: Path) -> None:
    model = make_test_voice(tmp_path, "en_US-test-tiny")
    config_path = model.with_name(model.name + ".json")
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["espeak"]["voice"] = "en-us"
    config["language"]["code"] = "en_US"
    config_path.write_text(json.dumps(config), encoding="utf-8")
    make_test_voice(tmp_path, "ar_XX-test-tiny")
    (tmp_path / "ar_YY-no-config.onnx").write_bytes(model.read_bytes())
    assert PiperEngine(PiperConfig(tmp_path)).voices() == ["ar_XX-test-tiny"]


def test_piper_rejects_an_unknown_voice(piper: PiperEngine) -> None:
    with pytest.raises(EngineError, match="No Piper voice 'ar_JO-kareem-medium'"):
        list(piper.synthesize(SHORT, "ar_JO-kareem-medium"))


def test_piper_without_voices_is_unavailable_with_a_download_hint(tmp_path: Path) -> None:
    expected = (
        f"No Piper voice in {tmp_path}; install one with `producer voices install "
        "ar_JO-kareem-medium` or place a voice's two files there."
    )
    assert PiperEngine(PiperConfig(tmp_path)).check() == expected
    with pytest.raises(EngineUnavailable) as raised:
        create_engine("piper", load_settings(piper_voices_dir=tmp_path))
    assert str(raised.value) == expected


def test_replacing_a_voice_file_changes_the_version(tmp_path: Path) -> None:
    model = make_test_voice(tmp_path)
    engine = PiperEngine(PiperConfig(tmp_path))
    before = engine.version()
    model.write_bytes(model.read_bytes() + b"\0")
    assert engine.version() != before


def test_a_damaged_voice_model_is_an_engine_error(tmp_path: Path) -> None:
    model = make_test_voice(tmp_path)
    model.write_bytes(b"not an onnx model")
    with pytest.raises(EngineError, match=r"^The Piper voice ar_XX-test-tiny cannot be loaded"):
        list(PiperEngine(PiperConfig(tmp_path)).synthesize(SHORT))


def test_phonemes_are_cut_between_words_within_the_bound() -> None:
    phonemes = list("ab cd efg h ijklmnop qr")
    parts = list(_bounded(phonemes, 2 * 5 + 3))  # at most 5 phonemes a part
    assert [p for part in parts for p in part] == phonemes
    assert all(len(part) <= 5 for part in parts)
    assert ["".join(part) for part in parts] == ["ab ", "cd ", "efg ", "h ", "ijklm", "nop ", "qr"]


def test_a_long_paragraph_without_a_full_stop_is_voiced_in_bounded_inferences(piper: PiperEngine) -> None:
    words = (LONG.replace(".", "").replace("،", "") + " ").split()
    paragraph = " ".join((words * 20)[:600])
    chunks = list(piper.synthesize(paragraph))
    # The test voice gives one hop of audio per phoneme id: no inference saw more than the bound.
    assert max(len(chunk.samples) for chunk in chunks) <= MAX_PHONEME_IDS * HOP
    assert len(chunks) >= 600 * 5 // MAX_CHARS
    assert sum(len(chunk.samples) for chunk in chunks) > 600 * 4 * HOP  # every word was voiced


def test_the_pace_is_part_of_the_cache_key(piper_voices: Path) -> None:
    keys = {PiperEngine(PiperConfig(piper_voices, pace=pace)).options_key() for pace in (100, 130, 160)}
    assert len(keys) == 3


@pytest.mark.slow
def test_a_real_size_voice_reads_at_the_configured_pace(tmp_path: Path) -> None:
    from producer.pipeline import get_diacritizer

    install_real_size_voice(tmp_path)
    measured = {}
    (vowelled,) = get_diacritizer().diacritize([LONG])  # as the pipeline feeds Piper
    for pace in (100, 160):
        engine = PiperEngine(PiperConfig(tmp_path, pace=pace))
        audio = [chunk.samples for chunk in engine.synthesize(vowelled)]
        seconds = sum(voiced_seconds(samples, 22050) for samples in audio)
        measured[pace] = words_per_minute(count_words(LONG), seconds)
    # Duration noise makes each reading differ a little from the voice's measured natural pace.
    assert measured[100] == pytest.approx(100, rel=0.12)
    assert measured[160] == pytest.approx(160, rel=0.12)


def test_a_voices_pace_readings_are_kept_beside_it_and_renewed_with_it(tmp_path: Path) -> None:
    model = make_test_voice(tmp_path)
    kept = model.with_name(model.name + ".pace.json")
    PiperEngine(PiperConfig(tmp_path)).length_scale()
    stored = json.loads(kept.read_text(encoding="utf-8"))
    assert stored["readings"][0][0] == 1.0 and stored["readings"][0][1] > 0
    model.write_bytes(model.read_bytes())  # a new file: new mtime, so a new reading
    PiperEngine(PiperConfig(tmp_path)).length_scale()
    assert json.loads(kept.read_text(encoding="utf-8"))["stamp"] != stored["stamp"]


def test_piper_says_the_vowels_producer_gives_it_in_pausal_form(piper: PiperEngine, tmp_path: Path) -> None:
    """Piper is fed the text vowelled by producer's diacritizer in the pausal form, as espeak-ng
    is, and espeak-ng phonemizes it as written: no case ending before the full stop (Piper's own
    libtashkeel, which would add one, is not used)."""
    from collections.abc import Iterator

    from producer.pipeline import voice_lines
    from producer.tts.base import AudioChunk
    from producer.tts.piper import _loaded

    voice = _loaded(piper._voice_files()[piper.default_voice()]).piper
    assert piper.wants_diacritics and not voice.use_tashkeel
    # The phonemes are exactly those of the vowels written: the pausal form and the full one.
    assert voice.phonemize("قَرَأْتُ الأَخْبَارْ.") == [list("qˈaraʔtˌu ʔalʔˈaχbaːr.")]
    assert voice.phonemize("قَرَأْتُ الأَخْبَارِ.") == [list("qˈaraʔtˌu ʔalʔˈaχbaːrˌi.")]

    heard: list[str] = []

    class Listening(PiperEngine):
        def synthesize(self, text: str, voice: str | None = None) -> Iterator[AudioChunk]:
            heard.append(text)
            yield from super().synthesize(text, voice)

    settings = load_settings(data_dir=tmp_path, piper_voices_dir=piper.config.voices_dir)
    (clips,) = voice_lines(Listening(piper.config), ["قرأت الأخبار."], voice=None, settings=settings)
    assert clips[0].frames > 0
    # What the render and the preview feed Piper: producer's vowels, the last word in pausal form.
    assert heard == ["قَرَأْتُ الْأَخْبَارْ."]
    assert voice.phonemize(heard[0])[0][-5:] == list("baːr.")


def test_the_preview_process_warm_up_loads_the_station_voice(piper_voices: Path, tmp_path: Path) -> None:
    """What the service runs in its preview process when an editor opens: the station's Piper
    voice is loaded and kept there, so the first listen does not wait for it."""
    import producer.tts.piper as piper_module
    from producer.web.preview import warm_up

    piper_module._VOICES.clear()
    warm_up(load_settings(data_dir=tmp_path, piper_voices_dir=piper_voices, engine="piper"))
    assert [Path(key[0]).name for key in piper_module._VOICES] == ["ar_XX-test-tiny.onnx"]
    # An engine that cannot run here is left for its previews to explain.
    warm_up(load_settings(data_dir=tmp_path, piper_voices_dir=tmp_path / "none", engine="piper"))
