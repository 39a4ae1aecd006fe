"""Streaming loudness (ITU-R BS.1770-4 / EBU R128) and true-peak meters.

Both take a programme block by block and keep only small state, so a whole programme is measured
without ever being held in memory: the loudness meter keeps K-weighted energies per chunk of about
1.4 ms (gating is computed from their 100 ms sums at the end), the true-peak meter the last few
samples.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import math
import threading
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from producer.models import Samples

F64 = npt.NDArray[np.float64]
Cascade = Callable[[F64, Samples, F64], tuple[F64, F64]]


_LOADING = threading.Lock()


def cascade_filter() -> Cascade:
    """The cascade filter, loaded once however many threads ask for it at once."""
    with _LOADING:
        return _cascade_filter()


@cache
def _cascade_filter() -> Cascade:
    """Second-order sections applied to `x` from `state`: (sos, x, state) → (filtered, new state).

    This is scipy.signal.sosfilt, called through the compiled routine it wraps: importing
    scipy.signal costs ~0.6 s here (scipy 1.16 and later rewrite some 800 docstrings at import),
    most of a re-render after a one-word edit, while the routine alone loads in ~10 ms. Where
    this scipy keeps it elsewhere, the public function is used; a test checks the two agree.
    """
    try:
        routine = _compiled_sosfilt()
    except (ImportError, OSError, AttributeError, StopIteration):
        from scipy.signal import sosfilt

        return lambda sos, x, state: sosfilt(sos, x, zi=state)

    def run(sos: F64, x: Samples, state: F64) -> tuple[F64, F64]:
        out = np.array(x[None, :], dtype=np.float64, order="C")  # filtered in place
        new = np.array(state[None, :, :], dtype=np.float64, order="C")
        routine(np.asarray(sos, dtype=np.float64), out, new)
        return out[0], new[0]

    return run


def _compiled_sosfilt() -> Callable[[F64, F64, F64], None]:
    spec = importlib.util.find_spec("scipy")
    if spec is None or spec.origin is None:
        raise ImportError("scipy is not installed")
    folder = Path(spec.origin).parent / "signal"
    path = next(
        folder / f"_sosfilt{suffix}"
        for suffix in importlib.machinery.EXTENSION_SUFFIXES
        if (folder / f"_sosfilt{suffix}").is_file()
    )
    loader = importlib.machinery.ExtensionFileLoader("scipy.signal._sosfilt", str(path))
    module_spec = importlib.util.spec_from_file_location("scipy.signal._sosfilt", path, loader=loader)
    if module_spec is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(module_spec)
    loader.exec_module(module)
    routine: Callable[[F64, F64, F64], None] = module._sosfilt
    return routine


def lowpass_taps(count: int, cutoff: float, beta: float) -> F64:
    """A Kaiser-windowed sinc low-pass of `count` (odd) taps, `cutoff` a share of Nyquist, unity
    gain at DC: scipy.signal.firwin's design, without importing scipy.signal."""
    m = np.arange(count) - (count - 1) / 2.0
    h = cutoff * np.sinc(cutoff * m) * np.kaiser(count, beta)
    return h / h.sum()


# BS.1770 sums the channels' power: a mono programme on both channels measures this much louder.
DUAL_MONO_LU = 10.0 * math.log10(2.0)
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0


def k_weighting(rate: int) -> F64:
    """BS.1770's K-weighting (high-shelf, then high-pass) as second-order sections for `rate`.

    The analogue prototypes of libebur128, brought to `rate` by the bilinear transform, so any
    sample rate is measured as the standard's 48 kHz coefficients describe.
    """
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = math.tan(math.pi * f0 / rate)
    vh = 10.0 ** (gain_db / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / q + k * k
    shelf = [
        (vh + vb * k / q + k * k) / a0,
        2.0 * (k * k - vh) / a0,
        (vh - vb * k / q + k * k) / a0,
        1.0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / q + k * k) / a0,
    ]
    f0, q = 38.13547087602444, 0.5003270373238773
    k = math.tan(math.pi * f0 / rate)
    a0 = 1.0 + k / q + k * k
    highpass = [1.0, -2.0, 1.0, 1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]
    return np.array([shelf, highpass])


def lufs(mean_square: float) -> float:
    return -0.691 + 10.0 * math.log10(mean_square) if mean_square > 0 else -math.inf


def gated_loudness(sub_blocks: F64) -> float:
    """Integrated loudness from consecutive 100 ms mean squares, gated as BS.1770-4 prescribes.

    -inf for silence or less than 400 ms of audio.
    """
    if len(sub_blocks) < 4:
        return -math.inf
    # 400 ms gating blocks overlapping by 75 %: four consecutive 100 ms sub-blocks.
    blocks = np.convolve(sub_blocks, np.full(4, 0.25), mode="valid")
    with np.errstate(divide="ignore"):
        loudness = -0.691 + 10.0 * np.log10(blocks)
    above = blocks[loudness > ABSOLUTE_GATE_LUFS]
    if len(above) == 0:
        return -math.inf
    relative_gate = lufs(float(above.mean())) + RELATIVE_GATE_LU
    return lufs(float(blocks[(loudness > ABSOLUTE_GATE_LUFS) & (loudness > relative_gate)].mean()))


