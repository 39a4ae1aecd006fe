"""Piper, the offline neural engine: `.onnx` voices the station places in its voices folder.

Arabic voices are published in the rhasspy/piper-voices release on Hugging Face
(e.g. `ar/ar_JO/kareem/medium/ar_JO-kareem-medium.onnx` and its `.onnx.json`); both files go in
`Settings.voices_dir`. Only voices whose config speaks Arabic are offered.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from piper import PiperVoice

from producer.errors import EngineError, EngineUnavailable
from producer.tts.base import AudioChunk, Engine

_PREFERRED_VOICE = "ar_JO-kareem-medium"


@dataclass(frozen=True)
class PiperConfig:
    voices_dir: Path


def _speaks_arabic(config_path: Path) -> bool:
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    language = str(config.get("language", {}).get("code", ""))
    return config.get("espeak", {}).get("voice") == "ar" or language.startswith("ar")


class PiperEngine(Engine):
    name = "piper"
    # Piper's Arabic pipeline adds diacritics itself with libtashkeel (the same model the Arabic
    # front end would use), and uses any diacritics already present as hints.
    wants_diacritics = False
    # onnxruntime releases the GIL while it runs; Piper serializes its phonemizer with a lock.
    concurrency = "threads"

    def __init__(self, config: PiperConfig) -> None:
        self.config = config
        self._loaded: dict[str, PiperVoice] = {}
        self._lock = threading.Lock()

    def _voice_files(self) -> dict[str, Path]:
        """Voice name → model path, for Arabic voices whose model and config are both present."""
        folder = self.config.voices_dir
        if not folder.is_dir():
            return {}
        return {
            model.name.removesuffix(".onnx"): model
            for model in sorted(folder.glob("*.onnx"))
            if _speaks_arabic(model.with_name(model.name + ".json"))
        }

    def check(self) -> str | None:
        if self._voice_files():
            return None
        return (
            f"No Piper voice in {self.config.voices_dir}; download e.g. ar_JO-kareem-medium from the "
            "rhasspy/piper-voices release and place both files there."
        )

    def voices(self) -> list[str]:
        return list(self._voice_files())

    def default_voice(self) -> str:
        voices = self.voices()
        if not voices:
            raise EngineUnavailable(self.check() or "No Piper voice is installed.")
        return _PREFERRED_VOICE if _PREFERRED_VOICE in voices else voices[0]

    def version(self) -> str:
        # Replacing or adding a voice file must not reuse audio voiced by the old file.
        fingerprint = hashlib.sha256()
        for model in self._voice_files().values():
            for path in (model, model.with_name(model.name + ".json")):
                stat = path.stat()
                fingerprint.update(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns};".encode())
        piper_version = importlib.metadata.version("piper-tts")
        return f"piper-tts {piper_version} voices {fingerprint.hexdigest()[:16]}"

    def options_key(self) -> str:
        return "tashkeel=on"

    def synthesize(self, text: str, voice: str | None = None) -> Iterator[AudioChunk]:
        piper_voice = self._voice(voice or self.default_voice())
        try:
            for chunk in piper_voice.synthesize(text):
                yield AudioChunk(np.asarray(chunk.audio_float_array, dtype=np.float32), chunk.sample_rate)
        except Exception as exc:  # onnxruntime and the phonemizer raise their own types
            raise EngineError(f"Piper failed to voice a segment: {exc}.") from exc

    def _voice(self, name: str) -> PiperVoice:
        with self._lock:
            if name in self._loaded:
                return self._loaded[name]
            model = self._voice_files().get(name)
            if model is None:
                raise EngineError(f"No Piper voice {name!r} in {self.config.voices_dir}.")
            try:
                loaded = PiperVoice.load(model, download_dir=self.config.voices_dir)
            except Exception as exc:  # a damaged model fails inside onnxruntime
                raise EngineError(f"The Piper voice {name} cannot be loaded: {exc}.") from exc
            self._loaded[name] = loaded
            return loaded

    def close(self) -> None:
        with self._lock:
            self._loaded.clear()
