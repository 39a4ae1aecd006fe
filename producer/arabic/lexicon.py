"""The station's pronunciation lexicon: a word (or a `re:` regular expression) → what is said.

Written as plain UTF-8 TSV, one entry a line: `pattern<TAB>replacement`; `#` starts a comment line
(the shipped lexicon, imports and exports; a station's own lexicon lives in the database, as rows).
Comments are kept: those above an entry are its note (comments after the last entry join its note),
so an editor's explanations survive a save, an import and an export.
A plain pattern matches whole words only, also behind the clitic prefixes و ف ب ل ك ال (and their
combinations: وب, فال, لل …), which are kept: with "قسد → قَسَد", "وقسد" becomes "وقَسَد"; with
"UN → الأمم المتحدة", "لـUN" becomes "للأمم المتحدة". A `re:` pattern is a Python regular
expression applied as written; its replacement may use \\1-style groups. Patterns run under a
time limit (the `regex` module's timeout), so one that backtracks catastrophically fails with a
clear error — when it is added, on probe texts, or at the latest on the text that trips it —
instead of hanging a render.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

import regex

from producer.arabic.normalize import WORD_CHARS, join_prefix
from producer.errors import InputError

REGEX_PREFIX = "re:"
_SECONDS_PER_PATTERN = 1.0  # a sane pattern takes microseconds on a paragraph
# Texts on which a backtracking pattern shows itself when it is added: long runs of one letter,
# digit or space with something at the end that no run matches.
_PROBES = tuple(run * 40 + end for run in ("ا", "1", " ", "اب ", "a") for end in ("!", "؟", ""))
_PROBE_SECONDS = 0.2

# What one entry and one application may do to a text's length: a spoken form is a phrase, a
# `re:` replacement at most GROWTH characters per character its pattern must match (and at most two
# group references), and every application ends within GROWTH × the input (plus a margin).
MAX_PATTERN = 300
MAX_REPLACEMENT = 200
MAX_GROUP_REFS = 2
GROWTH = 10
_MARGIN = 1000
MAX_NOTE = 2000  # characters of the comments kept with one entry
MAX_ENTRIES = 20_000
MAX_REGEX_ENTRIES = 300
_GROUP_REF = re.compile(r"\\(?:\d{1,2}|g<\w+>)")

_PREFIX = "[وف]?(?:لل|[بك]?ال|[بكل])?"
_TATWEEL = "\u0640"


@dataclass(frozen=True)
class LexiconEntry:
    pattern: str
    replacement: str
    note: str = ""  # the comment lines above the entry, as written (each starting with #)

    @property
    def is_regex(self) -> bool:
        return self.pattern.startswith(REGEX_PREFIX)


def _validate(pattern: str, replacement: str) -> None:
    for field in (pattern, replacement):
        if "\t" in field or "\n" in field or "\r" in field:
            raise InputError("a lexicon entry cannot contain a tab or a line break.")
    if not pattern.strip() or pattern == REGEX_PREFIX:
        raise InputError("a lexicon entry needs a word or a re: pattern.")
    if len(pattern) > MAX_PATTERN or len(replacement) > MAX_REPLACEMENT:
        raise InputError(
            f"a lexicon entry is at most {MAX_PATTERN} characters, its spoken form at most {MAX_REPLACEMENT}."
        )
    if pattern.startswith(REGEX_PREFIX):
        try:
            compiled = regex.compile(pattern[len(REGEX_PREFIX) :], regex.VERSION0)
        except regex.error as exc:
            raise InputError(
                f"the lexicon pattern {pattern!r} is not a valid regular expression: {exc}."
            ) from exc
        try:
            for probe in _PROBES:
                if any(m.start() == m.end() for m in compiled.finditer(probe, timeout=_PROBE_SECONDS)):
                    raise InputError(_multiplies(pattern, "it can match empty text"))
        except TimeoutError as exc:
            raise InputError(_too_slow(pattern)) from exc
        _check_growth(pattern, replacement)


def _min_width(pattern: str) -> int | None:
    """The fewest characters the pattern can match; None when Python's parser cannot tell (the
    `regex` module's own syntax, such as \\p{Arabic})."""
    import re._parser as sre_parse  # the standard library's own width analysis

    try:
        return int(sre_parse.parse(pattern).getwidth()[0])
    except (re.error, OverflowError, RecursionError, ValueError):
        return None


def _check_growth(pattern: str, replacement: str) -> None:
    width = _min_width(pattern[len(REGEX_PREFIX) :])
    if width == 0:
        raise InputError(_multiplies(pattern, "it can match empty text"))
    refs = len(_GROUP_REF.findall(replacement))
    literal = len(_GROUP_REF.sub("", replacement))
    if refs > MAX_GROUP_REFS:
        raise InputError(_multiplies(pattern, f"its replacement repeats groups {refs} times"))
    if literal > GROWTH * (width or 1):
        raise InputError(_multiplies(pattern, "its replacement is much longer than what it matches"))


def _multiplies(pattern: str, why: str) -> str:
    return f"the lexicon pattern {pattern!r} could multiply the text ({why}); make it match more."


def _too_slow(pattern: str) -> str:
    return f"the lexicon pattern {pattern!r} backtracks without end on some texts; write it more simply."


