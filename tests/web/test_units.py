"""The web service's pure parts and edges, without a server: ranges, feed, file store.

The database layer has its own tests, on each backend: tests/store/test_store_db.py."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import podcastparser
import pytest

from producer.errors import InputError
from producer.feed import Channel, Item, ItemChapter, npt, render_feed
from producer.store.files import LocalFileStore, check_key, content_type_for
from producer.web.public import parse_range


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        ("bytes=0-99", 1000, (0, 99)),
        ("bytes=100-", 1000, (100, 999)),
        ("bytes=-300", 1000, (700, 999)),
        ("bytes=-5000", 1000, (0, 999)),  # a suffix longer than the file is the whole file
        ("bytes=990-2000", 1000, (990, 999)),  # the end is clamped
        ("bytes=999-999", 1000, (999, 999)),
        ("bytes=1000-", 1000, "unsatisfiable"),
        ("bytes=1000-1001", 1000, "unsatisfiable"),
        ("bytes=-0", 1000, "unsatisfiable"),
        ("bytes=0-", 0, "unsatisfiable"),
        ("bytes=5-2", 1000, None),  # invalid: ignored, the whole file is sent
        ("bytes=0-1,5-6", 1000, None),  # several ranges: answered whole
        ("items=0-1", 1000, None),
        ("bytes=-", 1000, None),
        ("bytes=" + "9" * 5000 + "-", 1000, "unsatisfiable"),  # past Python's int-digits limit
        ("bytes=0-" + "9" * 5000, 1000, (0, 999)),
        ("bytes=-" + "9" * 5000, 1000, (0, 999)),
        ("", 1000, None),
        (" bytes=0-0 ", 1000, (0, 0)),
    ],
)
def test_parse_range(header: str, size: int, expected: object) -> None:
    assert parse_range(header, size) == expected


@pytest.mark.parametrize(
    "key",
    [
        "../secret_key",
        "episodes/../../secret_key",
        "/etc/passwd",
        "episodes//x.mp3",
        ".hidden",
        "episodes/.x/a.mp3",
        "a\\b",
        "a/%2e%2e/b",
        "episodes/a b.mp3",
        "",
        "x" * 200,
        "a\x00b",
    ],
)
def test_bad_keys_are_refused(key: str) -> None:
    with pytest.raises(InputError):
        check_key(key)


def test_local_store_writes_whole_files_and_reads_ranges(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path / "media")
    data = bytes(range(256)) * 10
    info = store.put_bytes("episodes/abc/rev/a.mp3", data)
    assert info.size == len(data)
    assert info.content_type == "audio/mpeg"
    assert b"".join(store.iter_range(info.key, 10, 19)) == data[10:20]
    assert store.read_bytes(info.key) == data
    # Replacing the content changes the validator.
    assert store.put_bytes(info.key, data[:-1]).etag != info.etag
    assert not [p for p in (tmp_path / "media").rglob("*.tmp")]
    store.delete_prefix("episodes/abc")
    assert store.stat(info.key) is None


def test_local_store_refuses_symlinks(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    store = LocalFileStore(tmp_path / "media")
    os.symlink(outside, tmp_path / "media" / "link")
    with pytest.raises(InputError):
        store.stat("link/secret.txt")


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("a/b.mp3", "audio/mpeg"),
        ("a/b.wav", "audio/wav"),
        ("a/b.vtt", "text/vtt; charset=utf-8"),
        ("a/b.chapters.json", "application/json"),
        ("a/b.png", "image/png"),
        ("a/b.html", "application/octet-stream"),
        ("a/b.svg", "application/octet-stream"),
        ("a/b.js", "application/octet-stream"),
    ],
)
def test_content_types_never_executable(key: str, expected: str) -> None:
    assert content_type_for(key) == expected


CHANNEL = Channel(
    title="نشرة <الأخبار> & المزيد",
    description="وصف",
    link="https://radio.example/",
    feed_url="https://radio.example/feed.xml",
    image_url="https://radio.example/static/artwork.png",
    author="راديو ألوان",
    owner_name="راديو ألوان",
    owner_email="news@radio.example",
    category="News",
    explicit=False,
    updated=datetime(2024, 5, 3, 9, 30, tzinfo=UTC),
)
ITEM = Item(
    guid="producer:0123",
    title='عنوان <script>alert("x")</script>\x0b',
    description="خبر أول\nخبر ثان",
    published=datetime(2024, 5, 3, 9, 0, tzinfo=UTC),
    audio_url="https://radio.example/media/episodes/0123/ab/bulletin-1.mp3",
    audio_bytes=123456,
    audio_type="audio/mpeg",
    duration=185.4,
    transcript_url="https://radio.example/media/episodes/0123/ab/bulletin-1.vtt",
    chapters_url="https://radio.example/media/episodes/0123/ab/bulletin-1.chapters.json",
    chapters=(ItemChapter("الخبر الأول", 12.5), ItemChapter("الخبر الثاني", 95.25)),
)


def test_feed_parses_with_feedparser_and_podcastparser() -> None:
    body = render_feed(CHANNEL, [ITEM])
    assert b"<script>" not in body and b"&lt;script&gt;" in body
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.feed.title == "نشرة <الأخبار> & المزيد"
    assert parsed.feed.language == "ar"
    entry = parsed.entries[0]
    assert entry.title == 'عنوان <script>alert("x")</script>'
    assert entry.id == "producer:0123"
    assert entry.enclosures[0].href == ITEM.audio_url
    assert entry.enclosures[0].length == "123456"
    assert entry.itunes_duration == "185"
    assert entry.published_parsed[:5] == (2024, 5, 3, 9, 0)

    pod = podcastparser.parse(CHANNEL.feed_url, io.BytesIO(body))
    episode = pod["episodes"][0]
    assert episode["enclosures"][0] == {"url": ITEM.audio_url, "file_size": 123456, "mime_type": "audio/mpeg"}
    assert episode["total_time"] == 185
    assert episode["transcript_url"] == ITEM.transcript_url
    assert episode["chapters_json_url"] == ITEM.chapters_url
    assert [(c["start"], c["title"]) for c in episode["chapters"]] == [
        (12, "الخبر الأول"),
        (95, "الخبر الثاني"),
    ]
    assert pod["cover_url"] == CHANNEL.image_url
    assert pod["itunes_owner"] == {"name": "راديو ألوان", "email": "news@radio.example"}


@pytest.mark.parametrize(
    ("seconds", "expected"), [(0, "00:00:00.000"), (12.5, "00:00:12.500"), (3725.0625, "01:02:05.062")]
)
def test_npt(seconds: float, expected: str) -> None:
    assert npt(seconds) == expected