def windowed(sub_blocks: F64, count: int) -> F64:
    """Mean squares over every window of `count` consecutive 100 ms sub-blocks, a 100 ms step apart:
    4 for EBU R128's momentary loudness, 30 for its short-term loudness."""
    if len(sub_blocks) < count:
        return np.zeros(0)
    sums = np.concatenate(([0.0], np.cumsum(sub_blocks, dtype=np.float64)))
    return np.maximum(sums[count:] - sums[:-count], 0.0) / count


LRA_RELATIVE_GATE_LU = -20.0


def loudness_range(sub_blocks: F64) -> float:
    """EBU Tech 3342 loudness range (LU): the spread between the 10th and 95th percentiles of the
    short-term loudness, gated at -70 LUFS and 20 LU under the mean of what passes."""
    short = windowed(sub_blocks, 30)
    with np.errstate(divide="ignore"):
        levels = -0.691 + 10.0 * np.log10(short)
    above = short[levels > ABSOLUTE_GATE_LUFS]
    if len(above) == 0:
        return 0.0
    kept = levels[(levels > ABSOLUTE_GATE_LUFS) & (levels > lufs(float(above.mean())) + LRA_RELATIVE_GATE_LU)]
    low, high = np.percentile(kept, [10.0, 95.0])
    return float(high - low)


def chunk_max(x: Samples, size: int) -> Samples:
    """The largest value of each run of `size` samples (the last run may be shorter)."""
    if len(x) == 0:
        return np.zeros(0, x.dtype)
    return np.maximum.reduceat(x, np.arange(0, len(x), size))


class LoudnessMeter:
    """Integrated loudness of everything fed to it, with per-chunk statistics kept on the way.

    It keeps, for every `chunk` samples (a divisor of the 100 ms sub-block, about 1.4 ms), the sum
    of the K-weighted squares and the largest sample: a thirtieth of the audio's size. Mastering
    uses them to foresee what its limiter will take off before it runs.
    """

    SLICE = 65536  # samples filtered at once: bounds the float64 temporaries

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._sos = k_weighting(rate)
        self._state = np.zeros((2, 2))
        self._filter = cascade_filter()
        self.step = round(0.1 * rate)  # one 100 ms sub-block
        self.chunk = max(d for d in range(1, 65) if self.step % d == 0)
        # The chunk still filling up: its energy so far, peak and length.
        self._carry = (0.0, 0.0, 0)
        self._energies: list[Samples] = []
        self._peaks: list[Samples] = []

    def feed(self, block: Samples) -> None:
        for start in range(0, len(block), self.SLICE):
            self._feed(block[start : start + self.SLICE])

    def _feed(self, x: Samples) -> None:
        weighted, self._state = self._filter(self._sos, x, self._state)
        squares, magnitude = weighted * weighted, np.abs(x)
        energy, peak, filled = self._carry
        head = min(len(x), self.chunk - filled) if filled else 0
        if head:
            energy += float(squares[:head].sum())
            peak = max(peak, float(magnitude[:head].max()))
            filled += head
            if filled == self.chunk:
                self._energies.append(np.array([energy], np.float32))
                self._peaks.append(np.array([peak], np.float32))
                energy, peak, filled = 0.0, 0.0, 0
        whole = head + (len(x) - head) // self.chunk * self.chunk
        if whole > head:
            starts = np.arange(head, whole, self.chunk)
            self._energies.append(np.add.reduceat(squares[:whole], starts).astype(np.float32))
            self._peaks.append(np.maximum.reduceat(magnitude[:whole], starts).astype(np.float32))
        if whole < len(x):
            energy, peak, filled = (
                float(squares[whole:].sum()),
                float(magnitude[whole:].max()),
                len(x) - whole,
            )
        self._carry = (energy, peak, filled)

    def chunks(self) -> tuple[Samples, Samples]:
        """K-weighted energy and peak of each chunk, over whole 100 ms sub-blocks only."""
        if len(self._energies) != 1:  # gathered once, so repeated calls cost nothing
            self._energies = [np.concatenate(self._energies) if self._energies else np.zeros(0, np.float32)]
            self._peaks = [np.concatenate(self._peaks) if self._peaks else np.zeros(0, np.float32)]
        whole = len(self._energies[0]) - len(self._energies[0]) % self.per_sub
        return self._energies[0][:whole], self._peaks[0][:whole]

    @property
    def per_sub(self) -> int:
        """Chunks in a 100 ms sub-block."""
        return self.step // self.chunk

    def sub_blocks(self, energies: Samples) -> F64:
        """100 ms mean squares from the energies of whole sub-blocks' chunks."""
        return energies.reshape(-1, self.per_sub).sum(axis=1, dtype=np.float64) / self.step

    def integrated(self) -> float:
        """Integrated loudness in LUFS; -inf for silence or less than 400 ms of audio."""
        return gated_loudness(self.sub_blocks(self.chunks()[0]))


