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
    "سوى غير عبر ضمن طيلة طوال أصل مقابل مقتل إصابة جرح اعتقال سقوط نزوح تهجير خطف اختطاف إعدام استشهاد وفاة "
    "مصرع هلاك أسر إطلاق إجلاء تسجيل رصد توثيق عودة وصول دخول خروج فرار عام سنة عامي سنتي لعام "
    "مطلع منتصف نهاية بداية أواخر أوائل أواسط صيف شتاء خريف مسافة ارتفاع عمق طول عرض وزن مساحة قيمة "
    "مبلغ نسبة معدل بمعدل بواقع مجموع إجمالي حصيلة رقم تاريخ مدة فترة أكثر أقل انخفاض زيادة "
    "تراجع بنتيجة نتيجة مئات آلاف عشرات ملايين رصيد عيار سعر"
)
# إنّ and its sisters put the noun after them in the accusative ("إن 25 في المئة من السكان").
ACCUSATIVE_PARTICLES = _word_set("إن أن لأن بأن وأن فإن كأن لكن")
# Verb forms whose object (or measure: "يمتد الطريق 250 كم") is often a number: the number after them
# is accusative even with no subject written in between ("بلغت 40", "تضم 25 عضوا").
ACCUSATIVE_VERBS = _word_set(
    "قتلت أصابت اعتقلت أسقطت دمرت نفذت شنت استهدفت أطلقت سجلت رصدت وثقت أحصت بلغ بلغت يبلغ تبلغ "
    "تجاوز تجاوزت يتجاوز تتجاوز تخطى تخطت يتخطى ناهز ناهزت يناهز قارب قاربت يقارب تقارب تضم يضم ضم ضمت "
    "يبعد تبعد يمتد تمتد استغرق استغرقت يستغرق تستغرق "
    # Feminine past forms, active with a feminine subject (الحكومة، الوزارة، المنظمة) far more often
    # than passive; their masculine forms stay out: "قتل 5 أشخاص" is usually the passive قُتل.
    "خصصت قدمت وزعت أرسلت استقبلت أجلت أنقذت جمعت أنفقت دفعت تلقت حققت خسرت أعادت افتتحت أنشأت "
    "منحت سلمت نشرت أحرزت ألقت شملت شمل يشمل تشمل استضافت تستضيف يستضيف "
    # "البالغ من العمر 35 عاما": the participle of بلغ takes the age as its object.
    "البالغ البالغة "
    # A duration after these is an adverb of time, accusative: "استمرت المعارك 12 ساعة".
    "استمر استمرت يستمر تستمر دام دامت يدوم تدوم "
    # Present forms the derivation below gets wrong (hollow and doubled roots).
    "يزور تزور يقود تقود يبيع تبيع يعيد تعيد يضم تضم يعد تعد يصيب تصيب"
)
# Transitive verbs news puts before a number they take as object, in the masculine past; the
# feminine, plural and present forms are derived (see `_verb_forms`). After one of them, with its
# subject written in between ("زار الوفد 23 مخيما", "قتل المسلحون 25 مدنيا"), the number is the
# object: accusative.
_TRANSITIVE = (
    "زار خسر ربح كسب نفذ شن أطلق استهدف قتل جرح أصاب اعتقل أسر خطف اختطف احتجز أوقف أعدم أنقذ نقل "
    "هجر شرد دمر هدم أحرق أسقط أعاد أجلى استقبل استضاف وزع قدم أرسل أنفق دفع جمع حقق سجل رصد وثق "
    "أحصى منح سلم نشر أحرز ألقى شمل تسلم استلم تلقى باع اشترى استورد أصدر أنتج صنع بنى أنشأ افتتح "
    "أغلق خصص مول دعم درب عالج وظف عين طرد رحل أبعد استعاد حرر ضبط صادر أتلف زرع حصد ملك امتلك "
    "فقد أضاع سدد أودع اقترض أقرض عرض أقر اعتمد أنجز أكمل أنهى قطع قضى أمضى استغرق تجاوز تخطى بلغ "
    "ناهز قارب ضم استمر دام غرم فرض أضاف خفض رفع استخدم"
)
# Of those, the verbs whose object in news is the people a thing happens to: right before the
# number, with no subject, the masculine past reads as the passive ("قتل 5 أشخاص" is قُتل, the number
# its subject: nominative). This is the reading a newsreader chooses when the line gives no other
# cue; a relative pronoun before the verb ("الهجوم الذي قتل 25 شخصا") makes it active again.
_PASSIVE_SENSE = _word_set(
    "قتل جرح أصاب أسر خطف اختطف اعتقل احتجز أوقف أعدم أنقذ نقل هجر شرد أجلى طرد رحل أبعد حرر عين فقد"
)
# كان and its sisters: after their subject the number is the predicate, accusative ("أصبح عدد
# المصابين 70"); right after the verb it is the subject, nominative ("كان 70 شخصا قد …").
_KANA = (
    "كان أصبح أضحى أمسى صار بات ظل ليس زال بقي "
    "كانت أصبحت أضحت أمست صارت باتت ظلت ليست زالت بقيت "
    "يكون تكون يصبح تصبح يصير تصير يبيت تبيت يظل تظل يزال تزال يبقى تبقى"
)
# Words between a verb and the number that are not its subject: adverbs of time and particles.
_NOT_SUBJECT = _word_set(
    "أمس اليوم الليلة غدا مساء صباح صباحا فجر ظهر ليلا حتى الآن أيضا قد لقد فقط مجددا مؤخرا"
)
# Prepositions and adverbs opening a phrase between a verb and the number: not its subject.
_PREPOSITIONS = _word_set(
    "في من على إلى عن حتى منذ بين ب ل مع عند لدى دون فوق تحت عبر ضمن خلال قبل بعد طيلة طوال نحو حوالي "
    "حوالى قرابة زهاء لنحو بنحو"
)
# Words after which a verb's spelling is its verbal noun ("تم نقل", "بعد قتل", "عقب اعتقال").
_MASDAR_BEFORE = _PREPOSITIONS | _word_set("تم يتم سيتم جرى يجري سيجري عقب إثر جراء بسبب")
# Words that end the verb's reach: a new clause begins after them.
_VERB_BARRIER = _word_set(
    "إن أن الذي التي الذين اللذين اللتين اللواتي ما لا لم لن حيث عندما بينما لكن بل ثم أو"
)
_RELATIVE = _word_set("الذي التي الذين اللذين اللتين اللواتي ما مما")
# Verbs and verbal nouns spelled alike ("جرح": wounded, or wounding): clause-initial, they are the verb.
_VERB_OR_NOUN = _word_set("جرح أسر خطف")


