"""Latin words left after the lexicon, spelled in Arabic letters so the Arabic voice can say them.

The station's lexicon decides first (brands and names news meets: "Samsung" → "سامسونغ"), and the
shipped names also when typed in another case ("facebook"); what is left is written in Arabic
letters by rule, never skipped and never handed to the voice as Latin:
- an acronym (all capitals, up to four letters or without a vowel: "NRC") is spelled by the
  letters' Arabic names ("إن آر سي"), the way BBC and CNN are said;
- any other word is transliterated by sound, as the Levantine press writes foreign names: digraphs
  first (sh → ش, ch → تش, th → ث, ph → ف, kh → خ, gh → غ, oo/ou → و, ee/ea → ي), c and g soft
  before e/i/y (س, ج), hard otherwise (ك, غ); a vowel opening the word is carried by a hamza (أ, إ,
  أو), long vowels inside it are written (a → ا, e/i → ي, o/u → و), a final silent e is dropped and
  doubled letters are written once ("Marco" → "ماركو", "Bernard" → "بيرنارد").
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from producer.arabic.lexicon import Lexicon

LETTER_NAMES = {
    "A": "إيه", "B": "بي", "C": "سي", "D": "دي", "E": "إي", "F": "إف", "G": "جي", "H": "إتش", "I": "آي",
    "J": "جيه", "K": "كيه", "L": "إل", "M": "إم", "N": "إن", "O": "أو", "P": "بي", "Q": "كيو", "R": "آر",
    "S": "إس", "T": "تي", "U": "يو", "V": "في", "W": "دبليو", "X": "إكس", "Y": "واي", "Z": "زد",
}  # fmt: skip

_LATIN_WORD = re.compile(
    r"(?<![0-9A-Za-z\u00c0-\u024f])[A-Za-z\u00c0-\u024f]+(?:'[A-Za-z]+)?(?![0-9A-Za-z\u00c0-\u024f])"
)
# Capitals up to four letters, or longer without a vowel to say them by ("IAEA", "NRC", "BRICS"
# is a word): spelled letter by letter.
_ACRONYM = re.compile(r"[A-Z]{1,4}|[B-DF-HJ-NP-TV-Z]{5,}")
_DIGRAPHS = (
    ("sch", "ش"), ("tch", "تش"), ("sh", "ش"), ("ch", "تش"), ("th", "ث"), ("ph", "ف"), ("kh", "خ"),
    ("gh", "غ"), ("ck", "ك"), ("qu", "كو"), ("oo", "و"), ("ou", "و"), ("ee", "ي"), ("ea", "ي"),
    ("ie", "ي"), ("ai", "اي"), ("ay", "اي"), ("ei", "اي"), ("ey", "اي"), ("au", "او"), ("aw", "او"),
    ("ow", "او"),
)  # fmt: skip
_CONSONANTS = {
    "b": "ب", "d": "د", "f": "ف", "h": "ه", "j": "ج", "k": "ك", "l": "ل", "m": "م", "n": "ن", "p": "ب",
    "q": "ك", "r": "ر", "s": "س", "t": "ت", "v": "ف", "w": "و", "x": "كس", "z": "ز",
}  # fmt: skip
_VOWELS_INSIDE = {"a": "ا", "e": "ي", "i": "ي", "o": "و", "u": "و", "y": "ي"}
_VOWELS_FIRST = {"a": "أ", "e": "إ", "i": "إ", "o": "أو", "u": "أو", "y": "ي"}


def spell_letters(letters: str) -> str:
    """Capital letters by their Arabic names: "MS" → "إم إس"."""
    return " ".join(LETTER_NAMES[c] for c in letters.upper() if c in LETTER_NAMES)


# English words of names that no spelling rule gets right ("The Guardian" → "ذا غوارديان").
_WORDS = {
    "the": "ذا", "of": "أوف", "and": "آند", "new": "نيو", "for": "فور", "news": "نيوز",
    "mr": "مستر", "mrs": "ميسز", "ms": "ميز", "dr": "دكتور", "st": "سانت",
}  # fmt: skip


@cache
def _shipped_latin() -> dict[str, str]:
    """The shipped lexicon's plain Latin names as written ("COP" → "كوب")."""
    return {
        entry.pattern: entry.replacement
        for entry in Lexicon.default().entries()
        if not entry.is_regex and entry.pattern.isascii() and entry.pattern.isalpha()
    }


@cache
def _shipped_names() -> dict[str, str]:
    """The shipped Latin names by their lower case, for names typed in another case ("facebook",
    "YouTube"); short ones stay out: "us" and "who" are English words too."""
    return {name.lower(): spoken for name, spoken in _shipped_latin().items() if len(name) >= 4}


def code_letters(letters: str) -> str:
    """The letters of a code glued to its number ("COP28", "MS985"): a shipped name, else by name."""
    return _shipped_latin().get(letters) or spell_letters(letters)


def transliterate(word: str) -> str:
    """One Latin word in Arabic letters (an acronym spelled letter by letter)."""
    if (shipped := _shipped_names().get(word.lower())) is not None:
        return shipped
    if _ACRONYM.fullmatch(word):
        return spell_letters(word)
    if word.lower() in _WORDS:
        return _WORDS[word.lower()]
    # Accents go (Müller → muller); ß, ç and æ/œ are spelled out.
    plain = unicodedata.normalize(
        "NFKD", word.lower().replace("ß", "ss").replace("ç", "s").replace("æ", "ae").replace("œ", "oe")
    )
    text = re.sub(r"(.)\1", r"\1", "".join(c for c in plain if c.isascii() and c.isalpha()))
    if len(text) > 2 and text.endswith("e") and text[-2] not in "aeiouy":
        text = text[:-1]  # the silent final e ("Claire", "George")
    if len(text) > 3 and text.endswith("er"):
        text = text[:-2] + "r"  # an unstressed -er: "Peter" → "بيتر"
    out: list[str] = []
    i = 0
    while i < len(text):
        for latin, arabic in _DIGRAPHS:
            if text.startswith(latin, i):
                out.append(("أ" + arabic if i == 0 and latin[0] in "aeiou" else arabic).replace("أا", "آ"))
                i += len(latin)
                break
        else:
            char, after = text[i], text[i + 1 : i + 2]
            if char in _VOWELS_INSIDE:
                out.append(_VOWELS_FIRST[char] if i == 0 else _VOWELS_INSIDE[char])
            elif char == "c":
                out.append("س" if after in ("e", "i", "y") else "ك")
            elif char == "g":
                out.append("ج" if after in ("e", "i", "y") else "غ")
            elif char == "h" and i > 0 and after not in _VOWELS_INSIDE:
                pass  # silent after a vowel: "Johnson" → "جونسون"
            else:
                out.append(_CONSONANTS.get(char, ""))
            i += 1
    return "".join(out)


# The dot of a title is not a full stop the voice should pause on ("Mr. Brown").
_TITLE_DOT = re.compile(r"(?<![A-Za-z])(Mr|Mrs|Ms|Dr|St)\.")


def arabize_latin(line: str) -> str:
    """`line` with every Latin word that is left written in Arabic letters."""
    return _LATIN_WORD.sub(lambda m: transliterate(m[0]), _TITLE_DOT.sub(r"\1", line))
