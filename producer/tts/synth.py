"""Voicing a list of segments: cache lookups first, then only the misses, in parallel.

Workers write their clips straight into the cache and hand back only its small `SpeechClip`
reference, so no audio crosses a process boundary and a long programme never sits in memory.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    as_completed,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass

from producer.errors import EngineError, ProducerError
from producer.tts.base import AudioChunk, Engine
from producer.tts.cache import DEFAULT_RATE, SegmentCache, SpeechClip

# Below this much text, worker processes cost about what they save: the first pool waits for a
# forkserver that imports the program (0.2-0.4 s here), while espeak-ng voices and stores ~6,000
# characters in ~0.6 s. Measured on the 2-core box: 3,000 characters 0.8 s alone vs 1.0 s with a
# worker; 24,000 characters 6.1 s alone vs 3.5 s with a worker.
_MIN_CHARS_FOR_PROCESSES = 6000

ProgressCallback = Callable[[int, int], None]
# Told the inputs' positions and clips as soon as they are known: those found in the cache in one
# call, then each one voiced.
VoicedCallback = Callable[[Sequence[tuple[int, SpeechClip]]], None]


@dataclass(frozen=True)
class Preparation:
    """A text transform the engine's input needs (diacritization), applied to cache misses only.

    `name` identifies the transform and its model in the cache key, so the costly step is skipped
    for every segment already voiced, and a new model re-voices everything. `apply` runs on each
    text where it is voiced, so preparing and voicing share the cores; for an engine voicing in
    processes it must pickle, and each process applies its own copy.
    """

    name: str
    apply: Callable[[list[str]], list[str]]
    # Starts loading what `apply` needs (a model) in the background, when this process will apply it.
    load_ahead: Callable[[], None] | None = None


def synthesize_segments(
    engine: Engine,
    texts: Sequence[str],
    *,
    voice: str | None,
    cache: SegmentCache,
    workers: int,
    on_progress: ProgressCallback | None = None,
    prepare: Preparation | None = None,
    on_voiced: VoicedCallback | None = None,
    in_order: bool = False,
) -> list[SpeechClip]:
    """One cached clip per text, in input order; only texts missing from the cache reach the engine.

    Missing texts are voiced longest first, which keeps the workers evenly busy to the end; with
    `in_order` they are voiced in input order instead, so a caller that works on what is voiced
    (`on_voiced`) gets whole stretches of its input early.
    """
    voice = voice or engine.default_voice()
    spoken = [text.strip() for text in texts]
    keys = cache.keys(engine, voice, [_prepared_text(text, prepare) for text in spoken])
    text_of = dict(zip(keys, spoken, strict=True))  # identical segments are voiced once
    uses = Counter(keys)
    positions: dict[str, list[int]] = {}
    for position, key in enumerate(keys):
        positions.setdefault(key, []).append(position)
    clips: dict[str, SpeechClip] = {}
    done = 0
    if prepare is not None and prepare.load_ahead is not None:
        # Which entries exist is known at once; reading and checking them takes a while (~30 ms
        # for a 50-minute bulletin), which the model's load (~70 ms) can fill. Not when workers
        # will be forked: then this process must have no other thread.
        absent = [text for key, text in text_of.items() if text and not cache.present(key)]
        if absent and not _in_processes(engine, workers, absent):
            prepare.load_ahead()

    def all_finished(known: list[tuple[str, SpeechClip]]) -> None:
        nonlocal done
        for key, clip in known:
            clips[key] = clip
            done += uses[key]
        if on_voiced is not None and known:
            on_voiced([(position, clip) for key, clip in known for position in positions[key]])
        if on_progress is not None:
            on_progress(done, len(texts))

    def finished(key: str, clip: SpeechClip) -> None:
        all_finished([(key, clip)])

    # Lookups read and check every entry; reading and the CRC release the GIL, so threads help.
    # What they find is told in one call: a re-render finds most of a bulletin at once.
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        looked_up = zip(text_of, pool.map(cache.get, text_of), strict=True)
        all_finished([(key, found) for key, found in looked_up if found is not None])

    missing = [(key, text) for key, text in text_of.items() if key not in clips and text]
    if not in_order:
        # Longest first, so the last busy worker is not left with a long segment.
        missing.sort(key=lambda job: len(job[1]), reverse=True)
    _voice_missing(engine, missing, voice, prepare, cache, workers, finished)

    empty = [key for key, text in text_of.items() if key not in clips]
    if empty:
        rate = next(iter(clips.values())).rate if clips else DEFAULT_RATE
        for key in empty:
            finished(key, cache.put(key, [], rate_if_empty=rate))
    return [clips[key] for key in keys]


def _key(engine: Engine, voice: str, text: str, cache: SegmentCache, prepare: Preparation | None) -> str:
    """A segment's cache key; the preparation's name is part of it (see Preparation)."""
    return cache.key(engine, voice, _prepared_text(text, prepare))


def _prepared_text(text: str, prepare: Preparation | None) -> str:
    return text + (f"\x00{prepare.name}" if prepare else "")


def voice_streaming(
    engine: Engine,
    text: str,
    *,
    voice: str | None,
    cache: SegmentCache,
    on_chunk: Callable[[AudioChunk], None],
    prepare: Preparation | None = None,
) -> SpeechClip:
    """One segment, each chunk handed to `on_chunk` as soon as it is voiced (the engine's first
    sentence or clause first) and the whole stored in the cache as `synthesize_segments` stores
    it; a segment already in the cache is handed over in one chunk."""
    voice = voice or engine.default_voice()
    text = text.strip()
    key = _key(engine, voice, text, cache, prepare)
    found = cache.get(key)
    if found is not None:
        if found.frames:
            clip = found.load()
            on_chunk(AudioChunk(clip.samples, clip.rate))
        return found
    if not text:
        return cache.put(key, [])
    (prepared,) = prepare.apply([text]) if prepare is not None else (text,)

    def passed_on() -> Iterator[AudioChunk]:
        for chunk in engine.synthesize(prepared, voice):
            on_chunk(chunk)
            yield chunk

    with _reported(engine):
        return cache.put(key, passed_on())


def _voice_missing(
    engine: Engine,
    jobs: list[tuple[str, str]],
    voice: str,
    prepare: Preparation | None,
    cache: SegmentCache,
    workers: int,
    finished: Callable[[str, SpeechClip], None],
) -> None:
    """Voice `jobs` (longest first) into the cache, calling `finished` as each is stored."""
    workers = min(workers, len(jobs))
    if engine.concurrency == "threads" and workers > 1:
        _voice_with_threads(engine, jobs, voice, prepare, cache, workers, finished)
    elif _in_processes(engine, workers, [text for _, text in jobs]):
        _voice_with_processes(engine, jobs, voice, prepare, cache, workers, finished)
    else:
        for key, text in jobs:
            with _reported(engine):
                clip = _voice_one(engine, cache, key, text, voice, prepare)
            finished(key, clip)


def _in_processes(engine: Engine, workers: int, texts: Sequence[str]) -> bool:
    """Whether `texts` are voiced with worker processes."""
    return (
        engine.concurrency == "processes"
        and min(workers, len(texts)) > 1
        and sum(map(len, texts)) >= _MIN_CHARS_FOR_PROCESSES
    )


def _voice_with_threads(
    engine: Engine,
    jobs: list[tuple[str, str]],
    voice: str,
    prepare: Preparation | None,
    cache: SegmentCache,
    workers: int,
    finished: Callable[[str, SpeechClip], None],
) -> None:
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        futures = {
            pool.submit(_voice_one, engine, cache, key, text, voice, prepare): key for key, text in jobs
        }
        for future in as_completed(futures):
            with _reported(engine):
                clip = future.result()
            finished(futures[future], clip)
    finally:
        # On an error, drop the queued segments instead of voicing them for nothing.
        pool.shutdown(wait=True, cancel_futures=True)


def _voice_with_processes(
    engine: Engine,
    jobs: list[tuple[str, str]],
    voice: str,
    prepare: Preparation | None,
    cache: SegmentCache,
    workers: int,
    finished: Callable[[str, SpeechClip], None],
) -> None:
    """This process voices from the end of the queue (the shortest segments, longest first) while
    `workers - 1` worker processes take from its front: voicing starts at once, and the workers
    help as soon as they are up."""
    children = workers - 1
    queue = deque(jobs)
    in_flight: dict[Future[SpeechClip], str] = {}
    pool = ProcessPoolExecutor(
        children,
        mp_context=_worker_context(engine, prepare),
        initializer=_init_worker,
        initargs=(engine, cache, prepare),
    )
    try:
        while queue or in_flight:
            # Two jobs per worker keep it busy while this process voices one; near the end, one
            # each, so that no job waits behind a busy worker while this process has none left.
            while queue and len(in_flight) < (2 * children if len(queue) > 2 * children else children):
                key, text = queue.popleft()
                in_flight[pool.submit(_voice_in_worker, key, text, voice)] = key
            if queue:
                key, text = queue.pop()
                with _reported(engine):
                    clip = _voice_one(engine, cache, key, text, voice, prepare)
                finished(key, clip)
            else:
                wait(in_flight, return_when=FIRST_COMPLETED)
            for future in [future for future in in_flight if future.done()]:
                with _reported(engine):
                    clip = future.result()
                finished(in_flight.pop(future), clip)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _worker_context(engine: Engine, prepare: Preparation | None) -> multiprocessing.context.BaseContext:
    """fork while this process runs no other thread (a CLI build): the workers start at once with
    everything already imported and loaded, where a forkserver first starts and imports the program
    (~0.3 s of CPU and of waiting). Otherwise forkserver: workers start from a clean process, never
    from a copy of a threaded parent (a web server, a worker) that may hold locks or be inside
    the engine's library."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    # Preloading __main__ spares each worker from importing the program's main module again, and
    # the engine's and the preparation's modules from importing them as the first job waits.
    preload = ["__main__", type(engine).__module__]
    if prepare is not None:
        preload.append(type(prepare.apply).__module__)
    context.set_forkserver_preload(preload)
    return context


