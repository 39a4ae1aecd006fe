"""Lexicon entries cannot multiply text: entries that could are refused when added, and every
application of a lexicon stays within a bounded growth of its input (measured with tracemalloc)."""

from __future__ import annotations

import tracemalloc

import pytest

from producer.arabic.lexicon import GROWTH, Lexicon, LexiconEntry
from producer.errors import InputError


@pytest.mark.parametrize(
    ("pattern", "replacement"),
    [
        ("re:x*", "abc"),  # matches empty text everywhere
        ("re:(?=ا)", "بب"),  # a lookahead alone matches nothing
        ("re:", "a"),
        ("re:ا", "ب" * 11),  # one letter becomes eleven
        ("re:(ا+)", r"\1\1\1"),  # triples every run
        ("re:\\p{Arabic}", "ب" * 30),  # width unknown to Python's parser: taken as one
        ("كلمة", "ب" * 201),
    ],
)
def test_entries_that_could_multiply_text_are_refused(pattern: str, replacement: str) -> None:
    with pytest.raises(InputError):
        Lexicon([LexiconEntry(pattern, replacement)])


def test_the_issue_s_four_growing_entries_cannot_be_added() -> None:
    # Four `re:` entries that turned 8 characters into 100 MB.
    chain = [("re:.", "ab" * 50), ("re:a", "bb" * 50), ("re:b", "aa" * 50), ("re:(.)", r"\1" * 50)]
    for pattern, replacement in chain:
        with pytest.raises(InputError, match="multiply"):
            Lexicon([LexiconEntry(pattern, replacement)])


def test_allowed_entries_that_grow_a_little_each_are_stopped_at_the_bound() -> None:
    # Each entry is legal (ten letters for one), but chained they would grow tenfold each.
    lexicon = Lexicon(
        [
            LexiconEntry("re:ا", "ب" * 10),
            LexiconEntry("re:ب", "ت" * 10),
            LexiconEntry("re:ت", "ث" * 10),
            LexiconEntry("re:ث", "ج" * 10),
        ]
    )
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match=f"{GROWTH} times"):
            lexicon.apply("ا" * 5000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20, f"{peak / 2**20:.0f} MB"


def test_shipped_and_ordinary_entries_still_apply() -> None:
    lexicon = Lexicon.default()
    lexicon.add("re:\\bUN\\b", "الأمم المتحدة")
    lexicon.add("re:(\\d+) ك\\.م", r"\1 كيلومتر")
    assert lexicon.apply("قالت UN إن 5 ك.م") == "قالت الأمم المتحدة إن 5 كيلومتر"
