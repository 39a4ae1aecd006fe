"""Assemble: lay the voiced script and the jingles out on a timeline, then mix it block by block.

`plan_programme` decides where everything goes from the sources' lengths alone, so the programme's
length, chapters and transcript cues are known before any audio is touched. `render_blocks` then
mixes a few seconds at a time: a source is loaded when the first block that needs it is mixed
and dropped after its last one, so memory stays bounded however long the programme is; sources
at another rate are resampled (soxr) as they are read.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import soxr

from producer.errors import AudioError
from producer.models import AudioSource, Chapter, Clip, Cue, Samples, Script, SegmentKind


@dataclass(frozen=True)
class Assets:
    """The station's music: intro and outro jingles, the stinger between stories, an optional bed."""

    intro: AudioSource | None
    outro: AudioSource | None
    stinger: AudioSource | None
    bed: AudioSource | None


@dataclass(frozen=True)
class Pacing:
    """How the programme breathes, in seconds (and dB for the music bed)."""

    intro_overlap: float = 1.2  # the first words start this long before the intro ends
    between_segments: float = 0.45
    between_lines: float = 0.25  # a breath between the paragraphs (lines) of one segment
    after_headlines: float = 0.8
    after_transition: float = 0.35
    around_stinger: float = 0.3  # silence before and after each stinger
    between_stories: float = 1.0  # the pause that replaces a missing stinger
    before_outro: float = 0.6
    # The bed, levelled like every item, sits this far (LU) under the speech while anything plays,
    # and comes up by bed_lift_db in the pauses: a typical news bed, heard but never in the way.
    bed_lu: float = -18.0
    bed_lift_db: float = 8.0
    duck_attack: float = 0.1  # the bed is down this long before the next words start (look-ahead)
    duck_release: float = 0.3  # and back up this long after they stop
    # Pauses shorter than this (the breath between the lines of a segment, the one between a
    # transition and its story) stay ducked: the bed rises in the pauses between segments and
    # items, and does not pump on every breath.
    duck_bridge: float = 0.4
    bed_fade: float = 2.0


@dataclass(frozen=True)
class Ducking:
    """Lower a placement to `depth` (linear) under every other placement, with ramps in frames;
    others closer than `bridge` frames count as one."""

    depth: float
    attack: int
    release: int
    bridge: int = 0


@dataclass(frozen=True)
class Placement:
    """A source on the timeline: `frames` frames from `start`, at the programme rate.

    `frames` longer than the source (at the programme rate) loops it, as the music bed does.
    Fades are linear ramps at the start and end of the placement.
    """

    source: AudioSource
    start: int
    frames: int
    gain: float = 1.0
    fade_in: int = 0
    fade_out: int = 0
    label: str = ""
    ducking: Ducking | None = None

    @property
    def end(self) -> int:
        return self.start + self.frames


@dataclass(frozen=True)
class Timeline:
    """The timeline of a whole bulletin: `frames` frames at `rate`, its chapters and cues.

    `cuts` are where the programme may be split into parts mastered and encoded on their own:
    positions on the planning granule with nothing playing for at least a granule before them.
    `breaks`, the cuts where stories start, are always used, so that an edit to one story never
    moves the parts of another.
    """

    rate: int
    frames: int
    placements: tuple[Placement, ...]
    chapters: tuple[Chapter, ...] = field(default=())
    cues: tuple[Cue, ...] = field(default=())
    cuts: tuple[int, ...] = field(default=())
    breaks: tuple[int, ...] = field(default=())

    @property
    def duration(self) -> float:
        return self.frames / self.rate


