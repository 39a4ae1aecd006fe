"""The newsroom's HTML pages (Arabic, right to left): thin adapters over `service`.

Every form posts back to the server with its CSRF token; a rejected form is shown again with the
input it carried and one Arabic sentence, under a 4xx status. Database and pipeline work runs in
the thread pool (sync helpers), never on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Future
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from producer import auth
from producer.errors import ProducerError
from producer.models import SEGMENT_LABELS, Target
from producer.settings import Settings
from producer.store import db
from producer.store.db import ACTIVE_STATES, Bulletin, JobState, utcnow
from producer.store.words import station_words
from producer.web import service
from producer.web.deps import (
    PRELOGIN_COOKIE,
    SESSION_COOKIE,
    AppState,
    Editor,
    Identity,
    RowId,
    State,
    Viewer,
    new_nonce,
    read_form,
)
from producer.web.preview import (
    PREVIEW_MEDIA_TYPE,
    EngineInfo,
    busy_response,
    engine_catalog,
    stream_segment,
    voice_segment,
    warm_up,
)
from producer.web.reading import spoken_views
from producer.web.service import Draft, Rejected

log = logging.getLogger("producer.web")
MAX_PREVIEW_CHARS = 20_000
PREVIEW_TIMEOUT = 300.0

router = APIRouter(include_in_schema=False)

TARGET_LABELS = {Target.PODCAST: "بودكاست (MP3)", Target.BROADCAST: "بث إذاعي (WAV)"}
MAX_UPLOADS = 10


def quote_next(path: str) -> str:
    return quote(path, safe="/")


def safe_next(value: str | None) -> str:
    """Only same-site paths: `//host` and `/\\host` would leave the site."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    return value


def render(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    state: AppState = request.app.state.producer
    identity: Identity | None = getattr(request.state, "identity", None)
    base = {
        "user": identity.user if identity else None,
        "csrf": identity.csrf if identity else None,
        "is_editor": bool(identity and auth.has_role(identity.user, "editor")),
        "is_admin": bool(identity and auth.has_role(identity.user, "admin")),
        "kind_labels": SEGMENT_LABELS,
        "target_labels": TARGET_LABELS,
    }
    return state.templates.TemplateResponse(request, template, {**base, **context}, status_code=status)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _field(form: FormData, name: str, default: str = "") -> str:
    value = form.get(name)
    return value if isinstance(value, str) else default


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


# ---- login ----------------------------------------------------------------------------------------


@router.get("/login")
def login_form(request: Request, state: State, next: str = "/") -> Response:
    nonce = new_nonce()
    response = render(request, "login.html", token=state.prelogin_token(nonce), next=safe_next(next))
    _set_cookie(request, state, response, PRELOGIN_COOKIE, nonce, max_age=3600)
    return response


@router.post("/login")
async def login(request: Request, state: State) -> Response:
    form = await read_form(request)
    name, password = _field(form, "name").strip(), _field(form, "password")
    target = safe_next(_field(form, "next"))
    nonce = request.cookies.get(PRELOGIN_COOKIE, "")
    address = request.client.host if request.client else "?"

    def again(status: int, message: str) -> Response:
        fresh = new_nonce()
        response = render(
            request,
            "login.html",
            status,
            token=state.prelogin_token(fresh),
            next=target,
            name=name[: auth.MAX_NAME],
            error=message,
        )
        _set_cookie(request, state, response, PRELOGIN_COOKIE, fresh, max_age=3600)
        return response

    # Lengths first: nothing else (throttle, hashing, the database) sees an oversized field.
    if len(name) > auth.MAX_NAME or len(password) > auth.MAX_PASSWORD:
        return again(422, "اسم المستخدم أو كلمة المرور أطول من المسموح.")
    if not nonce or not auth.same(_field(form, "csrf_token"), state.prelogin_token(nonce)):
        return again(403, "انتهت صلاحية نموذج الدخول؛ حاولوا مجددًا.")
    outcome = await run_in_threadpool(
        _login, state, address, name, password, request.cookies.get(SESSION_COOKIE)
    )
    if outcome == "throttled":
        return again(429, "محاولات دخول خاطئة كثيرة؛ انتظروا بضع دقائق ثم حاولوا مجددًا.")
    if outcome == "weak":
        return again(403, "كلمة مرور الحساب سهلة التخمين ولا تُقبل على خادم عام؛ اطلبوا من المدير تغييرها.")
    if outcome is None:
        return again(401, "اسم المستخدم أو كلمة المرور غير صحيحة.")
    assert isinstance(outcome, auth.NewSession)  # the refusals, all strings, were answered above
    response = redirect(target)
    _set_cookie(
        request,
        state,
        response,
        SESSION_COOKIE,
        outcome.token,
        max_age=int(state.settings.session_hours * 3600),
    )
    response.delete_cookie(PRELOGIN_COOKIE, path="/")
    return response


def _login(
    state: AppState, address: str, name: str, password: str, old_token: str | None
) -> auth.NewSession | str | None:
    """A new session, None for a wrong name or password, or why the login is refused."""
    now = utcnow()
    with state.db.read() as s:
        if auth.login_wait(s, address, name, now) > 0:
            return "throttled"
    with state.db.write() as s:
        user = auth.authenticate(s, name, password)
        if user is None:
            wait = auth.login_failed(s, address, name, now)
            if wait:
                log.warning("login throttled: %s for one account, %.0f s", address, wait)
            return None
        auth.login_succeeded(s, address, name)
        if state.public_bind and not auth.password_is_strong(password, user.name):
            return "weak"
        if old_token:
            # A new session id at every login, so a planted cookie never becomes a logged-in one.
            db.drop_session(s, auth.digest(old_token))
        return auth.start_session(s, user, state.settings.session_hours, now)


def _set_cookie(
    request: Request, state: AppState, response: Response, name: str, value: str, max_age: int
) -> None:
    secure = request.url.scheme == "https" or (state.settings.base_url or "").startswith("https://")
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="lax", secure=secure)


