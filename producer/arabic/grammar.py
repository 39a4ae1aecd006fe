"""Rules of Arabic that hold whatever the model predicts, applied to its marks after prediction.

The diacritization models read letters, not grammar: they voice a verb active where what follows
shows it is passive, and they guess names and rarer words. Three kinds of fix, each true of the
language rather than of a test set:

- frequent news words (producer/arabic/news_words.tsv, written from general Arabic knowledge):
  particles with their fixed vowels, and names and nouns whose stem reads one way only (the case
  ending stays the model's), behind any of the clitics و ب ك ل and the article;
- the article: a moon letter right after it never carries a shadda;
- the voice of a verb that opens a sentence, judged by what follows: a past verb followed
  directly by عن / على / بـ / لـ / أنّ has no subject, so it is passive (عُثِرَ عَلَى، أُفْرِجَ عَنْ،
  ذُكِرَ أَنَّ); a verb of killing, wounding or arrest followed directly by a number is passive (قُتِلَ
  ثَلَاثَةٌ); the present of the verbs used impersonally before أن is passive (يُتَوَقَّعُ أَنْ).
  Only verbs whose passive keeps their letters (no long vowel in the stem) are changed.

Marks written in the text are applied after these rules by the caller, so they still win.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from producer.arabic.pausal import DAMMA, FATHA, KASRA, SHADDA, SUKUN, join_marks, split_marks, words

_SENTENCE_END = frozenset(".!?؟\n")
_SUN = frozenset("تثدذرزسشصضطظلن")
_LONG = frozenset("اوىي")
_CASE = frozenset((FATHA, DAMMA, KASRA, "\u064b", "\u064c", "\u064d"))
# What stands right after a passive verb that has no subject.
_NO_SUBJECT = frozenset(
    ("عن", "على", "أن", "أنه", "أنها", "أنهم", "بأن", "به", "بها", "بهم", "له", "لها", "لهم")
)
# ...or a preposition joined to a noun with the article (بِالْقَرَارِ، لِلْمَدَنِيِّينَ), not a name that
# opens with ب or ل and may be the subject (رَفَضَ لُبْنَانُ).
_JOINED_PREPOSITION = ("بال", "لل")
# Verbs of killing, wounding, arrest and damage (their past, masculine and feminine): followed
# directly by a number they are passive, the number being what they happened to.
_CASUALTY = frozenset(
    (
        "قتل", "جرح", "اعتقل", "أسر", "خطف", "اختطف", "أعدم", "أنقذ", "نقل", "دمر", "أحرق", "هدم",
        "استهدف", "أسقط", "احتجز", "أوقف", "سجن", "حبس", "ضبط", "أطلق", "انتشل", "سجل", "رصد",
        "فقد", "شرد", "هجر", "قصف", "أغلق", "وزع", "سلم",
    )
)  # fmt: skip
_QUANTITIES = frozenset(
    (
        "اثنان", "اثنين", "ثلاثة", "ثلاث", "أربعة", "أربع", "خمسة", "خمس", "ستة", "ست", "سبعة", "سبع",
        "ثمانية", "ثماني", "تسعة", "تسع", "عشرة", "عشر", "عشرات", "مئات", "آلاف", "ألف", "ألفا", "مئة",
        "مائة", "نحو", "قرابة", "حوالي", "أكثر", "عدد", "أحد", "إحدى", "جنديان", "شخصان", "طفلان",
    )
)  # fmt: skip
_AN = frozenset(("أن", "أنه", "أنها", "بأن"))
# ...or by people named without the article, who are what such a verb happens to in news
# (قُتِلَ مَدَنِيُّونَ، اعْتُقِلَ صَحَفِيٌّ); an armed group after it is its subject (قَتَلَ مُسَلَّحُونَ).
_VICTIMS = frozenset(
    (
        "شخص", "أشخاص", "مدني", "مدنيون", "مدنيين", "طفل", "أطفال", "امرأة", "نساء", "جندي", "جنود",
        "عنصر", "عناصر", "مواطن", "مواطنون", "مواطنين", "صحفي", "صحفيون", "صحفيين", "مسعف", "مسعفون",
        "مسعفين", "عامل", "عمال", "لاجئ", "لاجئون", "لاجئين", "شاب", "شبان", "رجل", "رجال",
    )
)  # fmt: skip
# Verbs whose present is used impersonally in the passive before أن: يُتَوَقَّعُ، يُعْتَقَدُ، يُنْتَظَرُ...
_IMPERSONAL = frozenset(("يتوقع", "يعتقد", "ينتظر", "يذكر", "يرجح", "يفترض", "يخشى"))


# Words that open sentences and end in a fatha like a past verb, but are not verbs.
_NOT_VERBS = frozenset(
    (
        "بين", "تحت", "فوق", "عند", "بعد", "قبل", "حيث", "ثم", "لكن", "إن", "أن", "كما", "منذ", "خلال",
        "أمام", "حسب", "وفق", "ضمن", "رغم", "إثر", "عقب", "لدى", "دون", "حين", "نحو", "جراء",
        "أيضا",
    )
)  # fmt: skip


def looks_like_verb(word: str) -> bool:
    """Whether a vowelled word reads as a past or present verb, the forms whose passive and active
    are spelled alike (قَتَلَ/قُتِلَ، قَتَلَتْ/قُتِلَتْ، يَقْتُلُ/يُقْتَلُ)."""
    skeleton, marks = split_marks(word)
    if len(skeleton) > 3 and skeleton[0] in "وف":
        skeleton, marks = skeleton[1:], marks[1:]
    if len(skeleton) < 3 or skeleton.startswith("ال") or skeleton in _NOT_VERBS:
        return False
    # The first vowel: on the first letter, or after a hamzat wasl (اُعْتُقِلَ، اسْتُهْدِفَ).
    first = next((m for m in marks[:3] if any(v in m for v in (FATHA, DAMMA, KASRA))), "")
    if not (FATHA in first or DAMMA in first) or (marks[0] == "" and skeleton[0] != "ا"):
        return False
    last = marks[-1]
    present = skeleton[0] in "يت" and skeleton[-1] != "ة" and (DAMMA in last or FATHA in last)
    past = (FATHA in last and skeleton[-1] not in "ةى") or skeleton.endswith(("ت", "وا"))
    return present or past


@dataclass(frozen=True)
class _Entry:
    vowels: list[str]  # the marks of each letter
    fixed: bool  # the last letter's marks too (an indeclinable word)


@cache
def _news_words() -> dict[str, _Entry]:
    out: dict[str, _Entry] = {}
    text = (files("producer.arabic") / "news_words.tsv").read_text("utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        vowelled, kind = line.split("\t")
        bare, marks = split_marks(vowelled)
        out[bare] = _Entry(marks, kind == "fixed")
    return out


def _clitics(word: str) -> list[tuple[int, bool]]:
    """Ways to read `word` as clitics + stem: (where the stem starts, whether the article is in
    between), the longest reading first."""
    readings = []
    # Not ف: far more words open with it as a root letter (فَتَحَتْ is not فَ + تَحْتَ، فَقَدَ not فَ + قَدْ).
    for conj in ("", "و"):
        if not word.startswith(conj):
            continue
        rest = len(conj)
        for prep in ("", "ب", "ك", "ل"):
            if not word.startswith(prep, rest):
                continue
            at = rest + len(prep)
            if prep == "ل" and word.startswith("ل", at) and len(word) > at + 2:
                readings.append((at + 1, True))  # لل: لِ + the article without its alif
            if prep != "ل" and word.startswith("ال", at) and len(word) > at + 3:
                readings.append((at + 2, True))
            readings.append((at, False))
    return sorted(readings, key=lambda r: -r[0])


_PREFIX_VOWEL = {"و": FATHA, "ف": FATHA, "ب": KASRA, "ك": FATHA, "ل": KASRA}


def _lexicon(word: str, marks: list[str]) -> bool:
    """Give `word` its vowels from the news words; whether it was found."""
    entries = _news_words()
    for stem_at, article in _clitics(word):
        entry = entries.get(word[stem_at:])
        if entry is None or (entry.fixed and article):
            continue
        clitics_end = stem_at
        if article:
            lam = stem_at - 1
            clitics_end = lam - 1 if word[lam - 1] == "ا" else lam  # لل has no alif
            if word[lam - 1] == "ا":
                marks[lam - 1] = ""
            # A hamzat wasl after the article takes its kasra on the lam (الِاجْتِمَاع).
            marks[lam] = KASRA if word[stem_at] == "ا" else "" if word[stem_at] in _SUN else SUKUN
        for i in range(clitics_end):
            marks[i] = _PREFIX_VOWEL.get(word[i], "")
        last = len(word) - 1
        for i, vowels in enumerate(entry.vowels):
            at = stem_at + i
            if at == last and not entry.fixed:
                kept = marks[at]
                marks[at] = _canonical(
                    vowels.replace(FATHA, "").replace(DAMMA, "").replace(KASRA, "")
                    + "".join(m for m in kept if m in _CASE or m == SUKUN)
                )
            else:
                marks[at] = vowels
        if article and word[stem_at] in _SUN and SHADDA not in marks[stem_at]:
            marks[stem_at] = _canonical(SHADDA + marks[stem_at])
        return True
    return False


def _canonical(marks: str) -> str:
    return "".join(sorted(marks, key=unicodedata.combining))


def _moon_letter(word: str, marks: list[str]) -> None:
    """No shadda on a moon letter right after the article (الْقَمَر، not الْقَّمَر)."""
    for stem_at, article in _clitics(word):
        if article and word[stem_at] not in _SUN and SHADDA in marks[stem_at]:
            marks[stem_at] = marks[stem_at].replace(SHADDA, "")
        if article:
            return


def _with_vowel(marks: str, vowel: str) -> str:
    """`marks` with its short vowel replaced by `vowel` (a shadda stays)."""
    return _canonical("".join(m for m in marks if m not in (FATHA, DAMMA, KASRA, SUKUN)) + vowel)


def _sounds(marks: str) -> bool:
    return any(v in marks for v in (FATHA, DAMMA, KASRA))


def _passive_past(word: str, marks: list[str]) -> bool:
    """Turn a past verb the model voiced active into its passive (قَتَلَ → قُتِلَ، أَعْلَنَ → أُعْلِنَ،
    اسْتَهْدَفَتْ → اسْتُهْدِفَتْ), if its passive keeps its letters; whether it did."""
    last = len(word) - 1
    if word.endswith("ت") and FATHA not in marks[last]:
        last -= 1  # the feminine ت
    stem = word[: last + 1]
    if not 3 <= len(stem) <= 6 or any(c in _LONG for c in stem[1:]) or FATHA not in marks[last]:
        return False
    if SHADDA in marks[last]:
        return False  # a doubled verb (انْضَمَّ): its passive is not a change of vowels
    sounding = [i for i in range(last) if _sounds(marks[i])]
    if not sounding or sounding[-1] != last - 1:
        return False
    for i in sounding[:-1]:
        marks[i] = _with_vowel(marks[i], DAMMA)
    marks[last - 1] = _with_vowel(marks[last - 1], KASRA)
    return True


def _passive_present(word: str, marks: list[str]) -> bool:
    """يَتَوَقَّعُ → يُتَوَقَّعُ، يَعْتَقِدُ → يُعْتَقَدُ: the prefix takes a damma, the letter before the
    last a fatha."""
    last = len(word) - 1
    marks[0] = DAMMA
    if _sounds(marks[last - 1]):
        marks[last - 1] = _with_vowel(marks[last - 1], FATHA)
    return True


def _verb_at(word: str) -> tuple[int, str]:
    """Where a verb starts after و / ف, and the verb."""
    if len(word) > 3 and word[0] in "وف":
        return 1, word[1:]
    return 0, word


def correct(skeleton: str, marks: list[str], *, opens_sentence: bool = True) -> list[bool]:
    """Apply the rules to the model's `marks` of `skeleton` in place; per character, whether the
    news words set it (a known word is no longer unsure)."""
    known = [False] * len(skeleton)
    spans = words(skeleton)
    sentence_start = opens_sentence
    previous_end = 0
    starts: list[bool] = []
    for start, _ in spans:
        if any(c in _SENTENCE_END for c in skeleton[previous_end:start]):
            sentence_start = True
        starts.append(sentence_start)
        sentence_start = False
        previous_end = _
    for n, (start, end) in enumerate(spans):
        word, wmarks = skeleton[start:end], marks[start:end]
        if _lexicon(word, wmarks):
            known[start:end] = [True] * (end - start)
        else:
            _moon_letter(word, wmarks)
        following = skeleton[spans[n + 1][0] : spans[n + 1][1]] if n + 1 < len(spans) else ""
        joined = n + 1 < len(spans) and skeleton[end : spans[n + 1][0]].strip() == ""
        if joined and following.startswith("ا") and SUKUN in wmarks[-1] and word[-1] not in _LONG:
            # Two vowelless consonants do not meet before a hamzat wasl: مِنَ الْ، عَنِ الْ، قَالَتِ الْ،
            # لَهُمُ الْ.
            article = following.startswith("ال")
            wmarks[-1] = (
                FATHA if word in ("من", "ومن") and article else DAMMA if word.endswith("هم") else KASRA
            )
        passive = starts[n] and joined and not known[start] and _voice(word, wmarks, following)
        if passive and (following in _QUANTITIES or following in _VICTIMS):
            # What a passive verb happened to is its subject: nominative (قُتِلَ ثَلَاثَةُ).
            _nominative(following, marks, spans[n + 1][1] - 1)
        elif starts[n] and joined and not known[start] and _past_verb(word, wmarks):
            # The noun right after a verb that opens a sentence is its subject (or, after a passive,
            # what it happened to): nominative (عَقَدَ الْوُزَرَاءُ، عُقِدَ الِاجْتِمَاعُ).
            _subject(following, marks, spans[n + 1][0])
        marks[start:end] = wmarks
    return known


def _past_verb(word: str, marks: list[str]) -> bool:
    """Whether a vowelled word reads as a past verb (قَتَلَ، أَكَّدَتِ), the surest of the verb shapes: a
    present verb's shape is also a noun's (تَمْدِيدُ), and a feminine plural ends in ت too (مُخَيَّمَاتُ)."""
    if not looks_like_verb(join_marks(word, marks)) or word.endswith("ات"):
        return False
    if FATHA in marks[-1]:
        return True
    return word.endswith("ت") and len(word) > 2 and FATHA in marks[-2] and DAMMA not in marks[-1]


def _voice(word: str, marks: list[str], following: str) -> bool:
    """Make a sentence-opening verb passive where what follows shows it; whether it did."""
    at, verb = _verb_at(word)
    vmarks = marks[at:]
    if verb.startswith(("ي", "ت", "ن")):
        changed = verb in _IMPERSONAL and following in _AN and _passive_present(verb, vmarks)
    else:
        no_subject = following in _NO_SUBJECT or following.startswith(_JOINED_PREPOSITION)
        casualty = (verb[:-1] if verb.endswith("ت") else verb) in _CASUALTY
        counted = casualty and (following in _QUANTITIES or following in _VICTIMS)
        changed = at == 0 and (no_subject or counted) and _passive_past(verb, vmarks)
    marks[at:] = vmarks
    return changed


_NOMINATIVE = {FATHA: DAMMA, KASRA: DAMMA, "\u064b": "\u064c", "\u064d": "\u064c"}


# Words right after a verb that are not its subject: adverbs of time and place, particles.
_NOT_SUBJECTS = frozenset(
    (
        "اليوم", "أمس", "غدا", "الليلة", "صباح", "مساء", "ليلة", "يوم", "ظهر", "فجر", "نهاية", "بداية",
        "مطلع", "أواخر", "أوائل", "منتصف", "خلال", "بعد", "قبل", "عند", "أمام", "حول", "نحو", "فوق",
        "تحت", "بين", "دون", "لدى", "وفق", "عبر", "ضمن", "إثر", "عقب", "جراء", "بسبب", "حين", "أيضا",
        "مجددا", "الآن", "أنه", "أنها", "إنه", "إنها", "أن", "إن", "لا", "ما", "قد", "كل", "أكثر",
    )
)  # fmt: skip


# Attached pronouns: the case vowel is then before them (تَعْبِيرُهُ), and the last letter's is the pronoun's.
_PRONOUNS = ("ه", "ها", "هم", "هما", "هن", "كم", "نا", "ك")


def _subject(word: str, marks: list[str], start: int) -> None:
    """Make `word` (at `start` in the line) nominative, if it is a noun that can be a subject: with
    the article, or in construct (no nunation). An indefinite word with nunation may be an adverb
    (عَادَ مُجَدَّدًا)."""
    if word in _NOT_SUBJECTS or word in _news_words() or len(word) < 3 or word.endswith(_PRONOUNS):
        return
    last = start + len(word) - 1
    nunated = any(m in marks[last] for m in ("\u064b", "\u064c", "\u064d"))
    # Not after a clitic: بِالْ / لِلْ / وَالْ open a prepositional phrase or a second noun; a word
    # without the article that opens with one of these letters may be either (بِصَوَارِيخَ، وَزِيرُ).
    if word.startswith("ال") or not (nunated or word[0] in "بلكوف"):
        _nominative(word, marks, last)


def _nominative(word: str, marks: list[str], last: int) -> None:
    if word[-1] in _LONG or (word[-1] == "ن" and word[-2:-1] in ("ا", "ي", "و")):
        return  # no case vowel, or the nun of a dual or plural (شَخْصَانِ keeps its kasra)
    marks[last] = _canonical("".join(_NOMINATIVE.get(m, m) for m in marks[last]))
