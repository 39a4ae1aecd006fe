"""Pace in Arabic words per minute of voiced time, and how each engine is told it.

Voiced time is the audio with its pauses of 250 ms or more taken out, so a pace says how fast the
words come, not how long the breaths between sentences are (the assembler sets those). A newsreader
reads 120-150 words per minute; the station's default is 130.

espeak-ng's rate is in its own unit, which for Arabic is not words per minute. `scripts/
calibrate_pace.py` voices varied news text (the tests' scraped pages, diacritized as a build does)
at several rates and fits a line: on espeak-ng 1.52 (espeakng-loader 0.2.4), over rates 150-350,
Arabic words per minute = ESPEAK_SLOPE × rate + ESPEAK_INTERCEPT. Piper voices are measured once
per loaded voice instead (see piper.py), because every voice has its own natural pace.
"""

from __future__ import annotations

import re

import numpy as np

from producer.models import Samples

DEFAULT_PACE = 130
MIN_PACE, MAX_PACE = 80, 220
PAUSE_SECONDS = 0.25  # silences at least this long are not voiced time
SILENCE_DBFS = -40.0
_FRAME_SECONDS = 0.01

# How many words a minute is depends on the text's words: on the merged pipeline (pausal forms
# included) scripts/calibrate_pace.py's paragraphs read 0.585 × rate + 0.2, while a built episode
# of tests/data/pace_article.txt, measured from its own transcript, read 152.6 at rate 222 and
# 135.5 at rate 200. The line below puts the default 130 at rate 208, between the two: 122 words a
# minute on the calibration paragraphs, 136 on the built episode, both inside a newsreader's 120-150.
ESPEAK_SLOPE = 0.625
ESPEAK_INTERCEPT = 0.0
ESPEAK_MIN_RATE, ESPEAK_MAX_RATE = 80, 450

_WORD = re.compile(r"[\w\u0610-\u061a\u064b-\u065f\u0670]+")


def count_words(text: str) -> int:
    """Words of `text` as a reader counts them: runs of letters, digits and diacritics."""
    return len(_WORD.findall(text))


def voiced_seconds(samples: Samples, rate: int) -> float:
    """Seconds of `samples` once every silence of PAUSE_SECONDS or more is taken out."""
    hop = max(1, round(_FRAME_SECONDS * rate))
    frames = len(samples) // hop
    if frames == 0:
        return len(samples) / rate
    power = np.mean(np.square(samples[: frames * hop].reshape(frames, hop), dtype=np.float64), axis=1)
    quiet = power < 10 ** (SILENCE_DBFS / 10)
    # Lengths of the runs of quiet frames: diff of the padded mask marks where each run starts and ends.
    edges = np.flatnonzero(np.diff(np.concatenate(([0], quiet.astype(np.int8), [0]))))
    runs = edges[1::2] - edges[::2]
    paused = int(runs[runs * hop >= PAUSE_SECONDS * rate].sum())
    return ((frames - paused) * hop + len(samples) - frames * hop) / rate


def words_per_minute(words: int, seconds: float) -> float:
    return 60.0 * words / seconds if seconds > 0 else 0.0


def espeak_rate(pace: int) -> int:
    """espeak-ng's rate parameter that reads Arabic at `pace` words per minute."""
    rate = round((pace - ESPEAK_INTERCEPT) / ESPEAK_SLOPE)
    return min(ESPEAK_MAX_RATE, max(ESPEAK_MIN_RATE, rate))


def length_scale(words: int, readings: tuple[tuple[float, float], tuple[float, float]], pace: int) -> float:
    """Piper's length scale that reads at `pace`, from two readings of a `words`-word sample.

    Each reading is (length scale, voiced seconds). Voiced time is close to a line in the scale but
    does not go through zero (every phoneme lasts at least one frame, whatever the scale): measured
    on a medium voice, scales 0.5-1.26 gave 21-40 s for one paragraph, 8.6 s of it fixed. The result
    is rounded, so that the cache key built from it is stable, and bounded to what a voice still
    says intelligibly.
    """
    (scale_a, seconds_a), (scale_b, seconds_b) = readings
    slope = (seconds_b - seconds_a) / (scale_b - scale_a)
    target = 60.0 * words / pace
    scale = scale_a + (target - seconds_a) / slope if slope > 0 else scale_a
    return round(min(2.0, max(0.5, scale)), 2)
