"""The music bed as a listener hears it: measured with ffmpeg's meter under speech and in pauses.

The bed is a steady noise here, so its loudness over any stretch is its loudness; it is told
apart from the speech by mastering the programme with and without it (every item is levelled on
its own, and at the broadcast target the limiter never acts on this speech, so the difference
is the bed exactly as it sounds in the mix).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from audio_support import ebur128_samples, make_script, speechlike

from producer.audio.assemble import Assets, Pacing, Timeline, plan_programme
from producer.audio.master import TARGETS, master
from producer.models import Clip, SegmentKind

RATE = 48000
PACING = Pacing(after_headlines=1.5)


def steady_bed(seconds: float) -> Clip:
    rng = np.random.default_rng(7)
    noise = rng.standard_normal(round(seconds * RATE))
    spectrum = np.fft.rfft(noise) / np.sqrt(1.0 + np.fft.rfftfreq(len(noise), 1 / RATE) / 200.0)
    bed = np.fft.irfft(spectrum, len(noise))
    return Clip((0.1 * bed / np.abs(bed).max()).astype(np.float32), RATE)


@pytest.fixture(scope="module")
def mixes() -> tuple[Timeline, np.ndarray, np.ndarray]:
    script = make_script(2)
    # Stories of two lines (a breath between them), the rest one line.
    speech = [
        [
            Clip(speechlike(4.0, 22050, seed=10 * i + k), 22050)
            for k in range(2 if s.kind is SegmentKind.STORY else 1)
        ]
        for i, s in enumerate(script.segments)
    ]
    assets = Assets(intro=None, outro=None, stinger=None, bed=steady_bed(7.0))
    programme = plan_programme(script, speech, assets, rate=RATE, pacing=PACING)
    target = TARGETS["broadcast"]
    full = np.concatenate(list(master(programme, target)))
    dry_programme = replace(programme, placements=tuple(p for p in programme.placements if p.label != "bed"))
    dry = np.concatenate(list(master(dry_programme, target)))
    return programme, full - dry, dry


def test_under_speech_the_bed_is_18_lu_below_the_voice(mixes, tmp_path: Path) -> None:
    programme, bed, dry = mixes
    story = next(p for p in programme.placements if p.label == "story")
    span = slice(story.start, story.end)
    voice = ebur128_samples(dry[span], RATE, tmp_path)[0]
    under = ebur128_samples(bed[span], RATE, tmp_path)[0]
    assert under - voice == pytest.approx(PACING.bed_lu, abs=0.7)


def test_in_a_pause_the_bed_comes_up(mixes, tmp_path: Path) -> None:
    programme, bed, dry = mixes
    headlines = next(p for p in programme.placements if p.label == "headlines")
    after = next(p for p in programme.placements if p.start >= headlines.end and p.label != "bed")
    # The 1.5 s pause after the headlines, less the release after them and the attack before the next words.
    lo = headlines.end + round(PACING.duck_release * RATE)
    hi = after.start - round(PACING.duck_attack * RATE)
    assert hi - lo >= round(1.0 * RATE)
    assert np.abs(dry[lo:hi]).max() == 0.0  # nothing but the bed
    story = next(p for p in programme.placements if p.label == "story")
    voice = ebur128_samples(dry[story.start : story.end], RATE, tmp_path)[0]
    level = ebur128_samples(bed[lo:hi], RATE, tmp_path)[0]
    assert level - voice == pytest.approx(PACING.bed_lu + PACING.bed_lift_db, abs=0.7)


def rms_db(x: np.ndarray) -> float:
    return 10 * np.log10(np.mean(x.astype(np.float64) ** 2))


def test_the_bed_stays_down_across_a_breath_and_rises_between_segments(mixes) -> None:
    programme, bed, _ = mixes
    lines = [p for p in programme.placements if p.label == "story"][:2]
    breath = bed[lines[0].end : lines[1].start]  # 0.25 s between two lines of a story
    under = bed[lines[0].start : lines[0].end]
    assert rms_db(breath) == pytest.approx(rms_db(under), abs=0.5)
    # So does the pause between a transition and its story (0.35 s): one continuous read.
    transition = next(p for p in programme.placements if p.label == "transition")
    assert lines[0].start - transition.end == round(PACING.after_transition * RATE)
    assert rms_db(bed[transition.end : lines[0].start]) == pytest.approx(rms_db(under), abs=0.5)
    # Between segments (0.45 s, greeting to headlines) it comes all the way up for a moment.
    greeting = next(p for p in programme.placements if p.label == "greeting")
    top = greeting.end + round(PACING.duck_release * RATE)
    assert rms_db(bed[top - 480 : top + 480]) - rms_db(under) == pytest.approx(PACING.bed_lift_db, abs=1.0)
