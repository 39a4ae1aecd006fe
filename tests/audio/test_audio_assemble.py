"""The programme timeline: exact layout from lengths alone, and block rendering equal to a plain mix."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pytest
import soxr
from audio_support import make_script, sine_clip, speechlike

from producer.audio.assemble import (
    Assets,
    Ducking,
    Pacing,
    Placement,
    Timeline,
    ducked_spans,
    frames_at,
    plan_programme,
    render_blocks,
)
from producer.errors import AudioError
from producer.models import Chapter, Clip, Cue

RATE = 8000
PACING = Pacing(
    intro_overlap=0.5,
    between_segments=0.25,
    after_headlines=0.5,
    after_transition=0.125,
    around_stinger=0.25,
    between_stories=1.0,
    before_outro=0.5,
)
# Speech at 16 kHz: every length below halves at the programme's 8 kHz.
SPEECH_SECONDS = [1.0, 1.5, 2.0, 0.5, 3.0, 0.5, 2.0, 1.0]


@dataclass(frozen=True)
class CountingSource:
    """An AudioSource that counts its loads, like a cached file would be read."""

    clip: Clip
    loads: list[int]

    @property
    def rate(self) -> int:
        return self.clip.rate

    @property
    def frames(self) -> int:
        return self.clip.frames

    def load(self) -> Clip:
        self.loads.append(1)
        return self.clip


def assets(*, stinger: bool = True, bed: Clip | None = None) -> Assets:
    return Assets(
        intro=sine_clip(2.0, RATE, 330.0),
        outro=sine_clip(1.5, RATE, 220.0),
        stinger=sine_clip(0.5, RATE, 660.0) if stinger else None,
        bed=bed,
    )


def speech() -> list[list[Clip]]:
    """One line per segment."""
    return [[sine_clip(s, 16000, 200.0 + 50 * i)] for i, s in enumerate(SPEECH_SECONDS)]


def test_layout_is_exact() -> None:
    script = make_script(2)
    programme = plan_programme(script, speech(), assets(), rate=RATE, pacing=PACING)
    layout = [(p.label, p.start, p.frames) for p in programme.placements]
    assert layout == [
        ("intro", 0, 16000),
        ("ident", 12000, 8000),
        ("greeting", 22000, 12000),
        ("headlines", 36000, 16000),
        ("transition", 56000, 4000),
        ("story", 61000, 24000),
        ("stinger", 87000, 4000),
        ("transition", 93000, 4000),
        ("story", 98000, 16000),
        ("signoff", 116000, 8000),
        ("outro", 128000, 12000),
    ]
    assert programme.frames == 140000
    assert programme.placements[0].fade_out == 4000  # the intro's tail fades under the first words
    assert programme.chapters == (
        Chapter("العناوين", 0.0, 7.0),
        Chapter("عنوان 1", 7.0, 10.875),
        Chapter("عنوان 2", 10.875, 17.5),  # from the stinger that announces it
    )
    texts = [segment.text for segment in script.segments]
    times = [(1.5, 2.5), (2.75, 4.25), (4.5, 6.5), (7.0, 7.5), (7.625, 10.625), (11.625, 12.125)]
    times += [(12.25, 14.25), (14.5, 15.5)]
    assert programme.cues == tuple(Cue(a, b, t) for (a, b), t in zip(times, texts, strict=True))
    # A cut at the end of every pause: before each segment but the first, around the stinger
    # and before the outro.
    assert programme.cuts == (22000, 36000, 56000, 61000, 87000, 93000, 98000, 116000, 128000)
    assert programme.breaks == (93000,)  # where the second story starts, after the stinger


def test_lines_of_a_segment_are_placed_with_a_breath_between_them() -> None:
    lines = [sine_clip(1.0, 16000, 300.0), Clip(np.zeros(0, np.float32), 16000), sine_clip(0.5, 16000, 400.0)]
    voiced = speech()
    voiced[4] = lines  # the first story: three lines, one of them empty
    pacing = replace(PACING, between_lines=0.25)
    programme = plan_programme(make_script(2), voiced, assets(), rate=RATE, pacing=pacing)
    story = [(p.start, p.frames) for p in programme.placements if p.label == "story"]
    assert story[:2] == [(61000, 8000), (61000 + 8000 + 2000, 4000)]  # the empty line takes no time
    cue = programme.cues[4]
    assert (cue.start, cue.end) == (61000 / RATE, (61000 + 14000) / RATE)
    assert 61000 + 8000 + 2000 in programme.cuts


@pytest.mark.parametrize("granule", [1000, 1152])
def test_cuts_fall_on_the_granule_and_parts_do_not_depend_on_what_came_before(granule: int) -> None:
    longer = speech()
    longer[1] = [sine_clip(2.3, 16000, 250.0)]  # the greeting grows by an odd length
    plans = [
        plan_programme(make_script(2), v, assets(), rate=RATE, pacing=PACING, granule=granule)
        for v in (speech(), longer)
    ]
    for plan in plans:
        assert plan.cuts and all(cut % granule == 0 for cut in plan.cuts)
        for cut in plan.cuts:  # nothing plays in the granule before a cut
            assert all(p.end <= cut - granule or p.start >= cut for p in plan.placements)

    def after(plan: Timeline, cut: int) -> list[tuple[str, int, int]]:
        return [(p.label, p.start - cut, p.frames) for p in plan.placements if p.start >= cut]

    # From the first transition on, both plans lay out the same, shifted by whole granules.
    first, second = (next(p.start for p in plan.placements if p.label == "transition") for plan in plans)
    assert (second - first) % granule == 0 and second > first
    assert after(plans[0], first) == after(plans[1], second)


def test_without_stinger_stories_are_separated_by_a_pause() -> None:
    programme = plan_programme(make_script(2), speech(), assets(stinger=False), rate=RATE, pacing=PACING)
    starts = {p.label: p.start for p in programme.placements if p.label in ("transition", "signoff")}
    story0 = next(p for p in programme.placements if p.label == "story")
    second = [p for p in programme.placements if p.label == "transition"][1]
    assert second.start == story0.end + 8000
    assert "stinger" not in [p.label for p in programme.placements]
    assert starts["signoff"] == second.start + 4000 + 1000 + 16000 + 2000


def test_no_music_at_all() -> None:
    programme = plan_programme(make_script(1), speech()[:6], Assets(None, None, None, None), rate=RATE)
    assert programme.placements[0].start == 0
    assert programme.frames == programme.placements[-1].end
    assert programme.chapters[-1].end == programme.frames / RATE


def test_plan_needs_one_voice_per_segment() -> None:
    with pytest.raises(ValueError):
        plan_programme(make_script(2), speech()[:3], assets(), rate=RATE)


def test_plan_loads_no_audio() -> None:
    loads: list[int] = []
    sources = [[CountingSource(clip, loads) for clip in lines] for lines in speech()]
    plan_programme(make_script(2), sources, assets(), rate=RATE, pacing=PACING)
    assert loads == []


def test_bed_spans_the_speech_and_is_ducked() -> None:
    bed = Clip(speechlike(3.0, RATE, seed=5), RATE)
    pacing = replace(PACING, bed_fade=1.0)
    programme = plan_programme(make_script(2), speech(), assets(bed=bed), rate=RATE, pacing=pacing)
    placed = next(p for p in programme.placements if p.label == "bed")
    # From a second before the first words to a second after the last, fading at both ends.
    assert (placed.start, placed.end) == (12000 - RATE, 124000 + RATE)
    assert (placed.fade_in, placed.fade_out) == (RATE, RATE)
    assert placed.ducking is not None
    assert placed.frames > bed.frames  # looped


def test_the_bed_stays_down_across_a_breath_and_rises_in_longer_pauses() -> None:
    lines = [Placement(sine_clip(1.0, RATE), start, 8000) for start in (0, 10000, 22000, 40000)]
    # Gaps of 2000 and 4000 frames; a bridge of 3000 joins only the first.
    assert ducked_spans(Ducking(0.4, 800, 2400, 3000), lines) == [(0, 18000), (22000, 30000), (40000, 48000)]


def reference_mix(programme: Timeline) -> np.ndarray:
    """The whole programme mixed in one buffer, the obvious way."""
    out = np.zeros(max(p.end for p in programme.placements), np.float64)
    foreground = [p for p in programme.placements if p.ducking is None]
    for p in programme.placements:
        clip = p.source.load()
        y = clip.samples.astype(np.float64)
        if clip.rate != programme.rate:
            y = soxr.resample(clip.samples, clip.rate, programme.rate, quality="HQ").astype(np.float64)
            y = np.concatenate((y, np.zeros(frames_at(clip, programme.rate) - len(y))))
        k = np.arange(p.frames, dtype=np.float64)
        env = np.ones(p.frames)
        if p.fade_in:
            env = np.minimum(env, k / p.fade_in)
        if p.fade_out:
            env = np.minimum(env, (p.frames - k) / p.fade_out)
        if p.ducking is not None:
            n = k + p.start
            presence = np.zeros(p.frames)
            for start, end in ducked_spans(p.ducking, foreground):
                rise = np.clip((n - (start - p.ducking.attack)) / p.ducking.attack, 0, 1)
                fall = np.clip((end + p.ducking.release - n) / p.ducking.release, 0, 1)
                presence = np.maximum(presence, np.minimum(rise, fall))
            env *= 1 - presence * (1 - p.ducking.depth)
        out[p.start : p.end] += y[np.arange(p.frames) % len(y)] * env * p.gain
    return out[: programme.frames]


@pytest.mark.parametrize("block_frames", [1, 777, 4096, 10**6])
def test_render_equals_a_full_buffer_mix(block_frames: int) -> None:
    bed = Clip(speechlike(3.0, 11025, seed=5), 11025)  # looped and resampled too
    programme = plan_programme(make_script(2), speech(), assets(bed=bed), rate=RATE, pacing=PACING)
    if block_frames == 1:  # one-frame blocks are slow: a shorter stretch shows the same
        programme = Timeline(RATE, 30000, programme.placements)
    blocks = list(render_blocks(programme, block_frames=block_frames))
    assert all(b.dtype == np.float32 for b in blocks)
    assert [len(b) for b in blocks[:-1]] == [block_frames] * (len(blocks) - 1)
    mixed = np.concatenate(blocks)
    assert len(mixed) == programme.frames
    np.testing.assert_allclose(mixed, reference_mix(programme), atol=2e-6)


def test_each_source_is_loaded_once_and_only_while_needed() -> None:
    loads: list[int] = []
    sources = [[CountingSource(clip, loads) for clip in lines] for lines in speech()]
    programme = plan_programme(make_script(2), sources, assets(), rate=RATE, pacing=PACING)
    seen = []
    for block in render_blocks(programme, block_frames=1000):
        seen.append(len(loads))
        assert len(block) == 1000
    assert len(loads) == len(sources)
    # Loads happen progressively as the blocks reach each segment, not all up front.
    assert seen[0] == 0 and seen[20] < len(sources)


def test_a_source_that_changed_since_planning_is_an_error() -> None:
    class Shrinking:
        rate, frames = RATE, 800

        def load(self) -> Clip:
            return Clip(np.zeros(400, np.float32), RATE)

    programme = Timeline(RATE, 800, (Placement(Shrinking(), 0, 800, label="story"),))
    with pytest.raises(AudioError):
        list(render_blocks(programme))