@router.post("/logout")
def logout(request: Request, state: State, who: Viewer) -> Response:
    if who.session_token:
        with state.db.write() as s:
            db.drop_session(s, auth.digest(who.session_token))
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# ---- dashboard and compose ------------------------------------------------------------------------


def _dashboard(state: AppState) -> dict[str, Any]:
    rows = []
    with state.db.read() as s:
        for bulletin in db.recent_bulletins(s):
            rows.append(
                {
                    "bulletin": bulletin,
                    "episode": db.episode_of(s, bulletin.id),
                    "job": db.latest_job(s, bulletin.id),
                }
            )
    return {"rows": [{**row, "state": _state_of(row)} for row in rows]}


def _state_of(row: dict[str, Any]) -> tuple[str, str]:
    """(css class, Arabic label) of where a bulletin stands."""
    bulletin, episode, job = row["bulletin"], row["episode"], row["job"]
    if job is not None and job.state in ACTIVE_STATES:
        return "running", "قيد التوليد"
    if episode is not None and episode.published:
        return "published", "منشورة"
    if job is not None and job.state == JobState.FAILED:
        return "failed", "فشل التوليد"
    if episode is not None:
        return "rendered", "مولّدة، غير منشورة"
    if bulletin.script is None:
        return "draft", "مسودة"
    return "ready", "جاهزة للتحرير"


def _compose_page(
    request: Request, state: AppState, draft: Draft, draft_id: int | None, status: int = 200, **extra: Any
) -> Response:
    return render(
        request,
        "index.html",
        status,
        draft=draft,
        draft_id=draft_id,
        articles=(draft.articles or []) or [""],
        engines=engines_of(state),
        max_article_chars=state.settings.max_article_chars,
        **_dashboard(state),
        **extra,
    )


@router.get("/")
def index(
    request: Request,
    state: State,
    who: Viewer,
    draft: str | None = None,
    saved: str | None = None,
    deleted: str | None = None,
) -> Response:
    draft_id = _int(draft)
    current = Draft(target=service.station(state).target)
    recompose = False
    if draft_id is not None:
        bulletin = service.get_bulletin(state, draft_id)
        current = Draft(
            bulletin.title, bulletin.target, bulletin.engine, bulletin.voice, list(bulletin.articles)
        )
        recompose = bulletin.script is not None
    notice = "حُفظت المسودة." if saved else "حُذفت النشرة وحلقتها." if deleted else None
    return _compose_page(request, state, current, draft_id, notice=notice, recompose=recompose)


@router.post("/bulletins")
async def compose_form(request: Request, state: State, who: Editor) -> Response:
    form = await read_form(request)
    draft = Draft(
        title=_field(form, "title"),
        target=_field(form, "target", Target.PODCAST),
        engine=_field(form, "engine") or None,
        voice=_field(form, "voice") or None,
        articles=[a for a in form.getlist("article") if isinstance(a, str)],
    )
    draft_id = _int(_field(form, "draft"))
    uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    files = [(f.filename or "", await f.read()) for f in uploads[: MAX_UPLOADS + 1]]
    action = _field(form, "action", "compose")
    return await run_in_threadpool(_compose, request, state, who, draft, draft_id, files, action)


