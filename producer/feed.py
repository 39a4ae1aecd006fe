"""The podcast feed: RSS 2.0 with the itunes, Podcasting 2.0 and Podlove chapter namespaces.

A pure function of plain values (`Channel`, `Item`s) to bytes; the web edge supplies absolute
URLs and the published episodes. lxml escapes every text and attribute, so titles and article
text containing markup arrive in podcast apps as text, and the HTML of `content:encoded` is built
from escaped text too.

An item's description is what an app shows under the episode: each story's headline and first
sentence, then the chapter list with its times (apps make the times seek links).
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from lxml import etree

from producer.models import Script, SegmentKind

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
# The Podcasting 2.0 namespace's original URI, which the spec keeps valid beside
# https://podcastindex.org/namespace/1.0; gPodder's podcastparser recognises only this one.
PODCAST = "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md"
ATOM = "http://www.w3.org/2005/Atom"
PSC = "http://podlove.org/simple-chapters"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
# Characters XML 1.0 cannot carry at all (C0 controls other than tab/newline, surrogates, U+FFFE/F).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
NSMAP = {"itunes": ITUNES, "podcast": PODCAST, "atom": ATOM, "psc": PSC, "content": CONTENT}
# Podcasting 2.0's namespace UUID for channel GUIDs (UUIDv5 of the feed URL without its scheme).
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
# Apple's limit for itunes:summary and the description it shows.
SUMMARY_LIMIT = 4000
CHAPTERS_HEADING = "الفقرات"

# Apple Podcasts' categories and subcategories, as its podcaster guide lists them; the feed names
# a category as "Top" or "Top/Sub" and writes the subcategory nested inside the top one.
APPLE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Arts": ("Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"),
    "Business": ("Careers", "Entrepreneurship", "Investing", "Management", "Marketing", "Non-Profit"),
    "Comedy": ("Comedy Interviews", "Improv", "Stand-Up"),
    "Education": ("Courses", "How To", "Language Learning", "Self-Improvement"),
    "Fiction": ("Comedy Fiction", "Drama", "Science Fiction"),
    "Government": (),
    "History": (),
    "Health & Fitness": (
        "Alternative Health",
        "Fitness",
        "Medicine",
        "Mental Health",
        "Nutrition",
        "Sexuality",
    ),
    "Kids & Family": ("Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"),
    "Leisure": (
        "Animation & Manga",
        "Automotive",
        "Aviation",
        "Crafts",
        "Games",
        "Hobbies",
        "Home & Garden",
        "Video Games",
    ),
    "Music": ("Music Commentary", "Music History", "Music Interviews"),
    "News": (
        "Business News",
        "Daily News",
        "Entertainment News",
        "News Commentary",
        "Politics",
        "Sports News",
        "Tech News",
    ),
    "Religion & Spirituality": (
        "Buddhism",
        "Christianity",
        "Hinduism",
        "Islam",
        "Judaism",
        "Religion",
        "Spirituality",
    ),
    "Science": (
        "Astronomy",
        "Chemistry",
        "Earth Sciences",
        "Life Sciences",
        "Mathematics",
        "Natural Sciences",
        "Nature",
        "Physics",
        "Social Sciences",
    ),
    "Society & Culture": (
        "Documentary",
        "Personal Journals",
        "Philosophy",
        "Places & Travel",
        "Relationships",
    ),
    "Sports": (
        "Baseball",
        "Basketball",
        "Cricket",
        "Fantasy Sports",
        "Football",
        "Golf",
        "Hockey",
        "Rugby",
        "Running",
        "Soccer",
        "Swimming",
        "Tennis",
        "Volleyball",
        "Wilderness",
        "Wrestling",
    ),
    "Technology": (),
    "True Crime": (),
    "TV & Film": ("After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews"),
}


def category_values() -> tuple[str, ...]:
    """Every category the feed may name: each top category, then each of its subcategories."""
    return tuple(
        value for top, subs in APPLE_CATEGORIES.items() for value in (top, *(f"{top}/{sub}" for sub in subs))
    )


@dataclass(frozen=True)
class Channel:
    title: str
    description: str
    link: str
    feed_url: str
    image_url: str
    author: str
    owner_name: str
    owner_email: str
    category: str
    explicit: bool
    language: str = "ar"
    updated: datetime | None = None
    locked: bool = True
    stylesheet_url: str | None = None


@dataclass(frozen=True)
class ItemChapter:
    title: str
    start: float


@dataclass(frozen=True)
class StorySummary:
    """What the feed says of one story: its headline and the first sentence of its text."""

    headline: str
    lead: str = ""


_SENTENCE = re.compile(r"^.*?[.!?؟…](?=\s|$)", re.S)
LEAD_LIMIT = 300


def first_sentence(paragraph: str) -> str:
    text = " ".join(paragraph.split())
    match = _SENTENCE.match(text)
    sentence = match.group(0) if match else text
    if len(sentence) > LEAD_LIMIT:
        sentence = sentence[: LEAD_LIMIT - 1].rsplit(" ", 1)[0] + "…"
    return sentence


def stories_of(script: Script) -> tuple[StorySummary, ...]:
    """Each story's headline and the first sentence of its text, in the order they are read."""
    leads: dict[int, str] = {}
    for segment in script.segments:
        if segment.kind is SegmentKind.STORY and segment.story is not None and segment.story not in leads:
            # A story's text starts with its headline line; the lead is its first paragraph's.
            lines = segment.text.split("\n")
            leads[segment.story] = first_sentence(lines[1]) if len(lines) > 1 else ""
    return tuple(
        StorySummary(headline, leads.get(number, "")) for number, headline in enumerate(script.headlines)
    )


