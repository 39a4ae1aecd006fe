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
# Only a quarter is said before the hour: "إلا ثلثا" is heard less than the minutes themselves.
_BEFORE_HOUR = {45: "إلا ربعا"}


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


def _minutes_words(minutes: int, case: Case) -> str:
    """The minutes after the hour, in the case of the hour they are joined to ("عند التاسعة وعشرين دقيقة")."""
    if minutes == 1:
        return "ودقيقة"
    if minutes == 2:
        return "ودقيقتان" if case == "nom" else "ودقيقتين"
    noun = "دقائق" if minutes <= 10 else "دقيقة"
    return f"و{cardinal_words(minutes, gender='f', case=case, construct=True)} {noun}"


def clock_words(hour: int, minute: int, *, period: bool, case: Case = "nom", dial24: bool = False) -> str:
    """hour:minute in words; `period` adds the part of the day (needed when the clock is 24-hour).

    `case` is the case the clock's position gives it, shown on the minutes ("وعشرين دقيقة" after
    في or عند) and on the 24-hour dial's tens. `dial24` reads the hour on the 24-hour dial
    ("الحادية والعشرين") instead of the 12-hour one; a minute before the hour is then counted too,
    as the dial is read, never "إلا ربعا".
    """
    if hour == 0 and minute == 0:
        return "منتصف الليل"
    before_hour = minute in _BEFORE_HOUR and not dial24
    spoken_hour = (hour + 1) % 24 if before_hour else hour
    words = [hour24_words(spoken_hour, case) if dial24 else hour_words(spoken_hour)]
    if before_hour:
        words.append(_BEFORE_HOUR[minute])
    elif minute in _MINUTE_FRACTIONS:
        words.append(_MINUTE_FRACTIONS[minute])
    elif minute:
        words.append(_minutes_words(minute, case))
    if period and not dial24:
        words.append(period_of_day(spoken_hour))
    return " ".join(words)


def hour24_words(hour: int, case: Case) -> str:
    """An hour on the 24-hour dial: 21 → "الحادية والعشرون" (the tens show the case)."""
    if hour == 0:
        return "منتصف الليل"
    return "الواحدة" if hour == 1 else ordinal(hour, feminine=True, case=case)


def time_words(t: time) -> str:
    """time(10, 30) → "العاشرة والنصف صباحا"; time(14, 45) → "الثالثة إلا ربعا عصرا"."""
    return clock_words(t.hour, t.minute, period=True)
