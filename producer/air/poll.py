"""Polling sources: fetch what changed, read it into stories, keep each news item once.

The edge between the network and the database: `poll` fetches one source with its last ETag and
Last-Modified (an unchanged feed costs one 304), reads a feed's complete items from the feed and
fetches the page of each teaser it has not seen, and stores the articles (see store.air). A
source that fails keeps its error, shown in the source list, until a fetch succeeds; one broken
article page does not fail its feed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy import select

from producer.air.feeds import (
    FeedItem,
    SourceArticle,
    article_from_item,
    article_from_page,
    is_complete,
    parse_feed,
)
from producer.air.fetch import DEFAULT_LIMITS, FetchLimits, fetch
from producer.errors import InputError, ProducerError
from producer.store.air import Article, Source, SourceKind, Stored, store_articles, url_key
from producer.store.db import Database

MAX_ITEMS = 50  # newest items read from one feed
MAX_PAGES = 20  # article pages fetched for teasers in one poll


@dataclass(frozen=True)
class Polled:
    source: str
    stored: Stored
    unchanged: bool = False
    error: str | None = None


def detect_kind(
    url: str, *, limits: FetchLimits = DEFAULT_LIMITS, transport: httpx.BaseTransport | None = None
) -> SourceKind:
    """A feed if the URL serves RSS or Atom, else an article page with text in it."""
    fetched = fetch(url, limits=limits, transport=transport)
    if fetched is None:
        raise InputError(f"{url} answered 'not modified' to a first request")
    try:
        parse_feed(fetched.body, fetched.url)
        return SourceKind.FEED
    except InputError:
        article_from_page(fetched.body, fetched.url)
        return SourceKind.PAGE


def poll(
    database: Database,
    source_id: int,
    *,
    now: datetime,
    limits: FetchLimits = DEFAULT_LIMITS,
    transport: httpx.BaseTransport | None = None,
) -> Polled:
    with database.read() as s:
        source = s.get(Source, source_id)
        if source is None:
            raise InputError(f"there is no source {source_id}")
        name, url, kind = source.name, source.url, source.kind
        etag, modified = source.etag, source.last_modified
    articles: list[SourceArticle] = []
    item_error: str | None = None
    try:
        fetched = fetch(url, etag=etag, last_modified=modified, limits=limits, transport=transport)
        if fetched is not None and kind == SourceKind.FEED:
            items = parse_feed(fetched.body, fetched.url)[:MAX_ITEMS]
            articles += [article_from_item(item) for item in items if is_complete(item)]
            for item in _unseen_teasers(database, items):
                try:
                    page = fetch(item.url, limits=limits, transport=transport)
                    if page is not None:
                        articles.append(article_from_page(page.body, page.url, published=item.published))
                except ProducerError as exc:
                    item_error = str(exc)
        elif fetched is not None:
            articles.append(article_from_page(fetched.body, fetched.url))
    except ProducerError as exc:
        with database.write() as s:
            row = s.get(Source, source_id)
            if row is not None:
                row.error, row.fetched = str(exc), now
        return Polled(name, Stored(), error=str(exc))
    with database.write() as s:
        row = s.get(Source, source_id)
        if row is None:
            raise InputError(f"the source {name!r} was removed while it was fetched")
        stored = store_articles(s, row, articles, now)
        row.fetched, row.error = now, item_error
        if fetched is not None:
            row.etag, row.last_modified = fetched.etag, fetched.last_modified
    return Polled(name, stored, unchanged=fetched is None, error=item_error)


def _unseen_teasers(database: Database, items: list[FeedItem]) -> list[FeedItem]:
    """The feed's teasers whose pages are not stored yet, at most MAX_PAGES of them."""
    teasers = [item for item in items if not is_complete(item)]
    keys = [url_key(item.url) for item in teasers]
    with database.read() as s:
        seen = set(s.scalars(select(Article.url_key).where(Article.url_key.in_(keys))).all())
    return [item for item, key in zip(teasers, keys, strict=True) if key not in seen][:MAX_PAGES]
