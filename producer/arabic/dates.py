"""Dates, weekdays and clock times in words, as a newsreader says them.

A date is "الخامس عشر من أيلول عام ألفين وسبعة عشر": the day as a masculine ordinal (اليوم is
understood), the month by name, the year as a cardinal in the genitive after عام. Clock hours are
feminine ordinals (الساعة is understood) with الواحدة for one o'clock; quarters, thirds and halves
are said as fractions ("العاشرة والربع", "الحادية عشرة إلا ربعا").
"""

from __future__ import annotations

from datetime import date, time
from typing import Literal

from producer.arabic.numbers import Case, cardinal_words, ordinal

MonthFamily = Literal["levantine", "standard"]

WEEKDAYS = ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد")
LEVANTINE_MONTHS = (
    "كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران",
    "تموز", "آب", "أيلول", "تشرين الأول", "تشرين الثاني", "كانون الأول",
)  # fmt: skip
STANDARD_MONTHS = (
    "يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو",
    "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر",
)  # fmt: skip
HIJRI_MONTHS = (
    "محرم", "صفر", "ربيع الأول", "ربيع الآخر", "جمادى الأولى", "جمادى الآخرة",
    "رجب", "شعبان", "رمضان", "شوال", "ذو القعدة", "ذو الحجة",
)  # fmt: skip

# Hour of the day (0-23) → the part of the day said after a 24-hour time.
_PERIODS = ((0, "ليلا"), (3, "فجرا"), (6, "صباحا"), (12, "ظهرا"), (15, "عصرا"), (18, "مساء"))
_MINUTE_FRACTIONS = {15: "والربع", 20: "والثلث", 30: "والنصف"}
_BEFORE_HOUR = {40: "إلا ثلثا", 45: "إلا ربعا"}


def weekday_name(d: date) -> str:
    """The weekday's name: date(2017, 9, 16) → "السبت"."""
    return WEEKDAYS[d.weekday()]


def month_name(month: int, family: MonthFamily = "levantine") -> str:
    return (LEVANTINE_MONTHS if family == "levantine" else STANDARD_MONTHS)[month - 1]


def year_words(year: int) -> str:
    """A year after عام/سنة: a cardinal in the genitive ("ألفين وسبعة عشر")."""
    return cardinal_words(year, case="gen")


def day_words(day: int, month: str, *, case: Case = "nom") -> str:
    """Day of `month` (already a name): "الخامس عشر من أيلول"."""
    return f"{ordinal(day, case=case)} من {month}"


def date_words(d: date, months: MonthFamily = "levantine", *, case: Case = "nom") -> str:
    """date(2017, 9, 15) → "الخامس عشر من أيلول عام ألفين وسبعة عشر".

    `case` is the case of the day ordinal, shown from the 20th on ("في الحادي والعشرين من …").
    """
    return f"{day_words(d.day, month_name(d.month, months), case=case)} عام {year_words(d.year)}"


def hour_words(hour: int) -> str:
    """A clock hour (0-23, read on the 12-hour dial) as the feminine ordinal: 13 → "الواحدة"."""
    h12 = hour % 12 or 12
    return "الواحدة" if h12 == 1 else ordinal(h12, feminine=True)


def period_of_day(hour: int) -> str:
    """صباحا, ظهرا, عصرا, مساء, ليلا or فجرا for an hour of the day (0-23)."""
    return next(word for start, word in reversed(_PERIODS) if hour >= start)


def _minutes_words(minutes: int) -> str:
    if minutes == 1:
        return "ودقيقة"
    if minutes == 2:
        return "ودقيقتان"
    noun = "دقائق" if minutes <= 10 else "دقيقة"
    return f"و{cardinal_words(minutes, gender='f', construct=True)} {noun}"


def clock_words(hour: int, minute: int, *, period: bool) -> str:
    """hour:minute in words; `period` adds the part of the day (needed when the clock is 24-hour)."""
    if hour == 0 and minute == 0:
        return "منتصف الليل"
    spoken_hour = (hour + 1) % 24 if minute in _BEFORE_HOUR else hour
    words = [hour_words(spoken_hour)]
    if minute in _BEFORE_HOUR:
        words.append(_BEFORE_HOUR[minute])
    elif minute in _MINUTE_FRACTIONS:
        words.append(_MINUTE_FRACTIONS[minute])
    elif minute:
        words.append(_minutes_words(minute))
    if period:
        words.append(period_of_day(spoken_hour))
    return " ".join(words)


def time_words(t: time) -> str:
    """time(10, 30) → "العاشرة والنصف صباحا"; time(14, 45) → "الثالثة إلا ربعا عصرا"."""
    return clock_words(t.hour, t.minute, period=True)
