"""espeak-ng, the offline default: libespeak-ng from the espeakng-loader wheel, through ctypes.

The wheel ships the library with its data (Arabic included), so no system package is needed and
every machine voices the same text identically. libespeak-ng keeps its state in process-wide
globals, so one process holds one initialized library behind a lock, and parallel synthesis runs
in worker processes (`concurrency = "processes"`). Its output also varies very slightly with what
the process voiced before (the phase of its pitch flutter is library state), so the audio of a
segment is fixed once, by the segment cache, rather than expected to be bit-identical per call.
"""

from __future__ import annotations

import ctypes
import functools
import importlib.metadata
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import espeakng_loader
import numpy as np

from producer.errors import EngineError, EngineUnavailable
from producer.tts.base import AudioChunk, Engine
from producer.tts.pace import DEFAULT_PACE, espeak_rate
from producer.tts.spelling import ESPEAK_SPELLING, espeak_spelling
from producer.tts.text import split_sentences

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000  # report a missing data folder instead of calling exit()
_CHARS_UTF8 = 1
_ENDPAUSE = 0x1000  # end each call with the natural sentence pause
_POS_CHARACTER = 1
_PARAM_RATE = 1
_PARAM_PITCH = 3
_EE_OK = 0

_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)

# The voice variants offered by name; espeak-ng accepts any file of its voices/!v folder.
_OFFERED_VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5")


@dataclass(frozen=True)
class EspeakConfig:
    """espeak-ng's rate parameter (its own unit: see pace.py for Arabic words per minute) and base
    pitch 0-99."""

    rate: int = field(default_factory=lambda: espeak_rate(DEFAULT_PACE))
    pitch: int = 45


class _Library:
    """libespeak-ng, loaded and initialized once in this process."""

    def __init__(self) -> None:
        try:
            lib = ctypes.CDLL(espeakng_loader.get_library_path())
            data_path = espeakng_loader.get_data_path()
        except (OSError, RuntimeError) as exc:
            raise EngineUnavailable(f"libespeak-ng from espeakng-loader cannot be loaded: {exc}.") from exc
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Info.argtypes = [ctypes.c_void_p]
        lib.espeak_Info.restype = ctypes.c_char_p

        self.rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path.encode(), _INITIALIZE_DONT_EXIT
        )
        if self.rate <= 0:
            raise EngineUnavailable(f"libespeak-ng could not initialize with its data in {data_path}.")
        self.version = (lib.espeak_Info(None) or b"?").decode()
        self.variants = {p.name for p in (Path(data_path) / "voices" / "!v").iterdir()}
        self._lib = lib
        self._pending: list[bytes] = []
        # ctypes must keep the callback object alive as long as the library may call it.
        self._callback = _SynthCallback(self._on_audio)
        lib.espeak_SetSynthCallback(self._callback)

    def _on_audio(self, wav: ctypes._Pointer[ctypes.c_short], count: int, _events: int | None) -> int:
        if wav and count > 0:
            self._pending.append(ctypes.string_at(wav, count * 2))
        return 0

    def has_voice(self, voice: str) -> bool:
        return self._lib.espeak_SetVoiceByName(voice.encode()) == _EE_OK

    def speak(self, sentence: str, voice: str, config: EspeakConfig) -> np.ndarray:
        """int16 samples of one sentence (callers hold the process lock)."""
        if not self.has_voice(voice):
            raise EngineError(f"espeak-ng has no voice {voice!r}.")
        # Setting a voice resets rate and pitch to the voice's own, so set them on every call.
        self._lib.espeak_SetParameter(_PARAM_RATE, config.rate, 0)
        self._lib.espeak_SetParameter(_PARAM_PITCH, config.pitch, 0)
        data = sentence.encode()
        self._pending = []
        status = self._lib.espeak_Synth(
            data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8 | _ENDPAUSE, None, None
        )
        if status != _EE_OK:
            raise EngineError(f"espeak-ng failed with status {status} on the sentence {sentence[:40]!r}.")
        audio = np.frombuffer(b"".join(self._pending), dtype=np.int16)
        self._pending = []
        return audio


@functools.cache
def _wheel_version() -> str:
    # Read once: every segment's cache key asks (importlib.metadata reads the wheel's files each time).
    return importlib.metadata.version("espeakng-loader")


_LOCK = threading.Lock()
_library: _Library | None = None


def _shared_library() -> _Library:
    """The process's library; call with _LOCK held."""
    global _library
    if _library is None:
        _library = _Library()
    return _library


class EspeakEngine(Engine):
    name = "espeak"
    # espeak-ng guesses short vowels and case endings from bare Arabic script poorly
    # ("كتب" → katab, "كَتَبَ" → kataba), so it reads best from diacritized text.
    wants_diacritics = True
    concurrency = "processes"

    def __init__(self, config: EspeakConfig | None = None) -> None:
        self.config = config or EspeakConfig()

    def check(self) -> str | None:
        try:
            with _LOCK:
                has_arabic = _shared_library().has_voice("ar")
        except EngineUnavailable as exc:
            return str(exc)
        return None if has_arabic else "espeak-ng has no Arabic voice in its data folder."

    def voices(self) -> list[str]:
        with _LOCK:
            variants = _shared_library().variants
        return ["ar", *(f"ar+{v}" for v in _OFFERED_VARIANTS if v in variants)]

    def default_voice(self) -> str:
        return "ar"

    def version(self) -> str:
        with _LOCK:
            library_version = _shared_library().version
        return f"espeak-ng {library_version} (espeakng-loader {_wheel_version()})"

    def options_key(self) -> str:
        return f"rate={self.config.rate} pitch={self.config.pitch} {ESPEAK_SPELLING}"

    def synthesize(self, text: str, voice: str | None = None) -> Iterator[AudioChunk]:
        voice = voice or self.default_voice()
        self._check_voice(voice)
        for sentence in split_sentences(espeak_spelling(text)):
            with _LOCK:
                library = _shared_library()
                audio = library.speak(sentence, voice, self.config)
            if len(audio):
                yield AudioChunk(audio.astype(np.float32) / 32768.0, library.rate)

    def close(self) -> None:
        """Nothing to release: the library stays loaded for the life of the process."""

    def _check_voice(self, voice: str) -> None:
        # espeak-ng silently ignores an unknown variant, so check the name here.
        language, _, variant = voice.partition("+")
        with _LOCK:
            variants = _shared_library().variants
        if language != "ar" or (variant and variant not in variants):
            offered = ", ".join(self.voices())
            raise EngineError(f"espeak-ng has no Arabic voice {voice!r}; use one of {offered}.")
