"""Character-level normalization before reading: one digit set, one percent sign, no stray symbols.

Only characters that are not read are touched; letters, diacritics, spacing and punctuation
(which engines pause on) stay as they are, so text without digits or symbols passes unchanged.
"""

from __future__ import annotations

import re

# Characters that continue a word: Arabic letters, marks and tatweel, Latin letters, digits.
WORD_CHARS = "0-9A-Za-z\u00c0-\u024f\u0621-\u063a\u0640-\u065f\u066e-\u06d3\u06d5\u06fa-\u06ff\u0670"

# Eastern Arabic and Persian digits → ASCII; Arabic decimal/thousands separators and percent sign.
_CHAR_MAP = str.maketrans(
    {
        **{chr(0x0660 + i): str(i) for i in range(10)},
        **{chr(0x06F0 + i): str(i) for i in range(10)},
        "\u066b": ".",  # ARABIC DECIMAL SEPARATOR
        "\u066c": ",",  # ARABIC THOUSANDS SEPARATOR
        "\u066a": "%",  # ARABIC PERCENT SIGN
        "\u2212": "-",  # MINUS SIGN
    }
)

# Symbols a newsreader does not say: bullets, markup leftovers, decoration.
# The look-behind starts a match only at the first blank of a run (linear time on long blank runs).
_STRAY = re.compile(r"(?<![ \t])[ \t]*(?:[#*|•·▪▫►◄▶◀■□●○◆◇★☆✓✔✗✘➤➢→←↑↓⇒⇐~^_\\`{}<>=]+[ \t]*)+")
# "أيلول/سبتمبر": a slash between two words is said as a pause-less join.
_WORD_SLASH = re.compile(r"(?<=[\u0621-\u064a])\s*/\s*(?=[\u0621-\u064a])")
# Vulgar fractions: after a digit they are a decimal part, alone they are a word.
_GLUED_FRACTION = re.compile(r"(?<=\d)([½¼¾])")
_FRACTION_DECIMAL = {"½": ".5", "¼": ".25", "¾": ".75"}
_FRACTION_WORD = str.maketrans({"½": "نصف", "¼": "ربع", "¾": "ثلاثة أرباع"})
# "%25" (the sign typed before the number in right-to-left text) → "25%".
_PERCENT_BEFORE = re.compile(r"(?<![\d%])(?<!\d )%\s?(\d+(?:[.,]\d+)?)(?![\d%])")
# "ب 61": a clitic typed apart from its number is read with it ("بواحد وستين").
_LONE_CLITIC = re.compile(rf"(?<![{WORD_CHARS}])([وفبلك]) (?=\d)")
_AMPERSAND = re.compile(r"(?<=[\u0621-\u064a]) & (?=[\u0621-\u064a])")


def _stray(match: re.Match[str]) -> str:
    at_edge = match.start() == 0 or match.end() == len(match.string)
    return "" if at_edge else " "


def normalize_line(line: str) -> str:
    line = line.translate(_CHAR_MAP)
    line = _GLUED_FRACTION.sub(lambda m: _FRACTION_DECIMAL[m[1]], line).translate(_FRACTION_WORD)
    line = _STRAY.sub(_stray, line)
    line = _PERCENT_BEFORE.sub(r"\1%", line)
    line = _LONE_CLITIC.sub(r"\1", line)
    line = _WORD_SLASH.sub(" ", line)
    return _AMPERSAND.sub(" و", line)


def join_prefix(prefix: str, spoken: str) -> str:
    """Attach the clitic prefix the text had to the spoken form, merging the article: ل+ال → لل."""
    if spoken.startswith("ال"):
        if prefix.endswith("ال"):
            prefix = prefix[:-2]
        elif prefix.endswith("ل"):
            return prefix + spoken[1:]
    return prefix + spoken
