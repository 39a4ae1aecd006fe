"""Assemble: lay the voiced script and the jingles out on a timeline, then mix it block by block.

`plan_programme` decides where everything goes from the sources' lengths alone, so the programme's
length, chapters and transcript cues are known before any audio is touched. `render_blocks` then
mixes a few seconds at a time: a source is loaded when the first block that needs it is mixed
and dropped after its last one, so memory stays bounded however long the programme is.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from producer.audio.resample import resampler
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
    after_headlines: float = 0.8
    after_transition: float = 0.35
    around_stinger: float = 0.3  # silence before and after each stinger
    between_stories: float = 1.0  # the pause that replaces a missing stinger
    before_outro: float = 0.6
    bed_db: float = -14.0  # bed level in the pauses, relative to the bed file
    duck_db: float = -10.0  # further down while anything else plays
    duck_attack: float = 0.25  # the bed starts dipping this long before speech
    duck_release: float = 0.8  # and is back up this long after it; short pauses stay ducked
    bed_fade: float = 2.0


@dataclass(frozen=True)
class Ducking:
    """Lower a placement to `depth` (linear) under every other placement, with ramps in frames."""

    depth: float
    attack: int
    release: int


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
class Programme:
    rate: int
    frames: int
    placements: tuple[Placement, ...]
    chapters: tuple[Chapter, ...] = field(default=())
    cues: tuple[Cue, ...] = field(default=())

    @property
    def duration(self) -> float:
        return self.frames / self.rate


def frames_at(source: AudioSource, rate: int) -> int:
    """The source's length once resampled to `rate`."""
    return resampler(source.rate, rate).frames(source.frames)


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
    speech: Sequence[AudioSource],
    assets: Assets,
    *,
    rate: int,
    pacing: Pacing = Pacing(),
) -> Programme:
    """Place intro, the spoken segments (a stinger between stories), outro and the optional bed.

    `speech[i]` is the voiced `script.segments[i]`. Chapters run from each story's first segment
    (its transition) to the next story, the last one to the end; cues are the spoken segments.
    """
    if len(speech) != len(script.segments):
        raise ValueError(f"{len(speech)} voiced segments for {len(script.segments)} in the script")
    placements: list[Placement] = []
    cues: list[Cue] = []
    story_starts: dict[int, int] = {}
    cursor = 0
    if assets.intro is not None:
        intro_frames = frames_at(assets.intro, rate)
        overlap = min(_seconds(pacing.intro_overlap, rate), intro_frames) if script.segments else 0
        placements.append(Placement(assets.intro, 0, intro_frames, fade_out=overlap, label="intro"))
        cursor = intro_frames - overlap
    prev_kind: SegmentKind | None = None
    current_story: int | None = None
    speech_start: int | None = None
    for segment, source in zip(script.segments, speech, strict=True):
        story = segment.story
        new_story = story is not None and story != current_story
        if new_story and current_story is not None:
            if assets.stinger is not None:
                cursor += _seconds(pacing.around_stinger, rate)
                stinger_frames = frames_at(assets.stinger, rate)
                placements.append(Placement(assets.stinger, cursor, stinger_frames, label="stinger"))
                cursor += stinger_frames + _seconds(pacing.around_stinger, rate)
            else:
                cursor += _seconds(pacing.between_stories, rate)
        elif prev_kind is not None:
            cursor += _seconds(_gap(segment.kind, prev_kind, pacing), rate)
        if story is not None and new_story:
            current_story = story
            story_starts.setdefault(story, cursor)
        frames = frames_at(source, rate)
        placements.append(Placement(source, cursor, frames, label=segment.kind.value))
        cues.append(Cue(cursor / rate, (cursor + frames) / rate, segment.text))
        speech_start = cursor if speech_start is None else speech_start
        cursor += frames
        prev_kind = segment.kind
    speech_end = cursor
    if assets.outro is not None:
        if script.segments:
            cursor += _seconds(pacing.before_outro, rate)
        outro_frames = frames_at(assets.outro, rate)
        placements.append(Placement(assets.outro, cursor, outro_frames, label="outro"))
        cursor += outro_frames
    total = cursor
    if assets.bed is not None and speech_start is not None:
        placements.append(_bed(assets.bed, speech_start, speech_end, total, rate, pacing))
    chapters = _chapters(script, story_starts, total, rate)
    return Programme(rate, total, tuple(sorted(placements, key=lambda p: p.start)), chapters, tuple(cues))


