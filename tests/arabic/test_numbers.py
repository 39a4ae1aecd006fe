from __future__ import annotations

import pytest

from producer.arabic.numbers import cardinal, digits_words, noun_gender, ordinal
from producer.errors import InputError
from tests.arabic.tables import rows


@pytest.mark.parametrize(("n", "gender", "case", "expected"), rows("cardinals"))
def test_cardinal(n: str, gender: str, case: str, expected: str) -> None:
    assert cardinal(int(n), feminine=gender == "f", case=case) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("n", "gender", "case", "expected"), rows("ordinals"))
def test_ordinal(n: str, gender: str, case: str, expected: str) -> None:
    assert ordinal(int(n), feminine=gender == "f", case=case) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("word", "gender"), rows("nouns"))
def test_noun_gender(word: str, gender: str) -> None:
    assert noun_gender(word) == gender


def test_noun_lexicon_covers_at_least_300_news_nouns() -> None:
    from producer.arabic.numbers import _noun_lexicon

    assert len(_noun_lexicon()) >= 300


def test_digits_words() -> None:
    assert digits_words("0933") == "صفر تسعة ثلاثة ثلاثة"


@pytest.mark.parametrize("n", [-1, 1_000_000_000_000])
def test_cardinal_out_of_range(n: int) -> None:
    with pytest.raises(InputError):
        cardinal(n)


def test_ordinal_of_zero_is_an_error() -> None:
    with pytest.raises(InputError):
        ordinal(0)
