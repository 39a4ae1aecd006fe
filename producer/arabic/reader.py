"""Reading the numbers of a line in words, with the context a newsreader uses.

Every run of digits (with what is glued to it: a clitic prefix, a currency sign, separators, a
second number after a dash) is one chunk. The chunk's shape says what it is (time, date, decimal,
range …); the words around it say the rest:
- the word before gives the case: genitive after a preposition or as the second term of a
  construct ("مقتل 40", "عام 2017", "بنسبة 5%"), accusative after a verb that takes it as object
  ("بلغت الحصيلة 40"), else nominative; a number coordinated with و takes the case of the number
  before it in the clause ("مقتل أربعة قياديين و40 عنصرا" → "وأربعين");
- the word after is the counted noun whose singular's gender the number agrees with, or a unit,
  a scale word (ألف, مليون), a month name (a day of the month), هـ (a Hijri year), % …;
- some nouns before call for an ordinal ("الدورة 5" → "الدورة الخامسة", "القرن 21").
"""

from __future__ import annotations

import re
from datetime import date

from producer.arabic.context import (
    DATE_BEFORE,
    DIGIT,
    IDENTIFIER_BEFORE,
    MONTHS,
    ORDINAL_BEFORE,
    SPORTS,
    VERSION_BEFORE,
    WORD_AFTER,
    YEAR_BEFORE,
    LineState,
    case_from_words,
    clearly_noun,
    counted_noun,
    in_table,
    is_verb,
    is_word_char,
    next_word,
    number_case,
    number_case_cue,
    strip_conj,
    words_before,
)
from producer.arabic.dates import (
    MonthFamily,
    clock_words,
    day_words,
    hour24_words,
    hour_words,
    month_name,
    period_of_day,
    year_words,
)
from producer.arabic.latin import code_letters
from producer.arabic.normalize import WORD_CHARS, join_prefix
from producer.arabic.numbers import (
    MAX_CARDINAL,
    Case,
    cardinal_words,
    digits_words,
    dual,
    is_known_noun,
    noun_gender,
    ordinal,
)
from producer.arabic.pausal import before_pause
from producer.arabic.units import (
    CURRENCIES,
    UNIT_AFTER,
    UNITS_BEFORE,
    Unit,
    counted,
    money,
    noun_form,
    unit_after,
)

_W = WORD_CHARS
_NUM = r"\d+(?:[.,:/]\d+)*"
_PREFIX = r"[وف](?:لل|[بك]?ال|[بكل])?|لل|[بك]?ال|[بكل]"
_CURRENCY_BEFORE = "|".join(re.escape(sign) for sign in sorted(UNITS_BEFORE, key=len, reverse=True))
_NUNATION_ALIF_AT_END = re.compile("\u064b(\u0651?)ا$")
_CASE_VOWEL_AT_END = re.compile("[\u064b-\u0650](?=\u0651?$)")
_CHUNK = re.compile(
    rf"(?:(?<![{_W}])(?P<pre>{_PREFIX})(?:\u0640 ?)?)?"
    r"(?:(?P<phone>(?:\+|00)\d[\d -]{5,}\d|0\d{1,3}(?:-\d{3,})+|0\d{2,4}(?: \d{2,8}){1,3}(?!\d))"
    r"|(?P<code>(?<![A-Za-z0-9])(?P<letters>[A-Z]{1,3})-?(?P<code_digits>\d{2,}))"
    r"|(?P<extra>\d{1,3}\+\d{1,2})(?![\d.,:/])"
    r"|(?P<iso>\d{4}(?P<sep>[-./])\d{1,2}(?P=sep)\d{1,2})(?![\d]|[-.,/]\d)"
    r"|(?P<dmy>\d{1,2}[-./]\d{1,2}[-./](?:\d{4}|\d{2}))(?![\d]|[-.,/]\d)"
    rf"|(?P<cur>(?:{_CURRENCY_BEFORE}) ?)?(?P<sign>[-+](?=\d))?(?P<num>{_NUM})"
    rf"(?:(?P<dash> ?[-–—] ?)(?P<num2>{_NUM}))?)"
)
_MONTH_AFTER = re.compile(
    r"\s+(?P<min>من\s+)?(?:شهر\s+)?(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + rf")(?![{_W}])"
)
_SCALE_AFTER = re.compile(
    rf"\s?(?P<scale>ألف|آلاف|ألفا|مليون|ملايين|مليونا|مليار|مليارات|مليارا|بليون|بلايين)(?![{_W}])"
)
_SCALES = {
    "ألف": 10**3, "آلاف": 10**3, "ألفا": 10**3,
    "مليون": 10**6, "ملايين": 10**6, "مليونا": 10**6,
    "مليار": 10**9, "مليارات": 10**9, "مليارا": 10**9, "بليون": 10**9, "بلايين": 10**9,
}  # fmt: skip
_SCALE_SINGULAR = {10**3: "ألف", 10**6: "مليون", 10**9: "مليار"}
_PERCENT_AFTER = re.compile(r"\s?%")
_HIJRI_AFTER = re.compile(rf"\s?(?:هـ|ه)(?![{_W}])")
_AD_AFTER = re.compile(rf"\s?(?:م|ميلادي|ميلادية)(?![{_W}])")
_BC_AFTER = re.compile(rf"\s?ق\.\s?م(?![{_W}])")
_CLOCK_PERIOD_AFTER = re.compile(rf"\s?(?P<p>ص|م|AM|PM|am|pm|a\.m\.|p\.m\.)(?![{_W}])")
_PERIOD_WORD_AFTER = re.compile(r"\s?(?:صباح|مساء|ظهر|عصر|ليل|فجر|بعد الظهر|من )")
# "9 مساء", "11 صباحا": a bare number before a part of the day is a clock hour.
_DAY_PART_AFTER = re.compile(rf"\s?(?:صباحا|صباح|مساء|ظهرا|عصرا|ليلا|فجرا)(?![{_W}])")
# "من 1 إلى 15 آب": the first day of a span of days is a day of the month too.
_DAY_SPAN_AFTER = re.compile(
    r"\s*(?:إلى|حتى|و|-)\s*\d{1,2}\s+(?:من\s+)?(?:شهر\s+)?(?:"
    + "|".join(sorted(MONTHS, key=len, reverse=True))
    + rf")(?![{_W}])"
)
# "من 6 حتى 9 مساء", "بين 7 و9 صباحا": the first number of a span of hours that ends in a part of the day.
_HOUR_SPAN_AFTER = re.compile(
    rf"\s*(?:إلى|حتى|و|-|–)\s*(?:الساعة\s+)?\d{{1,2}}(?::\d{{2}})?\s?"
    rf"(?:صباحا|صباح|مساء|ظهرا|عصرا|ليلا|فجرا|بعد الظهر)(?![{_W}])"
)
# The further groups of an identifier typed with spaces ("445 7788").
_DIGIT_GROUPS = re.compile(r"(?: \d+)*")
_GMT_AFTER = re.compile(rf"\s?(?:بتوقيت غرينتش|بتوقيت غرينيتش|توقيت غرينتش|GMT|ت\.غ|ت\. غ|UTC)(?![{_W}])")

