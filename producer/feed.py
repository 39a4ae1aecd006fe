"""The podcast feed: RSS 2.0 with the itunes, Podcasting 2.0 and Podlove chapter namespaces.

A pure function of plain values (`Channel`, `Item`s) to bytes; the web edge supplies absolute
URLs and the published episodes. lxml escapes every text and attribute, so titles and article
text containing markup arrive in podcast apps as text.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from lxml import etree

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
# The Podcasting 2.0 namespace's original URI, which the spec keeps valid beside
# https://podcastindex.org/namespace/1.0; gPodder's podcastparser recognises only this one.
PODCAST = "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md"
ATOM = "http://www.w3.org/2005/Atom"
PSC = "http://podlove.org/simple-chapters"
# Characters XML 1.0 cannot carry at all (C0 controls other than tab/newline, surrogates, U+FFFE/F).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
NSMAP = {"itunes": ITUNES, "podcast": PODCAST, "atom": ATOM, "psc": PSC}


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


@dataclass(frozen=True)
class ItemChapter:
    title: str
    start: float


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
    _sub(ch, f"{{{ITUNES}}}category", attrs={"text": channel.category})
    _sub(ch, f"{{{ITUNES}}}explicit", "true" if channel.explicit else "false")
    _sub(ch, f"{{{ITUNES}}}type", "episodic")
    # Podcasting 2.0's channel GUID: UUIDv5 of the feed URL without its scheme, as the spec says.
    feed_id = channel.feed_url.split("://", 1)[-1].rstrip("/")
    _sub(
        ch, f"{{{PODCAST}}}guid", str(uuid.uuid5(uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6"), feed_id))
    )
    for item in items:
        _item(ch, item)
    return etree.tostring(rss, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _item(ch: etree._Element, item: Item) -> None:
    node = _sub(ch, "item")
    _sub(node, "title", item.title)
    _sub(node, "description", item.description or item.title)
    _sub(node, "guid", item.guid, {"isPermaLink": "false"})
    _sub(node, "pubDate", format_datetime(item.published, usegmt=True))
    _sub(
        node,
        "enclosure",
        attrs={"url": item.audio_url, "length": str(item.audio_bytes), "type": item.audio_type},
    )
    _sub(node, f"{{{ITUNES}}}duration", str(round(item.duration)))
    _sub(node, f"{{{ITUNES}}}episodeType", "full")
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