def _verb_forms(past: str) -> set[str]:
    """The unvowelled forms of a masculine past verb news uses: past (هو، هي، هم) and present (هو، هي)."""
    stem = past[:-1] if past.endswith(("ى", "ا")) else past
    forms = {past, stem + "ت", stem + "وا"}
    # أفعل, افتعل, استفعل drop their first alif in the present (أطلق → يطلق, اعتقل → يعتقل);
    # فعل, فعّل, فاعل keep every letter (قتل → يقتل, وزّع → يوزع).
    present = past[1:] if past[0] in "أا" else past
    forms |= {"ي" + present, "ت" + present}
    return forms


_VERBS: dict[str, str] = {}
for _past in _TRANSITIVE.split():
    for _form in _verb_forms(_past):
        _VERBS.setdefault(_form, _past)
for _form in ACCUSATIVE_VERBS:
    _VERBS.setdefault(_form, _form)
_KANA_FORMS = _word_set(_KANA)

# Words that read a number after them as a year (gen., masculine, nothing counted after it).
YEAR_BEFORE = _word_set(
    "عام سنة العام السنة عامي لعام للعام بعام منذ مطلع منتصف نهاية بداية أواخر أوائل أواسط صيف شتاء خريف ربيع"
)
# Definite nouns that call for an ordinal after them ("الدورة 5" → "الدورة الخامسة").
ORDINAL_BEFORE = _word_set(
    "الدورة الجولة المرحلة القرن الطبعة النسخة الذكرى الفصل الباب المادة البند الفقرة الحلقة الجزء "
    "الصف الطابق المركز المرتبة الفرقة اللواء الفيلق الكتيبة الدقيقة الشوط المؤتمر الأسبوع "
    "الصفحة الموسم الدرجة الفئة الخطوة الدفعة القافلة الشحنة المجموعة الجلسة العيد الولاية المهرجان القمة"
)
# Words after which a number of three digits or more is an identifier, read digit by digit.
IDENTIFIER_BEFORE = _word_set(
    "هاتف الهاتف هاتفه هاتفها جوال الجوال موبايل الموبايل فاكس الفاكس واتساب الاتصال للاتصال الطوارئ "
    "الساخن البريدي بريد رمز الرمز رحلة الرحلة رحلتها لوحة اللوحة"
)
# Words after which a dotted number is a version ("التحديث 17.2" → "سبعة عشر نقطة اثنان").
VERSION_BEFORE = _word_set("الإصدار إصدار الإصدارة إصدارة التحديث تحديث النسخة نسخة المادة البند الفقرة")
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
class LineState:
    """One line being read, with what earlier chunks decided (for coordination)."""

    text: str
    family: MonthFamily
    sports: bool
    dial24: bool = False  # the station reads 24-hour times on the 24-hour dial ("الحادية والعشرين")
    vowelled: bool = False  # counted numbers carry their case vowels
    cases: dict[int, Case | None] = field(default_factory=dict)  # None: no word decided it


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


