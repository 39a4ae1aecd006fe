"""Sources over real HTTP: feeds and pages into cleaned stories, conditional GET, limits, duplicates."""

from __future__ import annotations

import pytest
from conftest import LOCAL, Site

from producer.air.dedupe import canonical_url, fingerprint, first_match, same_news
from producer.air.feeds import article_from_item, article_from_page, is_complete, parse_feed
from producer.air.fetch import FetchLimits, SourceError, fetch
from producer.errors import InputError


def test_a_feed_is_fetched_then_answered_not_modified(site: Site) -> None:
    first = fetch(site.url("/feed.xml"), limits=LOCAL)
    assert first is not None and first.etag
    assert fetch(site.url("/feed.xml"), etag=first.etag, limits=LOCAL) is None  # 304: nothing new
    assert site.requests == [("/feed.xml", None), ("/feed.xml", first.etag)]


def test_complete_items_are_read_from_the_feed_and_teasers_are_not(site: Site) -> None:
    fetched = fetch(site.url("/feed.xml"), limits=LOCAL)
    assert fetched is not None
    water, schools = parse_feed(fetched.body, fetched.url)
    assert is_complete(water) and not is_complete(schools)
    article = article_from_item(water)
    assert article.story.headline == "عودة المياه إلى 12 حيا في مدينة حلب"
    assert len(article.story.paragraphs) == 3
    assert article.story.paragraphs[1].startswith("وأوضحت المؤسسة أن الضخ عاد إلى 12 حيا")
    assert article.published is not None and article.published.hour == 7


def test_an_article_page_is_its_headline_and_body_without_the_site_around_it(site: Site) -> None:
    fetched = fetch(site.url("/news/schools"), limits=LOCAL)
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
    fetched = fetch(site.url("/agency.xml"), limits=LOCAL)
    assert fetched is not None
    items = parse_feed(fetched.body, fetched.url)
    assert [i.url for i in items] == [site.url("/agency/1"), site.url("/agency/2")]  # resolved
    assert all(is_complete(i) for i in items)


@pytest.mark.parametrize(
    ("path", "limits", "message"),
    [
        ("/broken", LOCAL, "answered HTTP 500"),
        ("/missing", LOCAL, "answered HTTP 404"),
        ("/huge", LOCAL, "is larger than 5120 KB"),
        ("/slow", FetchLimits(timeout=0.5, private=True), "did not answer within 0.5 s"),
    ],
)
def test_a_failing_source_is_one_clear_error(
    site: Site, path: str, limits: FetchLimits, message: str
) -> None:
    with pytest.raises(SourceError, match=message):
        fetch(site.url(path), limits=limits)


def test_an_unreachable_source_is_one_clear_error() -> None:
    with pytest.raises(SourceError, match="cannot be reached"):
        fetch("http://127.0.0.1:9/feed.xml", limits=FetchLimits(timeout=2, private=True))


def test_a_page_that_is_not_a_feed_is_refused(site: Site) -> None:
    fetched = fetch(site.url("/news/schools"), limits=LOCAL)
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
    alwan = fetch(site.url("/feed.xml"), limits=LOCAL)
    agency = fetch(site.url("/agency.xml"), limits=LOCAL)
    assert alwan is not None and agency is not None
    water = fingerprint(article_from_item(parse_feed(alwan.body, alwan.url)[0]).story)
    water_agency, bread = (
        fingerprint(article_from_item(i).story) for i in parse_feed(agency.body, agency.url)
    )
    assert same_news(water, water_agency)
    assert not same_news(water, bread)
    assert first_match(water_agency, [(1, bread), (2, water)]) == 2
    assert first_match(bread, [(2, water)]) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/feed.xml",
        "http://localhost:9/feed.xml",
        "http://[::ffff:10.0.0.1]/",
        "http://169.254.169.254/",
    ],
)
def test_an_address_inside_the_network_is_refused_by_default(url: str) -> None:
    with pytest.raises(SourceError, match="inside the network"):
        fetch(url)


def _answering(monkeypatch: pytest.MonkeyPatch, name: str, answers: list[list[str]]) -> list[str]:
    """DNS at the boundary: `name` resolves to each list of `answers` in turn (the last one for
    good); other names as usual. Returns the log of lookups of `name`."""
    import socket

    real, asked = socket.getaddrinfo, []

    def getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list:
        if host != name:
            return real(host, port, *args, **kwargs)
        asked.append(host)
        found = answers[min(len(asked), len(answers)) - 1]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)) for address in found]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_a_name_that_turns_internal_after_the_check_is_not_followed(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: a public answer to the first lookup, loopback to every later one. The
    connection uses an address the fetch checked itself, so the internal site is never asked."""
    port = site.base.rsplit(":", 1)[1]
    asked = _answering(monkeypatch, "rebind.test", [["93.184.216.34"], ["127.0.0.1"]])
    with pytest.raises(SourceError, match="inside the network"):
        fetch(f"http://rebind.test:{port}/feed.xml", limits=FetchLimits(timeout=2))
    assert asked
    assert site.requests == []


def test_a_source_is_read_from_the_first_of_its_addresses_that_answers(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fetch connects to the addresses it resolved, in order: nothing listens on the first."""
    port = site.base.rsplit(":", 1)[1]
    _answering(monkeypatch, "news.test", [["127.0.0.2", "127.0.0.1"]])
    fetched = fetch(f"http://news.test:{port}/feed.xml", limits=LOCAL)
    assert fetched is not None and fetched.body.startswith(b"<?xml")
    assert site.requests == [("/feed.xml", None)]


def test_a_proxy_set_in_the_environment_is_used(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    """A station behind a proxy: the request goes to the proxy, which resolves the name itself."""
    monkeypatch.setenv("HTTP_PROXY", site.base)
    with pytest.raises(SourceError, match="HTTP 404"):  # the test site is no proxy: it knows no such page
        fetch("http://news.example/feed.xml", limits=LOCAL)
    assert [path for path, _ in site.requests] == ["http://news.example/feed.xml"]


def test_a_redirect_into_the_network_is_refused(site: Site) -> None:
    """A public page that redirects to an internal one: every hop is checked, not only the first."""
    import httpx

    def public_then_internal(request: httpx.Request) -> httpx.Response:
        if request.url.host == "93.184.216.34":  # a public address, given as such (no DNS here)
            return httpx.Response(302, headers={"Location": site.url("/feed.xml")})
        raise AssertionError(f"an internal address was requested: {request.url}")

    refused = FetchLimits()
    with pytest.raises(SourceError, match="inside the network"):
        fetch(
            "http://93.184.216.34/feed.xml",
            limits=refused,
            transport=httpx.MockTransport(public_then_internal),
        )