_FRACTION_ONE = {2: "نصف", 3: "ثلث", 4: "ربع", 5: "خمس", 6: "سدس", 7: "سبع", 8: "ثمن", 9: "تسع", 10: "عشر"}
_FRACTION_PLURAL = {
    3: "أثلاث",
    4: "أرباع",
    5: "أخماس",
    6: "أسداس",
    7: "أسباع",
    8: "أثمان",
    9: "أتساع",
    10: "أعشار",
}


def read_numbers(line: str, family: MonthFamily, *, dial24: bool = False, vowelled: bool = False) -> str:
    """`line` with every number read in words (the line is already normalized); `dial24` reads
    24-hour times on the 24-hour dial instead of the 12-hour one with the part of the day;
    `vowelled` writes the case vowels of counted numbers (see `numbers.cardinal_words`)."""
    if not DIGIT.search(line):
        return line
    state = LineState(line, family, bool(SPORTS.search(line)), dial24, vowelled)
    out: list[str] = []
    pos = 0
    while (m := _CHUNK.search(line, pos)) is not None:
        out.append(line[pos : m.start()])
        words, end = _read_chunk(state, m)
        if vowelled and before_pause(line, end):
            words = _pausal_end(words)
        if m.start() > 0 and is_word_char(line[m.start() - 1]) and not m["pre"]:
            words = " " + words
        if end < len(line) and is_word_char(line[end]):
            words += " "
        out.append(words)
        pos = end
    out.append(line[pos:])
    # Every digit is consumed by a chunk; this only guards the promise that none is ever spoken.
    return DIGIT.sub(lambda d: " " + digits_words(d[0]) + " ", "".join(out))


# --- chunks -------------------------------------------------------------------------------------


def _read_chunk(state: LineState, m: re.Match[str]) -> tuple[str, int]:
    """The words for chunk `m` and where the text they replace ends (units, signs … included)."""
    prefix = m["pre"] or ""
    start = m.start()
    if m["phone"]:
        return prefix + _phone(m["phone"]), m.end()
    if m["code"]:
        # "MS985", "CR-5521": a flight or file number, its letters by name and its digits one by one.
        digits = m["code_digits"]
        said = cardinal_words(int(digits)) if len(digits) <= 2 and digits[0] != "0" else digits_words(digits)
        return f"{prefix}{code_letters(m['letters'])} {said}", m.end()
    if m["extra"]:
        return prefix + _added_time(state, start, m["extra"]), m.end()
    if m["iso"]:
        y, mo, d = (int(x) for x in re.split(r"[-./]", m["iso"]))
        return _date_chunk(state, start, prefix, d, mo, y, m.end()) or (_plain_digits(m["iso"]), m.end())
    if m["dmy"]:
        d, mo, y = (int(x) for x in re.split(r"[-./]", m["dmy"]))
        if y < 100:
            y += 2000 if y < 50 else 1900
        return _date_chunk(state, start, prefix, d, mo, y, m.end()) or (_plain_digits(m["dmy"]), m.end())
    if m["num2"] is not None:
        return _range(state, m, prefix)
    words, end = _single(state, m, prefix)
    if m["sign"] == "-":
        # A hyphen after a word ("COVID-19") is not a minus; the caller spaces the words apart.
        glued = start > 0 and is_word_char(state.text[start - 1])
        words = words if glued else _negative(words)
    elif m["sign"] == "+":
        words = "زائد " + words
    return words, end