def _verbal_noun(stem: str) -> bool:
    """An indefinite verbal noun by its pattern: افتعال/انفعال/استفعال (استيراد، انقضاء), إفعال
    (إيواء، إطلاق), تفعيل (توقيف، تأهيل), فعول (مرور، وصول), فعْي/فعْء (مضي، بدء), or any …اء (بناء)."""
    # The past of a hollow verb looks alike but is a letter shorter: استقال (استقالة), اختار.
    return (
        (re.fullmatch(r"ا\w{2,4}ا\w", stem) is not None and len(stem) >= (7 if stem.startswith("است") else 6))
        or re.fullmatch(r"إ\w{2}ا\w", stem) is not None
        or re.fullmatch(r"ت\w{2}ي\w", stem) is not None
        or re.fullmatch(r"[^يتنأ]\wو\w", stem) is not None  # not a present verb: يقول، تعود
        or re.fullmatch(r"\w{2}[يء]", stem) is not None
        or (len(stem) >= 4 and stem.endswith("اء"))
    )


def _verb_case(before: list[tuple[str, int]]) -> Case | None:
    """The case a verb earlier in the clause gives the number after `before`, if one governs it.

    The cues, in order: كان and its sisters give the accusative to their predicate (a subject written
    between) and leave their subject nominative (the number right after them); a transitive verb with
    its subject written between takes the number as object (accusative); right after the verb, a
    listed accusative form or a verb whose understood subject is plain (feminine past, present, plural:
    "خسرت 12 مباراة", "يضم 15 عضوا", "قتلوا 25") takes it as object too, while the masculine past of
    a verb of the passive sense (قتل، جرح، اعتقل …) is read as the passive, the number its subject
    (nominative), unless a relative pronoun before it is its subject. No verb: None.
    """
    for i in range(len(before) - 1, max(-1, len(before) - 6), -1):
        word = before[i][0]
        # "فقد" is a verb, not ف + قد: a word the verb table knows keeps its first letter.
        stem = word if word in _VERBS or word in _KANA_FORMS else strip_conj(word)
        between = [strip_conj(w) for w, _ in before[i + 1 :]]
        if word in _VERB_BARRIER or stem in _VERB_BARRIER:
            return None
        kana = stem in _KANA_FORMS or word in _KANA_FORMS
        verb = _VERBS.get(word) or _VERBS.get(stem)
        if not kana and verb is None:
            if stem in ACCUSATIVE_PARTICLES or DIGIT.search(stem):
                return None
            continue
        subject = [w for w in between if w not in _NOT_SUBJECT and w not in WEEKDAYS]
        has_subject = bool(subject) and subject[0] not in _PREPOSITIONS
        if kana:
            return "acc" if has_subject else "nom"
        if has_subject or word in ACCUSATIVE_VERBS or stem in ACCUSATIVE_VERBS:
            return "acc"
        relative = i > 0 and strip_conj(before[i - 1][0]) in _RELATIVE
        if stem == verb and verb in _PASSIVE_SENSE and not relative:
            return "nom"
        return "acc"
    return None


