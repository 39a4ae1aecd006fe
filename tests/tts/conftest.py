from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_google import FakeGoogle
from make_test_voice import make_test_voice

from producer.tts.cache import SegmentCache
from producer.tts.espeak import EspeakEngine
from producer.tts.gtts import GttsConfig, GttsEngine
from producer.tts.piper import PiperConfig, PiperEngine


@pytest.fixture
def cache(tmp_path: Path) -> SegmentCache:
    return SegmentCache(tmp_path / "speech", 1 << 30)


@pytest.fixture(scope="session")
def espeak() -> EspeakEngine:
    return EspeakEngine()


@pytest.fixture(scope="session")
def piper_voices(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("voices")
    make_test_voice(folder)
    return folder


@pytest.fixture(scope="session")
def piper(piper_voices: Path) -> Iterator[PiperEngine]:
    with PiperEngine(PiperConfig(piper_voices)) as engine:
        yield engine


@pytest.fixture
def google() -> Iterator[FakeGoogle]:
    with FakeGoogle() as server:
        yield server


@pytest.fixture
def gtts(google: FakeGoogle) -> Iterator[GttsEngine]:
    with GttsEngine(GttsConfig(base_url=google.base_url, backoff=0.01, timeout=10)) as engine:
        yield engine