def _bed(bed: AudioSource, speech_start: int, speech_end: int, total: int, rate: int, p: Pacing) -> Placement:
    """The bed fades in under the intro's tail and out under the outro, ducked under the rest."""
    fade = _seconds(p.bed_fade, rate)
    start = max(0, speech_start - fade)
    end = min(total, speech_end + fade)
    depth = 10.0 ** (p.duck_db / 20.0)
    ducking = Ducking(depth, _seconds(p.duck_attack, rate), _seconds(p.duck_release, rate))
    return Placement(
        bed,
        start,
        end - start,
        gain=10.0 ** (p.bed_db / 20.0),
        fade_in=speech_start - start,
        fade_out=end - speech_end,
        label="bed",
        ducking=ducking,
    )


def _chapters(script: Script, starts: dict[int, int], total: int, rate: int) -> tuple[Chapter, ...]:
    ordered = sorted(starts.items(), key=lambda item: item[1])
    ends = [start for _, start in ordered[1:]] + [total]
    return tuple(
        Chapter(script.headlines[story], start / rate, end / rate)
        for (story, start), end in zip(ordered, ends, strict=True)
    )


DEFAULT_BLOCK_FRAMES = 131072  # about 3 s at 44.1 kHz


class _Loaded:
    """A placement's source, loaded, and the resampler to the programme rate."""

    def __init__(self, placement: Placement, rate: int) -> None:
        clip: Clip = placement.source.load()
        if clip.rate != placement.source.rate or clip.frames != placement.source.frames:
            raise AudioError(f"a {placement.label or 'source'} clip changed after the programme was planned")
        self.samples = clip.samples
        self.resampler = resampler(clip.rate, rate)
        self.length = self.resampler.frames(clip.frames)

    def read(self, offset: int, count: int) -> Samples:
        """`count` frames at the programme rate from `offset` into the source, looping it."""
        out = np.empty(count, np.float32)
        done = 0
        while done < count:
            pos = (offset + done) % self.length
            take = min(count - done, self.length - pos)
            out[done : done + take] = self.resampler.slice(self.samples, pos, pos + take)
            done += take
        return out


def _envelope(p: Placement, lo: int, hi: int) -> Samples | None:
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


def _ducking(duck: Ducking, others: Sequence[Placement], b0: int, b1: int) -> Samples | None:
    """Gain of programme frames [b0, b1) under `others`: a trapezoid dip around each of them."""
    presence: Samples | None = None
    for other in others:
        if other.start - duck.attack >= b1 or other.end + duck.release <= b0:
            continue
        n = np.arange(b0, b1, dtype=np.float64)
        rise = np.clip((n - (other.start - duck.attack)) / max(duck.attack, 1), 0.0, 1.0)
        fall = np.clip((other.end + duck.release - n) / max(duck.release, 1), 0.0, 1.0)
        shape = np.minimum(rise, fall).astype(np.float32)
        presence = shape if presence is None else np.maximum(presence, shape)
    if presence is None:
        return None
    return (1.0 - presence * np.float32(1.0 - duck.depth)).astype(np.float32)


def render_blocks(programme: Programme, *, block_frames: int = DEFAULT_BLOCK_FRAMES) -> Iterator[Samples]:
    """Mix the programme into consecutive float32 blocks of `block_frames` (the last may be shorter)."""
    if block_frames <= 0:
        raise ValueError("block_frames must be positive")
    placements = sorted(programme.placements, key=lambda p: p.start)
    foreground = [p for p in placements if p.ducking is None]
    loaded: dict[int, _Loaded] = {}
    for b0 in range(0, programme.frames, block_frames):
        b1 = min(b0 + block_frames, programme.frames)
        out = np.zeros(b1 - b0, np.float32)
        for index, p in enumerate(placements):
            if p.start >= b1:
                break
            if p.end <= b0:
                continue
            if index not in loaded:
                loaded[index] = _Loaded(p, programme.rate)
            lo, hi = max(b0, p.start) - p.start, min(b1, p.end) - p.start
            chunk = loaded[index].read(lo, hi - lo)
            fades = _envelope(p, lo, hi)
            if fades is not None:
                chunk *= fades
            if p.ducking is not None:
                ducked = _ducking(p.ducking, foreground, p.start + lo, p.start + hi)
                if ducked is not None:
                    chunk *= ducked
            if p.gain != 1.0:
                chunk *= np.float32(p.gain)
            out[lo + p.start - b0 : hi + p.start - b0] += chunk
            if p.end <= b1:
                del loaded[index]
        yield out
