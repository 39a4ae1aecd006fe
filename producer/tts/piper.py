"""Piper, the offline neural engine: `.onnx` voices the station places in its voices folder.

Arabic voices are published in the rhasspy/piper-voices release on Hugging Face
(e.g. `ar/ar_JO/kareem/medium/ar_JO-kareem-medium.onnx` and its `.onnx.json`); `producer voices
install` puts both files in `Settings.voices_dir`. Only voices whose config speaks Arabic are offered.

Memory: a medium voice's activations grow with the length of what one inference voices, about
0.6-0.9 MB per phoneme id (a 600-word paragraph without a full stop, voiced whole, took 11 GB).
So text is cut at sentences, then clauses, then words into pieces of at most MAX_CHARS, and a
piece whose phonemes still exceed MAX_PHONEME_IDS is cut again between words: every inference is
bounded, whatever the input.

Loaded voices are kept per process (the preview process answers every preview from a warm model).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime
from piper import PiperVoice
from piper.config import PiperConfig as VoiceConfig
from piper.config import SynthesisConfig

from producer.atomic import atomic_write_text
from producer.errors import EngineError, EngineUnavailable
from producer.tts.base import AudioChunk, Engine
from producer.tts.pace import DEFAULT_PACE, count_words, length_scale, voiced_seconds
from producer.tts.spelling import ESPEAK_SPELLING, espeak_spelling
from producer.tts.text import split_sentences, split_to_limit
from producer.tts.voices import speaks_arabic

_PREFERRED_VOICE = "ar_JO-kareem-medium"

# Bounds of one inference. Two run at once on two cores (see _inferences), and a build of a 600-word
# paragraph without a full stop with a medium voice (11 GB voiced whole) peaked at 822 MB with 100
# characters / 400 ids, 689-791 MB with 80 / 300 and 543 MB with 70 / 250, under load: 70 / 250
# leaves room under 800 MB. Sentences and clauses shorter than that are voiced whole.
MAX_CHARS = 70  # about 12 words: a clause, or a cut between words of a longer one
MAX_PHONEME_IDS = 250
# onnxruntime threads inside one inference. Inferences already run one per core (Settings.workers
# inference threads sharing one model), so each uses one core; see README's "Piper at real size"
# for the measurements behind this choice.
INTRA_OP_THREADS = 1
# onnxruntime's defaults, measured against the other levels and the parallel mode: no faster (README).
GRAPH_OPTIMIZATION = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
EXECUTION_MODE = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
_KEPT_VOICES = 2  # loaded voices kept per process (a medium voice holds ~120 MB)

# Read at two length scales without duration noise to learn how a voice's pace follows its
# length scale: plain news sentences without numbers, about 30 words, vowelled and in pausal form
# as producer's diacritizer feeds every text to Piper.
_PACE_SAMPLE = (
    "أَعْلَنَتْ وِزَارَةُ الزِّرَاعَةِ أَنَّ مَوْسِمَ الْقَمْحِ هَذَا الْعَامَ جَاءَ أَفْضَلَ مِنَ الْمُتَوَقَّعْ، "
    "رَغْمَ قِلَّةِ الْأَمْطَارِ فِي الشِّتَاءْ. وَقَالَ الْمَسْؤُولُونَ إِنَّ الْمُزَارِعِينَ سَلَّمُوا كَمِّيَّاتٍ "
    "كَبِيرَةً إِلَى مَرَاكِزِ الِاسْتِلَامِ فِي الْمُحَافَظَاتِ الشَّمَالِيَّةْ."
)


@dataclass(frozen=True)
class PiperConfig:
    voices_dir: Path
    pace: int = DEFAULT_PACE  # Arabic words per minute of voiced time
    threads: int = 1  # inferences under way at once in this process (Settings.workers)


def _speaks_arabic(config_path: Path) -> bool:
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and speaks_arabic(config)


@dataclass
class _Voice:
    """A loaded voice and two readings of the pace sample: (length scale, voiced seconds)."""

    piper: PiperVoice
    readings: tuple[tuple[float, float], tuple[float, float]]


def _bounded(phonemes: list[str], limit: int) -> Iterator[list[str]]:
    """Cut a sentence's phonemes between words so that each part gives at most `limit` ids.

    Piper feeds ~2 ids per phoneme (each followed by a pad) plus three around the sentence.
    """
    most = max(1, (limit - 3) // 2)
    while len(phonemes) > most:
        cut = max((i for i in range(1, most + 1) if phonemes[i - 1] == " "), default=most)
        yield phonemes[:cut]
        phonemes = phonemes[cut:]
    if phonemes:
        yield phonemes


def _pieces(text: str) -> Iterator[str]:
    for sentence in split_sentences(text):
        yield from split_to_limit(sentence, MAX_CHARS)


def _inference(voice: PiperVoice, ids: list[int], synthesis: SynthesisConfig) -> np.ndarray | None:
    """One bounded inference, scaled to full range as Piper's own synthesize does; None if silent."""
    audio = np.asarray(voice.phoneme_ids_to_audio(ids, synthesis))
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    return np.clip(audio / peak, -1.0, 1.0).astype(np.float32) if peak > 1e-8 else None


