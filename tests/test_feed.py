"""The feed document as podcast apps read it: feedparser, podcastparser and lxml's own XSLT."""

from __future__ import annotations

import io
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import podcastparser
from lxml import etree

from producer.feed import (
    Channel,
    Item,
    ItemChapter,
    StorySummary,
    category_values,
    parse_summary,
    podcast_guid,
    render_feed,
    stories_of,
    summary_text,
)
from producer.models import Script, Segment, SegmentKind
from producer.resources import bundled

CHANNEL = Channel(
    title="نشرة الأخبار",
    description="نشرة الأخبار من راديو ألوان",
    link="https://radio.example/",
    feed_url="https://radio.example/feed.xml",
    image_url="https://radio.example/static/artwork.png",
    author="راديو ألوان",
    owner_name="راديو ألوان",
    owner_email="news@radio.example",
    category="News/Daily News",
    explicit=False,
    updated=datetime(2024, 5, 3, 9, 30, tzinfo=UTC),
    stylesheet_url="https://radio.example/static/feed.xsl",
)
STORIES = (
    StorySummary("انقطاع المياه عن أحياء في المدينة", "أعلنت مؤسسة المياه انقطاعها يومين."),
    StorySummary("افتتاح مدرسة جديدة <في> الريف", "افتُتحت المدرسة صباح اليوم."),
)
ITEM = Item(
    guid="producer:0123",
    title="نشرة الظهيرة",
    description=summary_text(STORIES),
    published=datetime(2024, 5, 3, 9, 0, tzinfo=UTC),
    audio_url="https://radio.example/media/episodes/0123/ab/bulletin.mp3",
    audio_bytes=123456,
    audio_type="audio/mpeg",
    duration=3725.4,
    transcript_url="https://radio.example/media/episodes/0123/ab/bulletin.vtt",
    chapters_url="https://radio.example/media/episodes/0123/ab/bulletin.chapters.json",
    chapters=(ItemChapter("العناوين", 0.0), ItemChapter(STORIES[0].headline, 12.5), ItemChapter("آخر", 3661)),
    stories=STORIES,
    subtitles_url="https://radio.example/media/episodes/0123/ab/bulletin.srt",
)
ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"


def test_stories_are_stored_and_read_back_with_their_first_sentence():
    script = Script(
        title="ن",
        station="س",
        programme="ب",
        created=datetime(2024, 5, 3, tzinfo=UTC),
        headlines=("عنوان أول", "عنوان ثان"),
        segments=(
            Segment(SegmentKind.HEADLINES, "في هذه النشرة:\nعنوان أول\nعنوان ثان"),
            Segment(SegmentKind.TRANSITION, "نبدأ بهذا الخبر.", 0),
            Segment(
                SegmentKind.STORY,
                "عنوان أول\nقال الوزير إن 5 مدارس فُتحت. وأضاف أن غيرها سيُفتح.\nفقرة ثانية.",
                0,
            ),
            Segment(SegmentKind.STORY, "عنوان ثان\nوفي خبر آخر؟ نعم", 1),
        ),
    )
    stories = stories_of(script)
    assert stories == (
        StorySummary("عنوان أول", "قال الوزير إن 5 مدارس فُتحت."),
        StorySummary("عنوان ثان", "وفي خبر آخر؟"),
    )
    assert parse_summary(summary_text(stories)) == stories


