"""Properties of what the web service runs on pasted text: the cleaner, the speakable front end and
the diacritizer, on hostile generated text of up to 2,000 characters.

- `clean` raises nothing but InputError, and what it returns is a headline and paragraphs;
- `speakable` never raises, keeps one output line per input line and never leaves a decimal digit
  (of any script) for the engine to read;
- the diacritizer only adds marks: with them removed, its output is its input;
- none of them hangs: each example has a deadline (generous: about half a millisecond per input
  character), and a hard alarm stops a runaway call (a deadline alone is checked only on return).

tests/arabic and tests/ingest hold the exact-output tables and shorter generated inputs; these are
the long, mixed and adversarial ones a newsroom paste can bring.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from types import FrameType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from producer.arabic import Lexicon, get_diacritizer, speakable
from producer.errors import InputError
from producer.ingest import clean

MAX_CHARS = 2000
LEXICON = Lexicon.default()  # the shipped pronunciation lexicon, as a fresh station has it
DECIMAL_DIGIT = re.compile(r"\d")  # every script's decimal digits (Unicode Nd), not only 0-9
MARKS = re.compile("[\u064b-\u0652\u0670]")

ARABIC_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأإؤئةىـ"
DIGITS = "0123456789٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹"
SYMBOLS = " .,:;/-–—%٪$€£°+#*|•½¾٫٬،؛؟!()«»\"'\n\t\r\u00a0"
CONTROLS = "\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
HARAKAT = "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652"
# Pieces the number, date, time, percent and currency rules react to, in both digit scripts.
TOKENS = [
    "15/9/2017",
    "١٥/٩/٢٠١٧",
    "10:30",
    "45%",
    "٪٤٥",
    "$5",
    "5$",
    "€1.5",
    "1,234,567.89",
    "٣٫٥",
    "1-2",
    "2010-2020",
    "0.0001",
    "-7",
    "+963",
    "100000000000000000000",
    "1e9",
    "م²",
    "كم/س",
    "ق.م",
    "هـ",
    "2024م",
    "عام",
    "في",
    "و",
    "قتل",
    "شخصا",
    "مليار",
    "الساعة",
    "بنسبة",
    "«",
    "»",
    "\u202e",
    "\u200f",
]

ANY_CHARACTER = st.one_of(
    st.sampled_from(ARABIC_LETTERS),
    st.sampled_from(DIGITS),
    st.sampled_from(SYMBOLS),
    st.sampled_from(CONTROLS),
    st.sampled_from(HARAKAT),
    st.characters(codec="utf-8"),
)
WORD = st.one_of(st.sampled_from(TOKENS), st.text(alphabet=ARABIC_LETTERS + DIGITS, min_size=1, max_size=12))


def soup(min_words: int) -> st.SearchStrategy[str]:
    """Tokens and words joined by one kind of separator."""
    words = st.lists(WORD, min_size=min_words, max_size=400)
    return words.flatmap(lambda ws: st.sampled_from([" ", "\n", "", " و", "،"]).map(lambda sep: sep.join(ws)))


# One short chunk repeated: the shape that makes backtracking patterns explode.
repeated = st.tuples(
    st.text(alphabet=DIGITS + SYMBOLS + ARABIC_LETTERS, min_size=1, max_size=6), st.integers(1, 1000)
).map(lambda chunk_times: chunk_times[0] * chunk_times[1])
# Short and long inputs in equal parts: left alone, Hypothesis draws mostly short text.
hostile = st.one_of(
    st.text(alphabet=ANY_CHARACTER, max_size=200),
    st.text(alphabet=ANY_CHARACTER, min_size=1500, max_size=MAX_CHARS),
    soup(0),
    soup(250),
    repeated,
).map(lambda text: text[:MAX_CHARS])

# Half a millisecond per character of the longest input; a runaway call is stopped at 20 s.
DEADLINE = timedelta(milliseconds=MAX_CHARS // 2)
HARD_LIMIT_SECONDS = 20


# A number followed by a "word" of tatweel alone once crashed the reader (IndexError).
@pytest.mark.parametrize("text", ["0ـ", "قتل 5 ـ", "عام ٢٠١٧ ـــ"])
def test_number_before_a_lone_tatweel(text: str) -> None:
    assert not DECIMAL_DIGIT.search(speakable(text, lexicon=LEXICON))


class Runaway(Exception):
    """A call went on far past any deadline: the front end hangs on this input."""


@contextmanager
def hard_limit(seconds: float) -> Iterator[None]:
    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise Runaway(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


PROPERTY = settings(
    max_examples=150,
    deadline=DEADLINE,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@PROPERTY
@given(hostile)
def test_clean_only_refuses_with_input_error(text: str) -> None:
    with hard_limit(HARD_LIMIT_SECONDS):
        try:
            story = clean(text)
        except InputError:
            return
    assert story.headline.strip()
    assert story.paragraphs and all(p.strip() for p in story.paragraphs)


@PROPERTY
@given(hostile)
def test_speakable_keeps_lines_and_leaves_no_digit(text: str) -> None:
    with hard_limit(HARD_LIMIT_SECONDS):
        out = speakable(text, lexicon=LEXICON)
    assert out.count("\n") == text.count("\n")
    assert not DECIMAL_DIGIT.search(out), out


@PROPERTY
@given(hostile)
def test_what_the_cleaner_keeps_is_spoken_without_digits(text: str) -> None:
    """The service's own path: clean the paste, then make each paragraph speakable."""
    with hard_limit(HARD_LIMIT_SECONDS):
        try:
            story = clean(text)
        except InputError:
            return
        spoken = [speakable(line, lexicon=LEXICON) for line in (story.headline, *story.paragraphs)]
    assert not any(DECIMAL_DIGIT.search(line) for line in spoken)


@pytest.fixture(scope="module")
def diacritizer() -> object:
    return get_diacritizer()


@settings(PROPERTY, max_examples=25, deadline=timedelta(seconds=5))
@given(hostile)
def test_diacritizer_only_adds_marks(diacritizer: object, text: str) -> None:
    lines = speakable(text, lexicon=LEXICON).split("\n")
    with hard_limit(HARD_LIMIT_SECONDS):
        marked = diacritizer.diacritize(lines)  # type: ignore[attr-defined]
    assert len(marked) == len(lines)
    assert [MARKS.sub("", line) for line in marked] == [MARKS.sub("", line) for line in lines]
    assert not any(DECIMAL_DIGIT.search(line) for line in marked)