def _compose(
    request: Request,
    state: AppState,
    who: Identity,
    draft: Draft,
    draft_id: int | None,
    files: list[tuple[str, bytes]],
    action: str,
) -> Response:
    try:
        if len(files) > MAX_UPLOADS:
            raise Rejected(413, f"يمكن رفع {MAX_UPLOADS} ملفات على الأكثر في المرة الواحدة.")
        extracted = [service.extract_upload(state, name, data) for name, data in files]
        draft = service.check_draft(
            state, Draft(**{**vars(draft), "articles": [*(draft.articles or []), *extracted]})
        )
    except Rejected as exc:
        # Nothing is overwritten: the saved draft stays as it was, the form keeps what was typed.
        return _compose_page(request, state, draft, draft_id, exc.status, error=exc.message)
    if draft_id is not None and not _editable(state, draft_id):
        draft_id = None
    draft_id = service.save_draft(state, who.user, draft, draft_id)
    if action == "save":
        return redirect(f"/?draft={draft_id}&saved=1")
    try:
        script = service.compose_draft(state, draft)
    except Rejected as exc:
        return _compose_page(request, state, draft, draft_id, exc.status, error=exc.message)
    service.store_script(state, draft_id, script)
    return redirect(f"/bulletins/{draft_id}")


def _editable(state: AppState, bulletin_id: int) -> bool:
    with state.db.read() as s:
        return s.get(Bulletin, bulletin_id) is not None


# ---- script editor ----------------------------------------------------------------------------------


def engines_of(state: AppState) -> list[EngineInfo]:
    """The engine catalog, asked of the preview process once and then kept."""
    if state.engines is None:
        state.engines = state.previews.submit(engine_catalog, state.settings).result(timeout=120)
        # An editor is open: the station's voice is loaded into the preview process now, not when
        # the first listen waits for it (a Piper model takes seconds).
        config = service.station(state)
        voice = {"engine": config.engine, "voice": config.voice, "pace": config.pace}
        state.previews.submit(warm_up, state.settings.model_copy(update=voice))
    return state.engines


def _editor(
    request: Request, state: AppState, bulletin: Bulletin, status: int = 200, **extra: Any
) -> Response:
    segments = (bulletin.script or {}).get("segments", [])
    config = service.station(state)
    try:
        spoken = spoken_views(state, [seg["text"] for seg in segments], bulletin.engine or config.engine)
    except (ProducerError, Rejected):
        spoken = [[] for _ in segments]
    with state.db.read() as s:
        episode = db.episode_of(s, bulletin.id)
        job = db.latest_job(s, bulletin.id)
    return render(
        request,
        "bulletin.html",
        status,
        bulletin=bulletin,
        segments=list(zip(segments, spoken, strict=True)),
        episode=episode,
        job=job,
        engines=engines_of(state),
        engine=bulletin.engine or config.engine,
        voice=bulletin.voice or config.voice or "",
        estimate=_estimate(state, bulletin),
        **extra,
    )


def _estimate(state: AppState, bulletin: Bulletin) -> Any:
    """The script's reading time at the station's pace (and its programme's length, if a run built
    it), or None when the script cannot be read as one."""
    from producer.air.desk import estimate_script
    from producer.scriptfile import script_from_dict
    from producer.web.air import services_of

    try:
        return estimate_script(services_of(state), bulletin.id, script_from_dict(bulletin.script or {}))
    except (ProducerError, Rejected):
        return None


@router.get("/bulletins/{bulletin_id}")
def editor(bulletin_id: RowId, request: Request, state: State, who: Viewer) -> Response:
    bulletin = service.get_bulletin(state, bulletin_id)
    if bulletin.script is None:
        return redirect(f"/?draft={bulletin_id}")
    return _editor(request, state, bulletin)


@router.post("/bulletins/{bulletin_id}")
async def save_script(bulletin_id: RowId, request: Request, state: State, who: Editor) -> Response:
    form = await read_form(request)
    return await run_in_threadpool(_save_script, request, state, bulletin_id, form)


