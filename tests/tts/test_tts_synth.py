from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fake_google import FakeGoogle
from tts_support import LONG, MEDIUM, SHORT, CountingEngine, rms

from producer.errors import EngineError
from producer.tts.base import AudioChunk
from producer.tts.cache import SegmentCache
from producer.tts.espeak import EspeakEngine
from producer.tts.gtts import GttsConfig, GttsEngine
from producer.tts.piper import PiperEngine
from producer.tts.synth import Preparation, synthesize_segments

STORY = [SHORT, MEDIUM, LONG, "وفي الختام نتمنى لكم يوماً سعيداً."]


def _samples(clips) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    return [clip.load().samples for clip in clips]


def test_clips_come_back_in_input_order_and_a_rerun_skips_the_engine(
    cache: SegmentCache, espeak: EspeakEngine
) -> None:
    engine = CountingEngine(espeak)
    texts = [MEDIUM, SHORT, MEDIUM, "   ", LONG]
    first = synthesize_segments(engine, texts, voice=None, cache=cache, workers=2)
    assert sorted(engine.calls) == sorted([MEDIUM, SHORT, LONG])  # the repeat and the blank are not voiced
    assert [clip.frames > 0 for clip in first] == [True, True, True, False, True]
    assert first[0] == first[2]
    assert first[1].frames < first[0].frames < first[4].frames
    assert first[3].rate == 22050

    second = synthesize_segments(engine, texts, voice=None, cache=cache, workers=2)
    assert len(engine.calls) == 3
    assert second == first
    for before, after in zip(_samples(first), _samples(second), strict=True):
        assert np.array_equal(before, after)
    assert cache.stats().hits == 4


def test_editing_one_segment_voices_only_that_one(cache: SegmentCache, espeak: EspeakEngine) -> None:
    engine = CountingEngine(espeak)
    synthesize_segments(engine, STORY, voice="ar", cache=cache, workers=1)
    edited = [*STORY]
    edited[2] = LONG.replace("جسر ثانٍ", "نفق")
    clips = synthesize_segments(engine, edited, voice="ar", cache=cache, workers=1)
    assert engine.calls[len(STORY) :] == [edited[2]]
    assert all(rms(samples) > 0.02 for samples in _samples(clips))


def test_a_damaged_entry_is_voiced_again(cache: SegmentCache, espeak: EspeakEngine) -> None:
    engine = CountingEngine(espeak)
    clips = synthesize_segments(engine, STORY, voice=None, cache=cache, workers=1)
    data = clips[1].path.read_bytes()
    clips[1].path.write_bytes(data[: len(data) - 100])
    again = synthesize_segments(engine, STORY, voice=None, cache=cache, workers=1)
    assert engine.calls[len(STORY) :] == [STORY[1]]
    assert again[1].frames > 0
    assert len(again[1].load().samples) == again[1].frames


def test_progress_reports_every_segment(cache: SegmentCache, espeak: EspeakEngine) -> None:
    seen: list[tuple[int, int]] = []
    synthesize_segments(
        espeak,
        [SHORT, SHORT, MEDIUM],
        voice=None,
        cache=cache,
        workers=1,
        on_progress=lambda d, t: seen.append((d, t)),
    )
    assert seen[-1] == (3, 3)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert {total for _, total in seen} == {3}


def test_espeak_segments_are_voiced_in_worker_processes(cache: SegmentCache, espeak: EspeakEngine) -> None:
    texts = [f"{LONG} الفقرة {i}." for i in range(20)]  # enough text to start a worker process
    assert sum(map(len, texts)) > 6000
    clips = synthesize_segments(espeak, texts, voice=None, cache=cache, workers=2)
    assert len(clips) == 20
    assert all(clip.rate == 22050 and clip.frames > 5 * 22050 for clip in clips)
    keys = [cache.key(espeak, "ar", text) for text in texts]
    assert [cache.get(key) for key in keys] == clips


def _shorten(texts: list[str]) -> list[str]:
    return [text.split(".")[0] + "." for text in texts]


def test_worker_processes_prepare_the_texts_they_voice(cache: SegmentCache, espeak: EspeakEngine) -> None:
    texts = [f"نعم. {LONG} الفقرة {i}." for i in range(20)]  # every text prepared down to "نعم."
    clips = synthesize_segments(
        espeak, texts, voice=None, cache=cache, workers=2, prepare=Preparation("first-sentence", _shorten)
    )
    reference = synthesize_segments(espeak, ["نعم."], voice=None, cache=cache, workers=1)[0]
    # espeak's timing varies by a few hundred frames with what a process voiced before (2.5 % of
    # this short word at the default pace); the unprepared text would be ten times as long.
    assert all(abs(clip.frames - reference.frames) < 0.05 * reference.frames for clip in clips)
    keys = [cache.key(espeak, "ar", text + "\x00first-sentence") for text in texts]
    assert [cache.get(key) for key in keys] == clips


