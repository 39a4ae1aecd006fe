"""Vowelled Arabic respelled where espeak-ng reads it: the espeak engine and Piper's phonemizer.

espeak-ng 1.52 does not read every correctly vowelled spelling as written (see `espeak_spelling`);
the engines that phonemize with it are fed this respelling, the rest of producer keeps the text as
the diacritizer and the editors wrote it.
"""

from __future__ import annotations

import re

from producer.arabic.pausal import LETTER_CLASS, MARK_CLASS

# Part of the espeak-ng engines' cache key: audio voiced from another spelling is not reused.
# Raise it whenever `espeak_spelling` writes something different.
ESPEAK_SPELLING = "marks=espeak/2"

# A vowel (or sukun) written before the shadda of its letter, Unicode's canonical order and the one
# the diacritizer and NFC text give.
_VOWEL_THEN_SHADDA = re.compile("([\u064b-\u0650\u0652]+)\u0651")
# Nunation typed on a final alif (عنصراً، أيضاً: the common way of typing it), after the marks of the
# letter before.
_NUNATION_ON_ALIF = re.compile("([\u064b-\u0652]*)\u0627\u064b")


_WORD_START = f"(?<!{LETTER_CLASS}|{MARK_CLASS})"
# A hamzat al-wasl after a proclitic (وَاتِّصَالَات، بِاسْتِخْدَام، فَانْسَحَبَ): a bare alif between
# the clitic's vowel and a consonant that is silent or doubled inside the word.
_CLITICS = f"[وف]{MARK_CLASS}(?:[بلك]{MARK_CLASS})?|[بلك]{MARK_CLASS}"
_WASL_AFTER_CLITIC = re.compile(
    f"{_WORD_START}({_CLITICS})\u0627(?={LETTER_CLASS}(?:\u0652|{MARK_CLASS}*\u0651){MARK_CLASS}*{LETTER_CLASS})"
)
# ...and after the article, whose ل then carries a helping kasra (الِاسْتِلَام، لِلِاسْتِلَام،
# وَالِانْتِخَابَات: the article's own alif is silent after a proclitic too).
_WASL_AFTER_ARTICLE = re.compile(
    f"{_WORD_START}(?:({_CLITICS})\u0627|(\u0627|\u0644{MARK_CLASS}?))\u0644\u0650\u0627(?={LETTER_CLASS}\u0652)"
)


def _article_before_wasl(m: re.Match[str]) -> str:
    return (m[1] or m[2]) + "\u0644\u0650"


# A hamzat al-wasl opening a word that is not the article (ارْتَفَعَ، اجْتِمَاعًا، اثْنَانِ): read with
# the i it takes, or the u of a passive (اُضْطُرَّ، اُسْتُهْدِفَ), where espeak-ng says a.
_WASL_OPENING = re.compile(
    f"{_WORD_START}\u0627(?=[\u0621-\u0643\u0645-\u064a]\u0652{LETTER_CLASS}({MARK_CLASS}*))"
)


def _wasl_vowel(m: re.Match[str]) -> str:
    return "\u0627" + ("\u064f" if "\u064f" in m[1] else "\u0650")


# The article before a sun letter after a proclitic (بِالتَّزَامُن، وَالشَّمْس): both its letters are
# silent.
_SUN_ARTICLE_AFTER_CLITIC = re.compile(f"{_WORD_START}({_CLITICS})\u0627\u0644(?={LETTER_CLASS}\u0651)")
# A vowel written on آ, which already says ʔaː (آَب).
_MARKED_MADDA = re.compile("(?<=\u0622)[\u064b-\u0650]")
# A doubled و or ي with an a or u after it (قُوَّات، أَيُّ، الْإِسْلَامِيَّة), once the shadda is first;
# before an i or a nunation (عَسْكَرِيٍّ، شَعْبِيٌّ) espeak-ng reads neither spelling well, and the
# shorter one is kept.
_DOUBLED_GLIDE = re.compile("([\u0648\u064a])\u0651([\u064e\u064f])")


# A و or ي with its vowel between two vowels (بَيَان، قَوَاعِد، سَيُعْلِنُ، قِيَادَة، مُوَاطِن): espeak-ng
# reads it as a vowel (baiaːn, qauaːʕid). Written twice, its consonant is heard. و after an i it
# reads right (حِوَار); one with nunation (يَوْمِيًّا، رَسْمِيًا) it reads worse written twice.
_GLIDE_BETWEEN_VOWELS = re.compile("([\u064e\u064f\u0650])([\u0648\u064a])(?=[\u064e\u064f\u0650])")


def _glide_heard(m: re.Match[str]) -> str:
    vowel, glide = m[1], m[2]
    if vowel == "\u0650" and glide == "\u0648":
        return m[0]
    return f"{vowel}{glide}\u0652{glide}"


def _nunation_before_alif(m: re.Match[str]) -> str:
    return ("\u0651" if "\u0651" in m[1] else "") + "\u064bا"


def espeak_spelling(text: str) -> str:
    """Vowelled `text` with its marks where espeak-ng reads them (espeak, and Piper's phonemizer).

    espeak-ng 1.52 drops a doubled letter's vowel written before its shadda, Unicode's canonical
    order (الشَّمَال is said ʔaʃʃmaːl, مُحَمَّد muħammd, إِنَّ ʔinn), reads nunation typed on a final
    alif as a long a (عُنْصُرَاً is said ʕunsuraː), sounds the t of a ة that ends in a pause
    (الْمَدِينَةْ is said almadiːnat), reads the silent alif of a hamzat al-wasl after و ف ب ل ك as a
    long a (بِاسْتِخْدَامِ is said biaːstiχdaːmi) and a doubled و or ي as a long vowel (قُوَّات is
    said quːaːt). So each shadda goes before its vowel, such a nunation onto the letter before the
    alif (عُنْصُرًا, ʕunsuran), a paused ة is written ه as a newsreader stops on it (الْمَدِينَهْ,
    almadiːnah), the wasl alif is left out (بِسْتِخْدَامِ, bistiχdaːmi; الِسْتِلَامِ), and so is the article
    before a sun letter after a proclitic (بِالتَّزَامُنِ was biaːtːazaːmuni, now بِتَّزَامُنِ), a vowel
    on آ is dropped (آَبِ was ʔaːabi), a word opening on a hamzat al-wasl gets its kasra
    (اِرْتَفَعَ, where espeak-ng said artafaʕa) or a passive's damma (اُضْطُرَّ), and a doubled و
    or ي is written twice (قُوْوَات, quːwaːt), as is one between two vowels (بَيْيَان, where
    espeak-ng said baiaːn).
    """
    text = _NUNATION_ON_ALIF.sub(_nunation_before_alif, text).replace("ة\u0652", "ه\u0652")
    text = _MARKED_MADDA.sub("", _VOWEL_THEN_SHADDA.sub("\u0651\\1", text))
    text = _WASL_AFTER_CLITIC.sub("\\1", _SUN_ARTICLE_AFTER_CLITIC.sub("\\1", text))
    text = _WASL_OPENING.sub(_wasl_vowel, _WASL_AFTER_ARTICLE.sub(_article_before_wasl, text))
    return _GLIDE_BETWEEN_VOWELS.sub(_glide_heard, _DOUBLED_GLIDE.sub("\\1\u0652\\1\\2", text))
