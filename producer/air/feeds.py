"""What a source yields: the items of an RSS/Atom feed, or one article page, as cleaned stories.

Pure functions over fetched bytes: feedparser reads the feed (RSS 0.9x-2.0, Atom), trafilatura
finds an article page's main text, and the existing cleaner (`producer.ingest.clean`) takes the
result to the headline and paragraphs a newsreader reads. A feed item's own content is used when
it is the whole article; a teaser ("…", "اقرأ المزيد", a few dozen words) means the page must be
fetched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from producer.errors import InputError
from producer.ingest import clean, extract_text
from producer.models import Story

# Fewer words than this is a teaser, not an article.
_COMPLETE_WORDS = 60
_TEASER_END = re.compile(r"(\.\.\.|…|\[…\]|\[\.\.\.\]|اقرأ المزيد|تابع القراءة|المزيد)\s*\W*$")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class FeedItem:
    url: str
    title: str
    content: str  # the item's own text (content:encoded, else its summary), markup removed
    published: datetime | None


@dataclass(frozen=True)
class SourceArticle:
    """A story as a source gave it, before deduplication."""

    url: str
    story: Story
    published: datetime | None


def parse_feed(data: bytes, base_url: str) -> list[FeedItem]:
    """The items of an RSS or Atom document, newest first as the feed lists them."""
    import feedparser

    parsed = feedparser.parse(data, response_headers={"content-location": base_url})
    if not parsed.entries and (parsed.bozo or not parsed.feed):
        raise InputError(f"{base_url} is not an RSS or Atom feed")
    items = []
    for entry in parsed.entries:
        url = entry.get("link") or entry.get("id") or ""
        title = _plain(entry.get("title", ""))
        if not url or not title:
            continue
        html = next((c.get("value", "") for c in entry.get("content", []) if c.get("value")), "")
        content = _html_to_text(html or entry.get("summary", ""))
        items.append(FeedItem(url, title, content, _when(entry)))
    return items


def is_complete(item: FeedItem) -> bool:
    """Whether the item's own content is the article, not a teaser pointing at the page."""
    words = len(_WORD.findall(item.content))
    return words >= _COMPLETE_WORDS and not _TEASER_END.search(item.content)


def article_from_item(item: FeedItem) -> SourceArticle:
    return SourceArticle(item.url, clean(f"{item.title}\n\n{item.content}"), item.published)


def article_from_page(html: bytes, url: str, *, published: datetime | None = None) -> SourceArticle:
    """The main text of an article page (trafilatura), through the cleaner."""
    import trafilatura

    text = trafilatura.extract(
        html, url=url, include_comments=False, include_tables=False, favor_precision=True
    )
    meta = trafilatura.extract_metadata(html, default_url=url)
    title = meta.title if meta is not None and meta.title else ""
    if not text:
        raise InputError(f"no article text was found at {url}")
    return SourceArticle(url, clean(f"{title}\n\n{text}" if title else text), published)


def _html_to_text(fragment: str) -> str:
    if "<" not in fragment:
        return fragment.strip()
    return extract_text(f"<html><body>{fragment}</body></html>".encode(), "item.html")


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", _html_to_text(text)).strip()


def _when(entry: dict) -> datetime | None:  # type: ignore[type-arg]
    for field in ("published_parsed", "updated_parsed"):
        value = entry.get(field)
        if value:
            year, month, day, hour, minute, second = value[:6]
            return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    return None
