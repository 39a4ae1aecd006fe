from __future__ import annotations

from datetime import date, time

import pytest

from producer.arabic.dates import date_words, time_words, weekday_name
from tests.arabic.tables import rows


@pytest.mark.parametrize(("iso", "family", "expected"), rows("dates"))
def test_date_words(iso: str, family: str, expected: str) -> None:
    assert date_words(date.fromisoformat(iso), family) == expected  # type: ignore[arg-type]


def test_date_words_default_family_is_levantine() -> None:
    assert date_words(date(2017, 9, 15)) == "الخامس عشر من أيلول عام ألفين وسبعة عشر"


def test_date_words_genitive_day() -> None:
    assert date_words(date(2017, 9, 21), case="gen") == "الحادي والعشرين من أيلول عام ألفين وسبعة عشر"


@pytest.mark.parametrize(("iso", "expected"), rows("weekdays"))
def test_weekday_name(iso: str, expected: str) -> None:
    assert weekday_name(date.fromisoformat(iso)) == expected


@pytest.mark.parametrize(("clock", "expected"), rows("times"))
def test_time_words(clock: str, expected: str) -> None:
    assert time_words(time.fromisoformat(clock)) == expected
