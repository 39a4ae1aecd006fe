"""The words around a number: which case it takes, what it counts, what kind of number it is.

Arabic numbers are read by their neighbours. The word before decides the case (a preposition or
the first term of a construct → genitive; إنّ or a verb taking it as object → accusative; else
nominative) and sometimes the kind (an ordinal after "الدورة", a year after "عام"); the word after
is the counted noun whose singular's gender the number agrees with. The word lists are the news
vocabulary these decisions need; they are deliberately short and explicit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from producer.arabic.dates import HIJRI_MONTHS, LEVANTINE_MONTHS, STANDARD_MONTHS, MonthFamily
from producer.arabic.normalize import WORD_CHARS
from producer.arabic.numbers import Case, Gender, is_known_noun, noun_gender


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


MONTHS = frozenset({*LEVANTINE_MONTHS, *STANDARD_MONTHS, *HIJRI_MONTHS})
DIGIT = re.compile(r"\d")
_WORD = re.compile(rf"[{WORD_CHARS}]+")
_WORD_CHAR = re.compile(rf"[{WORD_CHARS}]")
_LOOK_BACK = 160
_MAX_COORDINATION = 8
_CLAUSE_END = re.compile(r"[.،,؛;:!?؟()\[\]]")
_DIACRITICS = dict.fromkeys(map(ord, "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0640"))

# The word before a number that puts it in the genitive: prepositions, adverbs of place and
# time, and nouns news puts in construct with a number.
GENITIVE_BEFORE = _word_set(
    "في من على إلى عن حتى منذ مذ بين ب ل حوالي حوالى نحو قرابة زهاء قبل بعد خلال مع عند لدى دون فوق تحت "
    "عبر ضمن طيلة طوال أصل مقابل مقتل إصابة جرح اعتقال سقوط نزوح تهجير خطف اختطاف إعدام استشهاد وفاة "
    "مصرع هلاك أسر إطلاق إجلاء تسجيل رصد توثيق عودة وصول دخول خروج فرار عام سنة عامي سنتي لعام "
    "مطلع منتصف نهاية بداية أواخر أوائل أواسط صيف شتاء خريف مسافة ارتفاع عمق طول عرض وزن مساحة قيمة "
    "مبلغ نسبة معدل بمعدل بواقع مجموع إجمالي حصيلة رقم تاريخ مدة فترة أكثر أقل انخفاض زيادة "
    "تراجع بنتيجة نتيجة مئات آلاف عشرات ملايين رصيد عيار سعر"
)
# إنّ and its sisters put the noun after them in the accusative ("إن 25 في المئة من السكان").
ACCUSATIVE_PARTICLES = _word_set("إن أن لأن بأن وأن فإن كأن لكن")
# Verbs whose object (or measure: "يمتد الطريق 250 كم") is often a number: the number is accusative.
ACCUSATIVE_VERBS = _word_set(
    "قتلت أصابت اعتقلت أسقطت دمرت نفذت شنت استهدفت أطلقت سجلت رصدت وثقت أحصت بلغ بلغت يبلغ تبلغ "
    "تجاوز تجاوزت يتجاوز تتجاوز تخطى تخطت يتخطى ناهز ناهزت يناهز قارب قاربت يقارب تقارب تضم يضم ضم ضمت "
    "أصبح أصبحت بات باتت صار صارت يبعد تبعد يمتد تمتد استغرق استغرقت يستغرق تستغرق "
    # Feminine past forms, active with a feminine subject (الحكومة، الوزارة، المنظمة) far more often
    # than passive; their masculine forms stay out: "قتل 5 أشخاص" is usually the passive قُتل.
    "خصصت قدمت وزعت أرسلت استقبلت أجلت أنقذت جمعت أنفقت دفعت تلقت حققت خسرت أعادت افتتحت أنشأت "
    "منحت سلمت نشرت أحرزت ألقت شملت شمل يشمل تشمل استضافت تستضيف يستضيف "
    # "البالغ من العمر 35 عاما": the participle of بلغ takes the age as its object.
    "البالغ البالغة "
    # A duration after these is an adverb of time, accusative: "استمرت المعارك 12 ساعة".
    "استمر استمرت يستمر تستمر دام دامت يدوم تدوم"
)
# Words that read a number after them as a year (gen., masculine, nothing counted after it).
YEAR_BEFORE = _word_set(
    "عام سنة العام السنة عامي لعام للعام بعام منذ مطلع منتصف نهاية بداية أواخر أوائل أواسط صيف شتاء خريف ربيع"
)
# Definite nouns that call for an ordinal after them ("الدورة 5" → "الدورة الخامسة").
ORDINAL_BEFORE = _word_set(
    "الدورة الجولة المرحلة القرن الطبعة النسخة الذكرى الفصل الباب المادة البند الفقرة الحلقة الجزء "
    "الصف الطابق المركز المرتبة الفرقة اللواء الفيلق الكتيبة الدقيقة الشوط المؤتمر الأسبوع "
    "الصفحة الموسم الدرجة الفئة الخطوة الدفعة القافلة الشحنة المجموعة"
)
# Words after a number that are not the counted noun.
NOT_COUNTED = _word_set(
    "في من على إلى عن مع حتى منذ بين قبل بعد خلال أو ثم لكن بل إن أن إذ إذا كما لا لم لن قد ما هذا هذه "
    "ذلك تلك هو هي هم كان كانت وفق حسب بحسب نحو حوالي أمس اليوم غدا فقط تقريبا و"
)
# Words before a d/m pair that make it a date rather than a fraction.
DATE_BEFORE = _word_set(
    "في يوم بتاريخ تاريخ منذ حتى الموافق اعتبارا ابتداء قبل بعد مساء صباح ليلة فجر الاثنين الثلاثاء "
    "الأربعاء الخميس الجمعة السبت الأحد"
)
SPORTS = re.compile(
    r"مباراة|المباراة|مباراته|فاز|فوز|تغلب|تعادل|خسر|هزم|الدوري|دوري|كأس|بطولة|منتخب|نادي|النادي|فريق|"
    r"الفريق|هدف|أهداف|بنتيجة|الشوط|ملعب|مونديال"
)
WEEKDAYS = _word_set("الاثنين الثلاثاء الأربعاء الخميس الجمعة السبت الأحد")

NUMBER_WORDS = _word_set(
    "واحد اثنان اثنين ثلاثة أربعة خمسة ستة سبعة ثمانية تسعة عشرة ثلاث أربع خمس ست سبع ثماني تسع عشر "
    "عشرون عشرين ثلاثون ثلاثين أربعون أربعين خمسون خمسين ستون ستين سبعون سبعين ثمانون ثمانين تسعون تسعين "
    "مئة مائة مئات ألف آلاف عشرات مليون ملايين"
)


@dataclass
class Line:
    """One line being read, with what earlier chunks decided (for coordination)."""

    text: str
    family: MonthFamily
    sports: bool
    cases: dict[int, Case] = field(default_factory=dict)


def month_family(text: str) -> MonthFamily:
    """The month-name family a text uses: standard (سبتمبر) when it has only those, else Levantine."""
    standard = any(name in text for name in STANDARD_MONTHS)
    levantine = any(name in text for name in LEVANTINE_MONTHS if len(name) > 2)
    return "standard" if standard and not levantine else "levantine"


def is_word_char(char: str) -> bool:
    return _WORD_CHAR.match(char) is not None


def bare(word: str) -> str:
    return word.translate(_DIACRITICS)


def strip_conj(word: str) -> str:
    """A word without a leading و/ف conjunction (when what is left is still a word)."""
    return word[1:] if len(word) > 2 and word[0] in "وف" else word


def words_before(text: str, start: int, limit: int = 6) -> list[tuple[str, int]]:
    """The words of the clause before `start`, nearest last (with their offsets)."""
    # A bounded look-back keeps long lines linear: six words never span more than this.
    window = max(0, start - _LOOK_BACK)
    head = text[:start]
    boundary = max((m.end() for m in _CLAUSE_END.finditer(head, window)), default=window)
    found = [(m[0], m.start()) for m in _WORD.finditer(head, boundary)]
    return [(bare(w), p) for w, p in found[-limit:]]


def in_table(word: str, table: frozenset[str]) -> bool:
    """`word` is in `table`, with or without a leading و/ف."""
    return word in table or strip_conj(word) in table


def case_from_words(before: list[tuple[str, int]]) -> Case:
    """Case of a number whose preceding words in the clause are `before`."""
    if not before:
        return "nom"
    word = before[-1][0]
    stem = strip_conj(word)
    if in_table(word, WEEKDAYS) and len(before) > 1:
        return case_from_words(before[:-1])
    if in_table(word, GENITIVE_BEFORE):
        return "gen"
    if len(stem) > 2 and stem[0] in "بل" and (stem[1:] in GENITIVE_BEFORE or stem.endswith("ة")):
        return "gen"
    if stem.endswith("ة") and not stem.startswith("ال") and len(stem) > 2:
        return "gen"
    if word in ACCUSATIVE_PARTICLES:
        return "acc"
    if is_known_noun(stem) and not stem.startswith("ال"):
        return "gen"  # an indefinite noun before a number or a noun is the first term of a construct
    if any(in_table(w, ACCUSATIVE_VERBS) for w, _ in before[-4:]):
        return "acc"
    return "nom"


def number_case(state: Line, start: int, prefix: str) -> Case:
    """The case of the number starting at `start` (its clitic prefix included)."""
    # A number coordinated with و takes the case of the nearest number before it in the clause
    # ("مقتل أربعة قياديين و40 عنصرا" → وأربعين); chains of them are followed a few links back.
    for _ in range(_MAX_COORDINATION):
        core = prefix[1:] if prefix[:1] in ("و", "ف") else prefix
        if core[:1] in ("ب", "ل", "ك"):
            return "gen"
        before = words_before(state.text, start)
        coordinated = bool(prefix) and not core
        if before and before[-1][0] in ("و", "ف"):
            coordinated, before = True, before[:-1]
        if not coordinated:
            return case_from_words(before)
        earlier = next(
            (
                (word, pos)
                for word, pos in reversed(before)
                if pos in state.cases or strip_conj(word) in NUMBER_WORDS
            ),
            None,
        )
        if earlier is None:
            # Coordinated with the noun before it: the case that noun's own governor gives.
            return case_from_words(before[:-1])
        word, start = earlier
        if start in state.cases:
            return state.cases[start]
        prefix = word[0] if word[0] in "وف" and word[1:] in NUMBER_WORDS else ""
    return "nom"


# The word right after a position, a space at most in between.
WORD_AFTER = re.compile(rf" ?([{WORD_CHARS}]+)")


def next_word(text: str, end: int) -> str | None:
    """The word right after `end` (spaces only in between), if it can be a counted noun."""
    m = WORD_AFTER.match(text, end)
    if m is None or DIGIT.search(m[1]) or not re.match(r"[\u0621-\u064a]", m[1]):
        return None
    word = bare(m[1])
    if not word:  # a "word" of tatweel alone, e.g. "عام 2017 ـ"
        return None
    definite = word.startswith(("ال", "لل")) or (word[0] in "وفبك" and word[1:].startswith(("ال", "لل")))
    if word in NOT_COUNTED or definite or word in MONTHS:
        return None
    return word


# A second number after the first, counting the same noun: "بين 5 و10 درجات", "من 3 إلى 7 أيام".
_SECOND_NUMBER = re.compile(r" ?(?:و|إلى |حتى )[0-9٠-٩][0-9٠-٩.,]*")


def counted_noun(state: Line, end: int, n: int | None = None) -> tuple[Gender, bool]:
    """Gender of the counted noun after `end` and whether one follows (construct)."""
    noun = next_word(state.text, end)
    if noun is None:
        if (second := _SECOND_NUMBER.match(state.text, end)) is not None:
            # The first of two numbers agrees with the noun after the second, without touching it.
            shared = next_word(state.text, second.end())
            return (noun_gender(shared), False) if shared else ("m", False)
        return "m", False
    # A year-like number before a word that is not clearly a noun is more likely a year ("2000 شهد").
    if n is not None and 1000 <= n <= 2100 and not clearly_noun(noun, n):
        return "m", False
    return noun_gender(noun), True


def clearly_noun(word: str, n: int) -> bool:
    """A known counted noun, a feminine noun (ة, ات), or a tamyiz in ـا after 11-99."""
    return is_known_noun(word) or word.endswith(("ة", "ات")) or (word.endswith("ا") and 11 <= n % 100 <= 99)