# Module-level, so that worker processes started by a forkserver can unpickle the preparation.
_LOADS: list[str] = []


def _note_load() -> None:
    _LOADS.append("load")


def test_the_preparation_loads_ahead_only_for_misses_voiced_in_this_process(
    cache: SegmentCache, espeak: EspeakEngine
) -> None:
    """A re-render with a few misses starts loading the model while the cache is read; a build
    with nothing to voice does not load it, and one voiced by forked workers does not start a
    thread before the fork."""
    loads = _LOADS
    loads.clear()

    def run(texts: list[str]) -> None:
        prepare = Preparation("first-sentence", _shorten, load_ahead=_note_load)
        synthesize_segments(espeak, texts, voice=None, cache=cache, workers=2, prepare=prepare)

    run([SHORT, MEDIUM])
    assert loads == ["load"]
    run([SHORT, MEDIUM])
    assert loads == ["load"]  # all found
    run([SHORT, MEDIUM, f"{SHORT} الفقرة الثالثة."])
    assert loads == ["load", "load"]
    many = [f"نعم. {LONG} الفقرة {i}." for i in range(20)]
    assert sum(map(len, many)) > 6000  # voiced with worker processes
    run(many)
    assert loads == ["load", "load"]


def test_piper_segments_go_through_the_cache(cache: SegmentCache, piper: PiperEngine) -> None:
    clips = synthesize_segments(piper, STORY, voice=None, cache=cache, workers=2)
    assert all(clip.rate == 22050 and clip.frames > 0 for clip in clips)
    assert cache.stats().entries == len(STORY)


def test_gtts_segments_share_one_bound_on_requests_in_flight(cache: SegmentCache) -> None:
    with FakeGoogle() as google, GttsEngine(GttsConfig(base_url=google.base_url, concurrency=2)) as engine:
        clips = synthesize_segments(engine, STORY, voice=None, cache=cache, workers=4)
    assert all(clip.rate == 24000 and clip.frames > 0 for clip in clips)
    assert google.max_in_flight <= 2


class _FailingEngine(CountingEngine):
    def synthesize(self, text: str, voice: str | None = None) -> Iterator[AudioChunk]:
        if text == MEDIUM:
            raise RuntimeError("voice model crashed")
        return super().synthesize(text, voice)


def test_an_engine_failure_is_reported_and_leaves_nothing_half_written(
    cache: SegmentCache, espeak: EspeakEngine
) -> None:
    with pytest.raises(EngineError, match=r"^The espeak engine failed: voice model crashed\.$"):
        synthesize_segments(_FailingEngine(espeak), STORY, voice=None, cache=cache, workers=2)
    assert not list(cache.root.rglob("*.tmp"))
    assert cache.get(cache.key(espeak, "ar", MEDIUM)) is None


def _render(root: str, barrier) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    barrier.wait()  # both processes write the same entries at the same moment
    clips = synthesize_segments(
        EspeakEngine(), STORY * 2, voice=None, cache=SegmentCache(Path(root), 1 << 30), workers=1
    )
    return [(clip.frames, clip.rate) for clip in clips]


def test_two_processes_sharing_one_cache_both_succeed(cache: SegmentCache, espeak: EspeakEngine) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Manager().Barrier(2)
    with context.Pool(2) as pool:
        results = pool.starmap(_render, [(str(cache.root), barrier)] * 2)
    assert all(len(result) == 2 * len(STORY) for result in results)
    assert all(frames > 0 and rate == 22050 for result in results for frames, rate in result)
    assert cache.stats().entries == len(STORY)
    assert not list(cache.root.rglob("*.tmp"))
    for text in STORY:
        assert cache.get(cache.key(espeak, "ar", text)) is not None


def test_a_streamed_segment_comes_sentence_by_sentence_and_is_cached_as_a_render_voices_it(
    cache: SegmentCache, espeak: EspeakEngine
) -> None:
    from producer.tts.synth import voice_streaming

    text = f"{SHORT} {MEDIUM}"  # three sentences
    chunks: list[AudioChunk] = []
    clip = voice_streaming(espeak, text, voice=None, cache=cache, on_chunk=chunks.append)
    # The first sentence is handed on alone, before the next is voiced.
    assert len(chunks) == 3
    alone = b"".join(c.samples.tobytes() for c in espeak.synthesize(SHORT))
    assert abs(len(chunks[0].samples) - len(alone) // 4) < 0.05 * len(alone) // 4
    assert clip.frames == sum(len(c.samples) for c in chunks)
    # The render finds it in the cache, and a second preview gets it whole from there.
    engine = CountingEngine(espeak)
    (rendered,) = synthesize_segments(engine, [text], voice=None, cache=cache, workers=1)
    assert rendered == clip and engine.calls == []
    again: list[AudioChunk] = []
    assert voice_streaming(engine, text, voice=None, cache=cache, on_chunk=again.append) == clip
    assert engine.calls == [] and len(again) == 1 and len(again[0].samples) == clip.frames