_POOL_LOCK = threading.Lock()
_pool: ThreadPoolExecutor | None = None


def _inferences(size: int) -> ThreadPoolExecutor:
    """The process's inference threads: every synthesis shares them, so no more than `size`
    inferences (and their memory) are ever under way at once, however many segments are voiced."""
    global _pool
    with _POOL_LOCK:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=max(1, size), thread_name_prefix="piper-inference")
        return _pool


def _voice_audio(
    voice: PiperVoice, text: str, scale: float, noise_w: float | None, threads: int = 1
) -> Iterator[np.ndarray]:
    """Float32 audio of `text`, one array per bounded inference, in order.

    With `threads` > 1, up to that many of the text's inferences run at once on the shared
    inference threads, so one segment alone (a preview) uses every core; phonemizing the next
    piece overlaps them.
    """
    synthesis = SynthesisConfig(length_scale=scale, noise_w_scale=noise_w)
    parts = (
        voice.phonemes_to_ids(part)
        for piece in _pieces(espeak_spelling(text))
        for sentence in voice.phonemize(piece)
        for part in _bounded(sentence, MAX_PHONEME_IDS)
    )
    if threads <= 1:
        audios: Iterator[np.ndarray | None] = (_inference(voice, ids, synthesis) for ids in parts)
    else:
        pool = _inferences(threads)
        audios = _in_order(pool, parts, threads, lambda ids: _inference(voice, ids, synthesis))
    for audio in audios:
        if audio is not None:
            yield audio


def _in_order(
    pool: ThreadPoolExecutor,
    items: Iterator[list[int]],
    ahead: int,
    work: Callable[[list[int]], np.ndarray | None],
) -> Iterator[np.ndarray | None]:
    in_flight: deque[Future[np.ndarray | None]] = deque()
    try:
        for item in items:
            in_flight.append(pool.submit(work, item))
            if len(in_flight) >= ahead:
                yield in_flight.popleft().result()
        while in_flight:
            yield in_flight.popleft().result()
    finally:
        for future in in_flight:
            future.cancel()


def _load(model: Path) -> _Voice:
    config = VoiceConfig.from_dict(json.loads(model.with_name(model.name + ".json").read_text("utf-8")))
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = INTRA_OP_THREADS
    options.inter_op_num_threads = 1
    options.graph_optimization_level = GRAPH_OPTIMIZATION
    options.execution_mode = EXECUTION_MODE
    # Every inference has its own length: a memory pattern planned for one length is never reused,
    # and the arena kept each one's block (a build of a 600-word paragraph without a full stop
    # held ~630 MB after voicing with it, ~450 MB without it; the same CPU time).
    options.enable_mem_pattern = False
    session = onnxruntime.InferenceSession(
        str(model), sess_options=options, providers=["CPUExecutionProvider"]
    )
    # The text comes vowelled by producer's diacritizer, in the pausal form (wants_diacritics):
    # Piper's own libtashkeel would vowel it again, with case endings before every pause.
    piper = PiperVoice(session=session, config=config, download_dir=model.parent, use_tashkeel=False)

    return _Voice(piper, _readings(model, piper))


