"""Encoding ahead: the parts of what is already voiced are encoded while the rest is voiced.

A part's frames depend only on what lies inside it (its placements relative to its start), and
its bounds only on what lies since the story break before it (see parts.split). So a stretch
between two breaks whose lines are all voiced comes out of the final plan exactly as it comes out
of a plan in which the lines not voiced yet are stood in for, wherever that stretch ends up. Its
parts go to the encoder at once, and the final encode finds them done or under way: encoding
overlaps voicing instead of waiting for the last line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from producer.audio.assemble import Assets, Pacing, plan_programme
from producer.audio.parts import PartEncoder, split
from producer.models import AudioSource, Clip, Script


@dataclass(frozen=True)
class _Unvoiced:
    """Stands in for a line not voiced yet: one frame long, so it is placed as a voiced line is."""

    position: int
    rate: int = 22050
    frames: int = 1

    def load(self) -> Clip:
        raise AssertionError("a line not voiced yet is never mixed")

    def identity(self) -> str:
        return f"unvoiced:{self.position}"


class EncodeAhead:
    """Told of voiced lines (`voiced`), hands the parts that can no longer change to `encoder`.

    `lines_per_segment[i]` is how many lines `script.segments[i]` is voiced in; positions count
    the lines of all segments in order. Called from one thread.
    """

    def __init__(
        self,
        script: Script,
        lines_per_segment: Sequence[int],
        assets: Assets,
        encoder: PartEncoder,
        *,
        pacing: Pacing,
        granule: int,
    ) -> None:
        self._script, self._assets, self._encoder = script, assets, encoder
        self._pacing, self._granule = pacing, granule
        self._lines: list[AudioSource] = [_Unvoiced(i) for i in range(sum(lines_per_segment))]
        self._segment_of: list[int] = [i for i, n in enumerate(lines_per_segment) for _ in range(n)]
        # Breaks (see plan_programme) come only where a story other than the first starts, so a
        # stretch between breaks is made of whole groups of segments from one such start to the
        # next: planning again when a group is fully voiced finds every stretch that settled.
        self._group_of: list[int] = []
        group, story = 0, None
        for segment in script.segments:
            if segment.story is not None and segment.story != story:
                group += story is not None
                story = segment.story
            self._group_of.append(group)
        self._left = [0] * (group + 1)  # lines still to voice, per group
        for of_segment, count in zip(self._group_of, lines_per_segment, strict=True):
            self._left[of_segment] += count
        self._sent: set[int] = set()  # stretches between breaks whose parts were submitted
        self._groups: list[tuple[int, int]] = []
        start = 0
        for count in lines_per_segment:
            self._groups.append((start, start + count))
            start += count

    def voiced(self, lines: Sequence[tuple[int, AudioSource]]) -> None:
        """Told of lines voiced (or found), by position; plans once for all of them."""
        settled = False
        for position, clip in lines:
            if not isinstance(self._lines[position], _Unvoiced):
                continue
            self._lines[position] = clip
            group = self._group_of[self._segment_of[position]]
            self._left[group] -= 1
            settled |= self._left[group] == 0
        if settled:
            self._submit_settled()

    def _submit_settled(self) -> None:
        """Plan with stand-ins, and submit every part of a stretch between breaks with none."""
        speech = [self._lines[lo:hi] for lo, hi in self._groups]
        rate = self._encoder.target.rate
        programme = plan_programme(
            self._script, speech, self._assets, rate=rate, pacing=self._pacing, granule=self._granule
        )
        bounds = [0, *programme.breaks, programme.frames]
        unsettled = {
            next(i for i, end in enumerate(bounds[1:]) if p.start < end)
            for p in programme.placements
            if isinstance(p.source, _Unvoiced)
        }
        for part in split(programme):
            stretch = next(i for i, end in enumerate(bounds[1:]) if part.start < end)
            if stretch not in unsettled and stretch not in self._sent:
                self._encoder.submit(part)
        # A stretch's parts are submitted once: keying them again at every later plan (a re-render
        # finds most stretches voiced at once, from the cache) costs more than the plan itself.
        self._sent.update(i for i in range(len(bounds) - 1) if i not in unsettled)