def _pausal_end(words: str) -> str:
    """The last word before a pause without its case vowel (ثلاثون ألفًا → ألفَا, ثلاثةٌ → ثلاثة):
    written vowels would stop the diacritizer from giving it the pausal form."""
    if _NUNATION_ALIF_AT_END.search(words):
        return _NUNATION_ALIF_AT_END.sub("\u064e\\1ا", words)
    return _CASE_VOWEL_AT_END.sub("", words)


def _negative(words: str) -> str:
    if words.endswith("مئوية") or words.endswith("درجة") or words.endswith("درجات"):
        return words + " تحت الصفر"
    return "سالب " + words


def _plain_digits(digits: str) -> str:
    return " ".join(digits_words(group) for group in re.findall(r"\d+", digits))


def _phone(text: str) -> str:
    words = _plain_digits(text)
    return "زائد " + words if text.startswith("+") else words


def _added_time(state: LineState, start: int, text: str) -> str:
    """ "الدقيقة 90+3" is the third minute of added time, as commentators say it; elsewhere a sum."""
    base, extra = (int(x) for x in text.split("+"))
    before = words_before(state.text, start)
    minute_word = before and strip_conj(before[-1][0]).lstrip("بل") in ("الدقيقة", "دقيقة", "لدقيقة")
    if minute_word and extra >= 1:
        return f"{ordinal(extra, feminine=True, case=_noun_case(before))} من الوقت بدل الضائع"
    return f"{cardinal_words(base)} زائد {cardinal_words(extra)}"


def _date_chunk(
    state: LineState, start: int, prefix: str, d: int, mo: int, y: int, end: int
) -> tuple[str, int] | None:
    try:
        date(y, mo, d)
    except ValueError:
        return None
    cue = _decided_case(state, start, prefix)
    words = f"{day_words(d, month_name(mo, state.family), case=cue or 'nom')} عام {year_words(y)}"
    return join_prefix(_no_article(prefix), words), end


def _decided_case(state: LineState, start: int, prefix: str) -> Case | None:
    """The case a word decides for the number at `start` (None: none did), recorded for the numbers
    coordinated with it."""
    state.cases[start] = cue = number_case_cue(state, start, prefix)
    return cue


def _no_article(prefix: str) -> str:
    """The clitics of `prefix` without ال (ordinals bring their own article)."""
    if prefix.endswith("ال"):
        return prefix[:-2]
    if prefix.endswith("لل"):
        return prefix[:-1]
    return prefix


def _parse(num: str, scale_follows: bool) -> tuple[int, str | None] | None:
    """(integer part, decimal digits or None) of a number as written, or None if it is a list."""
    if re.search(r"\d{16}", num):
        return None  # far beyond any amount: read digit by digit as a list
    if re.fullmatch(r"\d+", num):
        return int(num), None
    if ":" in num or "/" in num:
        return None
    groups = re.split(r"[.,]", num)
    seps = re.findall(r"[.,]", num)
    three = all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3
    if "," in seps and "." in seps:
        if seps[-1] == "." and all(s == "," for s in seps[:-1]) and all(len(g) == 3 for g in groups[1:-1]):
            return int("".join(groups[:-1])), groups[-1]
        return None
    if seps[0] == "," and three:
        return int("".join(groups)), None
    if seps[0] == "." and three and not scale_follows and (len(groups) > 2 or groups[1].endswith("00")):
        return int("".join(groups)), None
    if len(groups) == 2:
        return int(groups[0]), groups[1]
    return None


def _is_version(state: LineState, start: int, num: str) -> bool:
    """A version number: three or more dotted parts that are not thousands ("2.4.1"), or two after
    a word naming a version or a Latin product name ("التحديث 17.2")."""
    if not re.fullmatch(r"\d+(?:\.\d+)+", num):
        return False
    parts = num.split(".")
    if len(parts) >= 3:
        return not all(len(p) == 3 for p in parts[1:])
    before = words_before(state.text, start, limit=1)
    prev = strip_conj(before[-1][0]) if before else ""
    return in_table(prev, VERSION_BEFORE) or re.fullmatch(r"[A-Za-z]+", prev) is not None


def _say(n: int, case: Case = "nom") -> str:
    """A cardinal in words, or digit by digit past the largest number read in words."""
    return cardinal_words(n, case=case) if n <= MAX_CARDINAL else digits_words(str(n))


def _decimal_words(whole: int, frac: str, case: Case) -> str:
    zeros = len(frac) - len(frac.lstrip("0"))
    rest = frac.lstrip("0")
    tail = " ".join(["صفر"] * zeros + ([_say(int(rest))] if rest else []))
    return f"{_say(whole, case)} فاصلة {tail}"


