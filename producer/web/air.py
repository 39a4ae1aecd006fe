"""The automation's pages: programmes, a programme's next bulletin, runs and approval (the
sources' page is producer.web.sources).

Thin adapters over producer.air (the desk, polling, the shared programme checks): every change
is a form posted with its CSRF token by an editor; a refusal shows the page again with one Arabic
sentence under a 4xx status, the typed input kept.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from producer.air import desk
from producer.air.programmes import Invalid, ProgrammeFields, check_programme
from producer.air.runs import AUTHOR, Services
from producer.air.schedule import next_slot
from producer.errors import ProducerError
from producer.store.air import (
    Programme,
    Run,
    all_programmes,
    all_sources,
    last_run,
)
from producer.store.db import AuditEntry, Bulletin, Episode
from producer.web import airtext
from producer.web.deps import AppState, Editor, RowId, State, Viewer, read_form
from producer.web.pages import _field, render
from producer.web.service import Rejected, get_row

router = APIRouter(include_in_schema=False)

MAX_RUNS = 100  # rows of the runs' history page


def services_of(state: AppState) -> Services:
    return Services(state.settings, state.db, state.store, state.queue)


def _now() -> datetime:
    return datetime.now(UTC)


def air_page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    return render(request, template, status, text=airtext, **context)


def _number(form: FormData, name: str, default: int) -> int:
    value = _field(form, name).strip()
    if not value:
        return default
    if not value.isdigit() or len(value) > 4:
        raise Invalid(name, f"{name} is not a number", "اكتبوا الأعداد أرقامًا.")
    return int(value)


# ---- programmes -----------------------------------------------------------------------------------


def _programmes(state: AppState) -> list[dict[str, Any]]:
    now = _now()
    rows = []
    with state.db.read() as s:
        for programme in all_programmes(s):
            slot = next_slot(
                programme.cron, state.settings.timezone, after=now, lead_minutes=programme.lead_minutes
            )
            rows.append({"programme": programme, "slot": slot, "last": last_run(s, programme)})
    return rows


@router.get("/programmes")
def programmes_page(request: Request, state: State, who: Viewer) -> Response:
    return air_page(request, "programmes.html", rows=_programmes(state), zone=state.settings.timezone)


def _form_values(programme: Programme | None) -> dict[str, Any]:
    if programme is None:
        return {
            "cron": "55 * * * *",
            "length": "4:00",
            "lead": 5,
            "max_stories": 6,
            "no_repeat": 3,
            "mode": "auto",
            "target": "broadcast",
            "approve_by": "",
            "sources": [],
            "playout": "",
            "name": "",
        }
    return {
        "name": programme.name,
        "cron": programme.cron,
        "length": airtext.length(programme.length_seconds),
        "lead": programme.lead_minutes,
        "max_stories": programme.max_stories,
        "no_repeat": programme.no_repeat,
        "mode": programme.mode,
        "target": programme.target,
        "approve_by": programme.approve_minutes if programme.approve_minutes is not None else "",
        "sources": list(programme.sources),
        "playout": "\n".join(programme.playout),
        "active": programme.active,
    }


def _form_page(
    request: Request,
    state: AppState,
    programme_id: int | None,
    values: dict[str, Any],
    status: int = 200,
    **extra: Any,
) -> Response:
    with state.db.read() as s:
        names = [source.name for source in all_sources(s)]
    return air_page(
        request, "programme_form.html", status, programme_id=programme_id, values=values,
        source_names=names, zone=state.settings.timezone, **extra,
    )  # fmt: skip


def _programme(state: AppState, programme_id: int) -> Programme:
    return get_row(state, Programme, programme_id, "البرنامج غير موجود.")


@router.get("/programmes/new")
def new_programme(request: Request, state: State, who: Editor) -> Response:
    return _form_page(request, state, None, _form_values(None))


@router.get("/programmes/{programme_id}/edit")
def edit_programme(programme_id: RowId, request: Request, state: State, who: Editor) -> Response:
    return _form_page(request, state, programme_id, _form_values(_programme(state, programme_id)))


@router.post("/programmes")
async def create_programme(request: Request, state: State, who: Editor) -> Response:
    form = await read_form(request)
    return await run_in_threadpool(_save_programme, request, state, None, form)


@router.post("/programmes/{programme_id}")
async def update_programme(programme_id: RowId, request: Request, state: State, who: Editor) -> Response:
    form = await read_form(request)
    return await run_in_threadpool(_save_programme, request, state, programme_id, form)


def _save_programme(request: Request, state: AppState, programme_id: int | None, form: FormData) -> Response:
    from producer.web.pages import redirect

    mode = _field(form, "mode", "auto")
    typed: dict[str, Any] = {
        "name": _field(form, "name")[:200],
        "cron": _field(form, "cron")[:200],
        "length": _field(form, "length")[:20],
        "lead": _field(form, "lead")[:5],
        "max_stories": _field(form, "max_stories")[:5],
        "no_repeat": _field(form, "no_repeat")[:5],
        "mode": mode,
        "target": _field(form, "target", "broadcast")[:20],
        "approve_by": _field(form, "approve_by")[:5],
        "sources": [n for n in form.getlist("sources") if isinstance(n, str)][:50],
        "playout": _field(form, "playout")[:4000],
        "active": _field(form, "active") == "1" or programme_id is None,
    }
    try:
        if mode == "approve" and not typed["approve_by"].strip():
            raise Invalid(
                "approve_by", "approve mode needs its deadline", "حدّدوا موعد الاعتماد بالدقائق قبل البث."
            )
        fields = ProgrammeFields(
            name=typed["name"],
            cron=typed["cron"],
            length=typed["length"],
            sources=typed["sources"],
            approve_by=_number(form, "approve_by", 0) if mode == "approve" else None,
            playout=typed["playout"].splitlines(),
            max_stories=_number(form, "max_stories", 6),
            lead=_number(form, "lead", 5),
            no_repeat=_number(form, "no_repeat", 3),
            target=typed["target"],
        )
        with state.db.write() as s:
            values = check_programme(
                fields,
                sources={source.name for source in all_sources(s)},
                taken={p.name for p in all_programmes(s) if p.id != programme_id},
                queue=state.settings.liquidsoap_queue,
            )
            if programme_id is None:
                programme = Programme(**values)
                s.add(programme)
                s.flush()
            else:
                found = s.get(Programme, programme_id)
                if found is None:
                    raise Invalid("programme", "no such programme", "البرنامج غير موجود.")
                for key, value in values.items():
                    setattr(found, key, value)
                found.active = typed["active"]
                programme = found
            saved = programme.id
    except Invalid as exc:
        return _form_page(request, state, programme_id, typed, 422, error=exc.arabic, field=exc.field)
    return redirect(f"/programmes/{saved}")


# ---- a programme's next bulletin, and runs ---------------------------------------------------------


def _runs(state: AppState, programme_id: int | None, limit: int) -> list[dict[str, Any]]:
    with state.db.read() as s:
        query = select(Run).order_by(Run.air_time.desc()).limit(limit)
        if programme_id is not None:
            query = query.where(Run.programme_id == programme_id)
        runs = list(s.scalars(query))
        programmes = {p.id: p for p in all_programmes(s)}
        episodes = {
            e.id: e
            for e in s.scalars(
                select(Episode).where(Episode.id.in_([r.episode_id for r in runs if r.episode_id]))
            )
        }
        # Who published each episode first: an editor's approval, or the automation itself.
        publishers: dict[str, str] = {}
        for entry in s.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "publish", AuditEntry.subject.in_([f"episode {e}" for e in episodes]))
            .order_by(AuditEntry.at)
        ):
            publishers.setdefault(entry.subject, entry.user)
    rows = []
    for run in runs:
        programme = programmes.get(run.programme_id)
        publisher = publishers.get(f"episode {run.episode_id}")
        rows.append(
            {
                "run": run,
                "programme": programme,
                "episode": episodes.get(run.episode_id) if run.episode_id else None,
                "approver": publisher if publisher != AUTHOR else None,
                "deadline": desk.deadline_of(run, programme) if programme is not None else None,
            }
        )
    return rows


def _programme_page(
    request: Request, state: AppState, programme_id: int, status: int = 200, **extra: Any
) -> Response:
    programme = _programme(state, programme_id)
    upcoming = desk.next_bulletin(services_of(state), programme_id, now=_now())
    return air_page(
        request,
        "programme.html",
        status,
        programme=programme,
        upcoming=upcoming,
        runs=_runs(state, programme_id, 20),
        zone=state.settings.timezone,
        **extra,
    )


@router.get("/programmes/{programme_id}")
def programme_page(programme_id: RowId, request: Request, state: State, who: Viewer) -> Response:
    return _programme_page(request, state, programme_id)


@router.post("/programmes/{programme_id}/picks")
async def change_pick(programme_id: RowId, request: Request, state: State, who: Editor) -> Response:
    form = await read_form(request)
    return await run_in_threadpool(_change_pick, request, state, programme_id, form)


def _change_pick(request: Request, state: AppState, programme_id: int, form: FormData) -> Response:
    article = _field(form, "article")
    try:
        if not article.isdigit() or len(article) > 9:
            raise Invalid("story", "no story given", "اختاروا خبرًا.")
        desk.change_pick(services_of(state), programme_id, int(article), _field(form, "action"), now=_now())
    except Invalid as exc:
        return _programme_page(request, state, programme_id, 409, error=exc.arabic)
    return _programme_page(request, state, programme_id)


@router.post("/programmes/{programme_id}/build")
async def build_programme(programme_id: RowId, request: Request, state: State, who: Editor) -> Response:
    await read_form(request)
    return await run_in_threadpool(_build, request, state, programme_id)


def _build(request: Request, state: AppState, programme_id: int) -> Response:
    try:
        desk.build_next(services_of(state), programme_id, now=_now())
    except Invalid as exc:
        return _programme_page(request, state, programme_id, 409, error=exc.arabic)
    return _programme_page(request, state, programme_id, notice="بدأ تحضير النشرة التالية.")


@router.post("/programmes/{programme_id}/rebuild")
async def rebuild_programme(programme_id: RowId, request: Request, state: State, who: Editor) -> Response:
    await read_form(request)
    return await run_in_threadpool(_rebuild, request, state, programme_id)


def _rebuild(request: Request, state: AppState, programme_id: int) -> Response:
    try:
        desk.rebuild(services_of(state), programme_id, now=_now())
    except Invalid as exc:
        return _programme_page(request, state, programme_id, 409, error=exc.arabic)
    except ProducerError as exc:
        return _programme_page(request, state, programme_id, 422, error=f"تعذّر تأليف النشرة: {exc}")
    return _programme_page(request, state, programme_id, notice="بدأ تحضير النشرة من جديد بهذه الأخبار.")


@router.get("/runs")
def runs_page(request: Request, state: State, who: Viewer) -> Response:
    return air_page(request, "runs.html", runs=_runs(state, None, MAX_RUNS), now=_now())


def _run_view(state: AppState, run_id: int) -> dict[str, Any]:
    with state.db.read() as s:
        run = s.get(Run, run_id)
        if run is None:
            raise Rejected(404, "النشرة غير موجودة.")
        programme = s.get(Programme, run.programme_id)
        bulletin = s.get(Bulletin, run.bulletin_id) if run.bulletin_id else None
        episode = s.get(Episode, run.episode_id) if run.episode_id else None
    assert programme is not None  # runs go with their programme (ON DELETE CASCADE)
    now = _now()
    deadline = desk.deadline_of(run, programme)
    stories = []
    if bulletin is not None and bulletin.script:
        for segment in bulletin.script.get("segments", []):
            if segment.get("kind") == "story":
                headline, _, body = segment["text"].partition("\n")
                stories.append({"headline": headline, "body": [p for p in body.split("\n") if p]})
    return {
        "run": run,
        "programme": programme,
        "episode": episode,
        "stories": stories,
        "deadline": deadline,
        "open": run.state == "awaiting" and now <= deadline,
        "late": run.state == "awaiting" and now > deadline,
        "now": now,
        "local": run.air_time.astimezone(ZoneInfo(state.settings.timezone)),
    }


@router.get("/runs/{run_id}")
def run_page(run_id: RowId, request: Request, state: State, who: Viewer) -> Response:
    return air_page(request, "run.html", **_run_view(state, run_id))


async def _run_action(request: Request, state: AppState, run_id: int, action: str) -> Response:
    await read_form(request)
    who = request.state.identity
    services = services_of(state)

    def act() -> Response:
        try:
            if action == "approve":
                desk.approve(services, run_id, who.user, now=_now())
                said = "اعتُمدت النشرة ونُشرت."
            elif action == "skip":
                desk.skip(services, run_id, who.user, now=_now())
                said = "تُخطّيت النشرة؛ لن تُبث."
            else:
                desk.retry_handoff(services, run_id, now=_now())
                said = "أُعيدت محاولة التسليم."
        except Invalid as exc:
            return air_page(request, "run.html", 409, error=exc.arabic, **_run_view(state, run_id))
        return air_page(request, "run.html", notice=said, **_run_view(state, run_id))

    return await run_in_threadpool(act)


@router.post("/runs/{run_id}/approve")
async def approve_run(run_id: RowId, request: Request, state: State, who: Editor) -> Response:
    return await _run_action(request, state, run_id, "approve")


@router.post("/runs/{run_id}/skip")
async def skip_run(run_id: RowId, request: Request, state: State, who: Editor) -> Response:
    return await _run_action(request, state, run_id, "skip")


@router.post("/runs/{run_id}/retry")
async def retry_run(run_id: RowId, request: Request, state: State, who: Editor) -> Response:
    return await _run_action(request, state, run_id, "retry")