def summary_text(stories: Sequence[StorySummary]) -> str:
    """The stories as stored with an episode: a block per story, headline on its first line."""
    return "\n\n".join(f"{s.headline}\n{s.lead}".strip() for s in stories)


def parse_summary(text: str) -> tuple[StorySummary, ...]:
    stories = []
    for block in text.strip().split("\n\n"):
        headline, _, lead = block.strip().partition("\n")
        if headline:
            stories.append(StorySummary(headline, " ".join(lead.split())))
    return tuple(stories)


def clock(seconds: float) -> str:
    """A chapter time as apps turn it into a seek link: M:SS, or H:MM:SS past an hour."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


@dataclass(frozen=True)
class Item:
    guid: str
    title: str
    description: str
    published: datetime
    audio_url: str
    audio_bytes: int
    audio_type: str
    duration: float
    transcript_url: str
    chapters_url: str
    chapters: tuple[ItemChapter, ...] = ()
    stories: tuple[StorySummary, ...] = ()
    subtitles_url: str | None = None

    def plain_description(self) -> str:
        """Stories, then chapters with their times, as plain text within Apple's limit."""
        parts = [f"{s.headline}\n{s.lead}".strip() for s in self.stories] or [self.description or self.title]
        if self.chapters:
            lines = "\n".join(f"{clock(c.start)} {c.title}" for c in self.chapters)
            parts.append(f"{CHAPTERS_HEADING}:\n{lines}")
        return _clip("\n\n".join(parts), SUMMARY_LIMIT)

    def html_description(self) -> str:
        """The same as HTML for content:encoded: right-to-left, headlines in bold."""
        body = (
            "".join(
                f"<p><strong>{html.escape(s.headline)}</strong>"
                + (f"<br>{html.escape(s.lead)}" if s.lead else "")
                + "</p>"
                for s in self.stories
            )
            or f"<p>{html.escape(self.description or self.title)}</p>"
        )
        if self.chapters:
            rows = "".join(f"<li>{clock(c.start)} {html.escape(c.title)}</li>" for c in self.chapters)
            body += f"<h3>{CHAPTERS_HEADING}</h3><ul>{rows}</ul>"
        return f'<div dir="rtl" lang="ar">{body}</div>'


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _sub(
    parent: etree._Element, tag: str, text: str | None = None, attrs: dict[str, str] | None = None
) -> etree._Element:
    node = etree.SubElement(parent, tag, {k: _xml_safe(v) for k, v in (attrs or {}).items()})
    if text is not None:
        node.text = _xml_safe(text)
    return node


def _xml_safe(text: str) -> str:
    """Drop the characters XML 1.0 cannot carry (controls pasted from word processors)."""
    return _NOT_XML.sub("", text)


