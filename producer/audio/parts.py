"""The podcast episode in parts: mastered and encoded stretch by stretch, cached, then joined.

The programme is planned on the MP3 frame grid and cut in its pauses (see assemble); each part is
mastered alone — every item is levelled on its own, so a part sounds the same whatever surrounds
it — and encoded once into MP3 frames (see mp3). A part is stored under a key of everything that
went into it: its sources' digests, their places, gains and fades, the target and the encoder.
A re-render after an edit encodes only the parts the edit touched and joins the rest as they
are; no audio is ever decoded and encoded again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import astuple, dataclass, replace
from itertools import pairwise
from pathlib import Path

from producer.audio import mp3
from producer.audio.assemble import Timeline
from producer.audio.master import Deliverable, master
from producer.errors import AudioError
from producer.filecache import FileCache, entry_crc
from producer.models import Samples
from producer.settings import Settings

# 2: mastered to the mono loudness that plays at the target; 3: checked by CRC-32 (a re-render
# looks up every part, and CRC-32 catches damage at under half blake2b's cost).
_FORMAT = "producer-part/3"
_SUFFIX = ".part"
# Parts shorter than this are joined with the next: each costs an encoder and a limiter start,
# and an edit re-encodes about this much around it. Shorter parts (10 s) would take ~0.05 s off
# a re-render after a one-word edit, but put more joins where an item starts right at the cut
# (a stinger), where MP3's overlap spreads a faint pre-echo (-48 dBFS) a whole frame back.
MIN_PART_SECONDS = 30.0


@dataclass(frozen=True)
class Part:
    """A stretch of the programme from `start`; its placements are relative to `start`."""

    start: int
    programme: Timeline
    last: bool

    @property
    def fed(self) -> int:
        """Samples fed to the encoder: all but the last frame's worth of silence, which the
        encoder's delay and padding make up, so the frames fill the part exactly. The episode's
        last part is fed whole; the Info frame tells players how much padding follows it."""
        return self.programme.frames if self.last else self.programme.frames - mp3.FRAME


def split(programme: Timeline, *, min_seconds: float = MIN_PART_SECONDS) -> list[Part]:
    """The programme cut at its breaks, and in between at the first cut `min_seconds` or more
    after the previous one (all on the MP3 frame grid).

    Between two breaks the choice depends only on what lies since the first of them, so an edit
    changes the parts of its own story alone.
    """
    candidates = [0, *programme.cuts, programme.frames]
    if any(b % mp3.FRAME for b in candidates[:-1]) or candidates != sorted(set(candidates)):
        raise ValueError("cuts must be increasing multiples of the MP3 frame inside the programme")
    shortest = round(min_seconds * programme.rate)
    bounds = [0]
    breaks = set(programme.breaks)
    for cut in programme.cuts:
        if cut in breaks or cut - bounds[-1] >= shortest:
            bounds.append(cut)
    bounds.append(programme.frames)
    placements = sorted(programme.placements, key=lambda p: p.start)
    parts, index = [], 0
    for number, (start, end) in enumerate(pairwise(bounds)):
        inside = []
        while index < len(placements) and placements[index].start < end:
            p = placements[index]
            if p.end > end - (mp3.FRAME if end != programme.frames else 0):
                raise ValueError(f"the {p.label or 'source'} at {p.start} runs over the cut at {end}")
            inside.append(replace(p, start=p.start - start))
            index += 1
        local = Timeline(programme.rate, end - start, tuple(inside))
        parts.append(Part(start, local, number == len(bounds) - 2))
    return parts


def part_key(part: Part, target: Deliverable) -> str:
    """A digest of everything that decides the part's encoded frames."""
    placements = [
        [
            p.source.identity(),
            p.start,
            p.frames,
            p.gain,
            p.fade_in,
            p.fade_out,
            astuple(p.ducking) if p.ducking else None,
        ]
        for p in part.programme.placements
    ]
    material = [_FORMAT, mp3.encoder_id(), astuple(target), part.programme.frames, part.last, placements]
    return hashlib.sha256(json.dumps(material).encode()).hexdigest()


