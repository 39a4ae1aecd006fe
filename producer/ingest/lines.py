"""What one pasted line is, judged from the line alone: article text or a piece of the web page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from producer.ingest import vocab
from producer.ingest.vocab import key

ARABIC_LETTER = re.compile(r"[\u0621-\u064A\u0671-\u06D3\u06FA-\u06FC]")

# Characters that may follow the last word of a sentence without ending it.
_TRAILING_CLOSERS = "\"'“”„«»‘’)]}* "
_SENTENCE_END = frozenset(".!?؟…:؛")
# Where a label ends and its content starts: "اقرأ أيضا: …", "كتب - …", "عاجل | …".
_LABEL_SEP = re.compile(r"\s*(?::\s*-|[:|\-–—])\s*")
_BREADCRUMB_SEP = re.compile(r"\s[>»›|/\\<«‹]\s|\s?[>›]\s?")
_CAPTION_CREDIT = re.compile(r"[(\[]([^()\[\]]{1,40})[)\]]\s*$")
# "عاجل/ …", "[عاجل] …", "عاجل.. …": a breaking label with any separator; with none ("عاجل …") only
# on a ticker line, not on a sentence, which may open with the word ("عاجل وصل الوفد إلى دمشق.").
_BREAKING_HEAD = re.compile(
    r"[\[(]?\s*(?:"
    + "|".join(
        r"\s+".join(map(re.escape, p.split())) for p in sorted(vocab.BREAKING_PHRASES, key=len, reverse=True)
    )
    + r")(?![^\W\d_])([\s\])/.…:|\-–—]*)"
)


class Kind(Enum):
    TEXT = "text"  # may be article text
    DROP = "drop"  # page furniture on one line
    LIST = "list"  # a related-links label; the short lines after it are links
    TERMINAL = "terminal"  # tags, comments, follow-us, copyright: the article is over
    BREAKING = "breaking"  # "عاجل | …": a ticker on a page, the headline of a channel post


@dataclass(frozen=True)
class Line:
    text: str
    key: str
    words: int
    kind: Kind
    items: int = 0  # for LIST: how many link lines the label may own
    stamp: bool = False  # a byline, dateline or date stamp: what stands right under a headline

    @property
    def sentence(self) -> bool:
        return ends_sentence(self.text)

    @property
    def short(self) -> bool:
        """A menu item or subheading: a few words, no sentence punctuation."""
        return self.words <= 4 and not self.sentence


def ends_sentence(text: str) -> bool:
    stripped = text.rstrip(_TRAILING_CLOSERS)
    return bool(stripped) and stripped[-1] in _SENTENCE_END


def _split_label(text: str) -> tuple[str, str]:
    """(label key, rest) when the line starts with a short label and a separator, else ("", "")."""
    m = _LABEL_SEP.search(text, 0, 60)
    if m is None or m.start() == 0:
        return "", ""
    return key(text[: m.start()]), text[m.end() :].strip()


def _prefixes(words: list[str], longest: int = 4) -> list[str]:
    return [" ".join(words[:n]) for n in range(1, min(longest, len(words)) + 1)]


def _is_number(word: str) -> bool:
    return word.isdigit()


def _missing(words: list[str], vocabulary: frozenset[str]) -> int:
    """How many words are neither in `vocabulary` nor numbers."""
    return sum(1 for w in words if w not in vocabulary and not _is_number(w))


def _all_in(words: list[str], vocabulary: frozenset[str]) -> bool:
    return all(w in vocabulary or _is_number(w) for w in words)


def _contains(k: str, phrases: frozenset[str]) -> bool:
    padded = f" {k} "
    return any(f" {p} " in padded for p in phrases)


_AGENCY_KEYS = frozenset(key(a) for a in vocab.AGENCIES)


def _is_date(words: list[str]) -> bool:
    if not any(w in vocab.DATE_ANCHORS or _is_number(w) for w in words):
        return False
    # "… بتوقيت غزة": the place a time is given in belongs to the stamp.
    words = [w for i, w in enumerate(words) if not (i and words[i - 1] in vocab.TIME_ZONE_WORDS)]
    missing = _missing(words, vocab.DATE_WORDS)
    if missing == 0:
        return True
    # "آخر تحديث: 15 أيلول 2017 بتوقيت دمشق" — a labelled stamp may name a place or two.
    return (
        missing <= 2
        and len(words) <= 14
        and any(_is_number(w) for w in words)
        and any(p in vocab.DATE_HEADS for p in _prefixes(words, 3))
    )


def _is_breadcrumb(text: str) -> bool:
    parts = [p for p in _BREADCRUMB_SEP.split(text) if p.strip()]
    if len(parts) < 2 or any(len(key(p).split()) > 4 or ends_sentence(p) for p in parts):
        return False
    return len(parts) >= 3 or key(parts[0]) in {key("الرئيسية"), key("الصفحة الرئيسية"), "home"}


def _is_caption(text: str, words: list[str], sentence: bool) -> bool:
    stripped = text.strip()
    if stripped[:1] in "([" and stripped[-1:] in ")]" and len(words) <= 15:
        return True  # "(رويترز)", "(الصورة: أرشيف)"
    if sentence:
        return False
    if len(words) <= 15 and any(p in vocab.PHOTO_HEADS for p in _prefixes(words, 4)):
        return True  # "صورة أرشيفية لعناصر …", "مصدر الصورة، Getty Images"
    credit = _CAPTION_CREDIT.search(stripped)
    if credit and len(words) <= 25:
        inside = key(credit.group(1))
        # "عناصر من قسد في ريف دير الزور (رويترز)" — a caption closed by its photo credit.
        return not ARABIC_LETTER.search(credit.group(1)) or _contains(
            inside, _AGENCY_KEYS | vocab.PHOTO_HEADS
        )
    return False


def _is_dateline(text: str, words: list[str], sentence: bool) -> bool:
    """ "دمشق - سانا", "بيروت (رويترز)", "راديو ألوان - غرفة الاخبار", "المدينة نيوز" alone."""
    if sentence or len(words) > 6:
        return False
    k = " ".join(words)
    agencies = [a for a in _AGENCY_KEYS if f" {a} " in f" {k} "]
    if not agencies:
        return False
    rest = len(words) - max(len(a.split()) for a in agencies)
    return rest <= 1 or any(ch in text for ch in "-–—/|([")


def classify(text: str) -> Line:
    k = key(text)
    words = k.split()
    n = len(words)

    def line(kind: Kind, items: int = 0, *, stamp: bool = False) -> Line:
        return Line(text, k, n, kind, items, stamp)

    if not ARABIC_LETTER.search(text):
        return line(Kind.DROP)  # share-button letters, lone numbers, English widget text
    sentence = ends_sentence(text)
    if n <= 25 and _contains(k, vocab.COPYRIGHT):
        return line(Kind.TERMINAL)
    if k in vocab.TERMINAL_LABELS:
        return line(Kind.TERMINAL)
    if k in vocab.LIST_LABELS:
        return line(Kind.LIST, vocab.LIST_ITEMS)
    if n <= 60 and _contains(k, vocab.COOKIE_MARKERS):
        return line(Kind.DROP)
    if n <= 25 and set(words) & vocab.PROMO_MARKERS and _contains(k, vocab.PROMO_TARGETS):
        return line(Kind.DROP)  # "تابعوا آخر الأخبار عبر قناتنا على تلغرام"

    label, rest = _split_label(text)
    if label:
        if label in vocab.BREAKING_LABELS and len(rest.split()) >= 3:
            return Line(rest, key(rest), len(key(rest).split()), Kind.BREAKING)
        if label in vocab.LIST_LABELS and rest:
            return line(Kind.DROP)  # "اقرأ أيضا: عنوان", "عاجل | …"
        if label in vocab.TERMINAL_PREFIXES or label in vocab.TERMINAL_LABELS:
            return line(Kind.TERMINAL)  # "الوسوم: سوريا، روسيا"
        if label in vocab.BYLINE_HEADS and n <= 12 and not text.rstrip().endswith("."):
            return line(Kind.DROP, stamp=True)  # "كتب: فلان", "المصدر: وكالات"
    breaking = _BREAKING_HEAD.match(text)
    if breaking and (breaking.group(1).strip() or not sentence):
        rest = text[breaking.end() :].strip()
        if len(key(rest).split()) >= 3:
            return Line(rest, key(rest), len(key(rest).split()), Kind.BREAKING)
    heads = _prefixes(words, 3)
    if not sentence and n <= 12 and any(p in vocab.TERMINAL_PREFIXES for p in heads):
        return line(Kind.TERMINAL)  # "الوسوم سوريا روسيا قسد"
    if not sentence and n <= 5 and heads[0] in vocab.BYLINE_HEADS:
        return line(Kind.DROP, stamp=True)  # "بقلم أحمد الخطيب"
    if k in vocab.UI_LABELS:
        return line(Kind.DROP)
    if n <= 20 and _all_in(words, vocab.SOCIAL_WORDS):
        return line(Kind.DROP)  # "شارك الخبر فيسبوك تويتر واتساب", "تكبير الخط"
    if n <= 20 and _is_date(words):
        return line(Kind.DROP, stamp=True)  # "آخر تحديث: …", "منذ 3 ساعات", "الجمعة 15 أيلول 2017"
    if (
        n <= 6
        and _all_in(words, vocab.COUNTER_WORDS)
        and any(_is_number(w) for w in words)
        and any(not _is_number(w) for w in words)
    ):
        return line(Kind.DROP)  # "123 مشاهدة"
    if _is_dateline(text, words, sentence):
        return line(Kind.DROP, stamp=True)
    if _is_caption(text, words, sentence):
        return line(Kind.DROP)
    if not sentence and n <= 24 and _is_breadcrumb(text):
        return line(Kind.DROP)  # "الرئيسية > أخبار > سوريا"
    return line(Kind.TEXT)
