"""Character-level repairs of pasted text: one line in, one line out, no words changed.

Everything here is a single left-to-right pass or a regex without nested quantifiers, so the cost is
linear in the length of the line.
"""

from __future__ import annotations

import re
import unicodedata

from producer.ingest.vocab import char_class


def _presentation_forms() -> dict[int, str]:
    # Arabic presentation forms (FB50–FDFF, FE70–FEFF) fold to base letters with NFKC; the rest of
    # the text is kept exactly as written, so NFKC is applied to these code points only.
    table: dict[int, str] = {}
    for block in (range(0xFB50, 0xFE00), range(0xFE70, 0xFF00)):
        for cp in block:
            folded = unicodedata.normalize("NFKC", chr(cp))
            if folded != chr(cp):
                table[cp] = folded
    return table


def _build_table() -> dict[int, str | None]:
    table: dict[int, str | None] = dict(_presentation_forms())
    # Persian and Urdu letter variants that Arabic keyboards and some CMSs emit.
    table.update({0x06CC: "ي", 0x06A9: "ك", 0x06AA: "ك"})
    # Look-alikes of the vertical bar that sites use as separators ("نشر في … ǀ آخر تحديث …").
    table.update(dict.fromkeys([0x01C0, 0x2223, 0x2502, 0xFF5C, 0x05C0], "|"))
    invisible = [
        *range(0x0000, 0x0009),
        0x000B,
        0x000C,
        *range(0x000E, 0x0020),
        0x007F,
        *range(0x0080, 0x00A0),
        0x00AD,
        0x034F,
        0x061C,
        0x180E,
        *range(0x200B, 0x2010),
        *range(0x202A, 0x202F),
        *range(0x2060, 0x2070),
        0xFEFF,
        *range(0xFE00, 0xFE10),
        0xFFFD,
        0x20E3,
        *range(0xE0000, 0xE0080),
    ]
    table.update(dict.fromkeys(invisible))
    spaces = [0x0009, 0x00A0, 0x1680, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000]
    table.update(dict.fromkeys(spaces, " "))
    # Emoji and pictographs are not read aloud; ©, ® and ™ neither.
    pictographs = [
        *range(0x1F000, 0x1FB00),
        *range(0x2600, 0x27C0),
        *range(0x2B00, 0x2C00),
        *range(0x2300, 0x2400),
        *range(0x2190, 0x2200),
        *range(0x25A0, 0x2600),
        0x3030,
        0x303D,
        0x3297,
        0x3299,
        0x00A9,
        0x00AE,
        0x2122,
    ]
    table.update(dict.fromkeys(pictographs))
    return table


_TABLE = _build_table()
# Most lines need no translation; finding that out with one regex scan is cheaper than translating.
_NEEDS_TABLE = re.compile(char_class(_TABLE))

# Tatweel stretches a word for looks; it is dropped, except right after a one-letter prefix or
# abbreviation standing before a non-letter ("لـ«تنظيم»", "1445 هـ", "بـ2017"), where it marks the
# letter as detached.
_TATWEEL_KEPT = re.compile(r"(?<![^\W\d_])([^\W\d_])ـ+(?=[^\w]|\d|[A-Za-z]|$)")
_TATWEEL = re.compile(r"ـ+")
# A tatweel standing alone between spaces is a dash ("لندن ـ «القدس العربي»").
_TATWEEL_DASH = re.compile(r"(?:(?<=\s)|^)ـ+(?=\s)")
_TATWEEL_MARK = "\ue000"