def _readings(model: Path, piper: PiperVoice) -> tuple[tuple[float, float], tuple[float, float]]:
    """The voice's two readings of the pace sample, measured once per voice file and kept beside it
    (`NAME.onnx.pace.json`), so that a render process does not voice the sample again."""
    stat = model.stat()
    stamp = f"{stat.st_size}:{stat.st_mtime_ns}:{MAX_CHARS}/{MAX_PHONEME_IDS}:vowelled"
    kept = model.with_name(model.name + ".pace.json")
    try:
        stored = json.loads(kept.read_text(encoding="utf-8"))
        if stored["stamp"] == stamp:
            (a, b), (c, d) = stored["readings"]
            return (float(a), float(b)), (float(c), float(d))
    except (OSError, ValueError, KeyError, TypeError):
        pass

    def reading(scale: float) -> tuple[float, float]:
        # Without duration noise the reading is the same on every load, and so is the cache key.
        audio = _voice_audio(piper, _PACE_SAMPLE, scale, 0.0)
        return scale, sum(voiced_seconds(a, piper.config.sample_rate) for a in audio)

    readings = (reading(1.0), reading(0.6))
    # In a read-only voices folder the next process measures again.
    with contextlib.suppress(OSError):
        atomic_write_text(kept, json.dumps({"stamp": stamp, "readings": readings}))
    return readings


_LOCK = threading.Lock()
_VOICES: OrderedDict[tuple[str, int, int], _Voice] = OrderedDict()


def _loaded(model: Path) -> _Voice:
    """The process's loaded copy of `model`, loading it (and forgetting the oldest) when needed."""
    stat = model.stat()
    key = (str(model.resolve()), stat.st_size, stat.st_mtime_ns)
    with _LOCK:
        if key in _VOICES:
            _VOICES.move_to_end(key)
            return _VOICES[key]
        voice = _load(model)
        _VOICES[key] = voice
        while len(_VOICES) > _KEPT_VOICES:
            _VOICES.popitem(last=False)
        return voice


class PiperEngine(Engine):
    name = "piper"
    # Fed the text vowelled and in pausal form as espeak-ng is, and phonemized by espeak-ng from
    # it (its marks placed as espeak-ng reads them, see espeak_spelling): both engines say the same vowels
    # (Piper's own libtashkeel is not used).
    wants_diacritics = True
    # onnxruntime releases the GIL while it runs, so threads share one model; Piper serializes
    # its phonemizer with a lock.
    concurrency = "threads"

    def __init__(self, config: PiperConfig) -> None:
        self.config = config

    def _voice_files(self) -> dict[str, Path]:
        """Voice name → model path, for Arabic voices whose model and config are both present."""
        return arabic_voices(self.config.voices_dir)

    def check(self) -> str | None:
        if self._voice_files():
            return None
        return (
            f"No Piper voice in {self.config.voices_dir}; install one with `producer voices install "
            "ar_JO-kareem-medium` or place a voice's two files there."
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
        # The readings that set the length scale depend only on the voice file (in version()), so the
        # pace suffices.
        return f"vowels=producer {ESPEAK_SPELLING} pace={self.config.pace} cut={MAX_CHARS}/{MAX_PHONEME_IDS}"

    def length_scale(self, voice: str | None = None) -> float:
        """The length scale that reads `voice` at the configured pace."""
        loaded = self._voice(voice or self.default_voice())
        return length_scale(count_words(_PACE_SAMPLE), loaded.readings, self.config.pace)

    def synthesize(self, text: str, voice: str | None = None) -> Iterator[AudioChunk]:
        name = voice or self.default_voice()
        loaded = self._voice(name)
        scale = self.length_scale(name)
        rate = loaded.piper.config.sample_rate
        try:
            for audio in _voice_audio(loaded.piper, text, scale, None, self.config.threads):
                yield AudioChunk(audio, rate)
        except Exception as exc:  # onnxruntime and the phonemizer raise their own types
            raise EngineError(f"Piper failed to voice a segment: {exc}.") from exc

    def _voice(self, name: str) -> _Voice:
        model = self._voice_files().get(name)
        if model is None:
            raise EngineError(f"No Piper voice {name!r} in {self.config.voices_dir}.")
        try:
            return _loaded(model)
        except Exception as exc:  # a damaged model fails inside onnxruntime
            raise EngineError(f"The Piper voice {name} cannot be loaded: {exc}.") from exc

    def close(self) -> None:
        """Nothing to release: loaded voices are kept for the life of the process (_KEPT_VOICES)."""


def arabic_voices(folder: Path) -> dict[str, Path]:
    """Voice name → model path, for the Arabic voices in `folder` with both files present."""
    if not folder.is_dir():
        return {}
    return {
        model.name.removesuffix(".onnx"): model
        for model in sorted(folder.glob("*.onnx"))
        if _speaks_arabic(model.with_name(model.name + ".json"))
    }
