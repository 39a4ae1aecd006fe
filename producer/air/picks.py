"""Editors' picks applied to a programme's candidate stories: which are read, in what order, and
how much of each at least.

Pinned stories come first (in the editor's order) and are never left out, whatever the count
or the fit; dropped ones are not read. The others follow in the editor's order; stories that
came in after the editor ordered the list have no position and go before the ordered ones, the
newest first, as the candidates come. An extended story keeps its lead and `extra` paragraphs
more, however tight the fit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Choice:
    pinned: bool = False
    dropped: bool = False
    position: int | None = None
    extra: int = 0


@dataclass(frozen=True)
class Lineup:
    order: tuple[int, ...]  # every candidate not dropped, in reading order
    chosen: tuple[int, ...]  # those the bulletin reads (its first ones)
    least: tuple[int, ...]  # for each chosen story, the paragraphs it keeps at least
    keep: int  # the first `keep` chosen are pinned: the fit never leaves them out


def line_up(
    candidates: Sequence[int],
    paragraphs: Mapping[int, int],
    choices: Mapping[int, Choice],
    max_stories: int,
) -> Lineup:
    """The reading order of `candidates` (article ids, newest first) under the editors' `choices`."""
    none = Choice()

    def key(item: tuple[int, int]) -> tuple[int, int, int]:
        index, article = item
        choice = choices.get(article, none)
        position = choice.position if choice.position is not None else -1
        return (0 if choice.pinned else 1, position, index)

    kept = [(i, a) for i, a in enumerate(candidates) if not choices.get(a, none).dropped]
    order = tuple(a for _, a in sorted(kept, key=key))
    pinned = [a for a in order if choices.get(a, none).pinned]
    others = [a for a in order if not choices.get(a, none).pinned]
    chosen = tuple(pinned + others[: max(0, max_stories - len(pinned))])
    least = tuple(
        min(paragraphs.get(a, 0), 1 + max(0, choices.get(a, none).extra)) if paragraphs.get(a, 0) else 0
        for a in chosen
    )
    return Lineup(order, chosen, least, len(pinned))