@contextmanager
def _reported(engine: Engine) -> Iterator[None]:
    """Let the project's errors through; report anything else as this engine's failure."""
    try:
        yield
    except ProducerError:
        raise
    except BrokenProcessPool as exc:
        raise EngineError(f"A {engine.name} worker process died while voicing the bulletin.") from exc
    except Exception as exc:
        raise EngineError(f"The {engine.name} engine failed: {exc}.") from exc


def _voice_one(
    engine: Engine, cache: SegmentCache, key: str, text: str, voice: str, prepare: Preparation | None
) -> SpeechClip:
    if prepare is not None:
        (text,) = prepare.apply([text])
    return cache.put(key, engine.synthesize(text, voice))


# Each worker process keeps its own engine (its own libespeak-ng), cache handle and preparation
# (its own model, loaded once).
_worker_engine: Engine | None = None
_worker_cache: SegmentCache | None = None
_worker_prepare: Preparation | None = None


def _init_worker(engine: Engine, cache: SegmentCache, prepare: Preparation | None) -> None:
    global _worker_engine, _worker_cache, _worker_prepare
    _worker_engine, _worker_cache, _worker_prepare = engine, cache, prepare


def _voice_in_worker(key: str, text: str, voice: str) -> SpeechClip:
    assert _worker_engine is not None and _worker_cache is not None, "worker not initialized"
    return _voice_one(_worker_engine, _worker_cache, key, text, voice, _worker_prepare)
