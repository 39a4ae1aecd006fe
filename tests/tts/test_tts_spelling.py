"""The espeak-ng engines get the marks where espeak-ng reads them (`espeak_spelling`).

Canonical Unicode order (and the diacritizer's) puts a doubled letter's vowel before its shadda;
espeak-ng 1.52 then drops the vowel: "الشَّمَال" → ʔaʃʃmaːl. Nunation typed on a final alif ("عنصراً",
as Arabic is usually typed) it reads as a long a, without the n. Both engines that phonemize with
espeak-ng (espeak, Piper) are fed the shadda first and the nunation on the letter before the alif.
"""

from __future__ import annotations

import pytest
from tts_support import joined

from producer.tts.espeak import EspeakEngine
from producer.tts.piper import PiperEngine
from producer.tts.spelling import espeak_spelling

FATHA, DAMMA, KASRA, SHADDA, FATHATAN, DAMMATAN = "\u064e", "\u064f", "\u0650", "\u0651", "\u064b", "\u064c"
# The diacritizer's order: vowel, then shadda (as NFC text has it); nunation typed on the alif.
CANONICAL = (
    f"قَالَ الر{FATHA}{SHADDA}ئِيسُ إِن{FATHA}{SHADDA} الس{DAMMA}{SHADDA}كَانَ فِي الش{FATHA}{SHADDA}مَالِ "
    f"وَإِن{FATHA}{SHADDA} مُحَم{FATHA}{SHADDA}دًا وَالن{FATHA}{SHADDA}اسَ وَالس{FATHA}{SHADDA}ي{FATHA}{SHADDA}ارَاتِ "
    f"وَعُنْصُرَاً وَاحِدًا بَقُوا أَيْضاً فِي الْمَدِينَةْ وَبِاسْتِخْدَامِ الْقُو{FATHA}{SHADDA}اتِ"
)


def test_the_marks_go_where_espeak_ng_reads_them() -> None:
    assert espeak_spelling(f"الش{FATHA}{SHADDA}مْسُ") == f"الش{SHADDA}{FATHA}مْسُ"
    assert espeak_spelling(f"سِت{FATHATAN}{SHADDA}ا") == f"سِت{SHADDA}{FATHATAN}ا"
    assert espeak_spelling("عُنْصُرَاً مِنْ") == f"عُنْصُر{FATHATAN}ا مِنْ"
    assert espeak_spelling(f"حَظ{SHADDA}اً") == f"حَظ{SHADDA}{FATHATAN}ا"
    assert espeak_spelling("فِي الْمَدِينَةْ، وَالْمَدِينَةُ") == "فِي الْمَدِينَهْ، وَلْمَدِينَةُ"
    # A wasl alif after a proclitic is left out; one opening a word is kept (and voiced i, below).
    assert espeak_spelling("وَبِاسْتِخْدَامِ الْقَنَابِلِ") == "وَبِسْتِخْدَامِ الْقَنَابِلِ"
    assert espeak_spelling("وَانْسَحَبَتِ اجْتِمَاعًا") == "وَنْسَحَبَتِ اِجْتِمَاعًا"
    assert espeak_spelling("بَاعْ وَاسِعٌ وَالِدُهُ وَالِي") == "بَاعْ وَاسِعٌ وَالِدُهُ وَالِي"  # a long ā of the word's own
    # After the article, whose ل takes a helping kasra, and with a proclitic before it.
    assert espeak_spelling("الِاسْتِلَامِ لِلِاسْتِلَامِ وَالِانْتِخَابَاتُ") == "الِسْتِلَامِ لِلِسْتِلَامِ وَلِنْتِخَابَاتُ"
    # So is the article before a sun letter after a proclitic; a vowel on آ goes.
    assert espeak_spelling(f"بِالت{SHADDA}{FATHA}زَامُنِ مَعَ آَبِ") == f"بِت{SHADDA}{FATHA}زَامُنِ مَعَ آبِ"
    # A word opening on a hamzat al-wasl gets its kasra; the article does not.
    assert espeak_spelling("ارْتَفَعَ الْعَدَدُ اثْنَانِ") == "اِرْتَفَعَ الْعَدَدُ اِثْنَانِ"
    assert espeak_spelling(f"اضْطُر{FATHA}{SHADDA} اسْتُهْدِفَ") == f"اُضْطُر{SHADDA}{FATHA} اُسْتُهْدِفَ"  # passives: u
    # A doubled و or ي is written twice.
    assert espeak_spelling(f"قُو{FATHA}{SHADDA}اتِ أَي{DAMMA}{SHADDA}") == "قُوْوَاتِ أَيْيُ"
    # So is a single one between two vowels, except و after an i, which espeak-ng reads right.
    assert espeak_spelling("بَيَانٍ مُوَاطِنٌ حِوَارٍ يَوْمَ رَسْمِيًا") == "بَيْيَانٍ مُوْوَاطِنٌ حِوَارٍ يَوْمَ رَسْمِيًا"
    # ... but not before a nunation, which espeak-ng reads no better that way.
    assert espeak_spelling(f"شَعْبِي{DAMMATAN}{SHADDA}") == f"شَعْبِي{SHADDA}{DAMMATAN}"
    assert espeak_spelling(espeak_spelling(CANONICAL)) == espeak_spelling(CANONICAL)
    # A shadda alone, and text without marks, are left as they are.
    assert espeak_spelling(f"الش{SHADDA}مس") == f"الش{SHADDA}مس"
    assert espeak_spelling("الشمس") == "الشمس"


