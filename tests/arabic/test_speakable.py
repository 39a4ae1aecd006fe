from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from producer.arabic import Lexicon, speakable
from tests.arabic.tables import rows

DIGITS = re.compile(r"[0-9\u0660-\u0669\u06f0-\u06f9]")
# The project's own copy of the scraped Radio Alwan page (the one in ../shared/fixtures).
FIXTURE = Path(__file__).resolve().parents[1] / "data" / "pages" / "alwan.txt"


@pytest.mark.parametrize(("text", "expected"), rows("speakable"))
def test_speakable(text: str, expected: str) -> None:
    assert speakable(text, vowelled=False) == expected


@pytest.mark.parametrize(("text", "expected"), rows("speakable_blind2") + rows("speakable_held3"))
def test_speakable_blind_sets_of_the_second_pass(text: str, expected: str) -> None:
    assert speakable(text, vowelled=False) == expected


def test_keeps_one_output_line_per_input_line() -> None:
    text = "قتل 5 مدنيين\n\nفي 15/9/2017\r\n# \n"
    out = speakable(text, vowelled=False)
    assert out.split("\n") == ["قتل خمسة مدنيين", "", "في الخامس عشر من أيلول عام ألفين وسبعة عشر\r", "", ""]


def test_month_family_follows_the_text() -> None:
    text = "وصل الوفد في 15/9/2017\nوغادر في 20 سبتمبر"
    assert speakable(text).split("\n")[0].endswith("الخامس عشر من سبتمبر عام ألفين وسبعة عشر")


def test_station_lexicon_is_applied_before_numbers() -> None:
    lexicon = Lexicon()
    lexicon.add("11 سبتمبر", "الحادي عشر من سبتمبر")
    lexicon.add("حميدة", "حَمِيدَة")
    assert (
        speakable("هجمات 11 سبتمبر ومدرسة حميدة", lexicon=lexicon)
        == "هجمات الحادي عشر من سبتمبر ومدرسة حَمِيدَة"
    )


def test_without_a_lexicon_entry_latin_is_spelled_or_transliterated() -> None:
    assert speakable("قالت UN", lexicon=Lexicon()) == "قالت يو إن"
    assert speakable("قال Johnson", lexicon=Lexicon()) == "قال جونسون"


ARABIC_TEXT = st.text(
    alphabet=st.sampled_from(list("ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأإؤئةى") + list(' ،.؛؟!:"«»()-\n')),
    max_size=200,
)
ANY_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("ابتثجحخدذرزسشصضطظعغفقكلمنهويةىـ")),
        st.sampled_from(list("0123456789٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹")),
        st.sampled_from(list(" .,:/-–%٪$€£°²+#*|•½¾\n٫٬هـمكغ")),
        st.characters(),
    ),
    max_size=120,
)


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_never_raises_never_leaves_a_digit_keeps_lines(text: str) -> None:
    out = speakable(text)
    assert not DIGITS.search(out)
    assert out.count("\n") == text.count("\n")


@settings(max_examples=300, deadline=None)
@given(ARABIC_TEXT)
def test_identity_on_text_without_digits_or_symbols(text: str) -> None:
    assert speakable(text, lexicon=Lexicon()) == text


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=0, max_value=10**13),
    st.sampled_from(["قتل ", "في ", "و", "عام ", "بنسبة ", "$", ""]),
)
def test_any_number_in_context_is_read(n: int, before: str) -> None:
    out = speakable(f"{before}{n} شخصا")
    assert not DIGITS.search(out)
    assert out.endswith("شخصا")


def test_fixture_article_has_no_digit_left_and_reads_its_number() -> None:
    text = FIXTURE.read_text(encoding="utf-8")
    out = speakable(text)
    assert not DIGITS.search(out)
    assert out.count("\n") == text.count("\n")
    assert "مقتل أربعة قياديين وأربعين عنصراً آخرين" in out
    assert "وقَسَد تعلن" in out


@pytest.mark.parametrize(
    "text",
    [
        " " * 20000 + "x",
        "1-" * 5000,
        "1" * 20000,
        "1," * 5000 + "1",
        "و" * 20000 + "5",
        "٣٪ و$5 " * 2000,
        "1000000000000.5 و5000.5 مليار و99999999999999/3 و1234567890123456.5-3.5%",
        "مقتل " + "وأربعة " * 5000 + "و40",
    ],
)
def test_long_and_odd_lines_are_read_without_a_digit_left(text: str) -> None:
    out = speakable(text)
    assert not DIGITS.search(out)
