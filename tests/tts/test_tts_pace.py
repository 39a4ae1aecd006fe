"""Pace: words per minute of voiced time, measured on real audio; espeak-ng's rate fitted to it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import webvtt

from producer.audio.ffmpeg import decode_file
from producer.settings import load_settings
from producer.tts.pace import (
    DEFAULT_PACE,
    count_words,
    espeak_rate,
    length_scale,
    voiced_seconds,
    words_per_minute,
)
from producer.tts.registry import create_engine

ARTICLE = Path(__file__).resolve().parent.parent / "data" / "pace_article.txt"
RATE = 22050


def tone(seconds: float) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * RATE), np.float32)


def test_voiced_time_leaves_out_pauses_but_not_short_gaps() -> None:
    audio = np.concatenate([tone(1.0), silence(0.1), tone(1.0), silence(0.6), tone(0.5), silence(1.0)])
    # Within a 10 ms frame at each edge of the two pauses.
    assert voiced_seconds(audio, RATE) == pytest.approx(2.6, abs=0.04)


def test_words_are_counted_with_their_diacritics() -> None:
    assert count_words("قَالَ الوَزِيرُ، إنَّ الجِسْرَ سَيُفْتَحُ غداً.") == 6


def test_espeak_rate_follows_the_pace_within_its_range() -> None:
    rates = [espeak_rate(pace) for pace in (80, 100, 130, 160, 220)]
    assert rates == sorted(rates) and len(set(rates)) == 5
    assert 200 < espeak_rate(DEFAULT_PACE) < 250


def test_length_scale_follows_two_readings_and_is_bounded() -> None:
    # 60 words: 30 s at scale 1, 20 s at scale 0.5 (10 s that do not scale).
    readings = ((1.0, 30.0), (0.5, 20.0))
    assert length_scale(60, readings, 120) == 1.0
    assert length_scale(60, readings, 144) == 0.75  # 25 s
    assert length_scale(60, readings, 80) == 1.75  # 45 s
    assert length_scale(60, readings, 220) == 0.5


def test_the_pace_setting_reaches_espeak_and_its_cache_key() -> None:
    slow = create_engine("espeak", load_settings(pace=100))
    fast = create_engine("espeak", load_settings(pace=160))
    assert slow.options_key() != fast.options_key()
    text = ARTICLE.read_text(encoding="utf-8").splitlines()[2]
    seconds = [sum(len(c.samples) / c.rate for c in e.synthesize(text)) for e in (slow, fast)]
    assert 1.4 < seconds[0] / seconds[1] < 1.8  # 160 / 100 words per minute, within measurement


def test_the_old_espeak_rate_setting_still_overrides_the_pace() -> None:
    engine = create_engine("espeak", load_settings(espeak_rate=150, pace=160))
    assert engine.options_key().startswith("rate=150 ")


@pytest.mark.slow
def test_a_built_episode_reads_at_a_newsreaders_pace(tmp_path: Path) -> None:
    """Words from the episode's own transcript over the voiced time of its audio inside the cues."""
    out = tmp_path / "pace.mp3"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRODUCER_") or k == "PRODUCER_DATA_DIR"}
    proc = subprocess.run(
        [sys.executable, "-m", "producer", "build", str(ARTICLE), "-o", str(out), "--quiet"],
        capture_output=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    audio = decode_file(out, RATE).samples
    words, seconds = 0, 0.0
    for cue in webvtt.read(str(out.with_suffix(".vtt"))):
        if any(ch.isdigit() for ch in cue.text):
            continue  # the greeting's date and time are read as more words than are written
        words += count_words(cue.text)
        seconds += voiced_seconds(
            audio[round(cue.start_in_seconds * RATE) : round(cue.end_in_seconds * RATE)], RATE
        )
    assert words > 150
    assert 120 <= words_per_minute(words, seconds) <= 150