@pytest.mark.parametrize(
    ("word", "said"),
    [
        (f"الش{FATHA}{SHADDA}مَالْ", "ʃʃˈamaːl"),
        (f"مُحَم{FATHA}{SHADDA}دٌ", "ammad"),
        (f"إِن{FATHA}{SHADDA}", "inna"),
        (f"سِت{FATHA}{SHADDA}ةُ", "sitːˌatu"),
        ("قُتِلَ عُنْصُرَاً مِنْهُمْ", "ʕˈuns̪u.rˌan"),
        ("جُزْءاً", "dʒˈuzʔan"),
        ("فِي الْمَدِينَةْ.", "diːnˌah"),  # a ة before a pause is said h, not t
        ("بِاسْتِخْدَامِ", "bist"),  # the wasl alif is silent
        (f"الْقُو{FATHA}{SHADDA}اتِ", "uːwaː"),  # the doubled w is heard
        (f"بِالت{FATHA}{SHADDA}زَامُنِ", "bitː"),  # the article assimilated after a proclitic
        ("مَطْلَعَ آَبِ", "ʔˈaːbi"),
        ("مَرَاكِزِ الِاسْتِلَامِ", "alist"),
        ("ارْتَفَعَ الْعَدَدُ", "irtˈafaʕ"),
        ("الْبَيَانُ", "ijaːn"),  # the y of a glide between vowels is heard
        ("قَوَاعِدُ", "uwˈaː"),
    ],
)
def test_espeak_ng_says_what_is_written(word: str, said: str) -> None:
    """Read by espeak-ng's own phonemizer (the one Piper ships): the vowel, and the nunation's n."""
    from piper.phonemize_espeak import EspeakPhonemizer

    phonemizer = EspeakPhonemizer()
    assert said in "".join(phonemizer.phonemize("ar", espeak_spelling(word))[0])
    assert said not in "".join(phonemizer.phonemize("ar", word)[0])  # why: as typed, espeak-ng loses it


def test_espeak_voices_the_text_as_typed_as_respelled(espeak: EspeakEngine) -> None:
    canonical = len(joined(list(espeak.synthesize(CANONICAL))))
    respelled = len(joined(list(espeak.synthesize(espeak_spelling(CANONICAL)))))
    # The same text; espeak-ng's length varies by ~15 ms with the process's state (see espeak.py),
    # while as typed it loses eleven vowels and two n's and gains a long a (~0.2 s).
    assert abs(canonical - respelled) < 0.04 * 22050


def test_piper_voices_the_text_as_typed_as_respelled(piper: PiperEngine) -> None:
    canonical = len(joined(list(piper.synthesize(CANONICAL))))
    reordered = len(joined(list(piper.synthesize(espeak_spelling(CANONICAL)))))
    assert canonical == reordered
