"""Diacritization with the rawi models that ship in the text2tashkeel wheel (Apache-2.0, ONNX, offline).

Chosen by measurement (scripts/eval_diacritizers.py) on tests/data/tashkeel_eval.tsv and on the
held-out tests/data/tashkeel_heldout.tsv: the three bundled rawi models read together. Whether a
letter sounds a vowel is the mean of rawi-v2's and rawi-v3's judgement (rawi alone over-marks);
which vowel is the mean of the three models' distributions. The mean made fewer word errors on
both sets than any one model or gated pair, including the pair producer used before (rawi-v2
gating rawi), which was the best on the first set only. Then grammar.py applies rules of Arabic the
models do not know (the voice of a verb judged by what follows it, frequent news words).
All three are bidirectional LSTMs without a length mask, so padding a line changes what they
predict: a call's lines are cut into pieces of at most _MAX_PIECE characters, never padded. Each
piece runs alone: the int8 models quantize their input over the whole batch, so a piece batched
with others can read differently than alone, and the editor's view (many lines in one call) must
read exactly as the build voices them (line by line).

What the wrapper guarantees, whatever the model predicts:
- the letters of the text are never changed: the model only picks marks for the input's own
  characters (its hamza and dagger-alif predictions are dropped, only the eight harakat are written;
  the rules of grammar.py change marks only);
- marks already in the text (typed by an editor, or from the lexicon) are kept (in Unicode's
  canonical order, as all output marks are); a letter
  with only a shadda gets the model's vowel beside it;
- the pausal form (producer.arabic.pausal) is applied to the model's marks before pauses, never
  to marks that were in the text.
It also reports, per word, whether the model was unsure of it, and whether a sentence opens with
a verb whose voice (active or passive) the spelling leaves open, for the editor to check.
"""

from __future__ import annotations

import json
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version as package_version
from importlib.resources import files
from pathlib import Path

import numpy as np

from producer.arabic.grammar import correct, looks_like_verb
from producer.arabic.pausal import (
    DAMMA,
    FATHA,
    KASRA,
    MARKS,
    SHADDA,
    SUKUN,
    apply_pausal,
    is_letter,
    join_marks,
    split_marks,
    words,
)
from producer.errors import EngineUnavailable

DIACRITICS = MARKS
_VOWELS = frozenset((FATHA, DAMMA, KASRA, "\u064b", "\u064c", "\u064d", SUKUN))
_SOUNDING = frozenset((FATHA, DAMMA, KASRA, "\u064b", "\u064c", "\u064d", SHADDA))
# Models (file, vocabulary) inside text2tashkeel's package: the gate decides where, the value which.
_GATE = ("rawi_v2.int8.onnx", "rawi_v2.vocab.json")
_VALUE = ("rawi.int8.onnx", "rawi.vocab.json")
_TWO_HEAD = ("rawi_v3.int8.onnx", "rawi_v2.vocab.json")
MODEL_ID = f"text2tashkeel-{package_version('text2tashkeel')}-rawi-v2+rawi+rawi-v3-mean"
# Long lines are cut after a space so one run stays short (an LSTM runs letter by letter).
_MAX_PIECE = 400
# A letter whose mark the models chose with less than this probability makes its word "unsure".
# On the evaluation set 0.7 flags 12 % of the words; with the sentence-opening verbs the marks
# cover 79 % of the words voiced wrong and 39 of the 46 meaning-bearing words voiced wrong
# (83 % and 24 of 27 on the held-out set; scripts/eval_diacritizers.py prints these figures).
UNSURE_BELOW = 0.7
# Sentence ends: a verb right after one opens a sentence.
_SENTENCE_END = frozenset(".!?؟\n")


@dataclass(frozen=True)
class Word:
    """One word as it will be voiced."""

    start: int  # offsets in the line's letters-and-punctuation skeleton
    end: int
    text: str  # with its marks, as voiced
    unsure: bool  # the model was unsure of a mark before the case ending
    opens_with_verb: bool  # first word of a sentence, vowelled as a verb (active/passive open)
    # Its stem's marks were in the text (typed, or from the lexicon); a case ending alone is the
    # number reader's (speech.speakable), not a person's.
    given: bool