class Lexicon:
    """An ordered, editable set of entries; `apply` rewrites text with them."""

    def __init__(self, entries: Iterable[LexiconEntry] = ()) -> None:
        self._entries: dict[str, LexiconEntry] = {}
        self._matchers: _Matchers | None = None
        for entry in entries:
            self.add(entry.pattern, entry.replacement, entry.note)

    @classmethod
    def default(cls) -> Lexicon:
        """The shipped entries: common news abbreviations and names."""
        text = resources.files("producer.arabic").joinpath("default_lexicon.tsv").read_text(encoding="utf-8")
        return cls(parse_lexicon(text, source="the shipped lexicon"))

    def __getstate__(self) -> dict[str, object]:
        # Sent to a render process as its entries; the matchers are compiled again there.
        return {"_entries": self._entries, "_matchers": None}

    def add(self, pattern: str, replacement: str, note: str = "") -> None:
        """Add an entry, or replace the one with the same pattern (keeping its note unless given)."""
        _validate(pattern, replacement)
        if len(note) > MAX_NOTE:
            raise InputError(
                f"the comments above the lexicon entry {pattern!r} exceed {MAX_NOTE} characters."
            )
        if pattern not in self._entries:
            if len(self._entries) >= MAX_ENTRIES:
                raise InputError(f"the lexicon holds {MAX_ENTRIES:,} entries, the most it may.")
            if pattern.startswith(REGEX_PREFIX) and sum(e.is_regex for e in self._entries.values()) >= (
                MAX_REGEX_ENTRIES
            ):
                raise InputError(f"the lexicon holds {MAX_REGEX_ENTRIES} re: patterns, the most it may.")
        kept = self._entries.get(pattern)
        self._entries[pattern] = LexiconEntry(pattern, replacement, note or (kept.note if kept else ""))
        self._matchers = None

    def remove(self, pattern: str) -> bool:
        """Remove the entry with this pattern; False when there was none."""
        found = self._entries.pop(pattern, None) is not None
        self._matchers = None
        return found

    def entries(self) -> list[LexiconEntry]:
        return list(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def apply(self, text: str) -> str:
        """Replace every entry's matches: words first (longest first), then `re:` patterns in order."""
        if self._matchers is None:
            self._matchers = _compile(self._entries.values())
        words, spoken, regexes = self._matchers
        # Every step stays within GROWTH × the input: entries that each grow the text a little
        # cannot chain into megabytes.
        limit = GROWTH * len(text) + _MARGIN
        if words is not None:
            text = _bounded(words.sub(lambda m: self._replace_word(m, spoken), text), limit, "")
        for pattern, compiled, replacement in regexes:
            try:
                text = _bounded(compiled.sub(replacement, text, timeout=_SECONDS_PER_PATTERN), limit, pattern)
            except TimeoutError as exc:
                raise InputError(_too_slow(REGEX_PREFIX + pattern)) from exc
        return text

    @staticmethod
    def _replace_word(match: re.Match[str], spoken: dict[str, str]) -> str:
        prefix, word = match["pre"], match["word"]
        if word not in spoken:
            # An article-less alias ("لأمم" of "الأمم") only stands after a prefix ending in ل.
            if not prefix.endswith("ل"):
                return match[0]
            return prefix[:-1] + join_prefix("ل", spoken["ا" + word])
        return join_prefix(prefix, spoken[word])


def _bounded(text: str, limit: int, pattern: str) -> str:
    if len(text) > limit:
        culprit = f" (at the pattern {REGEX_PREFIX + pattern!r})" if pattern else ""
        raise InputError(f"the lexicon makes this text more than {GROWTH} times longer{culprit}.")
    return text


_Matchers = tuple[re.Pattern[str] | None, dict[str, str], list[tuple[str, regex.Pattern[str], str]]]


def _compile(entries: Iterable[LexiconEntry]) -> _Matchers:
    """One alternation for all plain words (fast on long lexicons), one pattern per `re:` entry."""
    entries = list(entries)
    spoken = {e.pattern: e.replacement for e in entries if not e.is_regex}
    keys = set(spoken) | {w[1:] for w in spoken if w.startswith("ال")}
    words = None
    if keys:
        alternation = "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))
        words = re.compile(
            f"(?<![{WORD_CHARS}])(?P<pre>{_PREFIX}){_TATWEEL}?(?P<word>{alternation})(?![{WORD_CHARS}])"
        )
    regexes = [
        (
            e.pattern[len(REGEX_PREFIX) :],
            regex.compile(e.pattern[len(REGEX_PREFIX) :], regex.VERSION0),
            e.replacement,
        )
        for e in entries
        if e.is_regex
    ]
    return words, spoken, regexes


def parse_lexicon(text: str, *, source: str) -> list[LexiconEntry]:
    """The entries of a TSV text, each with the comment lines above it as its note."""
    entries: list[LexiconEntry] = []
    comments: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if line.lstrip().startswith("#"):
            comments.append(line.strip())
            continue
        fields = line.split("\t")
        if len(fields) != 2 or not fields[0].strip():
            raise InputError(f"line {number} of {source} is not 'word<TAB>spoken form'.")
        pattern, replacement = fields[0].strip(), fields[1].strip()
        _validate(pattern, replacement)
        entries.append(LexiconEntry(pattern, replacement, "\n".join(comments)))
        comments = []
    if comments and entries:
        last = entries[-1]
        entries[-1] = LexiconEntry(
            last.pattern, last.replacement, "\n".join([last.note, *comments]).strip("\n")
        )
    return entries


def format_lexicon(entries: Iterable[LexiconEntry]) -> str:
    """The entries as TSV text, each after its note (a blank line before a note that is not the
    text's first line), which parse_lexicon reads back."""
    lines: list[str] = []
    for entry in entries:
        if entry.note:
            lines.extend(["", entry.note] if lines else [entry.note])
        lines.append(f"{entry.pattern}\t{entry.replacement}")
    return "".join(f"{line}\n" for line in lines)
