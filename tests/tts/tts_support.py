"""Helpers shared by the TTS tests: sample texts, a loudness measure and a call-counting engine."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np

from producer.tts.base import AudioChunk, Engine

SHORT = "أعلنت البلدية افتتاح جسر جديد."
MEDIUM = "أعلنت البلدية افتتاح جسر جديد فوق النهر. وقال رئيس البلدية إن الجسر يخفف الازدحام في وسط المدينة."
LONG = (
    "أعلنت البلدية صباح اليوم افتتاح جسر جديد فوق النهر، بعد عامين من العمل المتواصل. "
    "وقال رئيس البلدية في مؤتمر صحفي إن الجسر يخفف الازدحام في وسط المدينة، ويختصر الطريق "
    "بين الأحياء الشرقية والغربية إلى النصف تقريباً. وأضاف أن أعمال الصيانة ستبدأ في الربيع المقبل، "
    "وأن البلدية تدرس إنشاء جسر ثانٍ للمشاة قرب السوق القديم."
)


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if len(samples) else 0.0


def joined(chunks: list[AudioChunk]) -> np.ndarray:
    return np.concatenate([chunk.samples for chunk in chunks])


class CountingEngine(Engine):
    """Wraps a real engine and counts the texts it is asked to voice (thread-safe)."""

    wants_diacritics = False

    def __init__(self, inner: Engine) -> None:
        self.inner = inner
        self.name = inner.name  # type: ignore[misc]
        self.concurrency = "threads"  # type: ignore[misc]
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def check(self) -> str | None:
        return self.inner.check()

    def voices(self) -> list[str]:
        return self.inner.voices()

    def default_voice(self) -> str:
        return self.inner.default_voice()

    def version(self) -> str:
        return self.inner.version()

    def options_key(self) -> str:
        return self.inner.options_key()

    def synthesize(self, text: str, voice: str | None = None) -> Iterator[AudioChunk]:
        with self._lock:
            self.calls.append(text)
        return self.inner.synthesize(text, voice)

    def close(self) -> None:
        self.inner.close()
