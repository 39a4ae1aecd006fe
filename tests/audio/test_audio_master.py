"""Loudness and true-peak metering against ffmpeg's ebur128, and mastering to the targets."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from audio_support import ebur128_samples, faded, speechlike, tone
from scipy.signal import upfirdn

from producer.audio.assemble import Placement, Timeline
from producer.audio.master import TARGETS, LimiterTiming, TruePeakLimiter, master, measure
from producer.audio.meter import Interpolator, TruePeakMeter
from producer.models import Clip, Samples


def blocks(x: Samples, size: int = 10000) -> list[Samples]:
    return [x[i : i + size] for i in range(0, len(x), size)]


def brute_true_peak(x: Samples) -> float:
    """Every 4x-oversampled value, computed the long way with the meter's own filter."""
    interp = Interpolator()
    # Rebuild the full polyphase filter from the kernels: phase p of offset d sits at 4d + p.
    taps, factor = Interpolator.TAPS, Interpolator.FACTOR
    h = np.zeros(factor * (2 * taps + 1))
    for d in range(-taps, taps + 1):
        h[factor * (d + taps)] = 1.0 if d == 0 else 0.0
        for p in range(1, factor):
            h[factor * (d + taps) + p] = interp.kernels[d + taps, p - 1]
    up = upfirdn(h, np.concatenate((np.zeros(2 * taps), x, np.zeros(2 * taps))), up=factor)
    return float(np.abs(up).max())


SIGNALS = {
    "tone 997 Hz at 48 kHz": (lambda: faded(tone(997, 6, 48000, 0.3), 48000), 48000),
    "speech-like at 44.1 kHz": (lambda: speechlike(12, 44100, seed=1), 44100),
    "speech-like at 22.05 kHz": (lambda: speechlike(12, 22050, seed=2), 22050),
    "half silence (gating)": (
        lambda: np.concatenate((speechlike(6, 48000, 3), np.zeros(6 * 48000, np.float32))),
        48000,
    ),
    "quiet with a loud burst (relative gate)": (
        lambda: np.concatenate((0.01 * speechlike(8, 44100, 4), faded(tone(1000, 2, 44100, 0.8), 44100))),
        44100,
    ),
    "inter-sample peak at fs/4": (lambda: faded(tone(11025, 4, 44100, 0.7, math.pi / 4), 44100), 44100),
}


@pytest.mark.parametrize("name", SIGNALS)
def test_measure_agrees_with_ffmpeg(name: str, tmp_path: Path) -> None:
    make, rate = SIGNALS[name]
    x = make().astype(np.float32)
    ours = measure(blocks(x), rate)
    lufs, peak = ebur128_samples(x, rate, tmp_path)
    assert ours.integrated_lufs == pytest.approx(lufs, abs=0.3)
    assert ours.true_peak_db == pytest.approx(peak, abs=0.5)


def test_inter_sample_peak_is_above_the_sample_peak() -> None:
    x = faded(tone(11025, 2, 44100, 0.7, math.pi / 4), 44100)
    assert 20 * math.log10(np.abs(x).max()) == pytest.approx(-6.1, abs=0.1)
    assert measure([x], 44100).true_peak_db == pytest.approx(20 * math.log10(0.7), abs=0.15)


def test_silence_measures_minus_infinity() -> None:
    result = measure([np.zeros(48000, np.float32)], 48000)
    assert result.integrated_lufs == -math.inf and result.true_peak_db == -math.inf


@pytest.mark.parametrize("seed", range(4))
def test_true_peak_shortcut_equals_oversampling_everything(seed: int) -> None:
    # The meter only oversamples where a sample is big enough to matter; the result must be
    # exactly the maximum over every oversampled value, whatever the signal and block size.
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(20000) * rng.uniform(0.01, 0.3)).astype(np.float32)
    x[rng.integers(0, 20000, 5)] = rng.uniform(-1, 1, 5)
    x[5000:5016] = np.sign(np.sin(np.arange(16) * math.pi / 2 + 0.7)) * 0.9  # near-Nyquist burst
    meter = TruePeakMeter()
    for block in blocks(x, int(rng.integers(1, 5000))):
        meter.feed(block)
    meter.flush()
    assert meter.peak == pytest.approx(brute_true_peak(x), rel=1e-5)


