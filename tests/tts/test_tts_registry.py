from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fake_google import FakeGoogle, free_port
from make_test_voice import make_test_voice

from producer.errors import EngineUnavailable
from producer.settings import load_settings
from producer.tts.cli_support import cache_clear_text, cache_stats_text, engine_statuses, engines_text
from producer.tts.espeak import EspeakEngine
from producer.tts.registry import create_engine, engine_names, open_cache
from producer.tts.synth import synthesize_segments


def test_the_three_engines_are_registered() -> None:
    assert engine_names() == ["espeak", "piper", "gtts"]


def test_espeak_is_built_from_the_settings() -> None:
    engine = create_engine("espeak", load_settings(espeak_rate=190, espeak_pitch=30))
    assert isinstance(engine, EspeakEngine)
    assert engine.options_key() == "rate=190 pitch=30 marks=espeak/2"


def test_an_unknown_engine_is_one_sentence() -> None:
    with pytest.raises(
        EngineUnavailable, match=r"^There is no TTS engine 'festival'; choose one of espeak, piper, gtts\.$"
    ):
        create_engine("festival", load_settings())


def test_a_missing_library_disables_only_its_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "producer.tts.gtts", raising=False)
    monkeypatch.setitem(sys.modules, "gtts", None)  # as if gTTS were not installed
    with pytest.raises(
        EngineUnavailable, match=r"^The gtts engine needs the Python package gtts, which is not installed\.$"
    ):
        create_engine("gtts", load_settings())
    assert create_engine("espeak", load_settings()).check() is None


def test_engine_statuses_say_what_can_run(tmp_path: Path) -> None:
    make_test_voice(tmp_path / "voices")
    with FakeGoogle() as google:
        settings = load_settings(piper_voices_dir=tmp_path / "voices", gtts_base_url=google.base_url)
        statuses = {status.name: status for status in engine_statuses(settings)}
    assert all(status.available for status in statuses.values())
    assert statuses["piper"].voices == ("ar_XX-test-tiny",)
    assert statuses["gtts"].default_voice == "ar"


def test_engines_text_lists_availability_voices_and_reasons(tmp_path: Path) -> None:
    port = free_port()
    settings = load_settings(piper_voices_dir=tmp_path, gtts_base_url=f"http://127.0.0.1:{port}")
    assert engines_text(settings).splitlines() == [
        "* espeak  available    voices: ar (default), ar+m1, ar+m2, ar+m3, ar+m4, ar+m5, ar+m6, ar+m7, "
        "ar+f1, ar+f2, ar+f3, ar+f4, ar+f5",
        f"  piper   unavailable  No Piper voice in {tmp_path}; install one with `producer voices install "
        "ar_JO-kareem-medium` or place a voice's two files there.",
        "  gtts    unavailable  Google TTS cannot be reached at 127.0.0.1: Connection refused.",
        "* = default engine (PRODUCER_ENGINE)",
    ]


def test_cache_stats_and_clear_texts(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, cache_max_mb=64)
    cache = open_cache(settings)
    assert cache.root == tmp_path / "cache" / "speech"
    synthesize_segments(EspeakEngine(), ["مرحباً بكم.", "إلى اللقاء."], voice=None, cache=cache, workers=1)
    size = cache.stats().bytes / (1024 * 1024)
    assert cache_stats_text(settings).splitlines() == [
        f"segment cache: {tmp_path / 'cache' / 'speech'}",
        "entries: 2",
        f"size: {size:.1f} MiB of 64.0 MiB (least recently used evicted beyond)",
        f"encoded parts: {tmp_path / 'cache' / 'parts'}",
        "entries: 0",
        "size: 0.0 MiB of 64.0 MiB (least recently used evicted beyond)",
    ]
    assert cache_clear_text(settings) == (
        f"removed 2 cached segments from {tmp_path / 'cache' / 'speech'}"
        f" and 0 encoded parts from {tmp_path / 'cache' / 'parts'}"
    )
    assert cache_stats_text(settings).splitlines()[1] == "entries: 0"
