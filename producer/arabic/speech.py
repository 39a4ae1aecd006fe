"""`speakable`: the exact text handed to a TTS engine, one output line per input line.

Per line: normalize characters (one digit set, no stray symbols), apply the station's lexicon
(its entries win over everything else, so they may spell out numbers too), then read every
number, date, time, percentage, currency and unit in words, and last write the Latin words the
lexicon did not name in Arabic letters (`latin`). The only diacritics added here are the case
vowels of counted numbers; the rest is the diacritizer's, for the engines that want it.
"""

from __future__ import annotations

from functools import cache
from typing import Literal

from producer.arabic.context import month_family
from producer.arabic.latin import arabize_latin
from producer.arabic.lexicon import Lexicon
from producer.arabic.normalize import normalize_line
from producer.arabic.reader import read_numbers

ClockDial = Literal["12h", "24h"]


@cache
def _default_lexicon() -> Lexicon:
    return Lexicon.default()


def speakable(
    text: str, *, lexicon: Lexicon | None = None, clock: ClockDial = "12h", vowelled: bool = True
) -> str:
    """`text` as it is to be spoken: no digit left, lexicon applied; the shipped lexicon if None.

    `clock` is the station's reading of 24-hour times: "12h" says the hour on the 12-hour dial with
    the part of the day ("21:40" → "التاسعة وأربعين دقيقة مساء"), "24h" on the 24-hour dial ("الحادية
    والعشرون وأربعون دقيقة").

    `vowelled` writes the case vowel of counted numbers where the letters do not show it ("إن 23
    غارة" → "إن ثلاثًا وعشرين غارة"): the sentence decides it, which the diacritizer cannot see.
    """
    lexicon = _default_lexicon() if lexicon is None else lexicon
    family = month_family(text)
    dial24 = clock == "24h"
    return "\n".join(
        arabize_latin(
            read_numbers(lexicon.apply(normalize_line(line)), family, dial24=dial24, vowelled=vowelled)
        )
        for line in text.split("\n")
    )
