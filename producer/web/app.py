"""The FastAPI application factory: `create_app(settings)` builds everything from one Settings.

Nothing is built at import time, so tests, `producer serve` and a second worker each make their
own database engine, file store and queue from the settings they are given.
"""

from __future__ import annotations

import gc
import json
import logging
import multiprocessing
import re
import secrets
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from producer import auth
from producer.jobs import JobQueue
from producer.metrics import Metrics
from producer.resources import bundled
from producer.settings import Settings
from producer.store import db
from producer.store.db import Database, database_url
from producer.store.files import open_checked_store
from producer.store.words import adopt_lexicon_file
from producer.tts.voices import MAX_CONFIG_BYTES, MAX_MODEL_BYTES
from producer.web import admin, api, ops, pages, public, service
from producer.web import air as air_pages
from producer.web import sources as source_pages
from producer.web.deps import AppState, CsrfFailed, Forbidden, LoginRequired, Viewer, preview_caller
from producer.web.preview import PreviewDoor, start_preview_process
from producer.web.service import Rejected

if TYPE_CHECKING:
    from producer.air.scheduler import Scheduler

log = logging.getLogger("producer.web")

# Scripts and styles only from this origin (no inline code), media only from here, never framed.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


SIGNING_SECRET = "signing"


def secret_key(settings: Settings, database: Database) -> bytes:
    """The configured key, else the one in the database (generated once, shared by every web
    server, rotated with `producer secret rotate`). A key an older release kept in
    DATA_DIR/secret_key is adopted, so forms open during the upgrade still work."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    legacy = settings.data_dir / "secret_key"
    fresh = legacy.read_text().strip() if legacy.is_file() else secrets.token_hex(32)
    with database.write() as s:
        return db.shared_secret(s, SIGNING_SECRET, fresh).encode()


def keep_private(settings: Settings) -> None:
    """The data folder 0700 and its database files 0600: accounts, sessions and drafts are no
    business of the machine's other users."""
    settings.data_dir.chmod(0o700)
    for name in ("producer.db", "producer.db-wal", "producer.db-shm", "queue.db", "secret_key"):
        path = settings.data_dir / name
        if path.exists():
            path.chmod(0o600)


def is_api(path: str) -> bool:
    return path.startswith("/api/") or path == "/openapi.json"


