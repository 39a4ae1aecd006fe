"""Fetching a source over HTTP: conditional GET, timeouts, a size limit, one clear error.

The only place the automation touches the network. httpx with a connect/read timeout, redirects
followed up to a limit, the body read in pieces and refused past `max_bytes` before it is held
whole; ETag and Last-Modified are sent back so an unchanged feed costs a 304. Unless the station
allows it (a CMS inside its own network), every request, redirects included, must go to a public
address: an editor adding a source must not make the server read its own network (SSRF). The
address checked is the address connected to: a name is resolved once per connection, so a DNS
server that answers a public address to the check and an internal one a moment later (DNS
rebinding) gains nothing.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpcore
import httpx

from producer.errors import ProducerError

if TYPE_CHECKING:
    from producer.settings import Settings

USER_AGENT = "producer-newsroom/1 (Arabic radio bulletins)"


class SourceError(ProducerError):
    """A source could not be fetched or read; the message says why in one sentence."""


@dataclass(frozen=True)
class FetchLimits:
    timeout: float = 15.0
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    private: bool = False  # whether private, loopback and link-local addresses may be fetched


DEFAULT_LIMITS = FetchLimits()


def source_limits(settings: Settings) -> FetchLimits:
    return FetchLimits(private=settings.sources_private)


def _checked_addresses(host: str, port: int, *, private: bool) -> list[str]:
    """The addresses of `host`, all of them public unless `private` is allowed."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise SourceError(f"{host} cannot be resolved") from exc
    addresses = []
    for *_, sockaddr in found:
        address = ipaddress.ip_address(sockaddr[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if not private and not address.is_global:
            raise SourceError(
                f"{host} is an address inside the network ({address}); "
                "set PRODUCER_SOURCES_PRIVATE=1 to read sources there"
            )
        addresses.append(str(sockaddr[0]))
    return list(dict.fromkeys(addresses))


def _public_only(request: httpx.Request) -> None:
    """Refuse a request (first or redirected) whose host resolves to a non-public address, before
    anything is sent, whatever the transport (a proxy resolves names itself)."""
    port = request.url.port or (443 if request.url.scheme == "https" else 80)
    _checked_addresses(request.url.host, port, private=False)


class _CheckedBackend(httpcore.SyncBackend):
    """Connects to the very addresses it checked, trying each in turn (TLS still verifies the name)."""

    def __init__(self, *, private: bool) -> None:
        self._private = private

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        *others, last = _checked_addresses(host, port, private=self._private)
        for address in others:
            with contextlib.suppress(httpcore.ConnectError, httpcore.ConnectTimeout):
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
        return super().connect_tcp(last, port, timeout, local_address, socket_options)


class _CheckedTransport(httpx.HTTPTransport):
    """httpx's own transport over the checking backend (httpx has no setting for a backend)."""

    def __init__(self, *, private: bool) -> None:
        super().__init__()
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(), network_backend=_CheckedBackend(private=private)
        )


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
                # Mounted rather than passed as the transport, so that proxies set in the
                # environment (HTTP_PROXY, HTTPS_PROXY) still apply: a proxy resolves names itself,
                # and with one set, hosts in NO_PROXY are checked by `_public_only` alone.
                mounts={} if transport else {"all://": _CheckedTransport(private=limits.private)},
                event_hooks={"request": [] if limits.private else [_public_only]},
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