def _single(state: LineState, m: re.Match[str], prefix: str) -> tuple[str, int]:
    text, start, end, num = state.text, m.start(), m.end(), m["num"]
    if re.fullmatch(r"\d{1,2}:\d{2}(?::\d{2})?", num):
        clock = _clock(state, num, end, _clock_case(state, start, prefix))
        if clock is not None:
            return join_prefix(_no_article(prefix), clock[0]), clock[1]
    if re.fullmatch(r"\d{1,2}/\d{1,2}", num):
        return _slash_pair(state, start, prefix, num, end)
    if re.fullmatch(r"\d{1,15}/\d{1,15}", num):
        return _numbered(state, start, prefix, num, end)
    if _is_version(state, start, num):
        # "الإصدار 2.4.1": each part on its own, the dots said ("اثنان نقطة أربعة نقطة واحد").
        return prefix + " نقطة ".join(_plain_or_words(part) for part in num.split(".")), end
    scale = _SCALE_AFTER.match(text, end)
    parsed = _parse(num, scale is not None)
    if parsed is None:
        # A list written with separators ("3,4,5"): each number on its own.
        parts = [cardinal_words(int(p)) if len(p) < 7 else digits_words(p) for p in re.split(r"[.,:/]", num)]
        return prefix + "، ".join(parts), end
    whole, frac = parsed
    cue = _decided_case(state, start, prefix)
    case: Case = cue or "nom"
    # The case vowels are written only where a word decided the case; where none did (the number
    # opens its clause, or what governs it is out of the reader's sight) the diacritizer, which
    # reads the whole sentence, chooses them.
    vowelled = state.vowelled and cue is not None
    cur = UNITS_BEFORE.get((m["cur"] or "").strip())

    if scale is not None and whole <= MAX_CARDINAL:
        words, end = _scaled(state, whole, frac, _SCALES[scale["scale"]], case, scale.end(), cur, vowelled)
    elif (pct := _PERCENT_AFTER.match(text, end)) is not None:
        number = (
            cardinal_words(whole, case=case, vowelled=vowelled)
            if frac is None
            else _decimal_words(whole, frac, case)
        )
        words, end = f"{number} بالمئة", pct.end()
    elif frac is not None:
        words = _decimal_words(whole, frac, case)
        unit = cur
        if unit is None and (unit_m := UNIT_AFTER.match(text, end)) is not None:
            unit, end = unit_after(unit_m["unit"]), unit_m.end()
        if unit is not None:
            if unit.cents is not None and len(frac) == 2 and whole <= MAX_CARDINAL:
                # Money written to the hundredth is said in units and cents, as prices are read.
                words = money(whole, int(frac), unit, unit.cents, case, vowelled=vowelled)
            elif frac.rstrip("0") == "5" and whole <= MAX_CARDINAL:
                # "1.5 كم" is said as people say it: "كيلومتر ونصف", "نصف كيلومتر" for 0.5.
                if whole <= 1:
                    words = f"نصف {unit.singular}" if whole == 0 else f"{unit.singular} ونصف"
                else:
                    words = f"{counted(whole, unit, case, vowelled=vowelled)} ونصف"
            else:
                # After "فاصلة" the noun takes the form the last number said calls for ("فاصلة
                # سبعة دولارات"), but stays singular after one and two ("فاصلة اثنان دولار").
                last = int(frac.lstrip("0") or "0")
                words += " " + (noun_form(last, unit, case) if last > 2 else unit.singular)
    else:
        words, end = _integer(state, m, prefix, whole, case, cur, vowelled)
    return join_prefix(_no_article(prefix) if words.startswith("ال") else prefix, words), end


def _scaled(
    state: LineState,
    whole: int,
    frac: str | None,
    scale: int,
    case: Case,
    end: int,
    cur: Unit | None,
    vowelled: bool,
) -> tuple[str, int]:
    sign = UNIT_AFTER.match(state.text, end) if cur is None else None
    if sign is not None and unit_after(sign["unit"]) in CURRENCIES:
        # "40 مليون £": the sign is the counted noun of مليون, said after it ("مليون جنيه إسترليني").
        cur, end = unit_after(sign["unit"]), sign.end()
    gender, construct = counted_noun(state, end)
    construct = construct or cur is not None
    if frac is None:
        total = whole * scale
        if total > MAX_CARDINAL:
            return f"{cardinal_words(whole, case=case)} {_SCALE_SINGULAR[scale]}", end
        words = cardinal_words(total, gender=gender, case=case, construct=construct, vowelled=vowelled)
    elif frac.rstrip("0") in ("5", "25", "75"):
        part = {"5": "نصف", "25": "ربع", "75": "ثلاثة أرباع"}[frac.rstrip("0")]
        noun = _SCALE_SINGULAR[scale]
        if not whole:
            words = f"{part} {noun}"  # "نصف مليون"
        else:
            # "مليونان ونصف", and before a noun "مليونان ونصف المليون دولار".
            tail = f"{part} ال{noun}" if construct else part
            words = f"{_say(whole * scale, case)} و{tail}"
    else:
        words = f"{_decimal_words(whole, frac, case)} {_SCALE_SINGULAR[scale]}"
    if cur is not None:
        words += f" {cur.singular}"
    return words, end


