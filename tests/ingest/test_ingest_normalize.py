"""Character and punctuation repairs, one exact input → output pair per rule.

Each input is the body of a two-line paste under a fixed headline, so the whole of `clean` runs.
"""

from __future__ import annotations

import pytest

from producer.errors import InputError
from producer.ingest import clean

HEADLINE = "عنوان الخبر الرئيسي اليوم"

CASES = [
    # quotes: every style becomes «…», paired by position, spaces inside dropped
    ('قال الوزير "لن نتراجع" أمس.', "قال الوزير «لن نتراجع» أمس."),
    ("قال الوزير “لن نتراجع” أمس.", "قال الوزير «لن نتراجع» أمس."),
    ("قال الوزير ”لن نتراجع“ أمس.", "قال الوزير «لن نتراجع» أمس."),
    ("قال الوزير „لن نتراجع“ أمس.", "قال الوزير «لن نتراجع» أمس."),
    ("قال الوزير »لن نتراجع« أمس.", "قال الوزير «لن نتراجع» أمس."),
    ("قال الوزير 'لن نتراجع' أمس.", "قال الوزير «لن نتراجع» أمس."),
    ("قال الوزير ‘لن نتراجع’ أمس.", "قال الوزير «لن نتراجع» أمس."),
    ('قال الوزير " لن نتراجع " أمس.', "قال الوزير «لن نتراجع» أمس."),
    ("من بين القياديين“أبو محمد”، أمير المنطقة.", "من بين القياديين «أبو محمد»، أمير المنطقة."),
    ('سيطرت على "الحي"وعلى المشفى.', "سيطرت على «الحي» وعلى المشفى."),
    ('أغارت على "المشفى" و"المدرسة" أمس.', "أغارت على «المشفى» و«المدرسة» أمس."),
    ('ضربات ضد "تنظيم الدولة" لـ"قسد" اليوم.', "ضربات ضد «تنظيم الدولة» لـ«قسد» اليوم."),
    ('قال "إن "الجيش" سيرد" أمس.', "قال «إن «الجيش» سيرد» أمس."),
    ('قال المتحدث "لن نتراجع عن القرار.', "قال المتحدث لن نتراجع عن القرار."),  # unpaired: dropped
    ("التقى وزير الخارجية O'Brien في لندن.", "التقى وزير الخارجية O'Brien في لندن."),
    # tatweel: stretching removed; a detached one-letter prefix or abbreviation keeps it
    ("أعلنت الحكومـــة عن خطة جديـدة.", "أعلنت الحكومة عن خطة جديدة."),
    ("ولد عام 1445 هـ في مكة.", "ولد عام 1445 هـ في مكة."),
    ("تصل الزيادة بـ25 بالمئة هذا العام.", "تصل الزيادة بـ25 بالمئة هذا العام."),
    # invisible characters and spaces
    ("أعلنت\u200b الحكومة\u200c عن\u200d خطة\u200e جديدة\u200f.", "أعلنت الحكومة عن خطة جديدة."),
    ("أعلنت\u202bالحكومة\u202c عن خطة\ufeff جديدة.", "أعلنتالحكومة عن خطة جديدة."),
    ("أعلنت\u00a0الحكومة\u2009عن\u202fخطة\u3000  جديدة.", "أعلنت الحكومة عن خطة جديدة."),
    ("أعلنت الحكومة\u00ad عن خطة جديدة.", "أعلنت الحكومة عن خطة جديدة."),
    # Persian letters and presentation forms; everything else as written
    ("یقول الکاتب إن الوضع مستقر.", "يقول الكاتب إن الوضع مستقر."),
    ("\ufefb يوجد ﷲ أكبر في \ufe8d\ufedf\ufea4\ufedc\ufeee\ufee3\ufe94.", "لا يوجد الله أكبر في الحكومة."),
    ("قتل ٤ مدنيين و۵ جرحى.", "قتل ٤ مدنيين و۵ جرحى."),
    ("بسيارة مفخخفة في الحي.", "بسيارة مفخخفة في الحي."),
    # punctuation spacing
    ("قال الوزير ، إن الوضع مستقر .", "قال الوزير، إن الوضع مستقر."),
    ("هل يعود الهدوء ؟ ربما !", "هل يعود الهدوء؟ ربما!"),
    ("قال الوزير،إن الوضع مستقر؛وإن الخطة جاهزة.", "قال الوزير، إن الوضع مستقر؛ وإن الخطة جاهزة."),
    ("تجتمع الهيئة ( غدا ) في دمشق.", "تجتمع الهيئة (غدا) في دمشق."),
    ("بلغت النسبة 2.5% في 10:30 من 15/9/2017.", "بلغت النسبة 2.5% في 10:30 من 15/9/2017."),
    # links, addresses, hashtags, emoji
    ("للمزيد زوروا https://example.com/a?b=1 الآن.", "للمزيد زوروا الآن."),
    ("راسلونا على news@example.org أو www.example.net اليوم.", "راسلونا على أو اليوم."),
    ("نشر الموقع aljazeera.net/news/123 الخبر.", "نشر الموقع الخبر."),
    ("تغطية #زلزال_الحوز مستمرة اليوم.", "تغطية زلزال الحوز مستمرة اليوم."),
    ("انتهت التغطية اليوم. #سوريا #حلب", "انتهت التغطية اليوم."),
    ("عاجل 🔴 وصل الوفد 👇 إلى دمشق ✅.", "عاجل وصل الوفد إلى دمشق."),
    ("رحب 🇸🇾 الوزير 👍🏽 بالقرار.", "رحب الوزير بالقرار."),
    ("غرد @AJArabic بالخبر.", "غرد بالخبر."),
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_normalization(raw: str, expected: str) -> None:
    story = clean(f"{HEADLINE}\n{raw}")
    assert story.headline == HEADLINE
    assert story.paragraphs == (expected,)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\n\n\t\n", "\u00a0\u200b\n", "Breaking news only in English.", "12345 67890", "🔴👇"],
    ids=["empty", "spaces", "blank-lines", "invisible", "english", "digits", "emoji"],
)
def test_unusable_text_is_an_input_error(text: str) -> None:
    with pytest.raises(InputError):
        clean(text)


def test_page_of_furniture_only_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no article text"):
        clean("الرئيسية\nشارك الخبر\nفيسبوك تويتر واتساب\nالتعليقات")