def _save_script(request: Request, state: AppState, bulletin_id: int, form: FormData) -> Response:
    bulletin = service.get_bulletin(state, bulletin_id)
    old = (bulletin.script or {}).get("segments", [])
    count = _int(_field(form, "count")) or 0
    if count != len(old):
        return _editor(request, state, bulletin, 409, error="تغيّرت النشرة منذ فتح الصفحة؛ أعيدوا تحميلها.")
    segments = [
        {"kind": seg["kind"], "story": seg.get("story"), "text": _field(form, f"seg-{i}", seg["text"])}
        for i, seg in enumerate(old)
    ]
    try:
        updated = service.edit_script(
            state, bulletin_id, title=_field(form, "title") or None, segments=segments
        )
    except Rejected as exc:
        # Show the edits as typed, not as stored, so nothing typed is lost.
        shown = Bulletin(**{c: getattr(bulletin, c) for c in ("id", "title", "target", "engine", "voice")})
        shown.script = {**(bulletin.script or {}), "segments": segments}
        return _editor(request, state, shown, exc.status, error=exc.message)
    if _field(form, "action") == "render":
        return _start_render(state, request, bulletin_id, form)
    return _editor(request, state, updated, notice="حُفظ النص.")


@router.post("/bulletins/{bulletin_id}/delete")
async def delete_bulletin(bulletin_id: RowId, request: Request, state: State, who: Editor) -> Response:
    form = await read_form(request)
    bulletin = service.get_bulletin(state, bulletin_id)
    if _field(form, "confirm") != "yes":
        return _editor(request, state, bulletin, 422, error="أكّدوا الحذف أولًا: لا رجوع عنه.")
    try:
        await run_in_threadpool(service.delete_bulletin, state, who.user, bulletin_id)
    except Rejected as exc:
        return _editor(request, state, bulletin, exc.status, error=exc.message)
    return redirect("/?deleted=1")


@router.post("/bulletins/{bulletin_id}/speakable")
async def speakable(bulletin_id: RowId, request: Request, state: State, who: Viewer) -> Response:
    form = await read_form(request)
    try:
        engine = _field(form, "engine") or service.station(state).engine
        service.check_engine(engine)
        (lines,) = await run_in_threadpool(spoken_views, state, [_field(form, "text")], engine)
    except Rejected as exc:
        return JSONResponse({"detail": exc.message}, status_code=exc.status)
    except ProducerError as exc:
        return JSONResponse({"detail": f"تعذّر تحضير النص: {exc}"}, status_code=422)
    html = state.templates.get_template("_spoken.html").render(lines=lines)
    return JSONResponse(
        {"speakable": "\n".join("".join(p.text for p in line) for line in lines), "html": html}
    )


@router.post("/bulletins/{bulletin_id}/vowels")
async def set_word_vowels(bulletin_id: RowId, request: Request, state: State, who: Editor) -> Response:
    """An editor's vowels for one word: in this bulletin's script (scope=bulletin, the segments as
    currently typed are sent along and saved), or as a station lexicon entry (scope=station, admins)."""
    form = await read_form(request)
    try:
        texts = await run_in_threadpool(_set_word_vowels, state, who, bulletin_id, form)
    except Rejected as exc:
        return JSONResponse({"detail": exc.message}, status_code=exc.status)
    return JSONResponse({"segments": texts})


def _set_word_vowels(state: AppState, who: Identity, bulletin_id: int, form: FormData) -> list[str]:
    from producer.arabic.lexicon import LexiconEntry
    from producer.arabic.vowels import checked, set_vowels
    from producer.errors import InputError
    from producer.store import words

    word, vowels = _field(form, "word"), _field(form, "vowels")
    try:
        checked(word, vowels)
    except InputError as exc:
        raise Rejected(422, "التشكيل يجب أن يضيف حركات إلى حروف الكلمة نفسها فقط.") from exc
    bulletin = service.get_bulletin(state, bulletin_id)
    old = (bulletin.script or {}).get("segments", [])
    texts = [_field(form, f"seg-{i}", seg["text"]) for i, seg in enumerate(old)]
    scope = _field(form, "scope")
    if scope == "station":
        if not auth.has_role(who.user, "admin"):
            raise Rejected(403, "إضافة كلمة إلى معجم المحطة للمشرفين فقط.")
        word, vowels = checked(word, vowels)
        try:
            with state.db.write() as s:
                words.add_lexicon_entries(s, [LexiconEntry(word, vowels)], who.user.name)
                db.audit(s, who.user.name, "settings.lexicon", "station", word=word)
        except InputError as exc:
            raise Rejected(422, f"المعجم لا يقبل هذه الكلمة: {exc}") from exc
        return texts
    if scope != "bulletin":
        raise Rejected(422, "اختاروا: لهذه النشرة أو للمحطة.")
    if (_int(_field(form, "count")) or 0) != len(old):
        raise Rejected(409, "تغيّرت النشرة منذ فتح الصفحة؛ أعيدوا تحميلها.")
    texts = [set_vowels(text, word, vowels)[0] for text in texts]
    segments = [{**seg, "text": text} for seg, text in zip(old, texts, strict=True)]
    service.edit_script(state, bulletin_id, title=None, segments=segments)
    return texts