def _integer(
    state: LineState, m: re.Match[str], prefix: str, n: int, case: Case, cur: Unit | None, vowelled: bool
) -> tuple[str, int]:
    text, start, end, num = state.text, m.start(), m.end(), m["num"]
    before = words_before(text, start)
    prev = strip_conj(before[-1][0]) if before else ""
    if (
        "," not in num
        and "." not in num
        and ((len(num) >= 7 and not cur) or (len(num) > 1 and num[0] == "0"))
    ):
        return digits_words(num), end
    if n > MAX_CARDINAL:
        return digits_words(num), end
    if len(num) >= 3 and "," not in num and "." not in num and _identifier_before(prev):
        # "هاتف المكتب 445 7788", "الرمز البريدي 11511", "رحلة RJ 402": digit by digit, every group.
        if (groups := _DIGIT_GROUPS.match(text, end)) is not None:
            end = groups.end()
        return _plain_digits(num + text[m.end() : end]), end
    if cur is not None:
        return counted(n, cur, case, vowelled=vowelled), end
    if prev == "الساعة" and n <= 12 and (ampm := _CLOCK_PERIOD_AFTER.match(text, end)) is not None:
        # "الساعة 8 م" is eight in the evening: after an hour م is مساءً, not metres.
        hour = n % 12 + (12 if ampm["p"].lower().startswith("p") or ampm["p"] == "م" else 0)
        if state.dial24:
            return hour24_words(hour, _hour_case(before)), ampm.end()
        return f"{hour_words(hour)} {period_of_day(hour)}", ampm.end()
    if (unit_m := UNIT_AFTER.match(text, end)) is not None and not _is_year_mark(n, unit_m, prev):
        return counted(n, unit_after(unit_m["unit"]), case, vowelled=vowelled), unit_m.end()
    if (hijri := _HIJRI_AFTER.match(text, end)) is not None:
        return _year(prev, n, "للهجرة"), hijri.end()
    if (ad := _AD_AFTER.match(text, end)) is not None and _is_year_mark(n, ad, prev):
        return _year(prev, n, "للميلاد"), ad.end()
    if (bc := _BC_AFTER.match(text, end)) is not None:
        return _year(prev, n, "قبل الميلاد"), bc.end()
    if prev == "شهر" and 1 <= n <= 12 and not prefix and not _counts(next_word(text, end) or "", n):
        # "في شهر 3" names the month, as the station's calendar calls it: "في شهر آذار".
        return month_name(n, state.family), end
    if 1 <= n <= 31 and (month := _MONTH_AFTER.match(text, end)) is not None:
        return f"{ordinal(n, case=case)}{'' if month['min'] else ' من'}", end
    if 1 <= n <= 31 and _DAY_SPAN_AFTER.match(text, end):
        return ordinal(n, case=case), end
    if n >= 100 and _after_month(before):
        return f"عام {year_words(n)}", end
    # "الساعة 8", and "بين الساعة 8 و10": a number coordinated with an hour is an hour too.
    # "من 8 حتى 10 مساء", "من الساعة 8 حتى 10": both ends of a span of hours are hours.
    hour_context = (
        prev == "الساعة"
        or ((prefix in ("و", "ف") or prev in ("حتى", "إلى")) and any(w == "الساعة" for w, _ in before[-3:]))
        or _DAY_PART_AFTER.match(text, end) is not None
        or (n <= 12 and _HOUR_SPAN_AFTER.match(text, end) is not None)
    )
    if hour_context and n <= 24:
        day_part = _PERIOD_WORD_AFTER.match(text, end) is not None
        if state.dial24 and n > 12 and not day_part:
            return hour24_words(n, _hour_case(before) if prev == "الساعة" else case), end
        period = "" if day_part or n <= 12 else f" {period_of_day(n)}"
        return hour_words(n) + period, end
    follower = next_word(text, end)
    if prefix.endswith(("ال", "لل")) and follower and _counts(follower, n):
        # "ذو الـ5 سنوات", "خلال الـ24 ساعة": a definite number counting the noun after it, not an
        # ordinal; each part of a compound takes the article (الأربع والعشرين).
        words = cardinal_words(n, gender=counted_noun(state, end, n)[0], case=case)
        return "ال" + words.replace(" و", " وال"), end
    if prefix.endswith(("ال", "لل")) and n >= 1:
        # "الذكرى الـ50": the ordinal agrees with the definite noun before it, if there is one.
        noun = strip_conj(before[-1][0]) if before else ""
        if noun.startswith(("ال", "لل", "بال")):
            return ordinal(n, feminine=noun_gender(noun) == "f", case=_noun_case(before)), end
        return ordinal(n, case=case), end
    # "المؤتمر 21" is its 21st session, but "المؤتمر 21 دولة" counts states.
    counts_next = follower is not None and _counts(follower, n)
    if (head := _ordinal_head(before)) is not None and 1 <= n <= 999 and not prefix and not counts_next:
        noun, at = head
        return ordinal(n, feminine=noun_gender(noun) == "f", case=_noun_case(before[: at + 1])), end
    if n >= 100 and in_table(prev, YEAR_BEFORE) and not is_known_noun(next_word(text, end) or ""):
        return year_words(n), end
    gender, construct = counted_noun(state, end, n)
    if n == 2 and follower and follower.endswith("ة") and (noun_m := WORD_AFTER.match(text, end)) is not None:
        # "2 ساعة" is said as a dual, "ساعتان": Arabic counts two with the noun itself.
        return dual(follower[:-1] + "تان", case, construct=False), noun_m.end()
    if n == 2 and follower and _is_dual(follower, text, end) and (noun_m := WORD_AFTER.match(text, end)):
        # "2 طفلين", "2 حالتي وفاة": the dual already says two; the number is not read twice, and
        # the dual takes the number's case (قُتل طفلان).
        return _dual_in_case(noun_m[1], case), noun_m.end()
    if n == 1 and follower and clearly_noun(follower, n) and not follower.endswith("ا"):
        # "1 شخص" is said "شخص واحد": one follows its (singular) noun, as an adjective.
        noun_m = WORD_AFTER.match(text, end)
        if noun_m is not None:
            return f"{noun_m[1]} {'واحدة' if gender == 'f' else 'واحد'}", noun_m.end()
    if 1900 <= n <= 2099 and not construct and len(num) == 4:
        # A modern year on its own is read as after an understood عام ("كأس العالم 2022").
        return year_words(n), end
    said = cardinal_words(n, gender=gender, case=case, construct=construct, vowelled=vowelled)
    doubtful = (
        not construct or (follower[0] in "لبك" and not clearly_noun(follower, n)) if follower else False
    )
    if vowelled and doubtful:
        # The word after may not be what the number counts ("رقم 7 لعام", a year-like "1500
        # اسم"): whether the number governs it, and so its last vowel, is left to the diacritizer.
        said = _CASE_VOWEL_AT_END.sub("", said)
    return said, end


