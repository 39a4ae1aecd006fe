"""MP3 framing as LAME does it, and cutting a programme into parts that encode on their own."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from itertools import pairwise

import numpy as np
import pytest
from audio_support import sine_clip, speechlike

from producer.audio import mp3
from producer.audio.assemble import Placement, Timeline
from producer.audio.parts import _made_ahead, split
from producer.models import Clip


def lame(samples: int) -> bytes:
    x = np.zeros(samples, "<f4")
    x[: samples // 2] = speechlike(samples / 44100, 44100, seed=3)[: samples // 2] if samples > 100 else 0
    return mp3.encode_mp3([x])


@pytest.mark.parametrize("samples", [1, 1151, 1152, 1153, 2 * 1152, 44100, 10 * 1152 - 1])
def test_frames_for_is_what_lame_makes(samples: int) -> None:
    assert mp3.count_frames(lame(samples)) == mp3.frames_for(samples)


def test_count_frames_refuses_what_is_not_whole_frames() -> None:
    data = lame(5000)
    with pytest.raises(ValueError):
        mp3.count_frames(data[:-1])
    with pytest.raises(ValueError):
        mp3.count_frames(b"ID3" + data)


def programme_with_cuts(seconds: list[float], breaks: tuple[int, ...] = (), rate: int = 44100) -> Timeline:
    """Clips of `seconds`, each followed by a second of silence ending on the frame grid; the
    cuts after the clips numbered in `breaks` are breaks."""
    placements, cuts, cursor = [], [], 0
    for i, length in enumerate(seconds):
        clip = sine_clip(length, rate, 200.0 + 20 * i)
        placements.append(Placement(clip, cursor, clip.frames))
        cursor = -(-(cursor + clip.frames + rate) // mp3.FRAME) * mp3.FRAME
        cuts.append(cursor)
    kept = tuple(cuts[:-1])
    return Timeline(rate, cursor, tuple(placements), cuts=kept, breaks=tuple(kept[i] for i in breaks))


def test_split_joins_short_stretches_and_keeps_every_placement() -> None:
    programme = programme_with_cuts([5, 5, 5, 30, 2, 2, 40, 1])
    parts = split(programme, min_seconds=20)
    starts = [part.start for part in parts]
    assert starts[0] == 0 and all(s in programme.cuts for s in starts[1:])
    assert [p.last for p in parts] == [False] * (len(parts) - 1) + [True]
    lengths = [b - a for a, b in pairwise([*starts, programme.frames])]
    assert all(n >= 20 * 44100 for n in lengths[:-1])
    assert [part.programme.frames for part in parts] == lengths
    placed = [(part.start + p.start, p.source) for part in parts for p in part.programme.placements]
    assert placed == [(p.start, p.source) for p in programme.placements]
    assert all(part.fed == part.programme.frames - mp3.FRAME for part in parts[:-1])
    assert parts[-1].fed == parts[-1].programme.frames


def test_an_edit_changes_the_parts_of_its_own_story_alone() -> None:
    """Two stories of five clips, the break between them after clip 4: lengthening clip 1
    regroups the first story's parts, never the second's."""
    programmes = [programme_with_cuts(lengths, breaks=(4,)) for lengths in ([8] * 10, [8, 13, *[8] * 8])]

    def layouts(programme: Timeline, *, second: bool) -> list[list[tuple[int, int]]]:
        brk = programme.breaks[0]
        parts = split(programme, min_seconds=20)
        assert brk in [part.start for part in parts]
        chosen = [part for part in parts if (part.start >= brk) == second]
        return [[(p.start, p.frames) for p in part.programme.placements] for part in chosen]

    before, after = programmes
    assert layouts(before, second=False) != layouts(after, second=False)
    assert layouts(before, second=True) == layouts(after, second=True)


def test_split_refuses_cuts_off_the_grid_or_through_a_placement() -> None:
    clip = Clip(np.ones(44100, np.float32) * 0.1, 44100)
    with pytest.raises(ValueError):
        split(Timeline(44100, 10 * mp3.FRAME * 10, (), cuts=(1000,)))
    through = Timeline(44100, 100 * mp3.FRAME, (Placement(clip, 0, clip.frames),), cuts=(38 * mp3.FRAME,))
    with pytest.raises(ValueError, match="runs over"):
        split(through, min_seconds=0)


def _blocks(count: int, fail_at: int | None = None) -> Iterator[np.ndarray]:
    for i in range(count):
        if i == fail_at:
            raise ValueError("the mix failed")
        yield np.full(4, i, np.float32)


def test_blocks_made_ahead_come_in_order_and_carry_the_makers_error() -> None:
    assert [int(block[0]) for block in _made_ahead(_blocks(50), depth=2)] == list(range(50))
    got = []
    with pytest.raises(ValueError, match="the mix failed"):
        got.extend(int(block[0]) for block in _made_ahead(_blocks(50, fail_at=7)))
    assert got == list(range(7))


def test_a_consumer_that_stops_early_stops_the_maker() -> None:
    before = threading.active_count()
    made = _made_ahead(_blocks(10_000), depth=2)
    assert int(next(made)[0]) == 0
    made.close()
    assert threading.active_count() == before