def is_verb(word: str) -> bool:
    """Whether `word` is one of the verbs (or كان and its sisters) the case rules know."""
    stem = strip_conj(word)
    return stem in _VERBS or stem in _KANA_FORMS or word in _VERBS


def case_from_words(before: list[tuple[str, int]]) -> Case:
    """Case of a number whose preceding words in the clause are `before`: the one a word before
    it gives (`case_cue`), else nominative, the subject or predicate of a nominal sentence."""
    return case_cue(before) or "nom"


def case_cue(before: list[tuple[str, int]]) -> Case | None:
    """The case a word before the number gives it, None when no word in `before` decides it.

    The word right before decides first (a preposition, a noun or verbal noun governing it, إنّ);
    then a verb earlier in the clause (`_verb_case`).
    """
    if not before:
        return None
    word = before[-1][0]
    stem = strip_conj(word)
    if in_table(word, WEEKDAYS) and len(before) > 1:
        return case_cue(before[:-1])
    if in_table(word, GENITIVE_BEFORE):
        if stem in _VERB_OR_NOUN and len(before) == 1:
            return "nom"  # "جرح 30 مدنيا" opening the clause is the passive verb
        return "gen"
    if len(stem) > 2 and stem[0] in "بل" and (stem[1:] in GENITIVE_BEFORE or stem.endswith("ة")):
        return "gen"
    if stem.endswith("ة") and not stem.startswith("ال") and len(stem) > 2:
        return "gen"
    if word in ACCUSATIVE_PARTICLES:
        return "acc"
    if is_known_noun(stem) and not stem.startswith("ال"):
        return "gen"  # an indefinite noun before a number or a noun is the first term of a construct
    core = stem[1:] if len(stem) > 4 and stem[0] in "بل" else stem
    if not is_verb(word) and not core.startswith("ال") and (_verbal_noun(core) or _verbal_noun(word)):
        return "gen"  # "بعد مرور 40 يوما", "لإيواء 22 ألف نازح": a verbal noun governing the number
    if is_verb(word) and len(before) > 1 and strip_conj(before[-2][0]) in _MASDAR_BEFORE:
        return "gen"  # "تم نقل 40 مريضا": after تم or a preposition the verb's spelling is its verbal noun
    return _verb_case(before)


_SENTENCE_OPENERS = frozenset(".!?؟:\n")


def _opens_sentence(text: str, start: int) -> bool:
    """Whether only spaces and quotes stand between the start of a sentence and `start`."""
    head = text[:start].rstrip(" \t\"'«»“”()")
    return not head or head[-1] in _SENTENCE_OPENERS


def number_case(state: LineState, start: int, prefix: str) -> Case:
    """The case of the number starting at `start` (its clitic prefix included)."""
    return number_case_cue(state, start, prefix) or "nom"


def number_case_cue(state: LineState, start: int, prefix: str) -> Case | None:
    """`number_case`, or None when no word decides it (the number opens its clause, or nothing
    before it governs it)."""
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
            cue = case_cue(before)
            after_verb = bool(before) and not strip_conj(before[-1][0]).startswith("ال")
            if cue is None and (after_verb or (not before and _opens_sentence(state.text, start))):
                # Right after a word no rule names, which is then a verb ("ووصل 5 أشخاص"), or
                # opening a sentence, the number is the subject (or opens a nominal sentence).
                # After a noun the verb before may have taken it as subject and the number as
                # object, and after a comma the clause goes on from before it: the reader cannot
                # tell, so it leaves the case unsaid.
                return "nom"
            return cue
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
            return case_cue(before[:-1])
        word, start = earlier
        if start in state.cases:
            return state.cases[start]
        prefix = word[0] if word[0] in "وف" and word[1:] in NUMBER_WORDS else ""
    return None


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


def counted_noun(state: LineState, end: int, n: int | None = None) -> tuple[Gender, bool]:
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
