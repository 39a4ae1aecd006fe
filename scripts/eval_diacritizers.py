"""Measure Arabic diacritizers on producer's own vocalized news sentences (tests/data/tashkeel_eval.tsv).

For every candidate that runs offline here it prints: word error rate without case endings (the
last letter's marks ignored), full word error rate, diacritic error rate (per Arabic letter), the
meaning-bearing words it gets wrong (case ending aside: the last letter, or the letter before a
final alif that carries tanween fath), and sentences per second (under the load
the machine has; say so when quoting). A candidate that cannot run prints the reason in one line.

Comparison rules, the same for every candidate: sukun counts as no mark (a consonant without a vowel
either way), fathatan written on a final alif counts as on the letter before it, marks on one
letter compare as a set, a bare إ counts as إِ, U+0670 (superscript alif) is ignored, and a word
whose letters the candidate changed is wrong everywhere.

    .venv/bin/python scripts/eval_diacritizers.py [--set FILE] [--show NAME] [--only NAME...]

`--set tests/data/tashkeel_heldout.tsv` scores the held-out set, written after the first version and
never used to tune the diacritizer: read only its totals (no --show), so it stays a fair check.

Candidates outside producer's dependencies (mishkal, arbtok, dengjen-tashkeel-py, ichkil,
catt-tashkeel) are measured when importable, e.g. from a separate virtualenv put on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EVAL_SET = ROOT / "tests" / "data" / "tashkeel_eval.tsv"
MARKS = frozenset("\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652")
SUKUN = "\u0652"
FATHATAN = "\u064b"
KASRA = "\u0650"
ALIFS = frozenset("اى")

Diacritize = Callable[[Sequence[str]], list[str]]


@dataclass(frozen=True)
class Sentence:
    ident: str
    words: tuple[str, ...]  # vocalized, as a newsreader reads them
    meaning: frozenset[int]  # indices of the meaning-bearing words

    @property
    def bare(self) -> str:
        return " ".join(strip(w) for w in self.words)


def strip(text: str) -> str:
    return "".join(c for c in text if c not in MARKS and c != "\u0670")


def load(path: Path = EVAL_SET) -> list[Sentence]:
    sentences = []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("id\t"):
            continue
        ident, text = line.split("\t")
        words = text.split()
        meaning = frozenset(i for i, w in enumerate(words) if w.startswith("*"))
        sentences.append(Sentence(ident, tuple(w.lstrip("*") for w in words), meaning))
    return sentences


def letters(word: str) -> list[tuple[str, frozenset[str]]]:
    """The word's letters, each with its marks as compared (see the module's rules)."""
    out: list[tuple[str, set[str]]] = []
    for c in unicodedata.normalize("NFC", word):
        if c in MARKS:
            if out and c != SUKUN:
                out[-1][1].add(c)
        elif unicodedata.category(c) != "Mn":
            out.append((c, set()))
    for c, m in out:
        if c == "إ" and not m:
            m.add(KASRA)
    if len(out) >= 2 and out[-1][0] in ALIFS and FATHATAN in out[-1][1]:
        out[-1][1].discard(FATHATAN)
        out[-2][1].add(FATHATAN)
    return [(c, frozenset(m)) for c, m in out]


def is_arabic(word: str) -> bool:
    return any("\u0621" <= c <= "\u064a" for c in word)


@dataclass
class Score:
    words: int = 0
    wrong: int = 0
    wrong_no_case: int = 0
    chars: int = 0
    wrong_chars: int = 0
    meaning: int = 0
    wrong_meaning: int = 0
    meaning_errors: list[tuple[str, str, str]] = field(default_factory=list)
    stem_errors: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, sentence: Sentence, output: str) -> None:
        got = output.split()
        if len(got) != len(sentence.words):
            got = [""] * len(sentence.words)
        for i, (ref, hyp) in enumerate(zip(sentence.words, got, strict=True)):
            if not is_arabic(ref):
                continue
            r, h = letters(ref), letters(hyp)
            same_letters = [c for c, _ in r] == [c for c, _ in h]
            self.words += 1
            self.chars += len(r)
            if not same_letters:
                wrong_at = list(range(len(r)))
            else:
                wrong_at = [k for k, (a, b) in enumerate(zip(r, h, strict=True)) if a[1] != b[1]]
            self.wrong_chars += len(wrong_at)
            self.wrong += bool(wrong_at)
            case = len(r) - 2 if len(r) > 2 and r[-1][0] in ALIFS and FATHATAN in r[-2][1] else len(r) - 1
            stem_wrong = any(k < case for k in wrong_at)
            self.wrong_no_case += stem_wrong
            if stem_wrong:
                self.stem_errors.append((sentence.ident, ref, hyp))
            if i in sentence.meaning:
                self.meaning += 1
                if stem_wrong:
                    self.wrong_meaning += 1
                    self.meaning_errors.append((sentence.ident, ref, hyp))


def _libtashkeel() -> Diacritize:
    """libtashkeel as producer ran it before (piper-tts's model), without hints."""
    import numpy as np
    from onnxruntime import InferenceSession, SessionOptions
    from piper.tashkeel import TASHKEEL_DIR

    folder = Path(TASHKEEL_DIR)
    options = SessionOptions()
    options.log_severity_level = 3
    session = InferenceSession(str(folder / "model.onnx"), options)
    inputs = json.loads((folder / "input_id_map.json").read_text("utf-8"))
    hint_none = json.loads((folder / "hint_id_map.json").read_text("utf-8"))[""]
    targets = {i: c for c, i in json.loads((folder / "target_id_map.json").read_text("utf-8")).items()}

    def one(text: str) -> str:
        known = [c for c in text if c in inputs]
        if not known:
            return text
        ids = np.array([[inputs[c] for c in known]], dtype=np.int64)
        hints = np.full_like(ids, hint_none)
        lengths = np.array([len(known)], dtype=np.int64)
        pred = session.run(None, {"char_inputs": ids, "diac_inputs": hints, "input_lengths": lengths})[0][0]
        out, k = [], 0
        for c in text:
            out.append(c)
            if c in inputs:
                mark = targets.get(int(pred[k]), "")
                k += 1
                if "\u0621" <= c <= "\u064a" and mark != "_":
                    out.append(mark)
        return "".join(out)

    return lambda lines: [one(t) for t in lines]


def _text2tashkeel(model: str) -> Callable[[], Diacritize]:
    def make() -> Diacritize:
        from text2tashkeel import Diacritizer

        d = Diacritizer(model)
        return lambda lines: [d.diacritize(t) for t in lines]

    return make


def _producer() -> Diacritize:
    from producer.arabic import get_diacritizer

    model = get_diacritizer()
    # The set is written in full forms; the pausal form is a reading rule applied afterwards.
    return lambda lines: model.diacritize(lines, pausal=False)


def _mishkal() -> Diacritize:
    import mishkal.tashkeel

    v = mishkal.tashkeel.TashkeelClass()
    return lambda lines: [v.tashkeel(t) for t in lines]


def _arbtok() -> Diacritize:
    from arbtok.tashkeel import TashkeelDiacritizer

    d = TashkeelDiacritizer()
    return lambda lines: [d.diacritize(t) for t in lines]


def _dengjen() -> Diacritize:
    from dengjen_tashkeel_py import tashkeel

    return lambda lines: [tashkeel(t) for t in lines]


def _ichkil() -> Diacritize:
    from ichkil import Diacritizer

    d = Diacritizer()
    return lambda lines: [d.diacritize(t) for t in lines]


def _catt() -> Diacritize:
    from catt_tashkeel import CATTEncoderOnly

    d = CATTEncoderOnly()
    return lambda lines: [d.do_tashkeel(t, verbose=False) for t in lines]


CANDIDATES: dict[str, Callable[[], Diacritize]] = {
    "producer (default wrapper)": _producer,
    "libtashkeel (piper-tts, GPL-3.0)": _libtashkeel,
    "text2tashkeel rawi-ensemble": _text2tashkeel("rawi-ensemble"),
    "text2tashkeel rawi-v2-int8": _text2tashkeel("rawi-v2-int8"),
    "text2tashkeel rawi-v3-int8": _text2tashkeel("rawi-v3-int8"),
    "text2tashkeel rawi-v2-int8+rawi-int8": _text2tashkeel("rawi-v2-int8+rawi-int8"),
    "text2tashkeel bilstm-int8": _text2tashkeel("bilstm-int8"),
    "mishkal (GPL)": _mishkal,
    "arbtok": _arbtok,
    "dengjen-tashkeel-py": _dengjen,
    "ichkil": _ichkil,
    "catt-tashkeel": _catt,
}


def evaluate(diacritize: Diacritize, sentences: list[Sentence]) -> tuple[Score, float]:
    start = time.perf_counter()
    outputs = diacritize([s.bare for s in sentences])
    rate = len(sentences) / (time.perf_counter() - start)
    score = Score()
    for sentence, output in zip(sentences, outputs, strict=True):
        score.add(sentence, output)
    return score, rate


def marks_coverage(sentences: list[Sentence]) -> str:
    """How well the editor's marks (unsure word, sentence-opening verb) point at producer's errors."""
    from producer.arabic import get_diacritizer

    readings = get_diacritizer().read([s.bare for s in sentences], pausal=False)
    words = flagged = wrong = caught = meaning_wrong = meaning_caught = 0
    for sentence, reading in zip(sentences, readings, strict=True):
        for i, (ref, word) in enumerate(zip(sentence.words, reading.words, strict=True)):
            score = Score()
            score.add(Sentence("", (ref,), frozenset()), word.text)
            marked = word.unsure or word.opens_with_verb
            words += 1
            flagged += word.unsure
            if score.wrong_no_case:
                wrong += 1
                caught += marked
                if i in sentence.meaning:
                    meaning_wrong += 1
                    meaning_caught += marked
    return (
        f"producer's marks: {flagged / words:.0%} of the words marked unsure; with the sentence-opening"
        f" verbs they cover {caught / wrong:.0%} of the words voiced wrong (case aside) and"
        f" {meaning_caught} of the {meaning_wrong} meaning-bearing ones"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=EVAL_SET, help="The vocalized set (TSV) to score.")
    parser.add_argument("--only", nargs="*", help="Names (or name prefixes) of the candidates to run.")
    parser.add_argument("--show", help="List the meaning-bearing errors of this candidate (name prefix).")
    parser.add_argument("--all", action="store_true", help="With --show: every word wrong, case aside.")
    args = parser.parse_args()
    sentences = load(args.set)
    meaning = sum(len(s.meaning) for s in sentences)
    total = sum(len(s.words) for s in sentences)
    print(f"{len(sentences)} sentences, {total} words, {meaning} meaning-bearing\n")
    print("| candidate | WER no case | WER full | DER | meaning-bearing wrong | sentences/s |")
    print("|---|---|---|---|---|---|")
    shown: list[tuple[str, str, str]] = []
    notes: list[str] = []
    scored: dict[Callable[[], Diacritize], Score] = {}
    for name, make in CANDIDATES.items():
        if args.only and not any(name.startswith(o) for o in args.only):
            continue
        try:
            score, rate = evaluate(make(), sentences)
        except Exception as exc:  # any failure of a third-party candidate is its result
            reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:160]
            print(f"| {name} | fails: {reason} | | | | |")
            continue
        print(
            f"| {name} | {score.wrong_no_case / score.words:.1%} | {score.wrong / score.words:.1%}"
            f" | {score.wrong_chars / score.chars:.1%} | {score.wrong_meaning} of {score.meaning}"
            f" | {rate:,.0f} |"
        )
        scored[make] = score
        if make is _producer:
            notes.append(marks_coverage(sentences))
        if args.show and name.startswith(args.show):
            shown = score.stem_errors if args.all else score.meaning_errors
    if _producer in scored and _libtashkeel in scored:
        mine, theirs = scored[_producer], scored[_libtashkeel]
        ratio = (mine.wrong_no_case / mine.words) / (theirs.wrong_no_case / theirs.words)
        notes.append(
            f"producer against libtashkeel: WER without case endings {ratio:.2f}x (floor: at most 0.5x),"
            f" meaning-bearing words wrong {mine.wrong_meaning} against {theirs.wrong_meaning} (floor: fewer)"
        )
    for note in notes:
        print(f"\n{note}")
    for ident, ref, hyp in shown:
        print(f"  #{ident}: expected {ref}, got {hyp}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
