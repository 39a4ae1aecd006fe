"""Synthesize the station's bundled music: intro, outro, stinger and a loopable bed, into audio/.

Original idents in D hijaz (D Eb F# G A Bb C): a plucked oud-like voice (Karplus-Strong), a soft
pad of detuned additive tones, an FM bell on the top note and a frame drum (doum and tek). Every
random choice comes from fixed seeds, and the OGG files are written bit-exact, so running this
again gives the same files.

    python scripts/make_jingles.py [--out audio]
"""

from __future__ import annotations

import argparse
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy.signal import butter, sosfilt

from producer.audio.ffmpeg import ffmpeg_exe

F64 = npt.NDArray[np.float64]
RATE = 44100
D4 = 293.66

# Hijaz on D, in semitones above D4.
NOTE = {"D3": -12, "A3": -5, "D4": 0, "Eb4": 1, "F#4": 4, "G4": 5, "A4": 7, "Bb4": 8, "C5": 10}
NOTE |= {"D5": 12, "Eb5": 13, "F#5": 16, "G5": 17, "A5": 19, "G3": -7, "C4": -2, "Bb3": -4, "Eb3": -11}
NOTE |= {"F#3": -8, "G2": -19, "C3": -14, "Bb2": -16, "D2": -24, "F4": 3}


def hz(name: str) -> float:
    return D4 * 2.0 ** (NOTE[name] / 12.0)


def adsr(n: int, attack: float, decay: float, sustain: float, release: float) -> F64:
    """An ADSR envelope over n samples; the release occupies the last `release` seconds."""
    a, d, r = (max(1, round(x * RATE)) for x in (attack, decay, release))
    env = np.full(n, sustain)
    env[: min(a, n)] = np.linspace(0.0, 1.0, a)[:n]
    hold_end = min(a + d, n)
    env[a:hold_end] = np.linspace(1.0, sustain, d)[: max(0, hold_end - a)]
    env[max(0, n - r) :] *= np.linspace(1.0, 0.0, min(r, n))
    return env


def pluck(freq: float, seconds: float, seed: int, brightness: float = 0.7) -> F64:
    """Karplus-Strong string: a noise burst recirculating through a delay line and a lowpass."""
    # The two-point average delays by half a sample, so the loop is one period minus a half.
    period = max(2, round(RATE / freq - 0.5))
    n = round(seconds * RATE)
    rng = np.random.default_rng(seed)
    burst = rng.uniform(-1.0, 1.0, period)
    # Soften the excitation: a darker burst gives a rounder, oud-like attack.
    for _ in range(round((1.0 - brightness) * 4)):
        burst = 0.5 * (burst + np.roll(burst, 1))
    y = np.zeros(n + period + 1)
    y[1 : period + 1] = burst
    loss = 0.996
    # Each period only reads the one before it, so a whole period is computed at once.
    for start in range(period + 1, len(y), period):
        stop = min(start + period, len(y))
        back = start - period
        y[start:stop] = loss * 0.5 * (y[back : back + stop - start] + y[back - 1 : back - 1 + stop - start])
    out = y[1 : n + 1]
    return out * adsr(n, 0.002, 0.05, 1.0, 0.08)


def pad(freqs: list[float], seconds: float, attack: float = 0.6, release: float = 1.2) -> F64:
    """A soft pad: each note as three slightly detuned tones with a few harmonics and slow vibrato."""
    n = round(seconds * RATE)
    t = np.arange(n) / RATE
    out = np.zeros(n)
    for freq in freqs:
        for detune in (-0.004, 0.0, 0.0045):
            f = freq * (1.0 + detune)
            phase = 2 * np.pi * f * t + 0.003 * f * np.sin(2 * np.pi * 4.8 * t) / 4.8
            out += sum(np.sin(k * phase) / k**1.6 for k in (1, 2, 3, 4))
    out /= 3 * len(freqs)
    return out * adsr(n, attack, 0.4, 0.8, release)


def bell(freq: float, seconds: float) -> F64:
    """FM bell: an inharmonic 1 : 3.5 modulator whose index dies away with the tone."""
    n = round(seconds * RATE)
    t = np.arange(n) / RATE
    index = 2.5 * np.exp(-t / 0.25)
    tone = np.sin(2 * np.pi * freq * t + index * np.sin(2 * np.pi * 3.5 * freq * t))
    return tone * np.exp(-t / 0.9) * adsr(n, 0.003, 0.0, 1.0, 0.05)


def doum(seconds: float = 0.6) -> F64:
    """The frame drum's low stroke: a sine sliding from 150 to 70 Hz with a soft thump."""
    n = round(seconds * RATE)
    t = np.arange(n) / RATE
    freq = 70.0 + 80.0 * np.exp(-t / 0.03)
    body = np.sin(2 * np.pi * np.cumsum(freq) / RATE) * np.exp(-t / 0.18)
    return body * adsr(n, 0.001, 0.0, 1.0, 0.05)


def tek(seed: int, seconds: float = 0.12) -> F64:
    """The rim stroke: a short band of noise around 3 kHz."""
    n = round(seconds * RATE)
    t = np.arange(n) / RATE
    noise = np.random.default_rng(seed).standard_normal(n)
    band = sosfilt(butter(2, (1800, 5200), btype="bandpass", fs=RATE, output="sos"), noise)
    return band * np.exp(-t / 0.025) * 0.8


