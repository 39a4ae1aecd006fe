"""The sources' page: each source's kind, last fetch, articles and last error in Arabic; an
editor adds one (a feed or an article page), fetches one at once, switches one off or removes one
no programme reads. Thin adapters over producer.air.poll and producer.store.air."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from producer.air.fetch import source_limits
from producer.errors import ProducerError
from producer.store.air import (
    Article,
    Pick,
    Source,
    SourceKind,
    add_source,
    all_programmes,
    all_sources,
    source_by_name,
)
from producer.web import airtext
from producer.web.air import air_page
from producer.web.deps import AppState, Editor, RowId, State, Viewer, read_form
from producer.web.pages import _field
from producer.web.service import get_row

router = APIRouter(include_in_schema=False)

MAX_URL = 2000


# ---- sources --------------------------------------------------------------------------------------


def _sources(state: AppState) -> dict[str, Any]:
    with state.db.read() as s:
        rows = s.execute(select(Article.source_id, func.count()).group_by(Article.source_id))
        counts = {source_id: count for source_id, count in rows}
        sources = list(all_sources(s))
        users = {name for p in all_programmes(s) for name in p.sources}
    return {"sources": sources, "counts": counts, "in_use": users}


def _sources_page(request: Request, state: AppState, status: int = 200, **extra: Any) -> Response:
    return air_page(request, "sources.html", status, **_sources(state), **extra)


@router.get("/sources")
def sources_page(request: Request, state: State, who: Viewer) -> Response:
    return _sources_page(request, state)


@router.post("/sources")
async def add_source_form(request: Request, state: State, who: Editor) -> Response:
    form = await read_form(request)
    return await run_in_threadpool(_add_source, request, state, form)


def _add_source(request: Request, state: AppState, form: FormData) -> Response:
    from producer.air.poll import detect_kind

    url, name, kind = _field(form, "url").strip(), _field(form, "name").strip(), _field(form, "kind")
    typed = {"url": url, "name": name, "kind": kind}

    def again(status: int, message: str) -> Response:
        return _sources_page(request, state, status, error=message, typed=typed)

    if not url.startswith(("http://", "https://")) or len(url) > MAX_URL or not urlsplit(url).hostname:
        return again(422, "اكتبوا عنوانًا يبدأ بـ http:// أو https://.")
    if len(name) > 100:
        return again(422, "اسم المصدر 100 حرف على الأكثر.")
    if kind not in ("", *(k.value for k in SourceKind)):
        return again(422, "نوع المصدر: خلاصة أو صفحة خبر.")
    chosen = name or urlsplit(url).hostname or url
    with state.db.read() as s:
        if source_by_name(s, chosen) is not None:
            return again(409, f"يوجد مصدر اسمه «{chosen}».")
    try:
        found = SourceKind(kind) if kind else detect_kind(url, limits=source_limits(state.settings))
    except ProducerError as exc:
        return again(422, f"تعذّرت قراءة العنوان: {airtext.source_error(str(exc))}")
    with state.db.write() as s:
        add_source(s, chosen, url, found)
    return _sources_page(request, state, notice=f"أُضيف المصدر «{chosen}» ({airtext.KINDS[found.value]}).")


def _source(state: AppState, source_id: int) -> Source:
    return get_row(state, Source, source_id, "المصدر غير موجود.")


@router.post("/sources/{source_id}/fetch")
async def fetch_source(source_id: RowId, request: Request, state: State, who: Editor) -> Response:
    await read_form(request)
    return await run_in_threadpool(_fetch_source, request, state, source_id)


def _fetch_source(request: Request, state: AppState, source_id: int) -> Response:
    from producer.air.poll import poll

    source = _source(state, source_id)
    result = poll(state.db, source.id, now=datetime.now(UTC), limits=source_limits(state.settings))
    if result.error and not (result.stored.new or result.stored.updated or result.unchanged):
        return _sources_page(
            request, state, 502, error=f"«{source.name}»: {airtext.source_error(result.error)}"
        )
    if result.unchanged:
        said = "لم يتغيّر شيء منذ آخر جلب."
    else:
        got = result.stored
        said = f"{got.new} جديدة، {got.updated} محدّثة، {got.duplicates} مكررة."
    return _sources_page(request, state, notice=f"جُلب «{source.name}»: {said}")


@router.post("/sources/{source_id}/active")
async def source_active(source_id: RowId, request: Request, state: State, who: Editor) -> Response:
    form = await read_form(request)
    return await run_in_threadpool(_source_active, request, state, source_id, _field(form, "active") == "1")


def _source_active(request: Request, state: AppState, source_id: int, active: bool) -> Response:
    with state.db.write() as s:
        source = s.get(Source, source_id)
        if source is not None:
            source.active = active
        name = source.name if source is not None else None
    if name is None:
        return _sources_page(request, state, 404, error="المصدر غير موجود.")
    said = "سيُجلب من جديد" if active else "أوقف جلبه"
    return _sources_page(request, state, notice=f"«{name}»: {said}.")


@router.post("/sources/{source_id}/delete")
async def delete_source(source_id: RowId, request: Request, state: State, who: Editor) -> Response:
    await read_form(request)
    return await run_in_threadpool(_delete_source, request, state, source_id)


def _delete_source(request: Request, state: AppState, source_id: int) -> Response:
    from sqlalchemy import delete

    with state.db.write() as s:
        source = s.get(Source, source_id)
        if source is None:
            status, said = 404, "المصدر غير موجود."
        elif users := [p.name for p in all_programmes(s) if source.name in p.sources]:
            status, said = 409, f"لا يُحذف «{source.name}»: يغذّي البرنامج «{users[0]}». أوقفوه بدلًا من ذلك."
        else:
            status, said = 200, f"حُذف المصدر «{source.name}» وأخباره."
            # Explicitly, not by the foreign keys' cascade (SQLite enforces it only when asked to).
            ids = select(Article.id).where(Article.source_id == source.id)
            s.execute(delete(Pick).where(Pick.article_id.in_(ids)))
            s.execute(delete(Article).where(Article.source_id == source.id))
            s.delete(source)
    if status != 200:
        return _sources_page(request, state, status, error=said)
    return _sources_page(request, state, notice=said)
