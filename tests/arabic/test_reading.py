"""The reading rules of the second pass, each on sentences of its own (not the blind set's)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from producer.arabic import Lexicon, speakable
from producer.arabic.latin import spell_letters, transliterate


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # object of an active transitive verb, its subject written between: accusative
        ("سجل الفريق 24 هدفا", "سجل الفريق أربعة وعشرين هدفا"),
        ("عالج الأطباء 80 مريضا", "عالج الأطباء ثمانين مريضا"),
        ("زار الرئيس 12 دولة", "زار الرئيس اثنتي عشرة دولة"),
        ("زار الرئيس 11 دولة", "زار الرئيس إحدى عشرة دولة"),
        ("جمعت الحملة 2 مليار ليرة", "جمعت الحملة ملياري ليرة"),
        ("قتل المسلحون في القصف 25 شخصا", "قتل المسلحون في القصف خمسة وعشرين شخصا"),
        # the understood subject of a feminine, plural or present verb: accusative too
        ("خسرت 12 مباراة", "خسرت اثنتي عشرة مباراة"),
        ("يضم المجلس 15 عضوا و20 مراقبا", "يضم المجلس خمسة عشر عضوا وعشرين مراقبا"),
        # passive in sense: the masculine past of a verb of casualties right before the number
        ("قتل 33 مدنيا في الغارات", "قتل ثلاثة وثلاثون مدنيا في الغارات"),
        ("قتل في القصف 25 شخصا", "قتل في القصف خمسة وعشرون شخصا"),
        ("اعتقل 12 شابا", "اعتقل اثنا عشر شابا"),
        ("جرح 2 من المارة", "جرح اثنان من المارة"),
        ("فقد 40 مهاجرا في البحر", "فقد أربعون مهاجرا في البحر"),
        # ... unless a relative pronoun before it is its subject
        ("الهجوم الذي قتل 25 شخصا", "الهجوم الذي قتل خمسة وعشرين شخصا"),
        # no verb, no governing word: nominative (a verb that is not transitive leaves it so)
        ("وصل 20 لاجئا", "وصل عشرون لاجئا"),
        ("استقال 22 نائبا", "استقال اثنان وعشرون نائبا"),
        ("حضر الاجتماع 40 مسؤولا", "حضر الاجتماع أربعون مسؤولا"),
        ("عدد القتلى 40", "عدد القتلى أربعون"),
        # كان and its sisters: predicate accusative, subject nominative
        ("كانت الحصيلة 90 قتيلا", "كانت الحصيلة تسعين قتيلا"),
        ("أصبحت نسبة البطالة 25 بالمئة", "أصبحت نسبة البطالة خمسة وعشرين بالمئة"),
        ("كان 70 شخصا قد غادروا", "كان سبعون شخصا قد غادروا"),
        # إنّ: its noun accusative, its predicate nominative
        ("أكد أن 20 شخصا فقدوا", "أكد أن عشرين شخصا فقدوا"),
        ("قال إن عدد الجرحى 30", "قال إن عدد الجرحى ثلاثون"),
        # genitive after a governing verbal noun
        ("بعد مضي 50 يوما", "بعد مضي خمسين يوما"),
        ("عقب اعتقال 22 ناشطا", "عقب اعتقال اثنين وعشرين ناشطا"),
        ("من أجل تأمين 2 مليون وجبة", "من أجل تأمين مليوني وجبة"),
        ("لإعادة 12 ألف لاجئ", "لإعادة اثني عشر ألف لاجئ"),
        ("وسط وجود 20 ألف مقاتل", "وسط وجود عشرين ألف مقاتل"),
        # a verb's spelling after تم or a preposition is its verbal noun
        ("تم نقل 40 مريضا", "تم نقل أربعين مريضا"),
        ("بعد قتل 20 شخصا", "بعد قتل عشرين شخصا"),
    ],
)
def test_case_from_the_governing_word(text: str, expected: str) -> None:
    assert speakable(text, vowelled=False) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "في نسختها 21 تستضيف البطولة 32 فريقا",
            "في نسختها الحادية والعشرين تستضيف البطولة اثنين وثلاثين فريقا",
        ),
        ("في موسمه 13 مع النادي", "في موسمه الثالث عشر مع النادي"),
        ("خلال ولايتها 3", "خلال ولايتها الثالثة"),
        ("في ذكراها 50", "في ذكراها الخمسين"),
        ("مع نهاية الجولة 30", "مع نهاية الجولة الثلاثين"),
        ("يحتفل النادي بعيد تأسيسه 100", "يحتفل النادي بعيد تأسيسه المئة"),
        ("انطلقت الدورة 20 للمهرجان", "انطلقت الدورة العشرون للمهرجان"),
        # a number counting the noun after it stays a cardinal
        ("في دورتها 12 فريقا", "في دورتها اثنا عشر فريقا"),
    ],
)
def test_ordinals_after_a_pronoun_or_a_genitive_chain(text: str, expected: str) -> None:
    assert speakable(text, vowelled=False) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ارتفع سعر الذهب إلى $2,350 للأونصة", "ارتفع سعر الذهب إلى ألفين وثلاثمئة وخمسين دولارا للأونصة"),
        ("قدم البنك قرضا بقيمة 500 مليون $", "قدم البنك قرضا بقيمة خمسمئة مليون دولار"),
        ("رصدت الحكومة 3 ملايين €", "رصدت الحكومة ثلاثة ملايين يورو"),
        ("الأجر اليومي ل.س 25000", "الأجر اليومي خمسة وعشرون ألف ليرة سورية"),
        ("الثمن 700 د.ع", "الثمن سبعمئة دينار عراقي"),
        # two decimals of money: units and hundredths, each in the form its number needs
        ("سعره 15.99 £", "سعره خمسة عشر جنيها إسترلينيا وتسعة وتسعون بنسا"),
        ("بلغ سعر الليتر 0.85 €", "بلغ سعر الليتر خمسة وثمانين سنتا"),
        ("بسعر 12.05 ج.م", "بسعر اثني عشر جنيها مصريا وخمسة قروش"),
        ("بيع بـ 2.50 ر.س", "بيع بريالين سعوديين وخمسين هللة"),
        ("كلفت 1.01 $", "كلفت دولار واحد وسنت واحد"),
        # other decimals keep فاصلة, the noun in the form of the last number said
        ("بلغ 4.7 $", "بلغ أربعة فاصلة سبعة دولارات"),
    ],
)
def test_money(text: str, expected: str) -> None:
    assert speakable(text, vowelled=False) == expected


@pytest.mark.parametrize(
    ("text", "twelve", "twenty_four"),
    [
        ("عند 21:40", "عند التاسعة وأربعين دقيقة مساء", "عند الحادية والعشرين وأربعين دقيقة"),
        (
            "يبدأ البث الساعة 20:05",
            "يبدأ البث الساعة الثامنة وخمس دقائق مساء",
            "يبدأ البث الساعة العشرين وخمس دقائق",
        ),
        ("الموعد 22:30", "الموعد العاشرة والنصف مساء", "الموعد الثانية والعشرون والنصف"),
        ("في 14:22", "في الثانية واثنتين وعشرين دقيقة ظهرا", "في الرابعة عشرة واثنتين وعشرين دقيقة"),
        ("الساعة 9:21", "الساعة التاسعة وإحدى وعشرون دقيقة", "الساعة التاسعة وإحدى وعشرون دقيقة"),
        ("عند الساعة 9 مساء", "عند الساعة التاسعة مساء", "عند الساعة التاسعة مساء"),
        (
            "تفتح الأسواق من 9 صباحا حتى 5 مساء",
            "تفتح الأسواق من التاسعة صباحا حتى الخامسة مساء",
            "تفتح الأسواق من التاسعة صباحا حتى الخامسة مساء",
        ),
        ("من الساعة 10 حتى 12 ظهرا", "من الساعة العاشرة حتى الثانية عشرة ظهرا", None),
        ("الدوام 14:00-16:30", "الدوام من الثانية ظهرا إلى الرابعة والنصف عصرا", None),
    ],
)
def test_clocks_on_either_dial(text: str, twelve: str, twenty_four: str | None) -> None:
    assert speakable(text) == twelve
    assert speakable(text, clock="12h") == twelve
    if twenty_four is not None:
        assert speakable(text, clock="24h") == twenty_four


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "للتبرع اتصلوا على 0933 44 55 66",
            "للتبرع اتصلوا على صفر تسعة ثلاثة ثلاثة أربعة أربعة خمسة خمسة ستة ستة",
        ),
        ("رقم الخط الساخن 1800 200", "رقم الخط الساخن واحد ثمانية صفر صفر اثنان صفر صفر"),
        ("هاتف 2233445", "هاتف اثنان اثنان ثلاثة ثلاثة أربعة أربعة خمسة"),
        ("الرمز البريدي 00963", "الرمز البريدي صفر صفر تسعة ستة ثلاثة"),
        ("وصلت الرحلة EK 953 إلى دبي", "وصلت الرحلة إي كيه تسعة خمسة ثلاثة إلى دبي"),
        ("الملف AB-0412", "الملف إيه بي صفر أربعة واحد اثنان"),
        ("طراز S24", "طراز إس أربعة وعشرون"),
        ("الإصدار 10.15.7 من النظام", "الإصدار عشرة نقطة خمسة عشر نقطة سبعة من النظام"),
        ("البند 4.1 من الاتفاق", "البند أربعة نقطة واحد من الاتفاق"),
        # thousands stay a number, a plain decimal stays فاصلة
        ("بلغ 1.250.000 نسمة", "بلغ مليون ومئتين وخمسين ألف نسمة"),
        ("بلغ التضخم 2.5 بالمئة", "بلغ التضخم اثنين فاصلة خمسة بالمئة"),
        # added time: the minute of added time, as commentators say it; elsewhere a sum
        ("هدف في الدقيقة 90+5 حسم المباراة", "هدف في الدقيقة الخامسة من الوقت بدل الضائع حسم المباراة"),
        ("النتيجة 3+2", "النتيجة ثلاثة زائد اثنان"),
    ],
)
def test_identifiers(text: str, expected: str) -> None:
    assert speakable(text, vowelled=False) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("أعلنت Apple عن iPhone جديد", "أعلنت آبل عن آيفون جديد"),
        ("طائرة Boeing", "طائرة بوينغ"),
        ("مؤتمر COP28 في دبي", "مؤتمر كوب ثمانية وعشرون في دبي"),
        ("عبر تطبيق Spotify", "عبر تطبيق سبوتيفاي"),
        ("قال Emmanuel Macron إن فرنسا مستعدة", "قال إمانويل ماكرون إن فرنسا مستعدة"),
        ("صرح John Smith للصحفيين", "صرح جون سميث للصحفيين"),
        ("نشرت صحيفة The Guardian تقريرا", "نشرت صحيفة ذا غوارديان تقريرا"),
        ("قالت منظمة IRC", "قالت منظمة آي آر سي"),
        ("وقال Mr. Brown إن الوضع", "وقال مستر براون إن الوضع"),
        # a shipped name typed in another case, a long word in capitals
        ("تابعونا على facebook", "تابعونا على فيسبوك"),
        ("مجموعة BRICS", "مجموعة بريكس"),
    ],
)
def test_latin_names_are_said_in_arabic(text: str, expected: str) -> None:
    assert speakable(text, vowelled=False) == expected


def test_the_station_lexicon_wins_over_transliteration() -> None:
    lexicon = Lexicon()
    lexicon.add("Macron", "ماكرون")
    assert speakable("قال Macron و Chirac", lexicon=lexicon) == "قال ماكرون و تشيراك"


@pytest.mark.parametrize(
    ("word", "arabic"),
    [
        ("Marco", "ماركو"),
        ("Stockholm", "ستوكهولم"),
        ("Chelsea", "تشيلسي"),
        ("Angela", "أنجيلا"),
        ("Smith", "سميث"),
    ],
)
def test_transliteration_rule(word: str, arabic: str) -> None:
    assert transliterate(word) == arabic


def test_letters_by_name() -> None:
    assert spell_letters("NGO") == "إن جي أو"


@pytest.mark.parametrize(
    ("dial", "expected"),
    [("12h", "عند التاسعة وأربعين دقيقة مساء"), ("24h", "عند الحادية والعشرين وأربعين دقيقة")],
)
def test_the_station_setting_chooses_the_dial(tmp_path: Path, dial: str, expected: str) -> None:
    env = {**os.environ, "PRODUCER_DATA_DIR": str(tmp_path), "PRODUCER_CLOCK_DIAL": dial}
    proc = subprocess.run(
        [sys.executable, "-m", "producer", "speakable", "--no-diacritics", "-"],
        input="عند 21:40\n".encode(),
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode() == expected + "\n"