@dataclass(frozen=True)
class Reading:
    """A line as voiced: the vowelled text, and its words for the editor's view."""

    text: str
    words: tuple[Word, ...]

    def pieces(self) -> list[tuple[str, Word | None]]:
        """The text cut into its words and what lies between them, in order."""
        starts = [i for i, c in enumerate(self.text) if c not in DIACRITICS] + [len(self.text)]
        out: list[tuple[str, Word | None]] = []
        pos = 0
        for word in self.words:
            start, end = starts[word.start], starts[word.end]
            if start > pos:
                out.append((self.text[pos:start], None))
            out.append((self.text[start:end], word))
            pos = end
        if pos < len(self.text):
            out.append((self.text[pos:], None))
        return out


def _model_dir() -> Path:
    return Path(str(files("text2tashkeel") / "models"))


def strip_diacritics(text: str) -> str:
    return "".join(c for c in text if c not in DIACRITICS)


@lru_cache(maxsize=4096)  # called for every letter of every line; the alphabet is small
def _base(c: str) -> str:
    """The model's input letter for `c`: the NFD base letter (أ → ا); the models never see hamza."""
    decomposed = "".join(d for d in unicodedata.normalize("NFD", c) if unicodedata.category(d) != "Mn")
    return decomposed[:1] or c