def frames_at(source: AudioSource, rate: int) -> int:
    """The source's length at `rate`: ceil(frames * rate / source rate).

    soxr gives that or one frame less; the renderer pads the difference with silence.
    """
    return -(-source.frames * rate // source.rate)


def _seconds(value: float, rate: int) -> int:
    return max(0, round(value * rate))


def _gap(seg_kind: SegmentKind, prev_kind: SegmentKind, pacing: Pacing) -> float:
    if prev_kind is SegmentKind.HEADLINES:
        return pacing.after_headlines
    if prev_kind is SegmentKind.TRANSITION and seg_kind is SegmentKind.STORY:
        return pacing.after_transition
    return pacing.between_segments


def plan_programme(
    script: Script,
    speech: Sequence[Sequence[AudioSource]],
    assets: Assets,
    *,
    rate: int,
    pacing: Pacing = Pacing(),
    granule: int = 1,
) -> Timeline:
    """Place intro, the spoken segments (a stinger between stories), outro and the optional bed.

    `speech[i]` is the voiced `script.segments[i]`, a clip per line. Chapters run from each
    story's stinger (the first story's transition) to the next story, the last one to the end; cues are
    the spoken segments.
    The programme may be cut in each pause, lengthened up to the next multiple of `granule`, so
    that every part starts on the granule and its layout does not depend on what came before.
    Under a music bed nothing is ever silent, and there are no cuts.
    """
    if len(speech) != len(script.segments):
        raise ValueError(f"{len(speech)} voiced segments for {len(script.segments)} in the script")
    if granule < 1:
        raise ValueError("granule must be positive")
    placements: list[Placement] = []
    cues: list[Cue] = []
    story_starts: dict[int, int] = {}
    cuts: list[int] = []
    breaks: list[int] = []
    cursor = 0

    def pause(frames: int) -> int:
        """The cursor after a pause of `frames`, with a cut at its end where one fits."""
        if assets.bed is not None or frames < granule:
            return cursor + frames
        cut = -(-(cursor + frames) // granule) * granule
        cuts.append(cut)
        return cut

    if assets.intro is not None:
        intro_frames = frames_at(assets.intro, rate)
        overlap = min(_seconds(pacing.intro_overlap, rate), intro_frames) if script.segments else 0
        placements.append(Placement(assets.intro, 0, intro_frames, fade_out=overlap, label="intro"))
        cursor = intro_frames - overlap
    prev_kind: SegmentKind | None = None
    current_story: int | None = None
    speech_start: int | None = None
    for segment, lines in zip(script.segments, speech, strict=True):
        story = segment.story
        new_story = story is not None and story != current_story
        chapter_start: int | None = None
        if new_story and current_story is not None:
            if assets.stinger is not None:
                cursor = pause(_seconds(pacing.around_stinger, rate))
                chapter_start = cursor  # the stinger opens the story it announces
                stinger_frames = frames_at(assets.stinger, rate)
                placements.append(Placement(assets.stinger, cursor, stinger_frames, label="stinger"))
                cursor += stinger_frames
                cursor = pause(_seconds(pacing.around_stinger, rate))
            else:
                cursor = pause(_seconds(pacing.between_stories, rate))
            if cuts and cuts[-1] == cursor:
                breaks.append(cursor)
        elif prev_kind is not None:
            cursor = pause(_seconds(_gap(segment.kind, prev_kind, pacing), rate))
        if story is not None and new_story:
            current_story = story
            story_starts.setdefault(story, cursor if chapter_start is None else chapter_start)
        start = cursor
        for number, line in enumerate(line for line in lines if line.frames):
            if number:
                cursor = pause(_seconds(pacing.between_lines, rate))
            frames = frames_at(line, rate)
            placements.append(Placement(line, cursor, frames, label=segment.kind.value))
            cursor += frames
        cues.append(Cue(start / rate, cursor / rate, segment.text))
        speech_start = start if speech_start is None else speech_start
        prev_kind = segment.kind
    speech_end = cursor
    if assets.outro is not None:
        if script.segments:
            cursor = pause(_seconds(pacing.before_outro, rate))
        outro_frames = frames_at(assets.outro, rate)
        placements.append(Placement(assets.outro, cursor, outro_frames, label="outro"))
        cursor += outro_frames
    total = cursor
    if assets.bed is not None and speech_start is not None:
        placements.append(_bed(assets.bed, speech_start, speech_end, total, rate, pacing))
    chapters = _chapters(script, story_starts, total, rate)
    ordered = tuple(sorted(placements, key=lambda p: p.start))
    inside = tuple(c for c in cuts if 0 < c < total)
    return Timeline(
        rate, total, ordered, chapters, tuple(cues), inside, tuple(b for b in breaks if b in inside)
    )


def _bed(bed: AudioSource, speech_start: int, speech_end: int, total: int, rate: int, p: Pacing) -> Placement:
    """The bed fades in under the intro's tail and out under the outro, ducked under the rest."""
    fade = _seconds(p.bed_fade, rate)
    start = max(0, speech_start - fade)
    end = min(total, speech_end + fade)
    depth = 10.0 ** (-p.bed_lift_db / 20.0)
    attack, release = _seconds(p.duck_attack, rate), _seconds(p.duck_release, rate)
    ducking = Ducking(depth, attack, release, _seconds(p.duck_bridge, rate))
    return Placement(
        bed,
        start,
        end - start,
        gain=10.0 ** ((p.bed_lu + p.bed_lift_db) / 20.0),
        fade_in=speech_start - start,
        fade_out=end - speech_end,
        label="bed",
        ducking=ducking,
    )


# Podcast apps list chapters from the start of the episode; the opening (ident, greeting and
# headlines) gets a chapter of its own so the first story's chapter does not swallow it.
OPENING_CHAPTER = "العناوين"


def _chapters(script: Script, starts: dict[int, int], total: int, rate: int) -> tuple[Chapter, ...]:
    ordered = sorted(starts.items(), key=lambda item: item[1])
    ends = [start for _, start in ordered[1:]] + [total]
    stories = tuple(
        Chapter(script.headlines[story], start / rate, end / rate)
        for (story, start), end in zip(ordered, ends, strict=True)
    )
    if stories and stories[0].start > 0:
        return (Chapter(OPENING_CHAPTER, 0.0, stories[0].start), *stories)
    return stories


DEFAULT_BLOCK_FRAMES = 131072  # about 3 s at 44.1 kHz


def load_planned(placement: Placement) -> Clip:
    """The placement's audio, which must still be as long as when the programme was planned."""
    clip = placement.source.load()
    if clip.rate != placement.source.rate or clip.frames != placement.source.frames:
        raise AudioError(f"a {placement.label or 'source'} clip changed after the programme was planned")
    return clip


class _Reader:
    """A placement's source at the programme rate, read front to back, looping when it runs out.

    Sources at another rate go through a soxr stream, fed as the reads need more: a long speech
    clip is resampled a block at a time, and its output equals resampling the whole clip at once.
    """

    def __init__(self, placement: Placement, rate: int) -> None:
        clip = load_planned(placement)
        self._samples = np.ascontiguousarray(clip.samples, dtype=np.float32)
        self._src_rate, self._rate = clip.rate, rate
        self._length = frames_at(placement.source, rate)
        self._restart()

    def _restart(self) -> None:
        self._given = 0  # frames of the current pass handed out
        self._fed = 0  # source samples fed to the stream
        self._ready: list[Samples] = []  # resampled, not yet handed out
        self._stream = (
            None
            if self._src_rate == self._rate
            else soxr.ResampleStream(self._src_rate, self._rate, 1, dtype="float32", quality="HQ")
        )

    def read(self, count: int) -> Samples:
        """The next `count` frames, as a new array the caller may change."""
        parts = []
        while count:
            if self._given == self._length:
                self._restart()
            take = min(count, self._length - self._given)
            parts.append(self._next(take))
            self._given += take
            count -= take
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _next(self, count: int) -> Samples:
        if self._stream is None:
            return self._samples[self._given : self._given + count].copy()
        have = sum(len(part) for part in self._ready)
        while have < count and self._fed < len(self._samples):
            # About what `count` frames need, plus room for the resampler's delay.
            size = -(-(count - have) * self._src_rate // self._rate) + 256
            piece = self._samples[self._fed : self._fed + size]
            self._fed += len(piece)
            out = self._stream.resample_chunk(piece, last=self._fed == len(self._samples))
            self._ready.append(out)
            have += len(out)
        ready = np.concatenate(self._ready) if self._ready else np.zeros(0, np.float32)
        self._ready = [ready[count:]]
        if len(ready) < count:  # the stream's last frame may fall short of the planned length
            ready = np.concatenate((ready, np.zeros(count - len(ready), np.float32)))
        return ready[:count].copy()


def _fades(p: Placement, lo: int, hi: int) -> Samples | None:
    """Fade gains for placement frames [lo, hi); None when no fade reaches this stretch."""
    env: Samples | None = None
    if p.fade_in and lo < p.fade_in:
        k = np.arange(lo, hi, dtype=np.float32)
        env = np.minimum(k / np.float32(p.fade_in), np.float32(1.0))
    if p.fade_out and hi > p.frames - p.fade_out:
        k = np.arange(lo, hi, dtype=np.float32)
        down = np.minimum((p.frames - k) / np.float32(p.fade_out), np.float32(1.0))
        env = down if env is None else np.minimum(env, down)
    return env


def ducked_spans(duck: Ducking, others: Sequence[Placement]) -> list[tuple[int, int]]:
    """The stretches the ducked placement dips under: `others`, those less than `bridge` apart joined."""
    spans: list[tuple[int, int]] = []
    for other in sorted(others, key=lambda o: o.start):
        if spans and other.start - spans[-1][1] < duck.bridge:
            spans[-1] = (spans[-1][0], max(spans[-1][1], other.end))
        else:
            spans.append((other.start, other.end))
    return spans


def _ducking(duck: Ducking, spans: Sequence[tuple[int, int]], b0: int, b1: int) -> Samples | None:
    """Gain of programme frames [b0, b1) under `spans`: a trapezoid dip around each of them."""
    presence: Samples | None = None
    for start, end in spans:
        if start - duck.attack >= b1 or end + duck.release <= b0:
            continue
        n = np.arange(b0, b1, dtype=np.float64)
        rise = np.clip((n - (start - duck.attack)) / max(duck.attack, 1), 0.0, 1.0)
        fall = np.clip((end + duck.release - n) / max(duck.release, 1), 0.0, 1.0)
        shape = np.minimum(rise, fall).astype(np.float32)
        presence = shape if presence is None else np.maximum(presence, shape)
    if presence is None:
        return None
    return (1.0 - presence * np.float32(1.0 - duck.depth)).astype(np.float32)


def render_blocks(programme: Timeline, *, block_frames: int = DEFAULT_BLOCK_FRAMES) -> Iterator[Samples]:
    """Mix the programme into consecutive float32 blocks of `block_frames` (the last may be shorter)."""
    if block_frames <= 0:
        raise ValueError("block_frames must be positive")
    placements = sorted(programme.placements, key=lambda p: p.start)
    foreground = [p for p in placements if p.ducking is None]
    spans = {
        i: ducked_spans(p.ducking, foreground) for i, p in enumerate(placements) if p.ducking is not None
    }
    readers: dict[int, _Reader] = {}
    for b0 in range(0, programme.frames, block_frames):
        b1 = min(b0 + block_frames, programme.frames)
        out = np.zeros(b1 - b0, np.float32)
        for index, p in enumerate(placements):
            if p.start >= b1:
                break
            if p.end <= b0:
                continue
            if index not in readers:
                readers[index] = _Reader(p, programme.rate)
            lo, hi = max(b0, p.start) - p.start, min(b1, p.end) - p.start
            chunk = readers[index].read(hi - lo)
            fades = _fades(p, lo, hi)
            if fades is not None:
                chunk *= fades
            if p.ducking is not None:
                ducked = _ducking(p.ducking, spans[index], p.start + lo, p.start + hi)
                if ducked is not None:
                    chunk *= ducked
            if p.gain != 1.0:
                chunk *= np.float32(p.gain)
            out[lo + p.start - b0 : hi + p.start - b0] += chunk
            if p.end <= b1:
                del readers[index]
        yield out
