"""What every route shares: the app's services, who is asking, and CSRF checks.

A request is authenticated by an API token (`Authorization: Bearer prd_…`) or by the session
cookie. Cookie-authenticated requests that change something must carry the session's CSRF token
(form field `csrf_token` or header `X-CSRF-Token`); token requests cannot be forged by a browser,
so they need none.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Annotated

from fastapi import Depends, Path, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from producer import auth
from producer.jobs import JobQueue
from producer.settings import Settings
from producer.store.db import Database, User, utcnow
from producer.store.files import FileStore
from producer.web.feedcache import FeedCache
from producer.web.preview import EngineInfo, PreviewGate

SESSION_COOKIE = "producer_session"
PRELOGIN_COOKIE = "producer_prelogin"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass
class AppState:
    settings: Settings
    db: Database
    store: FileStore
    queue: JobQueue
    templates: Jinja2Templates
    secret: bytes
    previews: Executor
    preview_gate: PreviewGate = field(default_factory=PreviewGate)
    # Set by `serve` on a non-loopback address: logins with a guessable password are refused there.
    public_bind: bool = False
    feed_cache: FeedCache = field(default_factory=FeedCache)
    engines: list[EngineInfo] | None = None  # asked of the preview process once, then kept

    def prelogin_token(self, nonce: str) -> str:
        return hmac.new(self.secret, f"login:{nonce}".encode(), sha256).hexdigest()


class LoginRequired(Exception):
    """No valid session or token: pages redirect to the login form, the API answers 401."""


class Forbidden(Exception):
    """Logged in, but the role does not allow this."""


class CsrfFailed(Exception):
    """A cookie-authenticated change without the session's CSRF token."""


@dataclass(frozen=True)
class Identity:
    user: User
    csrf: str | None  # None when authenticated by an API token
    session_token: str | None = None


def get_state(request: Request) -> AppState:
    return request.app.state.producer  # type: ignore[no-any-return]


State = Annotated[AppState, Depends(get_state)]


# Declares the API's Bearer scheme in the OpenAPI schema; it never refuses by itself (auto_error
# off), so the session cookie stays the pages' way in and the 401 keeps the service's own wording.
BEARER = HTTPBearer(auto_error=False, description="An API token from `producer token create NAME`.")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)]


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer` header, for routes that are public but serve more
    to a logged-in user (declaring the scheme there would mark them as needing it)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def identify(request: Request, state: AppState, token: str | None) -> Identity | None:
    """Who sent the request: the API token when one is given, else the session cookie."""
    now = utcnow()
    if token:
        with state.db.read() as s:
            user = auth.token_user(s, token, now)
        return Identity(user, None) if user else None
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    with state.db.read() as s:
        found = auth.session_user(s, cookie, now)
    if found is None:
        return None
    user, row = found
    if auth.renewal_due(row, state.settings.session_hours, now):
        with state.db.write() as s:
            auth.renew_session(s, cookie, state.settings.session_hours, now)
    return Identity(user, row.csrf, cookie)


def preview_caller(request: Request) -> str | None:
    """Who is asking, as a digest of the API token or session cookie that identify() would read:
    the key the preview door counts by, known without the database."""
    secret = bearer_token(request) or request.cookies.get(SESSION_COOKIE)
    return sha256(secret.encode()).hexdigest() if secret else None


async def _csrf_ok(request: Request, identity: Identity) -> bool:
    if identity.csrf is None or request.method in SAFE_METHODS:
        return True
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await read_form(request)
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    return sent is not None and auth.same(sent, identity.csrf)


async def read_form(request: Request) -> FormData:
    """The request's form, parsed once with the service's limits (Starlette caches it)."""
    settings: Settings = request.app.state.producer.settings
    try:
        return await request.form(
            max_files=20, max_fields=500, max_part_size=int(settings.max_upload_mb * 2**20)
        )
    except HTTPException as exc:
        # Starlette's 400 for a form over its field, file or part-size limits is a size refusal.
        if str(exc.detail).startswith(("Too many", "Field exceeded", "Part exceeded")):
            raise HTTPException(413, str(exc.detail)) from exc
        raise


def require(role: str) -> Callable[..., Awaitable[Identity]]:
    async def dependency(request: Request, state: State, credentials: Credentials) -> Identity:
        identity = await run_identify(request, state, credentials.credentials if credentials else None)
        if identity is None:
            raise LoginRequired
        if not await _csrf_ok(request, identity):
            raise CsrfFailed
        if not auth.has_role(identity.user, role):
            raise Forbidden
        request.state.identity = identity
        return identity

    return dependency


async def run_identify(request: Request, state: AppState, token: str | None) -> Identity | None:
    if not token and SESSION_COOKIE not in request.cookies:
        return None  # nothing to look up: no trip to the thread pool
    # Database calls leave the event loop, so a busy SQLite never stalls other requests.
    return await run_in_threadpool(identify, request, state, token)


# Database ids in URLs: bounded, so a huge number is a 422, never an integer overflow in the driver.
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]

Viewer = Annotated[Identity, Depends(require("viewer"))]
Editor = Annotated[Identity, Depends(require("editor"))]
Admin = Annotated[Identity, Depends(require("admin"))]


def new_nonce() -> str:
    return secrets.token_urlsafe(24)
