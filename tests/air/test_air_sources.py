"""Sources over real HTTP: feeds and pages into cleaned stories, conditional GET, limits, duplicates."""

from __future__ import annotations

import pytest
from conftest import Site

from producer.air.dedupe import canonical_url, fingerprint, first_match, same_news
from producer.air.feeds import article_from_item, article_from_page, is_complete, parse_feed
from producer.air.fetch import FetchLimits, SourceError, fetch
from producer.errors import InputError


def test_a_feed_is_fetched_then_answered_not_modified(site: Site) -> None:
    first = fetch(site.url("/feed.xml"))
    assert first is not None and first.etag
    assert fetch(site.url("/feed.xml"), etag=first.etag) is None  # 304: nothing new
    assert site.requests == [("/feed.xml", None), ("/feed.xml", first.etag)]


def test_complete_items_are_read_from_the_feed_and_teasers_are_not(site: Site) -> None:
    fetched = fetch(site.url("/feed.xml"))
    assert fetched is not None
    water, schools = parse_feed(fetched.body, fetched.url)
    assert is_complete(water) and not is_complete(schools)
    article = article_from_item(water)
    assert article.story.headline == "عودة المياه إلى 12 حيا في مدينة حلب"
    assert len(article.story.paragraphs) == 3
    assert article.story.paragraphs[1].startswith("وأوضحت المؤسسة أن الضخ عاد إلى 12 حيا")
    assert article.published is not None and article.published.hour == 7


def test_an_article_page_is_its_headline_and_body_without_the_site_around_it(site: Site) -> None:
    fetched = fetch(site.url("/news/schools"))
    assert fetched is not None
    story = article_from_page(fetched.body, fetched.url).story
    assert story.headline == "افتتاح ثلاث مدارس جديدة في ريف إدلب"
    assert [p[:24] for p in story.paragraphs] == [
        "افتتحت مديرية التربية في",
        "وقال مدير التربية في تصر",
        "وأضاف أن المديرية تعمل ع",
    ]
    assert not any("تابعنا" in p or "عاجل" in p or "كتب:" in p for p in story.paragraphs)


def test_an_atom_feed_reads_too(site: Site) -> None:
    fetched = fetch(site.url("/agency.xml"))
    assert fetched is not None
    items = parse_feed(fetched.body, fetched.url)
    assert [i.url for i in items] == [site.url("/agency/1"), site.url("/agency/2")]  # resolved
    assert all(is_complete(i) for i in items)


@pytest.mark.parametrize(
    ("path", "limits", "message"),
    [
        ("/broken", FetchLimits(), "answered HTTP 500"),
        ("/missing", FetchLimits(), "answered HTTP 404"),
        ("/huge", FetchLimits(), "is larger than 5120 KB"),
        ("/slow", FetchLimits(timeout=0.5), "did not answer within 0.5 s"),
    ],
)
def test_a_failing_source_is_one_clear_error(
    site: Site, path: str, limits: FetchLimits, message: str
) -> None:
    with pytest.raises(SourceError, match=message):
        fetch(site.url(path), limits=limits)


def test_an_unreachable_source_is_one_clear_error() -> None:
    with pytest.raises(SourceError, match="cannot be reached"):
        fetch("http://127.0.0.1:9/feed.xml", limits=FetchLimits(timeout=2))


def test_a_page_that_is_not_a_feed_is_refused(site: Site) -> None:
    fetched = fetch(site.url("/news/schools"))
    assert fetched is not None
    with pytest.raises(InputError, match="is not an RSS or Atom feed"):
        parse_feed(b"\x00\x01 not xml", fetched.url)


def test_urls_are_compared_without_tracking_fragments_and_case() -> None:
    assert (
        canonical_url("HTTP://Example.ORG/news/1/?utm_source=rss&id=7#top")
        == "http://example.org/news/1?id=7"
    )
    assert canonical_url("http://example.org/") == "http://example.org/"


def test_the_same_news_from_two_sources_is_one_story_and_other_news_is_not(site: Site) -> None:
    alwan = fetch(site.url("/feed.xml"))
    agency = fetch(site.url("/agency.xml"))
    assert alwan is not None and agency is not None
    water = fingerprint(article_from_item(parse_feed(alwan.body, alwan.url)[0]).story)
    water_agency, bread = (
        fingerprint(article_from_item(i).story) for i in parse_feed(agency.body, agency.url)
    )
    assert same_news(water, water_agency)
    assert not same_news(water, bread)
    assert first_match(water_agency, [(1, bread), (2, water)]) == 2
    assert first_match(bread, [(2, water)]) is None