def _is_dual(word: str, text: str, end: int) -> bool:
    """Whether `word`, right after a 2 at `end`, is a dual: شخصان/شخصين of a counted noun, or
    ساعتان/ساعتين, or their construct forms (حالتا/حالتي) before the noun they govern."""
    if word.endswith(("تان", "تين")) and len(word) > 4:
        return True
    if word.endswith(("ان", "ين")) and is_known_noun(word[:-2]):
        return True
    governs = next_word(text, end + 1 + len(word)) is not None
    return governs and word.endswith(("تا", "تي")) and len(word) > 3


def _dual_in_case(word: str, case: Case) -> str:
    """A dual as written (شخصان/شخصين, or حالتا/حالتي before its noun) in `case`."""
    construct = not word.endswith("ن")
    return dual((word[:-1] if construct else word[:-2]) + "ان", case, construct)


def _identifier_before(prev: str) -> bool:
    """Whether the word before a number makes it an identifier: a phone, postal or flight word, or a
    Latin code written apart ("RJ 402")."""
    return in_table(prev, IDENTIFIER_BEFORE) or re.fullmatch(r"[A-Z]{1,3}", prev) is not None


def _is_year_mark(n: int, mark: re.Match[str], prev: str) -> bool:
    """Whether a م after `n` is ميلادي (a year) rather than متر."""
    if mark.group(0).strip() not in ("م", "ميلادي", "ميلادية"):
        return False
    return in_table(prev, YEAR_BEFORE) or 1000 <= n <= 2100


def _year(prev: str, n: int, era: str) -> str:
    head = "" if in_table(prev, YEAR_BEFORE) else "عام "
    return f"{head}{year_words(n)} {era}"


def _counts(noun: str, n: int) -> bool:
    """Whether `noun` after `n` is what it counts, going by its last two digits: a plural after
    3-10, a tamyiz (ـا, or a feminine ـة) after 11-99, a singular after a round hundred or more.
    "القرن 21 قرن التكنولوجيا" starts a new phrase instead."""
    last = n % 100
    if 11 <= last <= 99:
        return noun.endswith(("ا", "ة"))
    return (3 <= last <= 10 or n >= 100) and clearly_noun(noun, n)


def _after_month(before: list[tuple[str, int]]) -> bool:
    if not before:
        return False
    last = before[-1][0]
    two = " ".join(w for w, _ in before[-2:])
    return last in MONTHS or two in MONTHS


_PRONOUN_SUFFIX = re.compile(r"(?:هما|هم|هن|ها|ه|نا|كم)$")