@pytest.mark.parametrize("block", [1000, 65536])
def test_limiter_keeps_every_oversampled_value_under_the_ceiling(block: int) -> None:
    rng = np.random.default_rng(7)
    x = speechlike(5, 44100, seed=7) * np.float32(3.0)
    x[rng.integers(0, len(x), 40)] = rng.uniform(-2, 2, 40).astype(np.float32)  # clicks
    ceiling = 10 ** (-1.5 / 20)
    limiter = TruePeakLimiter(44100, ceiling, LimiterTiming())
    out = np.concatenate([limiter.process(b) for b in blocks(x, block)] + [limiter.flush()])
    assert len(out) == len(x)
    assert brute_true_peak(out) <= ceiling * (1 + 1e-5)
    # Far (60 ms) from anything that could come near the ceiling, the signal passes untouched.
    near = np.abs(x) * Interpolator().bound > ceiling
    reach = round(0.06 * 44100)
    far = np.convolve(near, np.ones(2 * reach + 1), mode="same") == 0
    assert far.sum() > 0.1 * len(x)
    np.testing.assert_array_equal(out[far], x[far])


def test_limiter_is_transparent_under_the_ceiling() -> None:
    x = speechlike(3, 48000, seed=9) * np.float32(0.3)
    limiter = TruePeakLimiter(48000, 0.9)
    out = np.concatenate([limiter.process(b) for b in blocks(x, 7000)] + [limiter.flush()])
    np.testing.assert_array_equal(out, x)


def hot_programme(rate: int, level: float, seed: int) -> Timeline:
    """Speech-like programme with full-scale clicks and a short square burst, at `level`."""
    rng = np.random.default_rng(seed)
    x = speechlike(20, rate, seed) * np.float32(level)
    x[rng.integers(0, len(x), 10)] = rng.choice([-1.0, 1.0], 10).astype(np.float32)
    burst = np.sign(tone(3000, 0.02, rate, 1.0)) * np.float32(0.5 * level)
    x[rate * 10 : rate * 10 + len(burst)] = burst
    clip = Clip(x, rate)
    return Timeline(rate, len(x), (Placement(clip, 0, len(x)),))


@pytest.mark.parametrize("target_name", ["podcast", "broadcast"])
@pytest.mark.parametrize("level", [1.8, 0.25])
def test_master_reaches_the_target(target_name: str, level: float, tmp_path: Path) -> None:
    target = TARGETS[target_name]
    programme = hot_programme(target.rate, level, seed=11)
    before = measure([programme.placements[0].source.load().samples], target.rate)
    assert before.true_peak_db > target.true_peak_db  # hot peaks: a plain gain would not do
    out = np.concatenate(list(master(programme, target)))
    assert len(out) == programme.frames
    lufs, peak = ebur128_samples(out, target.rate, tmp_path)
    assert lufs == pytest.approx(target.mono_lufs, abs=1.0)
    assert peak <= target.true_peak_db


def test_master_of_silence_stays_silent() -> None:
    target = TARGETS["broadcast"]
    clip = Clip(np.zeros(48000, np.float32), 48000)
    out = np.concatenate(list(master(Timeline(48000, 48000, (Placement(clip, 0, 48000),)), target)))
    assert len(out) == 48000 and not out.any()


def test_master_rejects_a_programme_at_another_rate() -> None:
    clip = Clip(np.zeros(100, np.float32), 22050)
    with pytest.raises(ValueError):
        next(master(Timeline(22050, 100, (Placement(clip, 0, 100),)), TARGETS["podcast"]))


