"""An editor's fix of how a word is voiced: its vowels set in a script, or a station lexicon entry.

The diacritizer keeps vowels written in the text, so both fixes are text: the word spelled with its
vowels in the script (this bulletin), or a lexicon line `word<TAB>vowelled word` (every bulletin).
"""

from __future__ import annotations

import regex

from producer.arabic.pausal import LETTER_CLASS, MARK_CLASS, MARKS
from producer.errors import InputError

MAX_WORD = 60


def _bare(text: str) -> str:
    return "".join(c for c in text if c not in MARKS)


def checked(word: str, vowels: str) -> tuple[str, str]:
    """The bare word and its vowelled spelling, once they are known to be one Arabic word with the
    same letters; InputError otherwise."""
    word, vowels = _bare(word.strip()), vowels.strip()
    if not word or len(vowels) > MAX_WORD or not regex.fullmatch(f"{LETTER_CLASS}+", word):
        raise InputError("choose one Arabic word (letters only, at most 60 characters).")
    if _bare(vowels) != word:
        raise InputError(f"the vowelled spelling must have the letters of {word} and only add marks.")
    return word, vowels


def set_vowels(text: str, word: str, vowels: str) -> tuple[str, int]:
    """`text` with every whole occurrence of `word` (with or without marks) spelled `vowels`, and
    how many there were. Longer words that contain it are left alone."""
    word, vowels = checked(word, vowels)
    pattern = regex.compile(
        rf"(?<!{LETTER_CLASS}{MARK_CLASS}*)"
        + f"{MARK_CLASS}*".join(map(regex.escape, word))
        + rf"{MARK_CLASS}*(?!{LETTER_CLASS})"
    )
    return pattern.subn(lambda _: vowels, text)
