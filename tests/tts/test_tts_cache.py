from __future__ import annotations

import os
import re
import time
from pathlib import Path

import numpy as np
import pytest
from tts_support import MEDIUM, SHORT, joined

from producer.errors import AudioError, EngineError
from producer.filecache import CacheStats
from producer.tts.base import AudioChunk
from producer.tts.cache import SegmentCache
from producer.tts.espeak import EspeakConfig, EspeakEngine
from producer.tts.piper import PiperEngine


def _tone(seconds: float, rate: int = 22050) -> AudioChunk:
    t = np.arange(int(seconds * rate)) / rate
    return AudioChunk((0.5 * np.sin(2 * np.pi * 330 * t)).astype(np.float32), rate)


def test_a_stored_segment_reads_back_sample_for_sample(cache: SegmentCache, espeak: EspeakEngine) -> None:
    chunks = list(espeak.synthesize(MEDIUM))
    key = cache.key(espeak, "ar", MEDIUM)
    stored = cache.put(key, chunks)
    assert stored.path.suffix == ".wav"
    assert (stored.frames, stored.rate) == (sum(len(c.samples) for c in chunks), 22050)
    found = cache.get(key)
    assert found == stored
    # espeak-ng's 16-bit output survives the lossless store exactly.
    assert np.array_equal(found.load().samples, joined(chunks))
    assert found.load().rate == 22050


def test_the_key_covers_engine_version_voice_options_and_text(
    cache: SegmentCache, espeak: EspeakEngine, piper: PiperEngine
) -> None:
    base = cache.key(espeak, "ar", SHORT)
    assert len(base) == 64
    assert cache.key(espeak, "ar", SHORT) == base
    assert cache.key(EspeakEngine(EspeakConfig(rate=151)), "ar", SHORT) != base
    assert cache.key(espeak, "ar+f2", SHORT) != base
    assert cache.key(espeak, "ar", SHORT + " ") != base
    assert cache.key(piper, "ar", SHORT) != base


def test_a_segment_without_audio_is_a_valid_zero_frame_clip(cache: SegmentCache) -> None:
    stored = cache.put("0" * 64, [], rate_if_empty=24000)
    assert (stored.frames, stored.rate, stored.path.suffix) == (0, 24000, ".wav")
    assert cache.get("0" * 64) == stored
    clip = stored.load()
    assert clip.frames == 0 and clip.rate == 24000


def test_one_segment_at_two_rates_is_refused(cache: SegmentCache) -> None:
    with pytest.raises(EngineError, match="at 22050 and at 24000 Hz"):
        cache.put("1" * 64, [_tone(0.1), _tone(0.1, 24000)])
    assert not list(cache.root.rglob("*.tmp"))


def _damage_truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _damage_flip_audio(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) * 2 // 3] ^= 0xFF
    path.write_bytes(bytes(data))


def _damage_flip_header(path: Path) -> None:
    # Bytes 24-27 are the WAV's sample rate: still a playable file, but at the wrong speed.
    data = bytearray(path.read_bytes())
    data[25] ^= 0x10
    path.write_bytes(bytes(data))


def _damage_garbage(path: Path) -> None:
    path.write_bytes(b"not audio at all")


@pytest.mark.parametrize(
    "damage", [_damage_truncate, _damage_flip_audio, _damage_flip_header, _damage_garbage]
)
def test_a_damaged_entry_is_detected_and_removed(cache: SegmentCache, damage) -> None:  # type: ignore[no-untyped-def]
    stored = cache.put("2" * 64, [_tone(1.0), _tone(0.5)])
    damage(stored.path)
    assert cache.get("2" * 64) is None
    assert not stored.path.exists()
    assert cache.stats() == CacheStats(entries=0, bytes=0, hits=0, misses=1)


def test_a_clip_whose_file_vanished_reports_an_audio_error(cache: SegmentCache) -> None:
    stored = cache.put("3" * 64, [_tone(0.2)])
    stored.path.unlink()
    with pytest.raises(AudioError, match="cannot be read"):
        stored.load()


def test_stats_count_entries_bytes_hits_and_misses_and_clear_empties(cache: SegmentCache) -> None:
    first = cache.put("4" * 64, [_tone(0.3)])
    second = cache.put("5" * 64, [_tone(0.6)])
    assert cache.get("4" * 64) is not None
    assert cache.get("6" * 64) is None
    size = first.path.stat().st_size + second.path.stat().st_size
    assert cache.stats() == CacheStats(entries=2, bytes=size, hits=1, misses=1)
    assert cache.clear() == 2
    assert cache.stats().entries == 0
    assert cache.get("4" * 64) is None


def _age(path: Path, seconds_ago: float) -> None:
    then = time.time() - seconds_ago
    os.utime(path, (then, then))


def test_least_recently_used_entries_are_evicted_beyond_the_limit(tmp_path: Path) -> None:
    probe = SegmentCache(tmp_path / "probe", 1 << 30).put("f" * 64, [_tone(1.0)])
    entry_size = probe.path.stat().st_size
    cache = SegmentCache(tmp_path / "speech", int(entry_size * 3.5))
    keys = [f"{i}" * 64 for i in range(3)]
    for age, key in zip((300, 200, 100), keys, strict=True):
        _age(cache.put(key, [_tone(1.0)]).path, age)
    assert cache.get(keys[0]) is not None  # the oldest, used again: now the most recent
    cache.put("a" * 64, [_tone(1.0)])
    stats = cache.stats()
    assert stats.bytes <= cache.max_bytes
    assert cache.get(keys[1]) is None  # least recently used
    assert cache.get(keys[0]) is not None
    assert cache.get("a" * 64) is not None


def test_a_new_entry_larger_than_the_whole_limit_is_kept(tmp_path: Path) -> None:
    cache = SegmentCache(tmp_path / "speech", 1000)
    old = cache.put("7" * 64, [_tone(0.01)])
    big = cache.put("8" * 64, [_tone(2.0)])
    assert big.path.exists()
    assert not old.path.exists()


def test_abandoned_temporary_files_are_cleaned_but_fresh_ones_kept(cache: SegmentCache) -> None:
    stored = cache.put("9" * 64, [_tone(0.1)])
    stale = stored.path.parent / ".999999999999-abandoned.tmp"
    fresh = stored.path.parent / ".999999999999-writing.tmp"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"x")
    _age(stale, 7200)
    assert cache.stats().entries == 1
    assert not stale.exists()
    assert fresh.exists()


def test_an_unwritable_cache_is_an_audio_error(tmp_path: Path) -> None:
    blocker = tmp_path / "speech"
    blocker.write_text("a file where the cache folder should be")
    expected = f"^The segment cache in {re.escape(str(blocker))} cannot be written"
    with pytest.raises(AudioError, match=expected):
        SegmentCache(blocker, 1 << 20).put("a" * 64, [_tone(0.1)])