def _ordinal_noun(word: str) -> str | None:
    """The definite noun in `word` (clitics and a pronoun suffix stripped) if it calls for an
    ordinal after it: "الدورة", "دورتها" and "بدورتها" all give "الدورة"."""
    stems = [word, word[1:], "ال" + word[2:] if word.startswith("لل") else ""]
    if word[:1] in "بلك":
        stems.append(word[1:])
    for stem in list(stems):
        if len(stem) > 3 and (bare := _PRONOUN_SUFFIX.sub("", stem)) != stem:
            # The ة and ى of the noun are written ت and ا before the pronoun: دورتها، ذكراها.
            noun = bare[:-1] + "ة" if bare.endswith("ت") else bare[:-1] + "ى" if bare.endswith("ا") else bare
            stems += ["ال" + noun, "ال" + noun[1:]]
    stems += ["ال" + stem for stem in stems if stem and not stem.startswith("ال")]
    return next((stem for stem in stems if stem in ORDINAL_BEFORE), None)


def _ordinal_head(before: list[tuple[str, int]]) -> tuple[str, int] | None:
    """The noun calling for an ordinal and its index in `before`: the word right before the number
    ("الدورة 5", "في دورتها 17") or the head of a genitive chain ending there ("بعيد ميلاده 60",
    "جولة المفاوضات 7"), whose later terms are definite or carry a pronoun."""
    for back in range(1, min(3, len(before)) + 1):
        at = len(before) - back
        word = strip_conj(before[at][0])
        definite = word.startswith("ال") or (word[:1] in "بلك" and word[1:].startswith("ال"))
        # "ولايته": a و that is the word's own first letter, not a conjunction, is tried too.
        noun = _ordinal_noun(word) or _ordinal_noun(before[at][0])
        if noun is not None and (back == 1 or not definite):
            # Further back, the head is in construct: indefinite, or with its pronoun ("دورتها").
            return noun, at
        if not (definite or _PRONOUN_SUFFIX.search(word)) or DIGIT.search(word):
            return None
    return None


def _noun_case(before: list[tuple[str, int]]) -> Case:
    """Case of the noun right before a number (an ordinal after it agrees with it)."""
    if not before:
        return "nom"
    noun = strip_conj(before[-1][0])
    if noun[:1] in "بلك" and not noun.startswith("ال"):
        return "gen"
    if len(before) > 1 and is_verb(before[-2][0]):
        return "nom"  # a noun right after its verb is read as its subject: "افتتح المؤتمر 21 للحزب"
    return case_from_words(before[:-1])


def _slash_pair(state: LineState, start: int, prefix: str, num: str, end: int) -> tuple[str, int]:
    a, b = (int(x) for x in num.split("/"))
    before = words_before(state.text, start)
    date_context = bool(before) and in_table(before[-1][0], DATE_BEFORE)
    if 1 <= a < b <= 10 and not date_context:
        construct = re.match(r" ?[\u0621-\u064a]", state.text[end:]) is not None
        return prefix + _fraction(a, b, number_case(state, start, prefix), construct), end
    if 1 <= a <= 31 and 1 <= b <= 12:
        case = number_case(state, start, prefix)
        return join_prefix(_no_article(prefix), day_words(a, month_name(b, state.family), case=case)), end
    return _numbered(state, start, prefix, num, end)


def _numbered(state: LineState, start: int, prefix: str, num: str, end: int) -> tuple[str, int]:
    """a/b that is neither a date nor a fraction: a text numbered in a year ("القانون 45/2017") or a ratio."""
    a, b = (int(x) for x in num.split("/"))
    first = prefix + _say(a, number_case(state, start, prefix))
    if 1900 <= b <= 2100:
        return f"{first} لعام {year_words(b)}", end
    return f"{first} على {_say(b, 'gen')}", end


def _fraction(a: int, b: int, case: Case, construct: bool) -> str:
    """a/b in words; `construct`: a noun follows, which drops the nun of a dual ("ثلثا السكان")."""
    one = _FRACTION_ONE[b]
    if a == 1:
        return one
    if a == 2:
        return one + ("ي" if case != "nom" else "ا") + ("" if construct else "ن")
    return f"{cardinal_words(a, case=case, construct=True)} {_FRACTION_PLURAL[b]}"


def _is_24h(num: str) -> bool:
    """A time that can only be a 24-hour clock: 13:00-23:59, 00:xx, or a zero-padded hour (06:00)."""
    hour = int(num.split(":")[0])
    return hour >= 13 or hour == 0 or num.startswith("0")


def _clock_case(state: LineState, start: int, prefix: str) -> Case:
    """The case of a clock time: that of الساعة when it follows it ("عند الساعة 16:50"), else its own."""
    before = words_before(state.text, start)
    if not prefix and before and strip_conj(before[-1][0]) == "الساعة":
        return _hour_case(before)
    return number_case(state, start, prefix)


def _hour_case(before: list[tuple[str, int]]) -> Case:
    """The case of an hour after "الساعة": genitive after a preposition ("عند الساعة"), nominative
    opening the clause, else accusative: الساعة is then an adverb of time ("يبدأ البث الساعة 20:05")."""
    if len(before) == 1:
        return "nom"
    return "gen" if case_from_words(before[:-1]) == "gen" else "acc"