def npt(seconds: float) -> str:
    """Normal play time HH:MM:SS.mmm, as Podlove Simple Chapters wants it."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def render_feed(channel: Channel, items: Sequence[Item]) -> bytes:
    """The whole feed document, newest item first as given."""
    rss = etree.Element("rss", nsmap=NSMAP, version="2.0")
    ch = _sub(rss, "channel")
    _sub(ch, "title", channel.title)
    _sub(ch, "link", channel.link)
    _sub(ch, "description", channel.description or channel.title)
    _sub(ch, "language", channel.language)
    _sub(ch, "generator", "producer")
    if channel.updated is not None:
        _sub(ch, "lastBuildDate", format_datetime(channel.updated, usegmt=True))
    _sub(
        ch, f"{{{ATOM}}}link", attrs={"href": channel.feed_url, "rel": "self", "type": "application/rss+xml"}
    )
    image = _sub(ch, "image")
    _sub(image, "url", channel.image_url)
    _sub(image, "title", channel.title)
    _sub(image, "link", channel.link)
    _sub(ch, f"{{{ITUNES}}}image", attrs={"href": channel.image_url})
    _sub(ch, f"{{{ITUNES}}}author", channel.author)
    owner = _sub(ch, f"{{{ITUNES}}}owner")
    _sub(owner, f"{{{ITUNES}}}name", channel.owner_name)
    if channel.owner_email:
        _sub(owner, f"{{{ITUNES}}}email", channel.owner_email)
    _sub(ch, f"{{{ITUNES}}}summary", _clip(channel.description or channel.title, SUMMARY_LIMIT))
    top, _, sub = channel.category.partition("/")
    category = _sub(ch, f"{{{ITUNES}}}category", attrs={"text": top})
    if sub:
        _sub(category, f"{{{ITUNES}}}category", attrs={"text": sub})
    _sub(ch, f"{{{ITUNES}}}explicit", "true" if channel.explicit else "false")
    # A news programme is episodic: newest first, nothing to listen to in order.
    _sub(ch, f"{{{ITUNES}}}type", "episodic")
    _sub(ch, f"{{{PODCAST}}}guid", podcast_guid(channel.feed_url))
    locked = {"owner": channel.owner_email} if channel.owner_email else {}
    _sub(ch, f"{{{PODCAST}}}locked", "yes" if channel.locked else "no", locked)
    for item in items:
        _item(ch, item)
    if channel.stylesheet_url:
        # Browsers render the feed through this stylesheet; podcast apps ignore it.
        pi = etree.ProcessingInstruction("xml-stylesheet", f'type="text/xsl" href="{channel.stylesheet_url}"')
        rss.addprevious(pi)
    return etree.tostring(rss.getroottree(), xml_declaration=True, encoding="UTF-8", pretty_print=True)


def podcast_guid(feed_url: str) -> str:
    """Podcasting 2.0's channel GUID: UUIDv5 of the feed URL without its scheme and trailing slashes."""
    feed_id = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", feed_url).rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, feed_id))


def _item(ch: etree._Element, item: Item) -> None:
    node = _sub(ch, "item")
    _sub(node, "title", item.title)
    description = item.plain_description()
    _sub(node, "description", description)
    _sub(node, f"{{{CONTENT}}}encoded", item.html_description())
    _sub(node, f"{{{ITUNES}}}summary", description)
    _sub(node, "guid", item.guid, {"isPermaLink": "false"})
    _sub(node, "pubDate", format_datetime(item.published, usegmt=True))
    _sub(
        node,
        "enclosure",
        attrs={"url": item.audio_url, "length": str(item.audio_bytes), "type": item.audio_type},
    )
    _sub(node, f"{{{ITUNES}}}duration", str(round(item.duration)))
    _sub(node, f"{{{ITUNES}}}episodeType", "full")
    # WebVTT last: readers that keep one transcript (gPodder's podcastparser) keep the last one.
    if item.subtitles_url:
        _sub(
            node,
            f"{{{PODCAST}}}transcript",
            attrs={"url": item.subtitles_url, "type": "application/x-subrip", "language": "ar"},
        )
    _sub(
        node,
        f"{{{PODCAST}}}transcript",
        attrs={"url": item.transcript_url, "type": "text/vtt", "language": "ar"},
    )
    _sub(
        node, f"{{{PODCAST}}}chapters", attrs={"url": item.chapters_url, "type": "application/json+chapters"}
    )
    if item.chapters:
        group = _sub(node, f"{{{PSC}}}chapters", attrs={"version": "1.2"})
        for chapter in item.chapters:
            _sub(group, f"{{{PSC}}}chapter", attrs={"start": npt(chapter.start), "title": chapter.title})
