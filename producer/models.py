"""The data that moves between pipeline stages.

Every stage takes and returns these plain, immutable values; none of them holds a path, a
connection or a setting, so each stage can be tested alone with exact expectations.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Protocol

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Story:
    """One cleaned article: what a newsreader would read, nothing a web page added."""

    headline: str
    paragraphs: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join((self.headline, *self.paragraphs))


class Target(StrEnum):
    """What a bulletin is made for: the podcast MP3 or the broadcast WAV (see audio.master.TARGETS)."""

    PODCAST = "podcast"
    BROADCAST = "broadcast"


class SegmentKind(StrEnum):
    IDENT = "ident"
    GREETING = "greeting"
    HEADLINES = "headlines"
    TRANSITION = "transition"
    STORY = "story"
    SIGNOFF = "signoff"


# What each kind of segment is called in the editor and in script files.
SEGMENT_LABELS = {
    SegmentKind.IDENT: "تعريف المحطة",
    SegmentKind.GREETING: "التحية",
    SegmentKind.HEADLINES: "العناوين",
    SegmentKind.TRANSITION: "انتقال",
    SegmentKind.STORY: "خبر",
    SegmentKind.SIGNOFF: "الختام",
}


@dataclass(frozen=True)
class Segment:
    """A unit of speech in the script; `story` is the 0-based story it belongs to, if any."""

    kind: SegmentKind
    text: str
    story: int | None = None


@dataclass(frozen=True)
class Script:
    """The broadcast script staff review and edit before it is voiced."""

    title: str
    station: str
    programme: str
    created: datetime
    headlines: tuple[str, ...]
    segments: tuple[Segment, ...]


class AudioSource(Protocol):
    """Audio whose length is known before it is loaded: an in-memory Clip or a cached file.

    The assembler plans a whole programme from `frames`/`rate` alone and loads each source only
    when its block is mixed, which keeps memory bounded for long programmes.
    """

    @property
    def rate(self) -> int: ...

    @property
    def frames(self) -> int: ...

    def load(self) -> Clip: ...

    def identity(self) -> str:
        """A digest of the audio itself: equal identities mean equal samples."""
        ...


@dataclass(frozen=True)
class Clip:
    """Mono float32 audio in [-1, 1] at `rate` Hz."""

    samples: Samples
    rate: int

    @property
    def frames(self) -> int:
        return len(self.samples)

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate

    def load(self) -> Clip:
        return self

    def identity(self) -> str:
        return self._identity

    @cached_property
    def _identity(self) -> str:
        # Hashed once: a jingle's identity is asked for by every encoded part that plays it.
        h = hashlib.blake2b(f"{self.rate}:{len(self.samples)}:".encode(), digest_size=16)
        h.update(np.ascontiguousarray(self.samples, dtype="<f4").tobytes())
        return h.hexdigest()


@dataclass(frozen=True)
class Chapter:
    title: str
    start: float
    end: float


@dataclass(frozen=True)
class Cue:
    """A transcript cue: one spoken segment with its times in the finished programme."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class EpisodeMeta:
    """What the encoder writes into tags and what the feed says about the episode."""

    title: str
    station: str
    programme: str
    created: datetime
    language: str = "ara"
    chapters: tuple[Chapter, ...] = ()
    cues: tuple[Cue, ...] = field(default=())


# Newsroom account roles, least to most privileged: each may do what the ones before it may.
ROLES = ("viewer", "editor", "admin")