class PartCache(FileCache):
    """Encoded parts: a one-line JSON header (frames, CRC-16, CRC-32), then the MP3 frames."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        super().__init__(root, max_bytes, (_SUFFIX,))

    def get(self, key: str) -> mp3.Stretch | None:
        """The part stored under `key` if present and intact; a damaged one is deleted."""
        path = self.path(key, _SUFFIX)
        stretch = self.read(path, lambda data: _checked(path, data))
        self.found(stretch is not None)
        return stretch

    def put(self, key: str, data: bytes) -> mp3.Stretch:
        frames, crc = mp3.count_frames(data), mp3.crc16(data)
        fields = {"format": _FORMAT, "frames": frames, "crc": crc, "crc32": entry_crc(data, frames, crc)}
        header = json.dumps(fields).encode() + b"\n"
        path = self.path(key, _SUFFIX)

        def write(name: str) -> None:
            with open(name, "wb") as out:
                out.write(header)
                out.write(data)

        try:
            self.write(path, write)
        except OSError as exc:
            raise AudioError(f"The encoded parts in {self.root} cannot be written: {exc}.") from exc
        return mp3.Stretch(path, len(header), len(data), frames, crc)


def open_part_cache(settings: Settings) -> PartCache:
    """The encoded parts of episodes, beside the voiced segments in the cache folder."""
    return PartCache(settings.cache_dir / "parts", settings.cache_max_mb * 1024 * 1024)


def _checked(path: Path, data: bytes) -> mp3.Stretch | None:
    header, newline, frames = data.partition(b"\n")
    try:
        fields = json.loads(header)
        count, crc = int(fields["frames"]), int(fields["crc"])
        if not newline or fields.get("format") != _FORMAT or fields["crc32"] != entry_crc(frames, count, crc):
            return None
        return mp3.Stretch(path, len(header) + 1, len(frames), count, crc)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def encode_part(part: Part, target: Deliverable) -> bytes:
    """The part mastered and encoded into MP3 frames that fill it exactly."""

    def fed() -> Iterator[Samples]:
        left = part.fed
        for block in master(part.programme, target):
            yield block[:left]
            left -= min(left, len(block))

    data = mp3.encode_mp3(_made_ahead(fed()), target.rate)
    expected = part.programme.frames // mp3.FRAME if not part.last else mp3.frames_for(part.fed)
    if mp3.count_frames(data) != expected:
        raise AudioError("the MP3 encoder did not frame the programme as planned")
    return data


def _made_ahead(blocks: Iterator[Samples], depth: int = 4) -> Iterator[Samples]:
    """`blocks` made in a helper thread, up to `depth` ahead of the caller.

    Mastering (numpy) and LAME both release the GIL, so a part's two stages run on two cores: a
    re-render after a one-word edit waits on the one part it changed (mixing and limiting ~30 ms,
    LAME ~100 ms for 40 s). A caller that stops early stops the helper too.
    """
    made: queue.Queue[Samples | BaseException | None] = queue.Queue(depth)  # None: the end
    stop = threading.Event()

    def make() -> None:
        outcome: BaseException | None = None
        try:
            for block in blocks:
                if stop.is_set():
                    return
                made.put(block)
        except BaseException as exc:  # handed to the caller, which raises it
            outcome = exc
        made.put(outcome)

    helper = threading.Thread(target=make, name="part-master", daemon=True)
    helper.start()
    try:
        while (item := made.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while helper.is_alive():  # a helper blocked on a full queue gets its room and sees `stop`
            with contextlib.suppress(queue.Empty):
                made.get(timeout=0.05)


class PartEncoder:
    """Encodes each part once, in a pool of threads, into `cache` (where found, not at all).

    The build submits the parts of stories already voiced while the rest is still being voiced,
    then all the programme's parts: a part submitted twice (same key) is encoded once.
    Threads: LAME and most of mastering (numpy) run without the GIL.
    """

    def __init__(self, target: Deliverable, cache: PartCache, *, workers: int) -> None:
        self.target, self.cache = target, cache
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers))
        self._lock = threading.Lock()
        self._futures: dict[str, Future[mp3.Stretch]] = {}

    def __enter__(self) -> PartEncoder:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop: parts not started are dropped, those being encoded are finished."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    @property
    def submitted(self) -> frozenset[str]:
        """The keys of every part asked for so far."""
        with self._lock:
            return frozenset(self._futures)

    def submit(self, part: Part) -> Future[mp3.Stretch]:
        key = part_key(part, self.target)
        with self._lock:
            future = self._futures.get(key)
            if future is None:
                # Looked up in the pool too: reading and checking a part releases the GIL, and a
                # re-render looks up every part of the programme while the edit is voiced.
                future = self._pool.submit(self._found_or_encoded, key, part)
                self._futures[key] = future
            return future

    def _found_or_encoded(self, key: str, part: Part) -> mp3.Stretch:
        return self.cache.get(key) or self.cache.put(key, encode_part(part, self.target))


def encode_parts(
    parts: Sequence[Part],
    encoder: PartEncoder,
    *,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[mp3.Stretch]:
    """Every part's frames, from the cache or work already under way where there, else encoded
    (longest first, in parallel)."""
    order = sorted(range(len(parts)), key=lambda i: parts[i].programme.frames, reverse=True)
    places: dict[Future[mp3.Stretch], list[int]] = {}
    for i in order:
        places.setdefault(encoder.submit(parts[i]), []).append(i)
    report = on_progress or (lambda _done, _total: None)
    found: dict[int, mp3.Stretch] = {}
    for future in as_completed(places):
        stretch = future.result()
        found.update((i, stretch) for i in places[future])
        report(len(found), len(parts))
    return [found[i] for i in range(len(parts))]
