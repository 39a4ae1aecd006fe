"""A programme's bulletin planned to its length: which stories, how much of each, the script.

The stories' reading time is what is left of the programme's length once its fixed parts are
counted: the ident, greeting, headlines, transitions and sign-off the templates make (read at
the same pace), the jingles, a stinger between stories and the pauses between segments. The
script is composed once with each story's lead to measure those, the stories are fitted to what
remains, and the script is composed again with the stories as they will be read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from producer.air.fit import Fitted, fit, seconds_for
from producer.models import Script, SegmentKind, Story

SEGMENT_PAUSE = 0.45  # seconds between segments (assemble.Pacing.between_segments)


@dataclass(frozen=True)
class Furniture:
    """The programme's own sound around the stories, in seconds."""

    intro: float
    outro: float
    stinger: float


@dataclass(frozen=True)
class Planned:
    script: Script
    stories: tuple[Fitted, ...]
    seconds: float  # the whole programme, estimated


def fixed_seconds(script: Script, furniture: Furniture, words_per_minute: float) -> float:
    """Everything in `script` but its stories' own text: what the stories cannot have."""
    spoken = [s for s in script.segments if s.kind is not SegmentKind.STORY]
    stories = len(script.headlines)
    return (
        sum(seconds_for(s.text.split("\n"), words_per_minute) for s in spoken)
        + furniture.intro
        + furniture.outro
        + furniture.stinger * max(0, stories - 1)
        + SEGMENT_PAUSE * len(script.segments)
    )


def plan(
    stories: Sequence[Story],
    *,
    length_seconds: float,
    words_per_minute: float,
    furniture: Furniture,
    compose: Callable[[Sequence[Story]], Script],
    least: Sequence[int] | None = None,
    keep: int = 0,
) -> Planned:
    """The bulletin of `stories` (best first) that fits `length_seconds` as closely as it can;
    `least` and `keep` are the editors' (see fit)."""
    leads = [Story(s.headline, s.paragraphs[:1]) for s in stories]
    fixed = fixed_seconds(compose(leads), furniture, words_per_minute)
    fitted = fit(stories, length_seconds - fixed, words_per_minute, least=least, keep=keep)
    if not fitted:
        fitted = fit(stories[:1], float("inf"), words_per_minute)[:1]
        fitted = [
            Fitted(Story(f.story.headline, f.story.paragraphs[:1]), f.seconds, f.total_paragraphs)
            for f in fitted
        ]
    script = compose([f.story for f in fitted])
    total = fixed_seconds(script, furniture, words_per_minute) + sum(f.seconds for f in fitted)
    return Planned(script, tuple(fitted), total)