class _Model:
    def __init__(self, folder: Path, names: tuple[str, str], threads: int) -> None:
        from onnxruntime import InferenceSession, SessionOptions

        onnx, vocab_file = names
        options = SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = threads
        # Lines come in many lengths: an arena would keep the largest run's buffers for good, and a
        # memory pattern planned for one length is never reused: with them the three sessions held
        # ~25 MB more (~20 MB without); the same CPU time.
        options.enable_cpu_mem_arena = False
        options.enable_mem_pattern = False
        self.session = InferenceSession(str(folder / onnx), options)
        vocab = json.loads((folder / vocab_file).read_text("utf-8"))
        self.ids: dict[str, int] = vocab["char_to_idx"]
        self.unknown = self.ids.get("<UNK>", 1)
        by_id = {i: mark for mark, i in vocab["diac_to_idx"].items()}
        # Only the eight harakat.
        self.marks = [_canonical(m for m in by_id.get(i, "") if m in MARKS) for i in range(max(by_id) + 1)]

    def _run(self, rows: list[str]) -> list[np.ndarray]:
        ids = np.array([[self.ids.get(c, self.unknown) for c in row] for row in rows], dtype=np.int64)
        return self.session.run(None, {"input": ids})

    def probabilities(self, rows: list[str]) -> np.ndarray:
        """(rows, letters, classes) probabilities for equally long rows of base letters."""
        return _softmax(self._run(rows)[0])

    def two_heads(self, rows: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """For rawi-v3: the probability that each letter carries a mark (rows, letters), and
        which mark (rows, letters, classes)."""
        presence, value = self._run(rows)
        return 1 / (1 + np.exp(-presence.reshape(presence.shape[:2]))), _softmax(value)


def _softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, in place in `logits` (the session's own output array)."""
    logits -= logits.max(axis=-1, keepdims=True)
    np.exp(logits, out=logits)
    logits /= logits.sum(axis=-1, keepdims=True)
    return logits


class _Labels:
    """The marks the three models can write, as one label set, and each model's classes mapped
    onto it (classes that differ only in hamza or dagger alif become one label)."""

    def __init__(self, *models: _Model) -> None:
        self.marks = sorted({m for model in models for m in model.marks})
        index = {m: i for i, m in enumerate(self.marks)}
        # Per model: its classes sorted by label, and where each label's run starts, for a
        # summing reduceat (a matrix product would wake BLAS threads for a few hundred sums).
        self._runs: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for model in models:
            label = np.array([index[m] for m in model.marks])
            order = np.argsort(label, kind="stable")
            starts = np.searchsorted(label[order], np.arange(len(self.marks)))
            if len(set(label)) != len(self.marks):
                raise EngineUnavailable("a diacritization model lacks one of the marks of the others.")
            self._runs[id(model)] = (order, starts)
        # No vowel: nothing, or a sukun (the same consonant without a vowel).
        self.silent = np.array([not any(v in m for v in _SOUNDING) for m in self.marks])

    def project(self, model: _Model, probabilities: np.ndarray) -> np.ndarray:
        order, starts = self._runs[id(model)]
        return np.add.reduceat(probabilities[..., order], starts, axis=-1)


class Diacritizer:
    """Adds Arabic diacritics to lines; load once, call with many lines."""

    def __init__(self, model_dir: Path | None = None, *, threads: int = 0) -> None:
        """`threads` caps each model's threads (0: one per core, onnxruntime's default)."""
        folder = model_dir or _model_dir()
        try:
            self._gate = _Model(folder, _GATE, threads)
            self._value = _Model(folder, _VALUE, threads)
            self._two_head = _Model(folder, _TWO_HEAD, threads)
        except Exception as exc:  # onnxruntime's own load errors have no common base class
            raise EngineUnavailable(f"the diacritization model in {folder} cannot be loaded: {exc}.") from exc
        self._labels = _Labels(self._gate, self._value, self._two_head)

    def diacritize(self, lines: Sequence[str], *, pausal: bool = True) -> list[str]:
        """Each line with diacritics added (in the pausal form before pauses unless `pausal` is
        False); same number of lines, every character of the input kept."""
        return [reading.text for reading in self.read(lines, pausal=pausal)]

    def read(self, lines: Sequence[str], *, pausal: bool = True) -> list[Reading]:
        """Each line as it will be voiced, with its words marked for the editor."""
        pieces: list[tuple[int, str, bool]] = []  # (line, piece, whether the piece ends its line)
        for i, line in enumerate(lines):
            cut = _split(line)
            pieces.extend((i, piece, n == len(cut) - 1) for n, piece in enumerate(cut))
        skeletons: list[str] = []
        given: list[list[str]] = []
        for _, piece, _ in pieces:
            skeleton, marks = _split_given(piece)
            skeletons.append(skeleton)
            given.append(marks)
        predicted = self._predict(skeletons)
        out_marks: list[list[str]] = [[""] * len(s) for s in skeletons]
        sure: list[list[bool]] = [[True] * len(s) for s in skeletons]
        opens = [
            k == 0 or pieces[k - 1][0] != pieces[k][0] or _ends_sentence(skeletons[k - 1])
            for k in range(len(pieces))
        ]
        for k, skeleton in enumerate(skeletons):
            marks, confident = predicted[k]
            model = [_hamza_below(c, m) if is_letter(c) else "" for c, m in zip(skeleton, marks, strict=True)]
            known = correct(skeleton, model, opens_sentence=opens[k])
            confident = [c or s for c, s in zip(confident, known, strict=True)]
            if pausal:
                model = apply_pausal(skeleton, model, ends_in_pause=pieces[k][2])
            if not any(given[k]):  # nothing typed: the model's marks as they are
                out_marks[k], sure[k] = model, confident
                continue
            for j in range(len(skeleton)):
                mine = given[k][j]
                if mine and any(v in mine for v in _VOWELS):
                    out_marks[k][j] = mine
                elif mine:  # a shadda alone: the model's vowel beside it
                    out_marks[k][j] = _canonical(mine + model[j].replace(SHADDA, ""))
                else:
                    out_marks[k][j] = model[j]
                    sure[k][j] = confident[j]
                if j and skeleton[j] in "اى" and "\u064b" in mine and not given[k][j - 1]:
                    # Nunation typed on the final alif (أيضاً) is the letter before's: not twice.
                    out_marks[k][j - 1] = out_marks[k][j - 1].replace("\u064b", FATHA)
        readings: list[list[Reading]] = [[] for _ in lines]
        for k, (i, _, _) in enumerate(pieces):
            readings[i].append(
                _reading(skeletons[k], out_marks[k], sure[k], given[k], opens_sentence=opens[k])
            )
        return [_join(parts) for parts in readings]

    def _predict(self, skeletons: list[str]) -> list[tuple[list[str], list[bool]]]:
        """Per skeleton: the predicted marks of each character and whether the models were sure."""
        bases = ["".join(_base(c) for c in s) for s in skeletons]
        out: list[tuple[list[str], list[bool]]] = [([], []) for _ in skeletons]
        labels = self._labels
        for k, base in enumerate(bases):
            if not base:
                continue
            rows = [base]
            gate = labels.project(self._gate, self._gate.probabilities(rows))
            value = labels.project(self._value, self._value.probabilities(rows))
            presence, chosen = self._two_head.two_heads(rows)
            chosen = labels.project(self._two_head, chosen)
            # Whether a letter sounds a vowel: the mean of rawi-v2's and rawi-v3's judgement
            # (rawi alone over-marks); which vowel: the mean of all three distributions.
            silent = (
                gate[..., labels.silent].sum(-1) + 1 - presence * (1 - chosen[..., labels.silent].sum(-1))
            ) / 2
            mean = (gate + value + chosen) / 3
            sounding = np.where(labels.silent, 0.0, mean)
            # A silent letter takes rawi-v2's choice between nothing and a sukun (the mean puts
            # sukuns on long vowels).
            quiet = np.where(labels.silent, gate, 0.0)
            best = np.where(silent[..., None] > 0.5, quiet, sounding)
            picked = best.argmax(-1)
            share = sounding.max(-1) / np.maximum(sounding.sum(-1), 1e-9)
            confidence = np.where(silent > 0.5, silent, (1 - silent) * share)
            names = labels.marks
            sure = (confidence >= UNSURE_BELOW).tolist()
            out[k] = ([names[c] for c in picked[0].tolist()], sure[0])
        return out


def _ends_sentence(piece: str) -> bool:
    """Whether a piece cut from the middle of a line ends a sentence (the next one opens one)."""
    return piece.rstrip()[-1:] in _SENTENCE_END


def _hamza_below(letter: str, marks: str) -> str:
    """إ is always read with i; the models, which never see the hamza, often leave it bare or give
    it another vowel."""
    if letter == "إ" and not any(v in marks for v in (KASRA, "\u064d")):
        return _canonical([m for m in marks if m not in _VOWELS] + [KASRA])
    return marks


def _canonical(marks: Iterable[str]) -> str:
    """Marks in Unicode's canonical order (a vowel before shadda), as NFC text has them."""
    return "".join(sorted(marks, key=unicodedata.combining))


def _split_given(text: str) -> tuple[str, list[str]]:
    """The text's skeleton and the marks already on each character, in canonical order."""
    skeleton, marks = split_marks(text)
    return skeleton, [_canonical(m) for m in marks]


def _reading(
    skeleton: str, marks: list[str], sure: list[bool], given: list[str], *, opens_sentence: bool
) -> Reading:
    found: list[Word] = []
    sentence_start = opens_sentence
    previous_end = 0
    for start, end in words(skeleton):
        if any(c in _SENTENCE_END for c in skeleton[previous_end:start]):
            sentence_start = True
        text = join_marks(skeleton[start:end], marks[start:end])
        verb = sentence_start and looks_like_verb(text)
        # The case ending (the last letter, or the one before a final alif) is left to the pausal
        # form and to grammar the editor sees in context; the stem is what changes a word's meaning.
        stem_end = end - 2 if skeleton[end - 1] in "اى" and end - start > 2 else end - 1
        found.append(
            Word(
                start=start,
                end=end,
                text=text,
                unsure=not all(sure[start:stem_end]),
                opens_with_verb=verb,
                given=any(given[start:stem_end]),
            )
        )
        sentence_start = False
        previous_end = end
    return Reading(join_marks(skeleton, marks), tuple(found))


def _join(parts: list[Reading]) -> Reading:
    if len(parts) == 1:
        return parts[0]
    text, found, offset = "", [], 0
    for part in parts:
        skeleton_length = len(strip_diacritics(part.text))
        for w in part.words:
            found.append(Word(w.start + offset, w.end + offset, w.text, w.unsure, w.opens_with_verb, w.given))
        text += part.text
        offset += skeleton_length
    return Reading(text, tuple(found))


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
    """The process-wide diacritizer, loaded on first use."""
    global _instance
    with _lock:
        if _instance is None:
            _instance = Diacritizer()
        return _instance


__all__ = ["DIACRITICS", "MODEL_ID", "Diacritizer", "Reading", "Word", "get_diacritizer"]
