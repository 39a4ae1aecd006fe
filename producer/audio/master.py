"""Mastering: every item brought to the target loudness, then a true-peak limiter over the mix.

Each source on the timeline (a voiced segment, a jingle, the bed) is measured on its own
(BS.1770-4 integrated loudness, gated over 100 ms energies) and given the gain that lands it on
the target once limited: its per-chunk energies and peaks foresee what the look-ahead limiter
will take off. Items levelled alike make a programme at the target too, and one whose sound
does not depend on its neighbours, so a stretch of it can be mastered and encoded alone and
reused when only another story changes. The mix is then rendered block by block through the
limiter. Sources measured first stay loaded for the mix up to `_KEEP_FRAMES` in all (16 MB, a
part of an episode fits); the others are loaded again when the mix reaches them, so a whole
programme holds those, the sources the current block plays and a block or two of audio at a time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from producer.audio.assemble import Timeline, load_planned, render_blocks
from producer.audio.meter import (
    DUAL_MONO_LU,
    Interpolator,
    LoudnessMeter,
    TruePeakMeter,
    chunk_max,
    gated_loudness,
)
from producer.audio.meter import lufs as _lufs
from producer.models import AudioSource, Clip, Samples, Target


@dataclass(frozen=True)
class Deliverable:
    """A deliverable's loudness, true-peak ceiling, rate and container.

    `lufs` is the loudness as heard: the programme is mono, and players and transmitters put it
    on both channels. The podcast MP3 is a mono file (measured alone it reads `mono_lufs`, -19
    for -16, as AES TD1004 and Apple ask); the broadcast WAV carries the two channels (see bwf),
    so every meter and playout system reads `lufs` from it as it airs.
    """

    name: Target
    lufs: float
    true_peak_db: float
    rate: int
    container: Literal["mp3", "wav"]

    @property
    def mono_lufs(self) -> float:
        """The loudness the mono programme is mastered to."""
        return self.lufs - DUAL_MONO_LU


TARGETS: dict[Target, Deliverable] = {
    Target.PODCAST: Deliverable(Target.PODCAST, -16.0, -1.0, 44100, "mp3"),
    Target.BROADCAST: Deliverable(Target.BROADCAST, -23.0, -1.0, 48000, "wav"),
}

# The limiter aims this far under the target's ceiling: independent meters oversample with other
# filters (ffmpeg's reads a little higher on sharp edges), and MP3 coding adds its own overshoot
# (measured here up to 0.7 dB on the jingles' plucks and drum hits at 96 kbps).
_HEADROOM_DB = {"mp3": 1.5, "wav": 0.5}
_MAX_MAKEUP_DB = 4.0  # at most this much more gain to make up for what the limiter takes off
_PREDICT_SUB_BLOCKS = 2048  # 100 ms sub-blocks foreseen at a time
_KEEP_FRAMES = 4_000_000  # source frames kept loaded between measuring and mixing (16 MB)


@dataclass(frozen=True)
class Loudness:
    integrated_lufs: float
    true_peak_db: float


def measure(blocks: Iterable[Samples], rate: int) -> Loudness:
    """Integrated loudness (LUFS) and 4x-oversampled true peak (dBTP) of a stream of blocks."""
    loudness, peak = LoudnessMeter(rate), TruePeakMeter()
    for block in blocks:
        loudness.feed(block)
        peak.feed(block)
    peak.flush()
    peak_db = 20.0 * math.log10(peak.peak) if peak.peak > 0 else -math.inf
    return Loudness(loudness.integrated(), peak_db)


def _envelope(needed: Samples, ramp: int, hold: int) -> Samples:
    """Per-chunk gains from per-chunk needs: never above the need of the chunk itself.

    The smallest need in [c - hold, c + ramp + 1] is held, then smoothed by a triangle reaching
    `ramp` chunks either side (two centred boxes; `ramp` is even): the gain falls over `ramp`
    chunks before a peak, stays down for the hold and rises as fast after. With hold > ramp it
    is not above the needs of the two neighbouring chunks either.
    """
    reach = ramp + 1
    held = _running_min(np.pad(needed, (hold, reach), mode="edge"), hold + reach + 1)
    return _box(_box(held, ramp // 2), ramp // 2)


def _running_min(x: Samples, width: int) -> Samples:
    """The minimum of every `width` consecutive values (len(x) - width + 1 of them).

    van Herk/Gil-Werman: within blocks of `width`, running minima from the left and from the
    right; a window spans at most two blocks, so it is the smaller of the right-running minimum
    where it starts and the left-running one where it ends. Three passes whatever the width,
    where a sliding window view compares `width` values for every output (the limiter's hold
    is ~65 chunks wide).
    """
    count = len(x)
    blocks = -(-count // width)
    padded = np.pad(x, (0, blocks * width - count), constant_values=np.inf).reshape(blocks, width)
    from_left = np.minimum.accumulate(padded, axis=1).ravel()
    from_right = np.minimum.accumulate(padded[:, ::-1], axis=1)[:, ::-1].ravel()
    return np.minimum(from_right[: count - width + 1], from_left[width - 1 : count])


def _box(x: Samples, half: int) -> Samples:
    """The mean of each value and `half` either side, the ends extended (numpy only: importing
    scipy.ndimage for its uniform filter costs a re-render ~0.2 s)."""
    sums = np.concatenate(([0.0], np.cumsum(np.pad(x, half, mode="edge"), dtype=np.float64)))
    return ((sums[2 * half + 1 :] - sums[: -2 * half - 1]) / (2 * half + 1)).astype(x.dtype)


@dataclass(frozen=True)
class LimiterTiming:
    attack: float = 0.003  # seconds the gain takes to fall before a peak
    hold: float = 0.02  # seconds it stays down after

    def chunks(self, rate: int, chunk: int) -> tuple[int, int]:
        """(ramp, hold) in chunks of `chunk` samples; the ramp is even and at least 2."""
        ramp = 2 * max(1, round(self.attack * rate / (2 * chunk)))
        return ramp, max(ramp, round(self.hold * rate / chunk))


class TruePeakLimiter:
    """A look-ahead limiter that keeps the 4x-oversampled peak under `ceiling` (linear).

    The gain is computed per chunk of CHUNK samples, each chunk needing the gain that brings its
    largest sample or interpolated value under the ceiling, then shaped by `_envelope`; samples
    take it interpolated linearly between chunk centres. As the envelope keeps every chunk's
    gain under the needs of its neighbours too, no sample gets more gain than its peak allows.
    Output lags input by the look-ahead; `flush` returns the rest.
    """

    CHUNK = 16

    def __init__(self, rate: int, ceiling: float, timing: LimiterTiming = LimiterTiming()) -> None:
        self._interp = Interpolator()
        self._ceiling = ceiling
        self._ramp, hold = timing.chunks(rate, self.CHUNK)
        self._hold = hold + 1  # one more for the interpolation between chunk centres
        # Chunks of context around those emitted: the smoothing, the hold, the interpolation
        # between chunk centres and the interpolator's margin.
        self._behind_chunks = self._ramp + self._hold + 3
        self._ahead_chunks = 2 * self._ramp + 4
        self._buffer = np.zeros(self._behind_chunks * self.CHUNK, np.float32)

    def process(self, block: Samples) -> Samples:
        self._buffer = np.concatenate((self._buffer, block.astype(np.float32, copy=False)))
        ready = len(self._buffer) - (self._behind_chunks + self._ahead_chunks) * self.CHUNK
        return self._emit(ready - ready % self.CHUNK)

    def flush(self) -> Samples:
        pending = len(self._buffer) - self._behind_chunks * self.CHUNK
        pad = self._ahead_chunks * self.CHUNK + (-pending) % self.CHUNK
        return self.process(np.zeros(pad, np.float32))[:pending]

    def _emit(self, count: int) -> Samples:
        if count <= 0:
            return np.zeros(0, np.float32)
        buf, lo = self._buffer, self._behind_chunks * self.CHUNK
        out = buf[lo : lo + count] * self._gain(buf, lo, lo + count)
        self._buffer = buf[count:]
        return out.astype(np.float32, copy=False)

    def _gain(self, buf: Samples, lo: int, hi: int) -> Samples | float:
        q, ceiling = self.CHUNK, self._ceiling
        usable = len(buf) - len(buf) % q  # what lies beyond the context needed waits
        magnitude = np.abs(buf[:usable])
        if magnitude.max(initial=0.0) * self._interp.bound <= ceiling:
            return 1.0
        # Largest sample or interpolated value touching each chunk.
        peaks = chunk_max(magnitude, q)
        margin = Interpolator.MARGIN
        # With chunks of the interpolator's margin, the candidates' chunks are these very ones.
        maxima = peaks if q == margin else None
        centres = self._interp.candidates(magnitude, ceiling, margin, usable - margin, maxima)
        if len(centres):
            values = self._interp.between(buf, centres)
            # The value between j and j + 1 bounds the gain of both samples.
            for owner in (centres // q, (centres + 1) // q):
                starts = np.flatnonzero(np.diff(owner, prepend=-1))
                np.maximum.at(peaks, owner[starts], np.maximum.reduceat(values, starts))
        if peaks.max() <= ceiling:
            return 1.0
        needed = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12))
        smooth = _envelope(needed, self._ramp, self._hold)
        # Linear between chunk centres (j*q + (q-1)/2): sample j*q + q/2 + i, 0 <= i < q, lies
        # (i + 1/2)/q of the way from centre j to centre j + 1. A row per pair of centres, from
        # the pair around `lo` (a chunk boundary) to the one around `hi`.
        ends = smooth[lo // q - 1 : hi // q + 1].astype(np.float32, copy=False)
        if ends.min() >= 1.0:
            return 1.0  # the peaks that need limiting lie in the context, not in what is emitted
        steps = ((np.arange(q) + 0.5) / q).astype(np.float32)
        rows = ends[:-1, None] + (ends[1:] - ends[:-1])[:, None] * steps[None, :]
        return rows.ravel()[q // 2 : q // 2 + hi - lo]


def _predicted_lufs(meter: LoudnessMeter, gain_db: float, ceiling: float, timing: LimiterTiming) -> float:
    """Loudness after `gain_db` and the limiter, foreseen from the meter's chunk statistics.

    The limiter's envelope is computed on the chunks' sample peaks and applied to their
    K-weighted energies: what the limiter takes off is known before it runs. Done a few minutes
    of chunks at a time (with the envelope's reach as margin) to keep memory small.
    """
    energies, peaks = meter.chunks()
    gain = np.float32(10.0 ** (gain_db / 20.0))
    ramp, hold = timing.chunks(meter.rate, meter.chunk)
    margin = 2 * ramp + hold + 2
    stretch = meter.per_sub * _PREDICT_SUB_BLOCKS
    sub_blocks = []
    for start in range(0, len(energies), stretch):
        stop = min(start + stretch, len(energies))
        lo, hi = max(0, start - margin), min(len(peaks), stop + margin)
        needed = np.minimum(np.float32(1.0), np.float32(ceiling) / np.maximum(peaks[lo:hi] * gain, 1e-12))
        envelope = _envelope(needed, ramp, hold)[start - lo : stop - lo]
        sub_blocks.append(meter.sub_blocks(energies[start:stop] * (gain * envelope) ** 2))
    return gated_loudness(np.concatenate(sub_blocks) if sub_blocks else np.zeros(0))


def _gain_db(meter: LoudnessMeter, target: float, ceiling: float, timing: LimiterTiming) -> float:
    """The gain that lands the limited programme on `target` LUFS (secant search)."""
    measured = meter.integrated()
    if not math.isfinite(measured):
        return 0.0
    # The limiter is not asked to make up more than this for a programme with extreme peaks.
    most = target - measured + _MAX_MAKEUP_DB
    x0, y0 = target - measured, _predicted_lufs(meter, target - measured, ceiling, timing) - target
    x1 = min(most, x0 - y0)
    for _ in range(8):
        if abs(y0) < 0.01 or x1 == x0:
            break
        y1 = _predicted_lufs(meter, x1, ceiling, timing) - target
        slope = (y1 - y0) / (x1 - x0)
        x0, y0 = x1, y1
        x1 = min(most, x1 - y1 / slope) if slope > 0.05 else min(most, x1 - y1)
    return x0


def _item_gain(clip: Clip, lufs: float, ceiling: float, timing: LimiterTiming) -> float:
    """The linear gain that brings `clip` to `lufs` once limited under `ceiling`.

    An item too short to gate (under 400 ms) is levelled on its plain K-weighted mean square;
    silence keeps unity gain.
    """
    meter = LoudnessMeter(clip.rate)
    meter.feed(clip.samples)
    if math.isfinite(meter.integrated()):
        return 10.0 ** (_gain_db(meter, lufs, ceiling, timing) / 20.0)
    energies, _ = meter.chunks()
    ungated = _lufs(float(energies.sum()) / len(energies) / meter.chunk) if len(energies) else -math.inf
    return 10.0 ** ((lufs - ungated) / 20.0) if math.isfinite(ungated) else 1.0


def master(programme: Timeline, target: Deliverable) -> Iterator[Samples]:
    """The programme at the target's loudness under its true-peak ceiling, block by block.

    Each source is loaded once to be measured; up to `_KEEP_FRAMES` of them are kept for the
    mix (a part of an episode), the rest loaded again as the mix reaches them (a whole programme).
    """
    if programme.rate != target.rate:
        raise ValueError(f"programme at {programme.rate} Hz, target {target.name} wants {target.rate} Hz")
    ceiling = 10.0 ** ((target.true_peak_db - _HEADROOM_DB[target.container]) / 20.0)
    timing = LimiterTiming()
    measured: dict[int, tuple[float, AudioSource]] = {}  # a source placed twice is measured once
    kept = 0
    levelled = []
    for p in programme.placements:
        if id(p.source) not in measured:
            clip = load_planned(p)
            keep = kept + clip.frames <= _KEEP_FRAMES
            kept += clip.frames if keep else 0
            gain = _item_gain(clip, target.mono_lufs, ceiling, timing)
            measured[id(p.source)] = (gain, clip if keep else p.source)
        gain, source = measured[id(p.source)]
        levelled.append(replace(p, source=source, gain=p.gain * gain))
    limiter = TruePeakLimiter(programme.rate, ceiling, timing)
    for block in render_blocks(replace(programme, placements=tuple(levelled))):
        out = limiter.process(block)
        if len(out):
            yield out
    tail = limiter.flush()
    if len(tail):
        yield tail