_URL = re.compile(
    r"(?:https?://|ftp://|www\.)\S+"
    r"|(?<![\w.@-])(?:[A-Za-z0-9-]+\.)+(?:com|net|org|info|news|gov|edu|int|tv|io|co|me|online|site|"
    r"sy|ae|sa|eg|ma|jo|lb|iq|qa|kw|om|bh|ps|ly|tn|dz|sd|ye|tr|uk|fr|de|ru|us)\b(?:/\S*)?",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_LATIN = re.compile(r"[A-Za-z0-9]")
_MENTION = re.compile(r"(?<!\w)@\w+")
# Hashtags closing a line (after the last sentence) are a tag list; inside a sentence the word stays.
_TAG_WORD = re.compile(r"\w+")
_HASHTAG = re.compile(r"#(\w+)")
_SPACES = re.compile(r" {2,}")
_BULLET = re.compile(r"^\s*(?:[•·▪●◦∙*]+\s*|[-–—]+\s+)")


def normalize_chars(line: str) -> str:
    """Presentation forms, Persian letters, invisible marks, spaces, emoji and tatweel."""
    if _NEEDS_TABLE.search(line):
        line = line.translate(_TABLE)
    if "ـ" in line:
        line = _TATWEEL_DASH.sub("-", line)
        line = _TATWEEL_KEPT.sub(lambda m: m.group(1) + _TATWEEL_MARK, line)
        line = _TATWEEL.sub("", line).replace(_TATWEEL_MARK, "ـ")
    return line


def strip_links(line: str) -> str:
    """Remove URLs, e-mail addresses, @mentions and trailing hashtag lists; unwrap inline hashtags."""
    if _LATIN.search(line):  # links and addresses are written in Latin letters
        line = _URL.sub(" ", line)
        line = _EMAIL.sub(" ", line)
        line = _MENTION.sub(" ", line)
    if "#" in line:
        line = _without_trailing_hashtags(line)
        line = _HASHTAG.sub(lambda m: m.group(1).replace("_", " "), line)
    return line


def _without_trailing_hashtags(line: str) -> str:
    # Peeled from the right one tag at a time, by index: a regex for "hashtags up to the end"
    # backtracks quadratically on a long run of hashtags that is not at the end.
    end = len(line)
    while True:
        stop = end
        while stop and line[stop - 1].isspace():
            stop -= 1
        mark = line.rfind("#", 0, stop)
        if mark < 0 or not _TAG_WORD.fullmatch(line, mark + 1, stop):
            return line[:end]
        end = mark


def squeeze(line: str) -> str:
    """Single spaces, no list bullet in front."""
    return _BULLET.sub("", _SPACES.sub(" ", line)).strip()


# --- quotes -------------------------------------------------------------------------------------

_QUOTES = frozenset("\"“”„‟«»‘’‚‛‹›'`")
_SINGLE = frozenset("‘’‚‛‹›'`")
_QUOTE_MARK = re.compile("[" + re.escape("".join(sorted(_QUOTES))) + "]")
OPEN, CLOSE = "«", "»"
# One-letter prefixes that attach to a quoted word without a space ("و«منطقة»", "لـ«تنظيم»").
_PREFIX_LETTERS = frozenset("وفبلكس")
_CLOSERS_AFTER = frozenset(".,،؛;:!?؟…)]}-–—")


def _is_word(ch: str) -> bool:
    return ch.isalnum() or unicodedata.combining(ch) > 0 or ch == "ـ"


def _between_words(line: str, i: int) -> bool:
    return 0 < i < len(line) - 1 and _is_word(line[i - 1]) and _is_word(line[i + 1])


def _glued_prefix(line: str, pos: int) -> bool:
    """True when the word before `pos` is a one- or two-letter prefix such as و، ل، لـ، ول."""
    start = pos
    while start > 0 and _is_word(line[start - 1]):
        start -= 1
    word = line[start:pos].rstrip("ـ")
    return 0 < len(word) <= 2 and all(ch in _PREFIX_LETTERS for ch in word)


def normalize_quotes(line: str) -> str:
    """All quote marks become «…», paired by context; unpaired marks are dropped.

    «» are unambiguous for editors and silent for the engine. A mark is an opener when a word
    follows it and none precedes it, a closer in the mirror case; a mark glued on both sides (or on
    neither) closes an open quote, else opens one. Apostrophes inside words stay as written.
    """
    marks = [
        m.start()
        for m in _QUOTE_MARK.finditer(line)
        if not (m.group() in _SINGLE and _between_words(line, m.start()))  # an apostrophe: O'Brien
    ]
    if not marks:
        return line

    role: dict[int, str] = {}
    stack: list[int] = []
    for i in marks:
        before = line[i - 1] if i else " "
        after = line[i + 1] if i + 1 < len(line) else " "
        left_open = before.isspace() or before in "([{" or before in _QUOTES or _glued_prefix(line, i)
        right_open = after.isspace() or after in _CLOSERS_AFTER or after in _QUOTES
        if left_open and not right_open:
            opens = True
        elif right_open and not left_open:
            opens = False
        else:
            opens = not stack
        if opens:
            stack.append(i)
        elif stack:
            role[stack.pop()] = OPEN
            role[i] = CLOSE
    # Marks left in `stack` or never matched get no role and are dropped.

    out: list[str] = []
    last = ""  # the last character written
    prev = 0
    for i in [*marks, len(line)]:
        segment = line[prev:i]
        if last == OPEN:
            segment = segment.lstrip(" ")  # no space just inside an opening quote
        if last == CLOSE and segment and _is_word(segment[0]):
            segment = " " + segment  # a closing quote glued to the next word
        if segment:
            out.append(segment)
            last = segment[-1]
        prev = i + 1
        if i == len(line):
            break
        r = role.get(i)
        if r is None:
            # An unpaired mark is dropped; between two words it leaves their space.
            if last and _is_word(last) and _between_words(line, i):
                out.append(" ")
                last = " "
            continue
        if r == OPEN:
            if last and _is_word(last) and not _glued_prefix(line, i):
                out.append(" ")  # "القياديين“أبو" → "القياديين «أبو"
        else:
            while out and out[-1].endswith(" "):
                out[-1] = out[-1].rstrip(" ")
                if not out[-1]:
                    out.pop()
        out.append(r)
        last = r
    return "".join(out)


# --- punctuation spacing ----------------------------------------------------------------------------

_SPACE_BEFORE_PUNCT = re.compile(r" +([،؛؟!?.,;:)\]}»…])")
_SPACE_AFTER_OPEN = re.compile(r"([(\[{«]) +")
_NO_SPACE_AFTER = re.compile(r"([،؛؟])(?=[^\W\d_])")


def fix_punctuation(line: str) -> str:
    """No space before punctuation or after an opening bracket; a space after ، ؛ ؟ before a word."""
    line = _SPACE_BEFORE_PUNCT.sub(r"\1", line)
    line = _SPACE_AFTER_OPEN.sub(r"\1", line)
    return _NO_SPACE_AFTER.sub(r"\1 ", line)
