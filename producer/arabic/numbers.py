"""Arabic number words as a newsreader says them: gender agreement, case, and the counted noun.

Grammar (Wright, "A Grammar of the Arabic Language", §§ 320-330; modern newsroom usage):
- 1 and 2 agree with the counted noun; 3-10 take the opposite gender of the noun's singular
  ("ثلاثة أيام", "ثلاث سنوات"); in 11-19 the units keep that polarity while عشر agrees
  ("ثلاثة عشر يوما", "ثلاث عشرة سنة"); tens do not change with gender.
- Only duals (اثنان/اثنين, مئتان, ألفان) and sound masculine plurals (the tens: عشرون/عشرين) show
  case in unvowelled text; the accusative is spelled like the genitive, without tanwin alif.
- ألف, مليون and مليار are masculine nouns counted like any other: "ثلاثة آلاف", "أحد عشر ألفا",
  "مئة ألف"; only the last group of a number agrees with the counted noun.
- `construct` means the counted noun follows right after the number, which drops the nun of a
  dual ("مئتا شخص") and the tanwin alif of a tamyiz ("عشرون ألف شخص"), and spells feminine
  eight "ثماني" ("ثماني غارات") instead of the free-standing "ثمان".
- With `vowelled`, the words whose case shows only in their last vowel carry it: a unit before its
  noun ends in a short vowel ("ثلاثةَ أشخاص"), one said on its own in nunation ("ثلاثًا وعشرين"),
  11-19 in the fixed fatha ("خمسةَ عشرَ"), and the noun after a hundred or a unit of thousands in
  the genitive ("ثلاثمئةِ ألفٍ"). The diacritizer keeps written vowels, and cannot know the case,
  which a verb or particle far back in the sentence decides.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Literal

from producer.errors import InputError

Case = Literal["nom", "acc", "gen"]
Gender = Literal["m", "f"]

MAX_CARDINAL = 999_999_999_999

_DIACRITICS = dict.fromkeys(map(ord, "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0670\u0640"))
_NUNATION_ALIF = re.compile("(?<=[^ة])\u064b\u0651?(?= |$)")
_SHORT = {"nom": "\u064f", "acc": "\u064e", "gen": "\u0650"}
_NUNATION = {"nom": "\u064c", "acc": "\u064b", "gen": "\u064d"}
_FATHA = _SHORT["acc"]

# Index = value; the form used with a masculine noun (3-10 carry the feminine ة) and with a feminine one.
_UNITS_FOR_M = ("صفر", "واحد", "اثنان", "ثلاثة", "أربعة", "خمسة", "ستة", "سبعة", "ثمانية", "تسعة", "عشرة")
_UNITS_FOR_F = ("صفر", "واحدة", "اثنتان", "ثلاث", "أربع", "خمس", "ست", "سبع", "ثمان", "تسع", "عشر")
_TENS = ("", "", "عشرون", "ثلاثون", "أربعون", "خمسون", "ستون", "سبعون", "ثمانون", "تسعون")
_HUNDREDS = ("", "مئة", "مئتان", "ثلاثمئة", "أربعمئة", "خمسمئة", "ستمئة", "سبعمئة", "ثمانمئة", "تسعمئة")
DIGIT_NAMES = _UNITS_FOR_M[:10]

# Scale nouns: singular, dual (nominative), plural (after 3-10), tamyiz singular (after 11-99).
_SCALES = (
    (10**9, ("مليار", "ملياران", "مليارات", "مليارا")),
    (10**6, ("مليون", "مليونان", "ملايين", "مليونا")),
    (10**3, ("ألف", "ألفان", "آلاف", "ألفا")),
)

_ORD_M = (
    "", "الأول", "الثاني", "الثالث", "الرابع", "الخامس",
    "السادس", "السابع", "الثامن", "التاسع", "العاشر",
)  # fmt: skip
_ORD_F = (
    "", "الأولى", "الثانية", "الثالثة", "الرابعة", "الخامسة",
    "السادسة", "السابعة", "الثامنة", "التاسعة", "العاشرة",
)  # fmt: skip


def _oblique(case: Case) -> bool:
    return case != "nom"


def _declined(word: str, case: Case, construct: bool) -> str:
    """`word` with its case vowel: short before the noun it governs, nunation on its own."""
    mark = _SHORT[case] if construct else _NUNATION[case]
    if word.endswith("ست"):
        mark += "\u0651"  # ستّ: the doubled t the vowel would otherwise replace
    return word + mark


def dual(nom: str, case: Case, construct: bool) -> str:
    """A dual ending in ان: ين in the accusative/genitive, and the nun dropped before a noun."""
    stem = nom[:-2]
    if _oblique(case):
        return stem + ("ي" if construct else "ين")
    return stem + ("ا" if construct else "ان")


def _tens(t: int, case: Case) -> str:
    word = _TENS[t]
    return word[:-2] + "ين" if _oblique(case) else word


def _unit(n: int, feminine: bool, case: Case, construct: bool) -> str:
    """1-10 said on their own or before the counted noun."""
    if n == 2:
        return dual("اثنتان" if feminine else "اثنان", case, construct=False)
    if n == 8 and feminine:
        # ثماني before its noun (its ي silent but in the accusative), ثمانٍ alone; the accusative
        # alone is ثمانيًا, a letter more, so it is left to the diacritizer.
        if construct:
            return "ثماني" + (_FATHA if case == "acc" else "")
        return "ثمان" + ("" if case == "acc" else _NUNATION["gen"])
    return _declined((_UNITS_FOR_F if feminine else _UNITS_FOR_M)[n], case, construct)


def _below_100(n: int, feminine: bool, case: Case, construct: bool) -> str:
    if n <= 10:
        return _unit(n, feminine, case, construct)
    if n < 20:
        # 11-19 are built on the fatha whatever their case; only the ا/ي of twelve shows it.
        unit = n - 10
        ten = (" عشرة" if feminine else " عشر") + _FATHA
        if unit == 1:
            return "إحدى" + ten if feminine else "أحد" + _FATHA + ten
        if unit == 2:
            if feminine:
                return ("اثنتي" if _oblique(case) else "اثنتا") + ten
            return ("اثني" if _oblique(case) else "اثنا") + ten
        first = "ثماني" if unit == 8 and feminine else (_UNITS_FOR_F if feminine else _UNITS_FOR_M)[unit]
        return first + _FATHA + ten
    tens, unit = divmod(n, 10)
    if unit == 0:
        return _tens(tens, case)
    one = "إحدى" if feminine else _declined("واحد", case, construct=False)
    first = one if unit == 1 else _unit(unit, feminine, case, construct=False)
    return f"{first} و{_tens(tens, case)}"


def _below_1000(n: int, feminine: bool, case: Case, construct: bool) -> str:
    hundreds, rest = divmod(n, 100)
    parts = []
    if hundreds:
        word = _HUNDREDS[hundreds]
        before_noun = construct and rest == 0
        if hundreds == 2:
            word = dual(word, case, before_noun)
        elif hundreds == 1:
            word = _declined(word, case, before_noun)
        else:
            # ثلاثمئة is ثلاث in the number's case governing مئة in the genitive: ثلاثُمئةٍ.
            unit = word[:-3] if hundreds == 8 else _declined(word[:-3], case, construct=True)
            word = _declined(unit + "مئة", "gen", before_noun)
        parts.append(word)
    if rest or not hundreds:
        parts.append(_below_100(rest, feminine, case, construct))
    return " و".join(parts)


def _scale_phrase(g: int, forms: tuple[str, str, str, str], case: Case, construct: bool) -> str:
    """`g` (1-999) thousands/millions/billions; the scale noun is masculine."""
    singular, dual_nom, plural, tamyiz = forms
    if g == 1:
        return _declined(singular, case, construct)
    if g == 2:
        return dual(dual_nom, case, construct)
    if g <= 10:
        # ملايين is a diptote: its genitive without nunation is a fatha (ثلاثةُ ملايينَ).
        noun = (
            plural + _FATHA if plural == "ملايين" and not construct else _declined(plural, "gen", construct)
        )
        return f"{_unit(g, False, case, True)} {noun}"
    if g < 100:
        noun = singular if construct else tamyiz[:-1] + _NUNATION["acc"] + "ا"
        return f"{_below_100(g, False, case, False)} {noun}"
    hundreds, rest = divmod(g, 100)
    if rest == 0:
        return f"{_below_1000(g, False, case, construct=True)} {_declined(singular, 'gen', construct)}"
    if rest <= 2:
        head = _below_1000(hundreds * 100, False, case, construct=True)
        # "مئة ألف وألف": a bare "مئة وألف" would be heard as 1,100.
        return f"{head} {_declined(singular, 'gen', False)} و{_scale_phrase(rest, forms, case, construct)}"
    return f"{_below_1000(hundreds * 100, False, case, False)} و{_scale_phrase(rest, forms, case, construct)}"


def cardinal_words(
    n: int, *, gender: Gender = "m", case: Case = "nom", construct: bool = False, vowelled: bool = False
) -> str:
    """`n` in words agreeing with a counted noun of `gender`; `construct`: the noun follows;
    `vowelled`: with the case vowels the letters do not show (see the module's notes)."""
    if not 0 <= n <= MAX_CARDINAL:
        raise InputError(f"{n} is outside the numbers read in words (0 to {MAX_CARDINAL:,}).")
    feminine = gender == "f"
    parts = []
    rest = n
    for value, forms in _SCALES:
        g, rest = divmod(rest, value)
        if g:
            parts.append((g, forms))
    words = [
        _scale_phrase(g, forms, case, construct and rest == 0 and i == len(parts) - 1)
        for i, (g, forms) in enumerate(parts)
    ]
    if rest or not parts:
        words.append(_below_1000(rest, feminine, case, construct))
    said = " و".join(words)
    # The accusative's nunation is written on an alif after the word (ثلاثًا), except after ة.
    return _NUNATION_ALIF.sub("\\g<0>ا", said) if vowelled else said.translate(_DIACRITICS)


def cardinal(n: int, *, feminine: bool = False, case: Case = "nom") -> str:
    """`n` (0 - 999,999,999,999) in words, said on its own or before a noun of that gender.

    `feminine` is the gender of the counted noun's singular: cardinal(5, feminine=True) is "خمس"
    (خمس غارات), cardinal(5) is "خمسة" (خمسة صواريخ).
    """
    return cardinal_words(n, gender="f" if feminine else "m", case=case)


def ordinal(n: int, *, feminine: bool = False, case: Case = "nom") -> str:
    """The definite ordinal: "الخامس", "الحادية عشرة", "الحادي والعشرون" (case shows on the tens)."""
    if not 1 <= n <= MAX_CARDINAL:
        raise InputError(f"{n} has no ordinal reading (1 to {MAX_CARDINAL:,}).")
    table = _ORD_F if feminine else _ORD_M
    if n <= 10:
        return table[n]
    if n < 20:
        unit = n - 10
        first = ("الحادية" if feminine else "الحادي") if unit == 1 else table[unit]
        return first + (" عشرة" if feminine else " عشر")
    if n < 100:
        tens, unit = divmod(n, 10)
        ten = "ال" + _tens(tens, case)
        if unit == 0:
            return ten
        first = ("الحادية" if feminine else "الحادي") if unit == 1 else table[unit]
        return f"{first} و{ten}"
    rest = n % 100
    head = "ال" + cardinal_words(n - rest, case=case)
    return head if rest == 0 else f"{head} و{ordinal(rest, feminine=feminine, case=case)}"


def digits_words(digits: str) -> str:
    """A digit string read digit by digit (phone numbers, identifiers)."""
    return " ".join(DIGIT_NAMES[int(d)] for d in digits)


# --- noun gender -------------------------------------------------------------------------------


@cache
def _noun_lexicon() -> dict[str, Gender]:
    text = resources.files("producer.arabic").joinpath("nouns.tsv").read_text(encoding="utf-8")
    table: dict[str, Gender] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        word, gender = line.split("\t")[:2]
        table[word.strip()] = "f" if gender.strip() == "f" else "m"
    return table


def _lookup(word: str) -> Gender | None:
    bare = word.translate(_DIACRITICS).strip()
    if bare.startswith("ال") and len(bare) > 3:
        bare = bare[2:]
    lexicon = _noun_lexicon()
    if bare in lexicon:
        return lexicon[bare]
    if bare.endswith("ا") and bare[:-1] in lexicon:
        return lexicon[bare[:-1]]
    return None


def is_known_noun(word: str) -> bool:
    """Whether `word` is in the table of counted nouns."""
    return _lookup(word) is not None


def noun_gender(word: str) -> Gender:
    """Gender of the singular of `word` (a counted noun as written: plural, singular, acc. or gen.).

    A lexicon of broken plurals and irregular nouns decides first; then the form: ة, ات, اء and ى
    (except the place nouns in مـ ى: مستشفى, مبنى) mark the feminine; anything else is masculine.
    """
    known = _lookup(word)
    if known is not None:
        return known
    bare = word.translate(_DIACRITICS).strip()
    if bare.startswith("ال") and len(bare) > 3:
        bare = bare[2:]
    if not bare:
        return "m"
    if bare.endswith("اء"):
        # أفعاء/أفعلاء plurals (أعضاء, أبناء) and the masdars إفعاء/افتعاء/استفعاء are masculine.
        return "m" if bare[0] in "أإاآ" else "f"
    if bare.endswith(("ة", "ات", "تان", "تين")):
        return "f"
    if bare.endswith("ى") and not bare.startswith("م"):
        return "f"
    return "m"
