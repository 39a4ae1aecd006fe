"""Fetching a source over HTTP: conditional GET, timeouts, a size limit, one clear error.

The only place the automation touches the network. httpx with a connect/read timeout, redirects
followed up to a limit, the body read in pieces and refused past `max_bytes` before it is held
whole; ETag and Last-Modified are sent back so an unchanged feed costs a 304.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from producer.errors import ProducerError

USER_AGENT = "producer-newsroom/1 (Arabic radio bulletins)"


class SourceError(ProducerError):
    """A source could not be fetched or read; the message says why in one sentence."""


@dataclass(frozen=True)
class FetchLimits:
    timeout: float = 15.0
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5


DEFAULT_LIMITS = FetchLimits()


@dataclass(frozen=True)
class Fetched:
    url: str  # after redirects
    body: bytes
    etag: str | None
    last_modified: str | None


def fetch(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    limits: FetchLimits = DEFAULT_LIMITS,
    transport: httpx.BaseTransport | None = None,
) -> Fetched | None:
    """The resource at `url`, or None when the server says it has not changed (304)."""
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "application/rss+xml, application/atom+xml, text/html, */*",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        with (
            httpx.Client(
                timeout=limits.timeout,
                follow_redirects=True,
                max_redirects=limits.max_redirects,
                transport=transport,
            ) as client,
            client.stream("GET", url, headers=headers) as response,
        ):
            if response.status_code == 304:
                return None
            if response.status_code >= 400:
                raise SourceError(f"{url} answered HTTP {response.status_code}")
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limits.max_bytes:
                raise SourceError(f"{url} is larger than {limits.max_bytes // 1024} KB")
            body = bytearray()
            for piece in response.iter_bytes():
                body += piece
                if len(body) > limits.max_bytes:
                    raise SourceError(f"{url} is larger than {limits.max_bytes // 1024} KB")
            return Fetched(
                str(response.url),
                bytes(body),
                response.headers.get("ETag"),
                response.headers.get("Last-Modified"),
            )
    except httpx.TimeoutException as exc:
        raise SourceError(f"{url} did not answer within {limits.timeout:g} s") from exc
    except httpx.TooManyRedirects as exc:
        raise SourceError(f"{url} redirects too many times") from exc
    except httpx.HTTPError as exc:
        raise SourceError(f"{url} cannot be reached: {exc}") from exc