@router.post("/bulletins/{bulletin_id}/listen")
async def listen(bulletin_id: RowId, request: Request, state: State, who: Viewer) -> Response:
    """The segment voiced alone: a WAV once it is voiced, or with `format=mp3` an MP3 streamed
    from its first clause on while the rest is voiced (the editor's player)."""
    form = await read_form(request)
    text = _field(form, "text").strip()
    if not text:
        return JSONResponse({"detail": "المقطع فارغ."}, status_code=422)
    try:
        service.check_text(text, "المقطع", MAX_PREVIEW_CHARS)
    except Rejected as exc:
        return JSONResponse({"detail": exc.message}, status_code=exc.status)
    streamed = _field(form, "format") == "mp3"
    if not state.preview_gate.enter(who.user.id):
        return busy_response()
    engine, voice = _field(form, "engine") or None, _field(form, "voice") or None
    shared_cache = auth.has_role(who.user, "editor")
    try:
        if streamed:
            return await _streamed(state, who.user.id, text, engine, voice, shared_cache=shared_cache)
        wav = await _voice(state, text, engine, voice, shared_cache=shared_cache)
    except Rejected as exc:
        return JSONResponse({"detail": exc.message}, status_code=exc.status)
    except ProducerError as exc:
        return JSONResponse({"detail": f"تعذّر توليد المقطع: {exc}"}, status_code=422)
    except TimeoutError:
        return JSONResponse({"detail": "استغرق توليد المقطع وقتًا أطول من اللازم."}, status_code=422)
    finally:
        if not streamed:
            state.preview_gate.leave(who.user.id)
    return Response(wav, media_type="audio/wav", headers={"Cache-Control": "no-store"})


async def _preview_settings(
    state: AppState, work: Path, engine: str | None, *, shared_cache: bool
) -> Settings:
    """The station's settings for a preview. Editors' previews go into the shared segment cache
    (their render reuses them); a viewer's are voiced into a throwaway cache in the scratch
    folder, so viewers cannot fill the shared one."""
    from producer.store.station import station_settings

    if engine:
        service.check_engine(engine)
    config = await run_in_threadpool(service.station, state)
    conf = station_settings(state.settings, config)  # no store: a preview needs no jingles
    if not shared_cache:
        conf = conf.model_copy(update={"data_dir": work / "viewer", "piper_voices_dir": conf.voices_dir})
    return conf


async def _voice(
    state: AppState, text: str, engine: str | None, voice: str | None, *, shared_cache: bool
) -> bytes:
    """The segment voiced in the preview process, awaited without holding one of the web
    process's threads (a flood of previews once left none for the feed)."""
    with service.workdir(state) as work:
        conf = await _preview_settings(state, work, engine, shared_cache=shared_cache)
        lexicon = (await run_in_threadpool(station_words, state.db)).lexicon
        future = state.previews.submit(voice_segment, conf, text, engine, voice, lexicon)
        return await asyncio.wait_for(asyncio.wrap_future(future), timeout=PREVIEW_TIMEOUT)


