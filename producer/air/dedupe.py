"""One story once: the same article by URL, and the same news from two sources by its text.

URLs are compared in a canonical form (no fragment, no tracking parameters, host in lower case,
no trailing slash). Texts are compared on a folded form of the headline and first paragraph
(no diacritics or tatweel, one alef, ta marbuta as ha, alef maqsura as ya) with rapidfuzz's
token-set ratio, which is indifferent to word order and to one text holding more than the other:
two agencies' wording of one event scores high, two events in one place score low.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from producer.models import Story

NEAR_DUPLICATE = 80.0  # token-set ratio (0-100) from which two stories are the same news
_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|mc_[a-z]+|ref|amp)$", re.IGNORECASE)
_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u0640]")
_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي"})
_PUNCT = re.compile(r"[^\w\s]")


def canonical_url(url: str) -> str:
    parts = urlsplit(url.strip())
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
    )
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, ""))


def fingerprint(story: Story) -> str:
    """The folded headline and lead that near-duplicates are judged on."""
    lead = story.paragraphs[0] if story.paragraphs else ""
    text = _MARKS.sub("", f"{story.headline} {lead}").translate(_FOLD)
    return " ".join(_PUNCT.sub(" ", text).split())


def same_news(a: str, b: str, *, threshold: float = NEAR_DUPLICATE) -> bool:
    """Whether two fingerprints tell the same news."""
    from rapidfuzz import fuzz

    return fuzz.token_set_ratio(a, b, score_cutoff=threshold) > 0


def first_match(candidate: str, known: Iterable[tuple[int, str]]) -> int | None:
    """The id of the first known fingerprint telling the same news as `candidate`, if any."""
    return next((ident for ident, text in known if same_news(candidate, text)), None)