class Score:
    """A buffer events are added into at given times."""

    def __init__(self, seconds: float) -> None:
        self.audio = np.zeros(round(seconds * RATE))

    def add(self, at: float, sound: F64, gain: float) -> None:
        start = round(at * RATE)
        end = min(len(self.audio), start + len(sound))
        self.audio[start:end] += gain * sound[: end - start]

    def finish(self, fade: float) -> F64:
        """Gentle saturation for glue, a fade to silence, peak at -3 dBFS."""
        out = np.tanh(1.2 * self.audio)
        fade_n = round(fade * RATE)
        out[-fade_n:] *= np.linspace(1.0, 0.0, fade_n) ** 2
        return out / np.abs(out).max() * 10 ** (-3 / 20)


def intro() -> F64:
    s = Score(5.5)
    s.add(0.0, pad([hz("D3"), hz("A3"), hz("D4"), hz("F#4")], 5.3, attack=0.8, release=2.2), 0.35)
    motif = [("D4", 0.0), ("F#4", 0.22), ("G4", 0.44), ("A4", 0.66), ("D5", 1.0)]
    for i, (name, at) in enumerate(motif):
        s.add(at, pluck(hz(name), 2.0, seed=10 + i), 0.55)
    s.add(1.0, bell(hz("D5"), 2.5), 0.22)
    s.add(1.55, pluck(hz("Eb5"), 1.5, seed=20), 0.35)
    s.add(1.8, pluck(hz("D5"), 2.5, seed=21), 0.4)
    for at in (0.0, 1.0):
        s.add(at, doum(), 0.7)
    for i, at in enumerate((0.33, 0.55, 0.77, 1.55)):
        s.add(at, tek(seed=30 + i), 0.25)
    return s.finish(fade=1.6)


def outro() -> F64:
    s = Score(5.0)
    s.add(0.0, pad([hz("G3"), hz("Bb3"), hz("D4")], 1.2, attack=0.3, release=0.5), 0.3)
    s.add(1.0, pad([hz("D3"), hz("A3"), hz("D4"), hz("F#4")], 4.0, attack=0.4, release=2.5), 0.35)
    motif = [("A4", 0.0), ("G4", 0.22), ("F#4", 0.44), ("Eb4", 0.66), ("D4", 1.0)]
    for i, (name, at) in enumerate(motif):
        s.add(at, pluck(hz(name), 2.5, seed=40 + i), 0.55)
    s.add(1.0, pluck(hz("D3"), 3.0, seed=46), 0.4)
    s.add(1.0, bell(hz("D5"), 3.0), 0.18)
    for at in (0.0, 1.0):
        s.add(at, doum(0.8), 0.7)
    for i, at in enumerate((0.33, 0.55, 0.77)):
        s.add(at, tek(seed=50 + i), 0.22)
    return s.finish(fade=2.0)


def stinger() -> F64:
    s = Score(1.3)
    for i, (name, at) in enumerate([("A4", 0.0), ("C5", 0.08), ("D5", 0.16)]):
        s.add(at, pluck(hz(name), 1.1, seed=60 + i, brightness=0.85), 0.5)
    s.add(0.16, bell(hz("A5"), 1.1), 0.15)
    s.add(0.16, pad([hz("D4"), hz("A4")], 1.1, attack=0.05, release=0.6), 0.2)
    s.add(0.0, tek(seed=70), 0.3)
    s.add(0.16, doum(0.5), 0.6)
    return s.finish(fade=0.5)


def bed() -> F64:
    """24 s of chords (D, Eb, Cm, D) with a quiet arpeggio; the tail wraps to the start to loop."""
    length = 24.0
    s = Score(length + 3.0)
    chords = [["D3", "A3", "F#4"], ["Eb3", "G3", "Bb3"], ["C3", "G3", "Eb4"], ["D3", "A3", "F#4"]]
    arpeggios = [["D4", "F#4", "A4", "F#4"], ["Eb4", "G4", "Bb4", "G4"]]
    arpeggios += [["C4", "Eb4", "G4", "Eb4"], ["D4", "A4", "F#4", "A4"]]
    for i, (chord, arp) in enumerate(zip(chords, arpeggios, strict=True)):
        s.add(6.0 * i, pad([hz(n) for n in chord], 7.5, attack=1.5, release=2.0), 0.4)
        for j in range(8):
            s.add(6.0 * i + 0.75 * j, pluck(hz(arp[j % 4]), 1.5, seed=100 + 8 * i + j, brightness=0.4), 0.18)
    loop = round(length * RATE)
    audio = s.audio[:loop].copy()
    audio[: len(s.audio) - loop] += s.audio[loop:]
    out = np.tanh(1.2 * audio)
    return out / np.abs(out).max() * 10 ** (-3 / 20)


JINGLES: dict[str, tuple[Callable[[], F64], str]] = {
    "intro": (intro, "4"),
    "outro": (outro, "4"),
    "stinger": (stinger, "4"),
    "bed": (bed, "1"),
}


def write_ogg(samples: F64, path: Path, quality: str) -> None:
    cmd = [ffmpeg_exe(), "-nostdin", "-v", "error", "-y", "-f", "f32le", "-ar", str(RATE), "-ac", "1"]
    cmd += ["-i", "pipe:0", "-c:a", "libvorbis", "-q:a", quality]
    cmd += ["-fflags", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1", str(path)]
    subprocess.run(cmd, input=samples.astype("<f4").tobytes(), check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "audio")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, (make, quality) in JINGLES.items():
        path = args.out / f"{name}.ogg"
        write_ogg(make(), path, quality)
        print(f"{path}  {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
