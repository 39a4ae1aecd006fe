"""The pausal form (الوقف): how a newsreader ends a word before a pause.

At the end of a sentence, before a comma or other clause pause, and at the end of a line (a headline,
a segment's last line) the final short vowel and nunation are not pronounced: الأخبارِ. is read
الأخبارْ. Tanween fath on a word written with a final alif (or alif maqsura) is read as a long a
(صباحًا → صباحَا); a shadda stays (العامّ); the pronouns هو and هي keep their vowel.

Vowelled text is handled as a skeleton (every character that is not a mark) with the marks of each
skeleton character, so the diacritizer can apply the form to its own marks only.
"""

from __future__ import annotations

from collections.abc import Sequence

FATHATAN, DAMMATAN, KASRATAN = "\u064b", "\u064c", "\u064d"
FATHA, DAMMA, KASRA = "\u064e", "\u064f", "\u0650"
SHADDA, SUKUN = "\u0651", "\u0652"
MARKS = frozenset((FATHATAN, DAMMATAN, KASRATAN, FATHA, DAMMA, KASRA, SHADDA, SUKUN))
_ENDINGS = frozenset((FATHATAN, DAMMATAN, KASRATAN, FATHA, DAMMA, KASRA, SUKUN))
_ALIFS = frozenset("اى")
# What ends a clause where a reader pauses, and what may stand between a word and that mark.
PAUSES = frozenset(".!?؟،؛:,;…\n")
_CLOSERS = frozenset("\"'”’»)]}›")
_KEEP_VOWEL = frozenset(("هو", "هي"))
# Regular-expression classes of an Arabic letter and of a mark.
LETTER_CLASS = "[\u0621-\u064a]"
MARK_CLASS = "[" + "".join(sorted(MARKS)) + "]"


def is_letter(c: str) -> bool:
    return "\u0621" <= c <= "\u064a"


def split_marks(text: str) -> tuple[str, list[str]]:
    """`text` as its skeleton and the marks written after each skeleton character."""
    skeleton: list[str] = []
    marks: list[str] = []
    for c in text:
        if c in MARKS:
            if marks:
                marks[-1] += c
            continue
        skeleton.append(c)
        marks.append("")
    return "".join(skeleton), marks


def join_marks(skeleton: str, marks: Sequence[str]) -> str:
    return "".join(c + m for c, m in zip(skeleton, marks, strict=True))


def words(skeleton: str) -> list[tuple[int, int]]:
    """(start, end) of every run of Arabic letters."""
    spans: list[tuple[int, int]] = []
    start = None
    for i, c in enumerate(skeleton):
        if is_letter(c):
            if start is None:
                start = i
        elif start is not None:
            spans.append((start, i))
            start = None
    if start is not None:
        spans.append((start, len(skeleton)))
    return spans


def before_pause(skeleton: str, end: int, *, ends_in_pause: bool = True) -> bool:
    """Whether the word ending at `end` is followed by a pause, or ends a text that ends in one."""
    for c in skeleton[end:]:
        if c in PAUSES:
            return True
        if not (c.isspace() or c in _CLOSERS):
            return False
    return ends_in_pause


def pausal_word(letters: str, marks: list[str]) -> list[str]:
    """The marks of one word (its letters only) in its pausal form."""
    if letters in _KEEP_VOWEL or not letters:
        return marks
    out = list(marks)
    last = len(letters) - 1
    if last >= 1 and letters[last] in _ALIFS and FATHATAN in out[last - 1] + out[last]:
        # صباحًا: the nunation goes, the alif is read as a long a after a fatha.
        out[last] = out[last].replace(FATHATAN, "")
        out[last - 1] = out[last - 1].replace(FATHATAN, "")
        if not any(v in out[last - 1] for v in (FATHA, DAMMA, KASRA)):
            out[last - 1] += FATHA
        return out
    ending = out[last]
    if not any(m in ending for m in _ENDINGS - {SUKUN}):
        return out
    kept = "".join(m for m in ending if m not in _ENDINGS)
    out[last] = kept if SHADDA in kept else kept + SUKUN
    return out


def apply_pausal(skeleton: str, marks: list[str], *, ends_in_pause: bool = True) -> list[str]:
    """`marks` with every word before a pause in its pausal form; the end of the text is one unless
    `ends_in_pause` is False (a piece cut from the middle of a line)."""
    out = list(marks)
    for start, end in words(skeleton):
        if before_pause(skeleton, end, ends_in_pause=ends_in_pause):
            out[start:end] = pausal_word(skeleton[start:end], out[start:end])
    return out


def pausal(text: str) -> str:
    """Vowelled `text` with the pausal form at every pause: "قالَ الوزيرُ." → "قالَ الوزيرْ."."""
    skeleton, marks = split_marks(text)
    return join_marks(skeleton, apply_pausal(skeleton, marks))