def test_item_description_holds_stories_and_chapters_for_every_parser():
    body = render_feed(CHANNEL, [ITEM])
    entry = feedparser.parse(body).entries[0]
    expected = (
        "انقطاع المياه عن أحياء في المدينة\nأعلنت مؤسسة المياه انقطاعها يومين.\n\n"
        "افتتاح مدرسة جديدة <في> الريف\nافتُتحت المدرسة صباح اليوم.\n\n"
        "الفقرات:\n00:00 العناوين\n00:12 انقطاع المياه عن أحياء في المدينة\n1:01:01 آخر"
    )
    root = etree.fromstring(body)
    item = root.find("channel/item")
    assert item.findtext("description") == expected
    assert item.findtext(f"{ITUNES}summary") == expected
    html = entry.content[0].value
    assert entry.content[0].type == "text/html"
    assert "<strong>افتتاح مدرسة جديدة &lt;في&gt; الريف</strong>" in html
    assert "<li>00:12 انقطاع المياه عن أحياء في المدينة</li>" in html and 'dir="rtl"' in html

    pod = podcastparser.parse(CHANNEL.feed_url, io.BytesIO(body))
    episode = pod["episodes"][0]
    assert episode["description"] == expected
    assert "<strong>" in episode["description_html"]
    assert episode["transcript_url"] == ITEM.transcript_url


def test_long_descriptions_stay_within_apples_4000_characters():
    many = tuple(StorySummary(f"عنوان رقم {n} " * 5, "جملة أولى طويلة " * 15) for n in range(40))
    body = render_feed(CHANNEL, [replace(ITEM, stories=many)])
    item = etree.fromstring(body).find("channel/item")
    assert 3900 < len(item.findtext("description")) <= 4000
    assert len(item.findtext(f"{ITUNES}summary")) <= 4000


def test_channel_carries_what_apple_and_podcasting_2_0_ask_for():
    body = render_feed(CHANNEL, [ITEM])
    root = etree.fromstring(body)
    channel = root.find("channel")
    ns = {
        "itunes": ITUNES[1:-1],
        "podcast": "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md",
    }
    assert channel.findtext("itunes:owner/itunes:email", namespaces=ns) == "news@radio.example"
    assert channel.findtext("itunes:type", namespaces=ns) == "episodic"
    top = channel.find("itunes:category", namespaces=ns)
    assert (
        top.get("text") == "News" and top.find("itunes:category", namespaces=ns).get("text") == "Daily News"
    )
    locked = channel.find("podcast:locked", namespaces=ns)
    assert locked.text == "yes" and locked.get("owner") == "news@radio.example"
    # The spec's own example: podcastindex.org/namespace/1.0#guid
    assert podcast_guid("https://mp3s.nashownotes.com/pc20rss.xml") == "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    assert channel.findtext("podcast:guid", namespaces=ns) == str(
        uuid.uuid5(uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6"), "radio.example/feed.xml")
    )
    transcripts = channel.findall("item/podcast:transcript", namespaces=ns)
    assert {(t.get("type"), t.get("url")) for t in transcripts} == {
        ("text/vtt", ITEM.transcript_url),
        ("application/x-subrip", ITEM.subtitles_url),
    }
    pod = podcastparser.parse(CHANNEL.feed_url, io.BytesIO(body))
    assert pod["import_prohibited"] is True
    assert pod["itunes_owner"] == {"name": "راديو ألوان", "email": "news@radio.example"}
    assert pod["itunes_categories"] == [["News", "Daily News"]]
    assert not feedparser.parse(body).bozo


def test_every_category_offered_is_apples():
    values = category_values()
    assert "News" in values and "News/Daily News" in values and "Religion & Spirituality/Islam" in values
    assert len(values) == len(set(values)) > 100


def test_the_stylesheet_turns_the_feed_into_an_arabic_page():
    body = render_feed(CHANNEL, [ITEM])
    assert b'<?xml-stylesheet type="text/xsl" href="https://radio.example/static/feed.xsl"?>' in body
    transform = etree.XSLT(etree.parse(str(Path(bundled("web")) / "static" / "feed.xsl")))
    page = transform(etree.fromstring(body))
    html = page.getroot()
    assert html.get("dir") == "rtl" and html.get("lang") == "ar"
    assert html.find(".//a[@id='back']").get("href") == CHANNEL.link
    assert html.findtext(".//h1") == CHANNEL.title
    assert html.find(".//audio").get("src") == ITEM.audio_url
    assert "انقطاع المياه عن أحياء في المدينة" in html.findtext(".//p[@class='description']")
