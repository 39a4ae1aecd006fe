"""The station's music, decoded at the programme rate (mastering levels it with the speech)."""

from __future__ import annotations

from pathlib import Path

from producer.audio.assemble import Assets
from producer.audio.ffmpeg import decode_file
from producer.models import Clip
from producer.resources import bundled

# A station's jingles, stinger and bed: a bed may run under a long bulletin, nothing needs more.
MAX_ASSET_SECONDS = 900.0


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
        return decode_file(path or shipped / name, rate, MAX_ASSET_SECONDS)

    return Assets(
        intro=load(intro, "intro.ogg"),
        outro=load(outro, "outro.ogg"),
        stinger=load(stinger, "stinger.ogg"),
        bed=load(bed, "bed.ogg") if bed is not None or use_bed else None,
    )