def _clock(
    state: LineState, num: str, end: int, case: Case, *, force_period: bool = False
) -> tuple[str, int] | None:
    hour, minute = (int(x) for x in num.split(":")[:2])
    if hour > 24 or minute > 59:
        return None
    text = state.text
    period = force_period or _is_24h(num)
    suffix = ""
    if (p := _CLOCK_PERIOD_AFTER.match(text, end)) is not None:
        pm = p["p"].lower().startswith("p") or p["p"] == "م"
        if pm and hour < 12:
            hour += 12
        period, end = True, p.end()
    elif _PERIOD_WORD_AFTER.match(text, end):
        period = False
    if (gmt := _GMT_AFTER.match(text, end)) is not None:
        suffix = " بالتوقيت العالمي" if "UTC" in gmt.group(0) else " بتوقيت غرينتش"
        end = gmt.end()
    return clock_words(hour % 24, minute, period=period, case=case, dial24=state.dial24) + suffix, end


def _range(state: LineState, m: re.Match[str], prefix: str) -> tuple[str, int]:
    text, start, end = state.text, m.start(), m.end()
    a_txt, b_txt = m["num"], m["num2"]
    clock = re.compile(r"\d{1,2}:\d{2}")
    if clock.fullmatch(a_txt) and clock.fullmatch(b_txt):
        # One 24-hour time makes the whole range 24-hour: both ends get their part of the day.
        both = _is_24h(a_txt) or _is_24h(b_txt)
        opening = _clock(state, a_txt, m.start("dash"), "gen", force_period=both)
        closing = _clock(state, b_txt, end, "gen", force_period=both)
        if opening and closing:
            lead = "" if strip_conj(_word_before(text, start)) == "من" else "من "
            return f"{prefix}{lead}{opening[0]} إلى {closing[0]}", closing[1]
    if not (a_txt.isdigit() and b_txt.isdigit()):
        suffix = ""
        if (pct := _PERCENT_AFTER.match(text, end)) is not None:
            suffix, end = " بالمئة", pct.end()
        return f"{prefix}من {_plain_or_words(a_txt)} إلى {_plain_or_words(b_txt)}{suffix}", end
    if a_txt[0] == "0" or (b_txt[0] == "0" and len(b_txt) > 1) or len(a_txt) >= 7 or len(b_txt) >= 7:
        return prefix + f"{digits_words(a_txt)} {digits_words(b_txt)}", end
    a, b = int(a_txt), int(b_txt)
    if a >= 1000 and len(b_txt) == 2:
        b = a // 100 * 100 + b  # "2011-17" is 2011 to 2017
    before = words_before(text, start)
    prev = strip_conj(before[-1][0]) if before else ""
    case: Case = _decided_case(state, start, prefix) or "nom"
    if 1 <= a <= 31 and 1 <= b <= 31 and (month := _MONTH_AFTER.match(text, end)) is not None:
        tail = "" if month["min"] else " من"
        lead = "" if prev == "من" else "من "
        return f"{prefix}{lead}{ordinal(a, case='gen')} إلى {ordinal(b, case='gen')}{tail}", end
    if a <= 12 and b <= 12 and _DAY_PART_AFTER.match(text, end) is not None:
        # "9-11 صباحا": a span of hours, the part of the day said once after it.
        lead = "" if prev in ("من", "بين") else "من "
        joiner = " و" if prev == "بين" else " إلى "
        return f"{prefix}{lead}{hour_words(a)}{joiner}{hour_words(b)}", end
    if prev not in ("من", "بين") and ((state.sports and a <= 20 and b <= 20) or a >= b):
        gender, construct = counted_noun(state, end)
        first = cardinal_words(a, gender=gender, case=case)
        return f"{prefix}{first} مقابل {cardinal_words(b, gender=gender, case='gen')}", end
    suffix = ""
    unit: Unit | None = None
    if (pct := _PERCENT_AFTER.match(text, end)) is not None:
        suffix, end = " بالمئة", pct.end()
    elif (unit_m := UNIT_AFTER.match(text, end)) is not None:
        unit, end = unit_after(unit_m["unit"]), unit_m.end()
    year_like = 1000 <= a <= 2100 and 1000 <= b <= 2100
    gender, construct = ("m", False) if year_like or suffix else counted_noun(state, end)
    if unit is not None:
        gender = unit.gender
    first = cardinal_words(a, gender=gender, case="gen" if prev != "بين" else case)
    second = (
        counted(b, unit, "gen") if unit else cardinal_words(b, gender=gender, case="gen", construct=construct)
    )
    if prev == "بين":
        return f"{prefix}{first} و{second}{suffix}", end
    lead = "" if prev == "من" else "من "
    return f"{prefix}{lead}{first} إلى {second}{suffix}", end


def _word_before(text: str, start: int) -> str:
    before = words_before(text, start, limit=1)
    return before[-1][0] if before else ""


def _plain_or_words(num: str) -> str:
    parsed = _parse(num, False)
    if parsed is None:
        return _plain_digits(num)
    whole, frac = parsed
    return _say(whole) if frac is None else _decimal_words(whole, frac, "nom")
