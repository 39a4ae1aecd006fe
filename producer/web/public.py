"""The public face: the podcast feed and published media (health checks: ops.py).

Media answers byte ranges (including suffix ranges), conditional requests and HEAD the way podcast
apps and browsers' audio players expect. Episode files are public only while their episode is
published and only at its current revision; everything else in the store needs a login.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import StreamingResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from producer.errors import InputError
from producer.feed import Channel, Item, ItemChapter, parse_summary, render_feed
from producer.store import db
from producer.store.files import CONTENT_TYPES, UNKNOWN_TYPE, StoredFile, check_key
from producer.store.station import StationConfig
from producer.web.deps import AppState, State, bearer_token, identify
from producer.web.feedcache import RenderedFeed

router = APIRouter()

_EPISODE_KEY = re.compile(r"episodes/([0-9a-f]{32})/([0-9a-f]{12})/[^/]+")
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_MAX_DIGITS = 18
Unsatisfiable = Literal["unsatisfiable"]
FEED_TYPE = "application/rss+xml; charset=utf-8"
BROWSER_FEED_TYPE = "text/xml; charset=utf-8"
INLINE_BYTES = 1024 * 1024  # ranges up to this size are sent from memory, larger ones streamed


def public_base(state: AppState, request: Request) -> str:
    return (state.settings.base_url or str(request.base_url)).rstrip("/")


# ---- feed ---------------------------------------------------------------------------------------


_FEED_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The feed", "content": {FEED_TYPE: {"schema": {"type": "string"}}}},
    304: {"description": "Not modified since the ETag or date the client holds"},
}


@router.get(
    "/feed.xml",
    tags=["public"],
    summary="The podcast feed (RSS 2.0, itunes, podcast namespaces)",
    operation_id="feed_get",
    response_class=Response,
    responses=_FEED_RESPONSES,
)
# Podcast directories and feed validators check a feed with HEAD before they fetch it.
@router.head(
    "/feed.xml",
    tags=["public"],
    summary="The podcast feed: headers only",
    operation_id="feed_head",
    response_class=Response,
    responses=_FEED_RESPONSES,
)
def feed(request: Request, state: State) -> Response:
    base = public_base(state, request)
    generation, checked = db.feed_generation(), time.monotonic()
    with state.db.read() as s:
        changed = db.feed_changed(s)
        stamp = changed.isoformat() if changed else ""
        rendered = state.feed_cache.rendered(base, stamp)
        if rendered is None:
            config = StationConfig.load(state.settings, db.station_values(s))
            episodes = db.published_episodes(s)
            body = render_feed(_channel(config, base, changed), [_item(e, base) for e in episodes])
            rendered = RenderedFeed(body, f'"{hashlib.sha256(body).hexdigest()[:32]}"', changed)
    state.feed_cache.keep(base, stamp, rendered, generation, checked)
    return _feed_response(request, rendered)


def _feed_response(request: Request, feed: RenderedFeed) -> Response:
    headers = {"ETag": feed.etag, "Cache-Control": "public, max-age=60", "Vary": "Accept"}
    if feed.changed is not None:
        headers["Last-Modified"] = format_datetime(feed.changed, usegmt=True)
    if _not_modified(request, feed.etag, feed.changed):
        return Response(status_code=304, headers=headers)
    # Browsers apply the feed's XSL stylesheet only to a document served as XML; podcast apps
    # (which do not ask for HTML) get the feed's own type.
    browser = "text/html" in request.headers.get("accept", "")
    return Response(feed.body, media_type=BROWSER_FEED_TYPE if browser else FEED_TYPE, headers=headers)


@dataclass(frozen=True)
class _FeedRoute:
    path: str = "/feed.xml"  # the label HttpMetrics reads from scope["route"]


class FeedFastPath:
    """GET and HEAD /feed.xml answered from memory, before routing, sessions or the database,
    while the rendered feed is known current (web.feedcache); otherwise the route answers and
    refreshes it. Pure ASGI, inside the metrics and the security headers."""

    def __init__(self, app: ASGIApp, state: AppState) -> None:
        self.app, self.state = app, state
        # With no configured address the Host header picks the feed's URLs: left to the route.
        self.base = (state.settings.base_url or "").rstrip("/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.base
            and scope["type"] == "http"
            and scope["path"] == "/feed.xml"
            and scope["method"] in ("GET", "HEAD")
        ):
            rendered = self.state.feed_cache.current(self.base)
            if rendered is not None:
                scope["route"] = _FeedRoute()
                await _feed_response(Request(scope), rendered)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _channel(config: StationConfig, base: str, changed: datetime | None) -> Channel:
    image = f"{base}/media/{config.artwork_key}" if config.artwork_key else f"{base}/static/artwork.png"
    return Channel(
        title=config.feed_title,
        description=config.feed_description,
        link=f"{base}/",
        feed_url=f"{base}/feed.xml",
        image_url=image,
        author=config.feed_author,
        owner_name=config.feed_author,
        owner_email=config.feed_owner_email,
        category=config.feed_category,
        explicit=config.feed_explicit,
        updated=changed,
        locked=config.feed_locked,
        stylesheet_url=f"{base}/static/feed.xsl",
    )


def _item(episode: db.Episode, base: str) -> Item:
    return Item(
        guid=f"producer:{episode.guid}",
        title=episode.title,
        description=episode.description,
        published=episode.published_at or episode.rendered,
        audio_url=f"{base}/media/{episode.audio_key}",
        audio_bytes=episode.audio_bytes,
        audio_type=episode.audio_type,
        duration=episode.duration,
        transcript_url=f"{base}/media/{episode.transcript_key}",
        chapters_url=f"{base}/media/{episode.chapters_key}",
        chapters=tuple(ItemChapter(str(c["title"]), float(c["start"])) for c in episode.chapters),
        stories=parse_summary(episode.description),
        subtitles_url=f"{base}/media/{episode.subtitles_key}" if episode.subtitles_key else None,
    )


def _not_modified(request: Request, etag: str, modified: datetime | None) -> bool:
    match = request.headers.get("if-none-match")
    if match is not None:
        # ETags win over dates when both are sent (RFC 9110 §13.2.2); W/ prefixes compare weakly.
        return any(tag.strip().removeprefix("W/") in (etag, "*") for tag in match.split(","))
    since = request.headers.get("if-modified-since")
    if since and modified is not None:
        try:
            return modified.replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


# ---- media ---------------------------------------------------------------------------------------


def parse_range(header: str, size: int) -> tuple[int, int] | Unsatisfiable | None:
    """One byte range of a `Range` header as (first, last) inclusive.

    None means "send the whole file": no header, a syntax we ignore as RFC 9110 allows, or several
    ranges (answered whole rather than as multipart).
    """
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    # Numbers past any file size are read as "past the end", never converted (Python refuses
    # to convert over 4,300 digits, and nothing is gained by trying).
    if len(first) > _MAX_DIGITS:
        return "unsatisfiable"
    if len(last) > _MAX_DIGITS:
        last = str(2**62)
    if not first:
        suffix = int(last)
        if suffix == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - suffix), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None
    if start >= size:
        return "unsatisfiable"
    return start, min(end, size - 1)


def _media_access(state: AppState, key: str) -> Literal["public", "private", "none"]:
    """Published episode files (current revision) and the artwork are public; other stored files
    need a login; an episode key of no episode names nothing."""
    with state.db.read() as s:
        match = _EPISODE_KEY.fullmatch(key)
        if match:
            episode = db.episode_by_guid(s, match.group(1))
            if episode is None:
                return "none"
            return "public" if episode.published and episode.revision == match.group(2) else "private"
        config = StationConfig.load(state.settings, db.station_values(s))
    return "public" if key == config.artwork_key else "private"


# Every type the store can send, including the download type of anything it does not know.
_FILE_TYPES = {
    t: {"schema": {"type": "string", "format": "binary"}}
    for t in sorted({*CONTENT_TYPES.values(), UNKNOWN_TYPE})
}
_MEDIA_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The whole file", "content": _FILE_TYPES},
    206: {"description": "The requested byte range", "content": _FILE_TYPES},
    304: {"description": "Not modified since the ETag or date the client holds"},
    404: {
        "description": "No such file, or not public",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    },
    416: {"description": "The range lies outside the file"},
}


@router.get(
    "/media/{key:path}",
    tags=["public"],
    summary="Episode files and artwork",
    operation_id="media_get",
    response_class=Response,
    responses=_MEDIA_RESPONSES,
)
@router.head(
    "/media/{key:path}",
    tags=["public"],
    summary="Episode files and artwork: headers only",
    operation_id="media_head",
    response_class=Response,
    responses=_MEDIA_RESPONSES,
)
def media(
    key: str,
    request: Request,
    state: State,
    byte_range: Annotated[str | None, Header(alias="range", description="One byte range")] = None,
) -> Response:
    # A plain function, so FastAPI runs it in the thread pool: the access check, the login check
    # (only for a private file), the stat and a small range's bytes are one trip off the event loop.
    not_found = Response("not found", status_code=404, media_type="text/plain")
    try:
        check_key(key)
        access = _media_access(state, key)
        if access == "private" and identify(request, state, bearer_token(request)) is None:
            return not_found
        info = state.store.stat(key) if access != "none" else None
    except InputError:  # a key the store refuses (a symlink on the way) is as absent as a missing one
        return not_found
    if info is None:
        return not_found
    return _serve(state, request, info, access == "public", byte_range or "")


def _serve(state: AppState, request: Request, info: StoredFile, public: bool, byte_range: str) -> Response:
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": info.etag,
        "Last-Modified": format_datetime(info.modified.astimezone(UTC), usegmt=True),
        # Episode keys change on every re-render, so a published file never changes under its URL.
        "Cache-Control": "public, max-age=31536000, immutable" if public else "private, no-cache",
    }
    if request.query_params.get("download") or info.content_type == UNKNOWN_TYPE:
        # A file of no known type is only ever a download, whatever it holds.
        headers["Content-Disposition"] = f'attachment; filename="{info.key.rsplit("/", 1)[-1]}"'
    if _not_modified(request, info.etag, info.modified):
        return Response(status_code=304, headers=headers)
    wanted = parse_range(byte_range, info.size)
    if_range = request.headers.get("if-range")
    if if_range is not None and if_range.strip() != info.etag:
        wanted = None  # the client's partial copy is of another version: send it all
    if wanted == "unsatisfiable":
        headers["Content-Range"] = f"bytes */{info.size}"
        return Response(status_code=416, headers=headers)
    status, (first, last) = (206, wanted) if wanted else (200, (0, info.size - 1))
    headers["Content-Length"] = str(last - first + 1)
    if status == 206:
        headers["Content-Range"] = f"bytes {first}-{last}/{info.size}"
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers, media_type=info.content_type)
    if last - first < INLINE_BYTES:
        # What players ask for most (a range of a few hundred KiB) is read here, in this thread.
        data = b"".join(state.store.iter_range(info.key, first, last)) if last >= first else b""
        return Response(data, status_code=status, headers=headers, media_type=info.content_type)
    body = state.store.iter_range(info.key, first, last)
    return StreamingResponse(body, status_code=status, headers=headers, media_type=info.content_type)