class Interpolator:
    """4x oversampling for true-peak estimates, evaluated only where a peak could hide.

    Phase p of sample j estimates the signal at j + p/4 from the samples within TAPS of j. Phase 0
    is the sample itself. Each phase's output is bounded by `bound` times the largest sample under
    its taps, which is what lets the meter and the limiter skip every stretch whose samples are
    too small for the interpolated peak to matter.
    """

    FACTOR = 4
    TAPS = 8  # samples on each side; 17 per phase, more than BS.1770's 12
    MARGIN = 2 * TAPS  # context a caller keeps on either side of the centres it asks about

    def __init__(self) -> None:
        half = self.FACTOR * self.TAPS
        h = lowpass_taps(2 * half + 1, 1.0 / self.FACTOR, beta=8.0) * self.FACTOR
        offsets = np.arange(-self.TAPS, self.TAPS + 1)
        # kernels[d + TAPS, p - 1]: weight of x[j - d] in the value at j + p/4, for p = 1..3.
        index = half + self.FACTOR * offsets[:, None] + np.arange(1, self.FACTOR)[None, :]
        kernels = np.where((index >= 0) & (index < len(h)), h[np.clip(index, 0, len(h) - 1)], 0.0)
        self.kernels = kernels.astype(np.float32)
        # The same weights in window order: x[j - TAPS] first, x[j + TAPS] last.
        self._reversed = np.ascontiguousarray(self.kernels[::-1])
        self.bound = max(1.0, float(np.abs(kernels).sum(axis=0).max()))

    def between(self, x: Samples, centres: npt.NDArray[np.intp]) -> Samples:
        """Largest |value| at j + 1/4, j + 2/4, j + 3/4 for each j in `centres`.

        Every centre must have TAPS samples of `x` on each side.
        """
        out = np.empty(len(centres), np.float32)
        windows = sliding_window_view(x, 2 * self.TAPS + 1)  # row r is x[r : r + 2*TAPS + 1]
        # Small pieces keep OpenBLAS on one thread: threaded on these shapes it was several
        # times slower here, and its spinning threads take the core ffmpeg encodes on.
        piece = 2048
        for lo in range(0, len(centres), piece):
            values = windows[centres[lo : lo + piece] - self.TAPS] @ self._reversed
            np.abs(values, out=values)
            out[lo : lo + piece] = np.maximum(np.maximum(values[:, 0], values[:, 1]), values[:, 2])
        return out

    def candidates(
        self, magnitude: Samples, floor: float, lo: int, hi: int, maxima: Samples | None = None
    ) -> npt.NDArray[np.intp]:
        """Centres in [lo, hi) whose taps hold a sample large enough to reach `floor`.

        Decided per run of MARGIN centres from the maxima of MARGIN-sample chunks, so a few
        centres more than needed may come back, never fewer. `magnitude` must cover
        [lo - MARGIN, hi + MARGIN); `maxima` are those chunks' maxima if the caller has them.
        """
        size = self.MARGIN
        if hi <= lo:
            return np.zeros(0, np.intp)
        if maxima is None:
            maxima = chunk_max(magnitude[lo - size : hi + size], size)
        hot = maxima * self.bound > floor
        hot = np.concatenate((hot, np.zeros(2, bool)))
        # Centres [i*MARGIN, (i+1)*MARGIN) after lo reach chunks i, i + 1 and i + 2 of the span.
        runs = np.flatnonzero(hot[:-2] | hot[1:-1] | hot[2:])
        centres = (runs[:, None] * size + np.arange(size)[None, :]).ravel()
        return centres[centres < hi - lo] + lo


class TruePeakMeter:
    """The largest 4x-oversampled magnitude of everything fed to it (linear, not dB)."""

    def __init__(self) -> None:
        self._interp = Interpolator()
        self._tail = np.zeros(2 * Interpolator.MARGIN, np.float32)
        self.peak = 0.0

    def feed(self, block: Samples) -> None:
        self._scan(np.concatenate((self._tail, block.astype(np.float32, copy=False))))

    def flush(self) -> None:
        self._scan(np.concatenate((self._tail, np.zeros(Interpolator.MARGIN, np.float32))))

    def _scan(self, ext: Samples) -> None:
        # Centres [MARGIN, len - MARGIN) of ext have all their taps inside it; the next call
        # starts where this one stops, so every centre is looked at exactly once.
        margin = Interpolator.MARGIN
        magnitude = np.abs(ext)
        top = float(magnitude.max(initial=0.0))
        self.peak = max(self.peak, top)
        if top * self._interp.bound > self.peak:
            centres = self._interp.candidates(magnitude, self.peak, margin, len(ext) - margin)
            self.peak = max(self.peak, float(self._interp.between(ext, centres).max(initial=0.0)))
        self._tail = ext[-2 * margin :].copy()
