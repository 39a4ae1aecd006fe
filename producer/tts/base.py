"""The one interface every TTS engine implements.

An engine turns speakable text into float32 mono audio, one chunk per sentence, and says in one
sentence why it cannot run when it cannot. Everything about caching and parallelism lives outside
the engines (`cache.py`, `synth.py`), so an engine stays a thin adapter over its library.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import ClassVar, Literal

from producer.models import Samples

# How `synthesize_segments` may run one engine in parallel: "threads" when its library releases
# the GIL and is thread-safe, "processes" when it keeps process-wide state (libespeak-ng).
Concurrency = Literal["threads", "processes"]


@dataclass(frozen=True)
class AudioChunk:
    """The audio of one sentence: float32 mono samples in [-1, 1] at `rate` Hz."""

    samples: Samples
    rate: int


class Engine(ABC):
    """A text-to-speech engine.

    Engines that run in worker processes must be picklable: they keep native handles out of their
    pickled state and open them again on first use.
    """

    name: ClassVar[str]
    # True when the engine reads Arabic well only with diacritics supplied by the caller.
    wants_diacritics: ClassVar[bool]
    concurrency: ClassVar[Concurrency] = "threads"

    @abstractmethod
    def check(self) -> str | None:
        """None when the engine can synthesize here, else one sentence saying why not."""

    @abstractmethod
    def voices(self) -> list[str]:
        """The voices this engine offers for Arabic."""

    @abstractmethod
    def default_voice(self) -> str:
        """The voice used when none is given."""

    @abstractmethod
    def version(self) -> str:
        """Engine and library version (and voice data fingerprint): part of the cache key."""

    @abstractmethod
    def options_key(self) -> str:
        """The options that change the audio (rate, pitch, host…): part of the cache key."""

    @abstractmethod
    def synthesize(self, text: str, voice: str | None = None) -> Iterator[AudioChunk]:
        """Speak `text`, yielding one chunk per sentence; raises EngineError on failure."""

    @abstractmethod
    def close(self) -> None:
        """Release sessions and threads the engine opened; it may be used again after."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
