"""What tells the headline among the short lines above an article, and its text without the site.

- `about`: whether the lead paragraph is about a line, from the share of the line's content words
  (Snowball's Arabic stemmer, so "أطلقت"/"اطلق" and "الحملة"/"بحملة" meet) found in the lead. Tickers,
  most-read lists, site and section names share almost nothing with the article below them.
- `without_site_name`: page titles carry the site, and often the section, after " - ", " | " or " — "
  ("… | سياسة | تلفزيون سوريا"). A trailing part of four words or fewer is cut
  when it names a site (a known agency, or a word such as نت، نيوز، شبكة), stands elsewhere on the
  page as a short line or part of one (the site's name in the header, a section in the menu, "المدن -
  عرب وعالم"), or is page furniture by itself: a date, a dateline, a media label ("فيديو"، "صور").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import snowballstemmer

from producer.ingest import vocab
from producer.ingest.lines import ARABIC_LETTER, Kind, Line, classify
from producer.ingest.vocab import key

ABOUT_MIN_SHARE = 0.25  # headlines on our pages share 0.29–1.0 (or nothing: found otherwise), tickers ≤ 0.11
ABOUT_MIN_WORDS = 2
SITE_NAME_WORDS = 4  # "بي بي سي نيوز عربي" is the longest site name a title carries
_TAIL = re.compile(r"\s+[-|–—]\s+([^|\-–—]+)$")
_PARTS = re.compile(r"[-|–—/:()\[\]]")
_AGENCY_KEYS = frozenset(key(a) for a in vocab.AGENCIES)
_WORD = re.compile(r"[^\W_]+")
_STEMMER = snowballstemmer.stemmer("arabic")


@lru_cache(maxsize=8192)
def _stem(word: str) -> str:
    return _STEMMER.stemWord(word)


def _content(text: str) -> set[str]:
    # Stemmed as written (the stemmer reads ة and ى), compared folded.
    bare = "".join(ch for ch in text if not unicodedata.combining(ch))
    return {key(_stem(w)) for w in _WORD.findall(bare) if key(w) not in vocab.FUNCTION_WORDS}


def about(line: str, lead: str) -> bool:
    """Whether the lead paragraph is about the line: it uses a good share of the line's content words
    (stemmed), and more than one, since one shared word ("سوريا") is chance."""
    words = _content(line)
    shared = len(words & _content(lead))
    return shared >= ABOUT_MIN_WORDS and shared >= ABOUT_MIN_SHARE * len(words)


def names_site(k: str) -> bool:
    """Whether a folded key of four words or fewer names a news site: a known one, or by its words."""
    words = k.split()
    if not 0 < len(words) <= SITE_NAME_WORDS:
        return False
    return k in _AGENCY_KEYS or any(w in vocab.SITE_WORDS for w in words)


def page_names(lines: Iterable[Line]) -> dict[str, set[str]]:
    """Names standing on the page: each short line, and each part of one ("المدن - عرب وعالم" gives
    the site and the section), mapped to the keys of the lines they stand in. A dateline's place
    ("اللاذقية - سانا") is no name: a title may well end in a place ("خط حلب - اللاذقية")."""
    names: dict[str, set[str]] = {}
    for line in lines:
        if line.kind is Kind.BREAKING or not 0 < line.words <= 6:
            continue
        parts = [line.key] if line.stamp else [line.key, *(key(p) for p in _PARTS.split(line.text))]
        for part in parts:
            if part:
                names.setdefault(part, set()).add(line.key)
    return names


def without_site_name(text: str, names: dict[str, set[str]], min_words: int) -> str:
    """The title without trailing site and section names; `names` comes from `page_names`."""
    own = key(text)
    for _ in range(3):  # title | section | site
        m = _TAIL.search(text)
        if m is None:
            break
        part = m.group(1)
        tail = key(part)
        if not tail or len(tail.split()) > SITE_NAME_WORDS or len(key(text[: m.start()]).split()) < min_words:
            break
        furniture = bool(ARABIC_LETTER.search(part)) and classify(part).kind is Kind.DROP
        if not (furniture or names_site(tail) or names.get(tail, set()) - {own}):
            break  # the title's own copies are no evidence of a site name
        text = text[: m.start()].rstrip()
    return text
