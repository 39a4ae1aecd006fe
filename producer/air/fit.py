"""Fitting a bulletin to its length: each story trimmed to its lead paragraphs.

The estimate is words over the station's pace (Arabic words per minute, the pace the voice is
set to) plus a breath per paragraph. Every story keeps its headline and first paragraph; further
paragraphs are added a story at a time, in the stories' order, while the total fits. A story
whose lead alone does not fit any more is left out, the latest first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from producer.models import Story

BREATH_SECONDS = 0.25  # the pause between paragraphs (assemble.Pacing.between_lines)
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Fitted:
    story: Story  # the story as it will be read: its headline and its first `kept` paragraphs
    seconds: float  # estimated reading time of what is kept
    total_paragraphs: int


def words(text: str) -> int:
    return len(_WORD.findall(text))


def seconds_for(texts: Sequence[str], words_per_minute: float) -> float:
    """Estimated reading time of `texts` (paragraphs) at the station's pace."""
    return sum(words(t) for t in texts) * 60.0 / words_per_minute + BREATH_SECONDS * len(texts)


def fit(
    stories: Sequence[Story],
    budget_seconds: float,
    words_per_minute: float,
    *,
    least: Sequence[int] | None = None,
    keep: int = 0,
) -> list[Fitted]:
    """The stories trimmed so that their estimated reading time stays within `budget_seconds`.
    An editor's choices may go over it: each story keeps at least `least[i]` paragraphs (default
    its lead), and the first `keep` stories are never left out."""
    kept = [
        min(len(story.paragraphs), max(1, least[i] if least is not None else 1))
        for i, story in enumerate(stories)
    ]

    def cost(i: int, count: int) -> float:
        return seconds_for([stories[i].headline, *stories[i].paragraphs[:count]], words_per_minute)

    chosen = list(range(len(stories)))
    while len(chosen) > keep and sum(cost(i, kept[i]) for i in chosen) > budget_seconds:
        chosen.pop()
    total = sum(cost(i, kept[i]) for i in chosen)
    growing = True
    while growing:
        growing = False
        for i in chosen:
            if kept[i] < len(stories[i].paragraphs):
                extra = cost(i, kept[i] + 1) - cost(i, kept[i])
                if total + extra <= budget_seconds:
                    kept[i] += 1
                    total += extra
                    growing = True
    return [
        Fitted(
            Story(stories[i].headline, stories[i].paragraphs[: kept[i]]),
            cost(i, kept[i]),
            len(stories[i].paragraphs),
        )
        for i in chosen
    ]