async def _streamed(
    state: AppState, user_id: int, text: str, engine: str | None, voice: str | None, *, shared_cache: bool
) -> Response:
    """The segment voiced in the preview process into a scratch file that is sent on as it grows.

    Its gate place is given back when the voicing ends, not when the listener has it all; the
    scratch folder goes when both are over. Errors found before the first audio (an unknown
    voice, an engine that cannot run) are answered as such; later ones end the stream early.
    """
    scratch = ExitStack()
    try:
        work = scratch.enter_context(service.workdir(state))
        conf = await _preview_settings(state, work, engine, shared_cache=shared_cache)
        lexicon = (await run_in_threadpool(station_words, state.db)).lexicon
        out = work / "preview.mp3"
        future = state.previews.submit(stream_segment, conf, text, engine, voice, out, lexicon)
    except BaseException:
        scratch.close()
        state.preview_gate.leave(user_id)
        raise
    future.add_done_callback(lambda _: state.preview_gate.leave(user_id))
    deadline = asyncio.get_running_loop().time() + PREVIEW_TIMEOUT
    try:
        while not future.done() and not _has_audio(out):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError
            await asyncio.sleep(_TAIL_POLL)
        if future.done() and future.exception() is not None:
            raise future.exception()  # type: ignore[misc]
    except BaseException:
        _after(future, scratch.close)
        raise
    body = _tail(out, future, deadline, lambda: _after(future, scratch.close))
    return StreamingResponse(body, media_type=PREVIEW_MEDIA_TYPE, headers={"Cache-Control": "no-store"})


_TAIL_POLL = 0.01  # seconds between looks at a growing preview file


def _has_audio(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except FileNotFoundError:
        return False


def _after(future: Future[None], action: Callable[[], object]) -> None:
    """`action` once `future` is over (at once if it is)."""
    future.add_done_callback(lambda _: action())


async def _tail(
    path: Path, future: Future[None], deadline: float, done: Callable[[], None]
) -> AsyncIterator[bytes]:
    """The bytes of `path` as the preview process writes them, until it is done with it."""
    loop = asyncio.get_running_loop()
    try:
        with path.open("rb") as file:
            while True:
                finished = future.done()  # looked at before reading: nothing written after is lost
                data = file.read(_TAIL_CHUNK)
                if data:
                    yield data
                elif finished:
                    if future.exception() is not None:
                        log.warning("a streamed preview ended early: %s", future.exception())
                    return
                elif loop.time() > deadline:
                    log.warning("a streamed preview took longer than %.0f s", PREVIEW_TIMEOUT)
                    return
                else:
                    await asyncio.sleep(_TAIL_POLL)
    finally:
        done()


_TAIL_CHUNK = 1 << 16


# ---- render and jobs ---------------------------------------------------------------------------------


@router.post("/bulletins/{bulletin_id}/render")
async def render_bulletin(bulletin_id: RowId, request: Request, state: State, who: Editor) -> Response:
    form = await read_form(request)
    return await run_in_threadpool(_start_render, state, request, bulletin_id, form)


def _start_render(state: AppState, request: Request, bulletin_id: int, form: FormData) -> Response:
    who: Identity = request.state.identity
    try:
        job = service.start_render(
            state,
            who.user,
            bulletin_id,
            engine=_field(form, "engine") or None,
            voice=_field(form, "voice"),
            target=_field(form, "target") or None,
        )
    except Rejected as exc:
        return _editor(
            request, state, service.get_bulletin(state, bulletin_id), exc.status, error=exc.message
        )
    return redirect(f"/jobs/{job.id}")


@router.post("/jobs/{job_id}/cancel")
async def cancel_job(job_id: str, request: Request, state: State, who: Editor) -> Response:
    await read_form(request)
    await run_in_threadpool(service.cancel_job, state, who.user, job_id)
    return redirect(f"/jobs/{job_id}")


@router.get("/jobs/{job_id}")
def job_page(job_id: str, request: Request, state: State, who: Viewer) -> Response:
    job = service.get_job(state, job_id)
    bulletin = service.get_bulletin(state, job.bulletin_id)
    return render(request, "job.html", job=job, bulletin=bulletin)


# ---- episodes -----------------------------------------------------------------------------------------


@router.get("/episodes/{episode_id}")
def episode_page(episode_id: RowId, request: Request, state: State, who: Viewer) -> Response:
    episode = service.get_episode(state, episode_id)
    return render(request, "episode.html", episode=episode, **_episode_extra(state, episode))


def _episode_extra(state: AppState, episode: db.Episode) -> dict[str, Any]:
    with state.db.read() as s:
        bulletin = s.get(Bulletin, episode.bulletin_id)
    return {"bulletin": bulletin, "now": datetime.now(UTC)}


@router.post("/episodes/{episode_id}/publish")
def publish(episode_id: RowId, state: State, who: Editor) -> Response:
    service.set_published(state, who.user, episode_id, True)
    return redirect(f"/episodes/{episode_id}")


@router.post("/episodes/{episode_id}/unpublish")
def unpublish(episode_id: RowId, state: State, who: Editor) -> Response:
    service.set_published(state, who.user, episode_id, False)
    return redirect(f"/episodes/{episode_id}")
