"""Encoding ahead: the parts of what is voiced are encoded while the rest is voiced, and they are
exactly the parts of the final plan (none wasted, none missing)."""

from __future__ import annotations

from pathlib import Path

import pytest
from audio_support import make_script, speechlike

from producer.audio import mp3
from producer.audio.ahead import EncodeAhead
from producer.audio.assemble import Pacing, plan_programme
from producer.audio.assets import default_assets
from producer.audio.master import TARGETS
from producer.audio.parts import PartCache, PartEncoder, part_key, split
from producer.models import Clip

SCRIPT = make_script(3)
TARGET = TARGETS["podcast"]


def _speech() -> list[list[Clip]]:
    return [
        [
            Clip(speechlike(1.5 + (i + k) % 3, 22050, seed=10 * i + k), 22050)
            for k in range(len(s.text.split("\n")))
        ]
        for i, s in enumerate(SCRIPT.segments)
    ]


def _final_keys(speech: list[list[Clip]], *, bed: bool = False) -> list[str]:
    assets = default_assets(TARGET.rate, use_bed=bed)
    programme = plan_programme(SCRIPT, speech, assets, rate=TARGET.rate, granule=mp3.FRAME)
    return [part_key(part, TARGET) for part in split(programme)]


def _ahead(tmp_path: Path, *, bed: bool = False) -> tuple[EncodeAhead, PartEncoder]:
    encoder = PartEncoder(TARGET, PartCache(tmp_path / "parts", 1 << 30), workers=1)
    lines = [len(s.text.split("\n")) for s in SCRIPT.segments]
    assets = default_assets(TARGET.rate, use_bed=bed)
    return EncodeAhead(SCRIPT, lines, assets, encoder, pacing=Pacing(), granule=mp3.FRAME), encoder


def test_the_stories_voiced_first_are_encoded_before_the_rest_is_voiced(tmp_path: Path) -> None:
    speech = _speech()
    final = _final_keys(speech)
    assert len(final) == 3  # up to story 1, story 2, story 3 to the end
    ahead, encoder = _ahead(tmp_path)
    last_story = max(
        i for i, s in enumerate(SCRIPT.segments) if s.story == 2 and s.kind.value == "transition"
    )
    flat = [clip for segment in speech[:last_story] for clip in segment]
    with encoder:
        for position, clip in enumerate(flat):
            ahead.voiced([(position, clip)])
        # Everything up to the third story is voiced: its two stretches are settled, the third not.
        assert encoder.submitted == set(final[:2])


@pytest.mark.parametrize("order", ["forward", "backward", "at once"])
def test_once_all_is_voiced_exactly_the_final_parts_were_submitted(tmp_path: Path, order: str) -> None:
    """Line by line in either order, or all in one call as a re-render's cache lookups tell them."""
    speech = _speech()
    ahead, encoder = _ahead(tmp_path)
    flat = list(enumerate(clip for segment in speech for clip in segment))
    with encoder:
        if order == "at once":
            ahead.voiced(flat)
        for position, clip in flat if order == "forward" else reversed(flat):
            ahead.voiced([(position, clip)])
        assert encoder.submitted == set(_final_keys(speech))


def test_under_a_bed_nothing_is_settled_before_the_last_line(tmp_path: Path) -> None:
    speech = _speech()
    ahead, encoder = _ahead(tmp_path, bed=True)
    flat = list(enumerate(clip for segment in speech for clip in segment))
    with encoder:
        for position, clip in flat[:-1]:
            ahead.voiced([(position, clip)])
        assert encoder.submitted == set()
        ahead.voiced(flat[-1:])
        assert encoder.submitted == set(_final_keys(speech, bed=True))