def test_each_item_is_levelled_on_its_own(tmp_path: Path) -> None:
    """A whisper and a hot jingle, apart: both come out at the target, as two separate bulletin
    items should (a programme-wide gain would leave the whisper ~30 dB under the jingle)."""
    target = TARGETS["broadcast"]
    rate = target.rate
    quiet = Clip(speechlike(6, 22050, seed=5) * np.float32(0.02), 22050)
    hot = Clip(faded(tone(440, 4, rate, 0.9), rate), rate)
    gap = rate
    programme = Timeline(
        rate,
        6 * rate + gap + 4 * rate,
        (Placement(quiet, 0, 6 * rate), Placement(hot, 6 * rate + gap, 4 * rate)),
    )
    out = np.concatenate(list(master(programme, target)))
    for piece in (out[: 6 * rate], out[6 * rate + gap :]):
        lufs, peak = ebur128_samples(piece, rate, tmp_path)
        assert lufs == pytest.approx(target.mono_lufs, abs=0.5)
        assert peak <= target.true_peak_db


def test_a_clip_too_short_to_gate_is_levelled_on_its_mean_square(tmp_path: Path) -> None:
    target = TARGETS["broadcast"]
    word = Clip(faded(tone(300, 0.3, 48000, 0.01), 48000), 48000)  # 300 ms: no 400 ms block
    programme = Timeline(48000, 48000, (Placement(word, 0, word.frames),))
    out = np.concatenate(list(master(programme, target)))
    rms_db = 20 * math.log10(float(np.sqrt(np.mean(out[: word.frames] ** 2))))
    # From -43 dBFS RMS to the target: K-weighting is flat at 300 Hz, so LUFS = dB RMS - 0.691.
    assert rms_db - 0.691 == pytest.approx(target.mono_lufs, abs=1.0)


def test_the_filters_equal_scipys() -> None:
    """The meter calls scipy's compiled filter directly and designs its interpolator with numpy
    (importing scipy.signal and scipy.ndimage would double a re-render's time): same numbers."""
    from scipy.ndimage import minimum_filter1d, uniform_filter1d
    from scipy.signal import firwin, sosfilt

    from producer.audio.master import _envelope
    from producer.audio.meter import cascade_filter, k_weighting, lowpass_taps

    rng = np.random.default_rng(7)
    x = rng.standard_normal(50000).astype(np.float32)
    state = rng.standard_normal((2, 2))
    for rate in (22050, 44100, 48000):
        expected, expected_state = sosfilt(k_weighting(rate), x, zi=state)
        got, got_state = cascade_filter()(k_weighting(rate), x, state)
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_array_equal(got_state, expected_state)
    np.testing.assert_allclose(
        lowpass_taps(65, 0.25, 8.0), firwin(65, 0.25, window=("kaiser", 8.0)), atol=1e-15
    )
    needed = rng.random(3000).astype(np.float32)
    for ramp, hold in ((8, 55), (2, 3), (0, 0)):
        size = hold + ramp + 2
        held = minimum_filter1d(needed, size, mode="nearest", origin=hold - size // 2)
        box = ramp + 1
        smooth = uniform_filter1d(uniform_filter1d(held, box, mode="nearest"), box, mode="nearest")
        np.testing.assert_allclose(_envelope(needed, ramp, hold), smooth, atol=1e-6)


def test_the_filter_loads_once_when_parts_are_mastered_in_parallel() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from producer.audio import meter

    meter._cascade_filter.cache_clear()
    with ThreadPoolExecutor(4) as pool:
        loaded = list(pool.map(lambda _: meter.cascade_filter(), range(4)))
    assert all(f is loaded[0] for f in loaded)
    assert "lambda" not in repr(loaded[0])  # scipy's compiled routine, not the fallback


@pytest.mark.parametrize(("count", "width"), [(1, 1), (7, 1), (10, 3), (65, 65), (66, 65), (5000, 65)])
def test_the_running_minimum_equals_the_minimum_of_every_window(count: int, width: int) -> None:
    from numpy.lib.stride_tricks import sliding_window_view

    from producer.audio.master import _running_min

    x = np.random.default_rng(count).random(count).astype(np.float32)
    np.testing.assert_array_equal(_running_min(x, width), sliding_window_view(x, width).min(axis=1))