def create_app(settings: Settings) -> FastAPI:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database(database_url(settings.data_dir, settings.database_url))
    database.migrate()
    adopted = adopt_lexicon_file(database, settings.lexicon_file)
    if adopted is not None:
        log.warning("%s", adopted.message())
    keep_private(settings)
    if settings.admin_password is not None:
        try:
            with database.write() as s:
                auth.ensure_admin(s, settings.admin_password.get_secret_value())
        except IntegrityError:
            # Another server starting at the same time made the account first (PostgreSQL writers
            # run side by side): now it is there to be checked.
            with database.write() as s:
                auth.ensure_admin(s, settings.admin_password.get_secret_value())
    store = open_checked_store(settings)
    metrics = Metrics()
    queue = JobQueue(settings, database, store, metrics)
    metrics.watch_shared(lambda: _jobs_by_state(database), queue.broker.pending)
    web_dir = bundled("web")
    templates = Jinja2Templates(directory=web_dir / "templates")
    _install_filters(templates, ZoneInfo(settings.timezone))
    state = AppState(
        settings=settings,
        db=database,
        store=store,
        queue=queue,
        templates=templates,
        secret=secret_key(settings, database),
        # Segment previews voice text in a separate process: engines keep process-wide state.
        # It dies with the server, so a kill -9 of `serve` leaves no preview process behind.
        # At a lower CPU priority than this process (preview.start_preview_process).
        previews=ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=start_preview_process
        ),
    )

    scheduler = _scheduler(state)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if settings.embedded_worker:
            queue.start()
        if scheduler is not None:
            scheduler.start()
        # Everything built so far (modules, the app, the engine) lives as long as the process: kept
        # out of the collector's full passes, which otherwise stall every request for ~100 ms.
        gc.freeze()
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.stop()
            queue.stop()
            state.previews.shutdown(wait=True, cancel_futures=True)
            database.dispose()

    app = FastAPI(
        title="producer",
        summary="Arabic radio bulletins: compose, edit, render, publish.",
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.producer = state

    # The schema maps every route and limit: for the newsroom's own clients, not for anyone asking.
    @app.api_route("/openapi.json", methods=["GET", "HEAD"], include_in_schema=False)
    def openapi_schema(_who: Viewer) -> JSONResponse:
        return JSONResponse(app.openapi())

    app.include_router(ops.router)
    app.include_router(public.router)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(admin.router)
    app.include_router(air_pages.router)
    app.include_router(source_pages.router)
    app.mount("/static", StaticFiles(directory=web_dir / "static"), name="static")
    app.state.route_methods = route_methods(app.routes)
    _install_handlers(app, templates)
    app.add_middleware(
        BodyLimit,
        limit=int(settings.max_upload_mb * 2**20) + 64 * 1024,
        per_path={
            "/login": LOGIN_BODY,
            # A medium Piper voice is ~63 MB: its upload has the voices' own bound.
            "/settings/voices/upload": MAX_MODEL_BYTES + MAX_CONFIG_BYTES + 64 * 1024,
        },
    )
    # Previews past the gate are refused, and the feed is answered from memory, before anything
    # else that could be slow under a flood.
    app.add_middleware(PreviewDoor, gate=state.preview_gate, caller=preview_caller)
    app.add_middleware(public.FeedFastPath, state=state)
    app.add_middleware(ops.HttpMetrics, metrics=metrics)
    # Outside even Starlette's error middleware, so every response carries the headers: the body
    # limit's own 413 and the 500 of a crash included.
    build = app.build_middleware_stack
    app.build_middleware_stack = lambda: SecurityHeaders(build())  # type: ignore[method-assign]
    return app


def _scheduler(state: AppState) -> Scheduler | None:
    """The programmes' scheduler, run with the app (settings.scheduler)."""
    from producer.air.runs import Services
    from producer.air.scheduler import Scheduler

    if not state.settings.scheduler:
        return None
    return Scheduler(Services(state.settings, state.db, state.store, state.queue))


def _jobs_by_state(database: Database) -> dict[str, int]:
    with database.read() as s:
        return db.jobs_by_state(s)


STAGES = {
    "start": "بدء التوليد",
    "retry": "إعادة المحاولة",
    "speakable": "تحضير النص",
    "synthesize": "توليد الكلام",
    "assemble": "تجميع البرنامج",
    "encode": "ترميز الصوت",
    "store": "حفظ الملفات",
    "publish": "تحديث الحلقة",
    "done": "اكتمل",
}


def clock(seconds: float) -> str:
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _install_filters(templates: Jinja2Templates, zone: ZoneInfo) -> None:
    env = templates.env
    env.filters["when"] = lambda dt: dt.astimezone(zone).strftime("%Y-%m-%d %H:%M") if dt else ""
    env.filters["clock"] = clock
    env.filters["stage"] = lambda name: STAGES.get(name, name)


def _install_handlers(app: FastAPI, templates: Jinja2Templates) -> None:
    def error_page(request: Request, status: int, message: str) -> Response:
        return templates.TemplateResponse(
            request, "error.html", {"message": message, "status": status}, status_code=status
        )

    @app.exception_handler(Rejected)
    async def rejected(request: Request, exc: Rejected) -> Response:
        if is_api(request.url.path):
            response: Response = JSONResponse({"detail": exc.message}, status_code=exc.status)
        else:
            response = error_page(request, exc.status, exc.message)
        if exc.retry_after is not None:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(OSError)
    @app.exception_handler(OperationalError)
    async def outage(request: Request, exc: Exception) -> Response:
        """A full disk or an unreachable database is said as such (507 or 503 with a retry hint),
        not as a bare 500; nothing typed is lost, the form can be sent again."""
        refusal = service.outage_refusal(exc)
        if refusal is None:
            raise exc
        log.warning("%s %s refused: %s", request.method, request.url.path, exc)
        return await rejected(request, refusal)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        if is_api(request.url.path) or request.method not in ("GET", "HEAD"):
            return JSONResponse(
                {"detail": "يلزم تسجيل الدخول أو رمز API صالح."},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={pages.quote_next(target)}", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, _exc: Forbidden) -> Response:
        message = "دوركم في المحطة لا يسمح بهذا الإجراء."
        if is_api(request.url.path):
            return JSONResponse({"detail": message}, status_code=403)
        return error_page(request, 403, message)

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, _exc: CsrfFailed) -> Response:
        message = "انتهت صلاحية النموذج أو لم يُرسَل من هذه الصفحة؛ أعيدوا تحميل الصفحة وحاولوا مجددًا."
        if is_api(request.url.path):
            return JSONResponse({"detail": message}, status_code=403)
        return error_page(request, 403, message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette names only the first route's methods; RFC 9110 wants all of the resource's.
            headers["Allow"] = allowed_methods(request)
        if is_api(request.url.path):
            detail = API_MESSAGES.get(exc.status_code, exc.detail)
            return JSONResponse({"detail": detail}, exc.status_code, headers=headers)
        if request.url.path.startswith(("/media/", "/static/")):
            return await http_exception_handler(
                request, StarletteHTTPException(exc.status_code, exc.detail, headers)
            )
        message = PAGE_MESSAGES.get(exc.status_code, "تعذّرت قراءة الطلب.")
        response = error_page(request, exc.status_code, message)
        response.headers.update(headers)
        return response

    @app.exception_handler(ClientDisconnect)
    async def gone(request: Request, _exc: ClientDisconnect) -> Response:
        # The client left mid-body: nothing to answer and nothing broken, so one line, no traceback.
        log.warning("client left during %s %s", request.method, request.url.path)
        return Response(status_code=400)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        message = "حدث خطأ غير متوقع في الخادم؛ لم يُفقد ما حُفظ. أعيدوا المحاولة بعد قليل."
        if is_api(request.url.path):
            return JSONResponse({"detail": message}, status_code=500)
        return error_page(request, 500, message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if is_api(request.url.path):
            return JSONResponse(validation_error(exc.errors()), status_code=422)
        return error_page(request, 400, "بيانات النموذج غير صالحة.")


TOO_LARGE = "الطلب أكبر من الحد المسموح؛ قسّموا النص أو صغّروا الملف."
PAGE_MESSAGES = {404: "الصفحة غير موجودة.", 405: "هذا الإجراء غير متاح هنا.", 413: TOO_LARGE}
API_MESSAGES = {
    400: "تعذّرت قراءة جسم الطلب؛ أرسلوا JSON صالحًا بترميز UTF-8.",
    404: "المورد غير موجود.",
    405: "هذه الطريقة غير متاحة لهذا المسار.",
    413: TOO_LARGE,
}
MAX_REPORTED_ERRORS = 20


def validation_error(errors: Sequence[Any]) -> dict[str, Any]:
    """The API's 422 body: one Arabic sentence in `detail` (as every API error), then the fields.

    The offending input is not echoed back: it may be megabytes long.
    """
    fields = [
        {
            "loc": [p if isinstance(p, int) else str(p) for p in e["loc"]],
            "msg": str(e["msg"]),
            "type": e["type"],
        }
        for e in errors[:MAX_REPORTED_ERRORS]
    ]
    where = ".".join(str(p) for p in fields[0]["loc"][1:]) if fields else ""
    detail = f"بيانات الطلب غير صالحة ({where or 'الجسم'})؛ التفاصيل في errors."
    return {"detail": detail, "errors": fields}


def route_methods(routes: Sequence[Any]) -> list[tuple[re.Pattern[str], frozenset[str]]]:
    """Each route's path pattern and methods, through included routers (FastAPI nests them)."""
    found: list[tuple[re.Pattern[str], frozenset[str]]] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            found += route_methods(inner.routes)
        elif getattr(route, "methods", None):
            found.append((route.path_regex, frozenset(route.methods)))
    return found


def allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (for the Allow header of a 405)."""
    table: list[tuple[re.Pattern[str], frozenset[str]]] = request.app.state.route_methods
    path = request.scope["path"]
    return ", ".join(sorted({m for pattern, methods in table if pattern.match(path) for m in methods}))


class SecurityHeaders:
    """Adds the security headers to every response (pure ASGI, so streaming stays streaming)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in SECURITY_HEADERS if n not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _TooLarge(StarletteHTTPException):
    """An HTTPException, so FastAPI's body parsing passes it on as a 413 instead of a 400."""

    def __init__(self) -> None:
        super().__init__(413, TOO_LARGE)


# A login form is a name, a password and two tokens: a few hundred bytes.
LOGIN_BODY = 16 * 1024


class BodyLimit:
    """Refuses request bodies over the limit with 413, by Content-Length or while streaming;
    `per_path` gives some paths a limit of their own."""

    def __init__(self, app: ASGIApp, limit: int, per_path: dict[str, int] | None = None) -> None:
        self.app, self.default, self.per_path = app, limit, per_path or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope.get("path", ""), self.default)
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or len(declared) > 12 or int(declared) > limit):
            await self._reject(scope, send)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._reject(scope, send)

    async def _reject(self, scope: Scope, send: Send) -> None:
        path = scope.get("path", "")
        body = (json.dumps({"detail": TOO_LARGE}, ensure_ascii=False) if is_api(path) else TOO_LARGE).encode()
        content_type = b"application/json" if is_api(path) else b"text/plain; charset=utf-8"
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})
