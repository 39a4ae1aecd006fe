"""Diacritization with libtashkeel, the ONNX model that ships inside the piper-tts wheel.

piper's own `TashkeelDiacritizer` runs one text per inference; here lines are padded into
batches so a whole script goes through the model in a few runs. The model's character and
diacritic maps come from the same folder as the model. Diacritics already in the text (from the
lexicon) are passed to the model as hints and kept; characters the model does not know (Latin,
tatweel, symbols) pass through untouched.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from producer.errors import EngineUnavailable

_PAD = "_"
_DIGITS = set("0123456789٠١٢٣٤٥٦٧٨٩")
_DIGIT_SYMBOL = "#"
DIACRITICS = frozenset("\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652")
_ARABIC_LETTERS = frozenset(chr(c) for c in range(0x0621, 0x064B))
# Long lines are split at spaces so a batch pads to a sensible length.
_MAX_PIECE = 400
# Lines per model run. Padded batches of 8 were no faster on this CPU and held ~120 MB more
# activations than single lines, which matters for the 250 MB bound of a long programme.
_BATCH = 1


def _model_dir() -> Path:
    try:
        from piper.tashkeel import TASHKEEL_DIR
    except ImportError as exc:  # pragma: no cover - piper-tts is a runtime dependency
        raise EngineUnavailable(
            "the diacritizer needs the piper-tts package, which is not installed."
        ) from exc
    return Path(TASHKEEL_DIR)


def strip_diacritics(text: str) -> str:
    return "".join(c for c in text if c not in DIACRITICS)


class Diacritizer:
    """Adds Arabic diacritics to lines with libtashkeel; load once, call with many lines."""

    def __init__(self, model_dir: Path | None = None, *, threads: int = 0) -> None:
        """`threads` caps the model's threads (0: one per core, onnxruntime's default)."""
        from onnxruntime import InferenceSession, SessionOptions

        folder = model_dir or _model_dir()
        try:
            options = SessionOptions()
            options.log_severity_level = 3
            options.intra_op_num_threads = threads
            self._session = InferenceSession(str(folder / "model.onnx"), options)
            self._input_ids: dict[str, int] = json.loads((folder / "input_id_map.json").read_text("utf-8"))
            self._hint_ids: dict[str, int] = json.loads((folder / "hint_id_map.json").read_text("utf-8"))
            targets: dict[str, int] = json.loads((folder / "target_id_map.json").read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise EngineUnavailable(f"the diacritization model in {folder} cannot be loaded: {exc}.") from exc
        self._target_chars = {i: c for c, i in targets.items() if c != _PAD}

    def diacritize(self, lines: Sequence[str]) -> list[str]:
        """Each line with diacritics added; same number of lines, non-Arabic characters untouched."""
        pieces: list[tuple[int, str]] = [(i, piece) for i, line in enumerate(lines) for piece in _split(line)]
        order = sorted(range(len(pieces)), key=lambda k: len(pieces[k][1]))
        done: dict[int, str] = {}
        for first in range(0, len(order), _BATCH):
            batch = order[first : first + _BATCH]
            for k, text in zip(batch, self._run([pieces[k][1] for k in batch]), strict=True):
                done[k] = text
        out = [""] * len(lines)
        for k, (i, _) in enumerate(pieces):
            out[i] += done[k]
        return out

    def _encode(self, text: str) -> tuple[list[int], list[int]]:
        """Model character ids and hint ids (diacritics already present after each character)."""
        chars: list[int] = []
        hints: list[str] = []
        for c in text:
            if c in DIACRITICS:
                if hints:
                    hints[-1] += c
                continue
            key = _DIGIT_SYMBOL if c in _DIGITS else c
            if key in self._input_ids:
                chars.append(self._input_ids[key])
                hints.append("")
        # A shadda typed after its vowel is the same mark as the model's shadda-first spelling.
        none = self._hint_ids[""]
        return chars, [self._hint_ids.get(h, self._hint_ids.get(h[::-1], none)) for h in hints]

    def _run(self, texts: list[str]) -> list[str]:
        encoded = [self._encode(t) for t in texts]
        longest = max((len(chars) for chars, _ in encoded), default=0)
        if longest == 0:
            return list(texts)
        char_ids = np.zeros((len(texts), longest), dtype=np.int64)
        hint_ids = np.zeros((len(texts), longest), dtype=np.int64)
        lengths = np.zeros(len(texts), dtype=np.int64)
        for row, (chars, hints) in enumerate(encoded):
            char_ids[row, : len(chars)] = chars
            hint_ids[row, : len(hints)] = hints
            lengths[row] = max(len(chars), 1)
        predictions = self._session.run(
            None, {"char_inputs": char_ids, "diac_inputs": hint_ids, "input_lengths": lengths}
        )[0]
        return [self._annotate(text, predictions[row]) for row, text in enumerate(texts)]

    def _annotate(self, text: str, predicted: np.ndarray) -> str:
        """Rebuild `text` with one predicted diacritic after each Arabic letter."""
        out: list[str] = []
        index = 0
        for c in text:
            if c in DIACRITICS:
                continue  # the model saw it as a hint and predicts it back
            out.append(c)
            key = _DIGIT_SYMBOL if c in _DIGITS else c
            if key in self._input_ids:
                diacritic = self._target_chars.get(int(predicted[index]), "")
                index += 1
                if c in _ARABIC_LETTERS:
                    out.append(diacritic)
        return "".join(out)


def _split(line: str) -> list[str]:
    """`line` in pieces of at most about _MAX_PIECE characters, cut after spaces (joined back as is)."""
    pieces: list[str] = []
    while len(line) > _MAX_PIECE:
        cut = line.rfind(" ", 0, _MAX_PIECE)
        cut = _MAX_PIECE if cut <= 0 else cut + 1
        pieces.append(line[:cut])
        line = line[cut:]
    pieces.append(line)
    return pieces


_lock = threading.Lock()
_instance: Diacritizer | None = None


def get_diacritizer() -> Diacritizer:
    """The process-wide diacritizer, loaded on first use (the model takes a moment to load)."""
    global _instance
    with _lock:
        if _instance is None:
            _instance = Diacritizer()
        return _instance
