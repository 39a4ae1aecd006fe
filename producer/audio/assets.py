"""The station's music, decoded at the programme rate and levelled to sit with the speech."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from producer.audio.assemble import Assets
from producer.audio.ffmpeg import decode_file
from producer.audio.meter import LoudnessMeter
from producer.models import Clip
from producer.resources import bundled

# Every jingle is brought to this loudness, about that of espeak-ng's speech, so a station's
# file mastered hot (or quiet) keeps the same balance with the voice as the bundled ones.
MUSIC_LUFS = -20.0


def level(clip: Clip, lufs: float = MUSIC_LUFS) -> Clip:
    """`clip` scaled to `lufs` integrated loudness; clips too short or quiet to gate are kept."""
    meter = LoudnessMeter(clip.rate)
    meter.feed(clip.samples)
    measured = meter.integrated()
    if not math.isfinite(measured):
        return clip
    gain = np.float32(10.0 ** ((lufs - measured) / 20.0))
    return Clip(clip.samples * gain, clip.rate)


def default_assets(
    rate: int,
    *,
    intro: Path | None = None,
    outro: Path | None = None,
    stinger: Path | None = None,
    bed: Path | None = None,
    use_bed: bool = False,
) -> Assets:
    """The station's files where given, else the bundled ones, decoded at `rate`.

    A bed is used when the station gives one or `use_bed` asks for the bundled one.
    """
    shipped = bundled("audio")

    def load(path: Path | None, name: str) -> Clip:
        return level(decode_file(path or shipped / name, rate))

    return Assets(
        intro=load(intro, "intro.ogg"),
        outro=load(outro, "outro.ogg"),
        stinger=load(stinger, "stinger.ogg"),
        bed=load(bed, "bed.ogg") if bed is not None or use_bed else None,
    )
