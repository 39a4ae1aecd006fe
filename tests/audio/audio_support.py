"""Helpers for the audio tests: an independent meter (ffmpeg's ebur128) and test signals."""

from __future__ import annotations

import re
import subprocess
from datetime import datetime
from pathlib import Path

import numpy as np
import soundfile as sf

from producer.audio.ffmpeg import ffmpeg_exe
from producer.models import Clip, Samples, Script, Segment, SegmentKind


def ebur128(path: Path, *, dual_mono: bool = False) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) as ffmpeg's ebur128 filter with peak=true reads them;
    `dual_mono` plays a mono file on two channels first, as a phone does."""
    graph = "pan=stereo|c0=c0|c1=c0," if dual_mono else ""
    cmd = [ffmpeg_exe(), "-nostdin", "-nostats", "-i", str(path), "-af", f"{graph}ebur128=peak=true"]
    cmd += ["-f", "null", "-"]
    stderr = subprocess.run(cmd, capture_output=True, text=True, check=True).stderr
    summary = stderr[stderr.rindex("Summary:") :]
    integrated = re.search(r"I:\s+(-?[\d.]+|-inf)\s+LUFS", summary)
    peak = re.search(r"Peak:\s+(-?[\d.]+|-inf)\s+dBFS", summary)
    assert integrated and peak, summary
    return float(integrated.group(1)), float(peak.group(1))


def ebur128_samples(samples: Samples, rate: int, folder: Path) -> tuple[float, float]:
    path = folder / "measured.wav"
    sf.write(path, samples, rate, subtype="FLOAT")
    return ebur128(path)


def tone(freq: float, seconds: float, rate: int, amplitude: float = 0.5, phase: float = 0.0) -> Samples:
    t = np.arange(round(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t + phase)).astype(np.float32)


def faded(x: Samples, rate: int, seconds: float = 0.05) -> Samples:
    """`x` with raised-cosine ends: no step for an oversampling meter to ring on."""
    n = min(round(seconds * rate), len(x) // 2)
    ramp = (0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, n))).astype(np.float32)
    out = x.copy()
    out[:n] *= ramp
    out[len(x) - n :] *= ramp[::-1]
    return out


def speechlike(seconds: float, rate: int, seed: int) -> Samples:
    """Noise shaped like speech: a voice-band spectrum in syllable-rate bursts with pauses."""
    rng = np.random.default_rng(seed)
    n = round(seconds * rate)
    t = np.arange(n) / rate
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / rate)
    spectrum *= 1.0 / (1.0 + (freqs / 800.0) ** 2) * (freqs > 80)
    voice = np.fft.irfft(spectrum, n)
    syllables = np.clip(np.sin(2 * np.pi * 3.3 * t), 0.0, None) ** 1.5
    phrases = (np.sin(2 * np.pi * 0.25 * t) > -0.6).astype(float)
    out = voice * syllables * phrases
    # Soft-clipped to the peak-to-loudness ratio of real speech (about 16 dB).
    out = np.tanh(1.5 * out / np.abs(out).max())
    return (out / np.abs(out).max() * 0.5).astype(np.float32)


def sine_clip(seconds: float, rate: int, freq: float = 440.0) -> Clip:
    return Clip(faded(tone(freq, seconds, rate, 0.3), rate, 0.01), rate)


def make_script(stories: int) -> Script:
    segments = [
        Segment(SegmentKind.IDENT, "هنا راديو ألوان"),
        Segment(SegmentKind.GREETING, "صباح الخير"),
        Segment(SegmentKind.HEADLINES, "العناوين"),
    ]
    for i in range(stories):
        segments.append(Segment(SegmentKind.TRANSITION, f"الخبر {i + 1}", i))
        segments.append(Segment(SegmentKind.STORY, f"نص الخبر {i + 1}\n\nفقرة ثانية", i))
    segments.append(Segment(SegmentKind.SIGNOFF, "إلى اللقاء"))
    return Script(
        title="نشرة الصباح",
        station="راديو ألوان",
        programme="نشرة الأخبار",
        created=datetime(2025, 3, 4, 8, 30),
        headlines=tuple(f"عنوان {i + 1}" for i in range(stories)),
        segments=tuple(segments),
    )
