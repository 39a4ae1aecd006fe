"""The JSON API under /api/v1 (Bearer token or session cookie with CSRF header)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from pydantic import BaseModel, ConfigDict, Field

from producer.models import SegmentKind, Target
from producer.store import db
from producer.store.db import Bulletin, Episode, Job, JobState
from producer.tts.registry import EngineName
from producer.web import service
from producer.web.deps import Editor, RowId, State, Viewer
from producer.web.public import public_base

router = APIRouter(prefix="/api/v1", tags=["api"])

# The enums' values as JSON sends them (strict mode alone wants enum instances, not their strings).
TargetName = Annotated[Target, Field(strict=False)]
Engine = Annotated[EngineName, Field(strict=False)]
Kind = Annotated[SegmentKind, Field(strict=False)]
# Generous schema caps; the service applies the station's own, smaller limits with Arabic messages.
ArticleText = Annotated[str, Field(max_length=2_000_000)]


class Strict(BaseModel):
    """A request body: unknown fields and loosely typed values ("1" or true for 1) are refused."""

    model_config = ConfigDict(extra="forbid", strict=True)


class SegmentModel(Strict):
    kind: Kind
    text: str = Field(max_length=200_000)
    story: int | None = Field(None, ge=0, le=10_000)


class ScriptModel(BaseModel):
    title: str
    station: str
    programme: str
    created: datetime
    headlines: list[str]
    segments: list[SegmentModel]


class BulletinCreate(Strict):
    title: str = Field("", max_length=service.MAX_TITLE)
    articles: list[ArticleText] = Field(min_length=1, max_length=1000)
    target: TargetName = Target.PODCAST
    engine: Engine | None = None
    voice: str | None = Field(None, max_length=200)


class BulletinPatch(Strict):
    title: str | None = Field(None, max_length=service.MAX_TITLE)
    segments: list[SegmentModel] | None = Field(None, max_length=5000)


class BulletinOut(BaseModel):
    id: int
    title: str
    target: Target
    engine: str | None
    voice: str | None
    updated: datetime
    script: ScriptModel | None
    episode: int | None = None


class RenderRequest(Strict):
    engine: Engine | None = None
    voice: str | None = Field(None, max_length=200)
    target: TargetName | None = None


class RenderAccepted(BaseModel):
    job: str


class JobOut(BaseModel):
    id: str
    bulletin: int
    state: JobState
    progress: float = Field(ge=0, le=1)
    stage: str
    episode: int | None
    error: str | None


class ChapterOut(BaseModel):
    title: str
    start: float
    end: float


class EpisodeOut(BaseModel):
    id: int
    guid: str
    bulletin: int
    title: str
    audio_url: str
    audio_type: str
    audio_bytes: int
    transcript_url: str
    subtitles_url: str | None = Field(
        None, description="The transcript as SubRip (episodes rendered since SRT)."
    )
    chapters_url: str
    duration: float
    chapters: list[ChapterOut]
    published: bool
    published_at: datetime | None


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorOut(BaseModel):
    """Every API error: one Arabic sentence; a refused body also lists the fields at fault."""

    detail: str
    errors: list[FieldError] | None = None


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 403, 404, 409, 413, 415, 422)
}


def bulletin_out(state: State, bulletin: Bulletin) -> BulletinOut:
    with state.db.read() as s:
        episode = db.episode_of(s, bulletin.id)
    return BulletinOut(
        id=bulletin.id,
        title=bulletin.title,
        target=bulletin.target,  # type: ignore[arg-type]
        engine=bulletin.engine,
        voice=bulletin.voice,
        updated=bulletin.updated,
        script=ScriptModel.model_validate(bulletin.script) if bulletin.script else None,
        episode=episode.id if episode else None,
    )


def job_out(job: Job) -> JobOut:
    return JobOut(
        id=job.id,
        bulletin=job.bulletin_id,
        state=job.state,  # type: ignore[arg-type]
        progress=job.progress,
        stage=job.stage,
        episode=job.episode_id,
        error=job.error,
    )


def episode_out(episode: Episode, base: str) -> EpisodeOut:
    return EpisodeOut(
        id=episode.id,
        guid=episode.guid,
        bulletin=episode.bulletin_id,
        title=episode.title,
        audio_url=f"{base}/media/{episode.audio_key}",
        audio_type=episode.audio_type,
        audio_bytes=episode.audio_bytes,
        transcript_url=f"{base}/media/{episode.transcript_key}",
        subtitles_url=f"{base}/media/{episode.subtitles_key}" if episode.subtitles_key else None,
        chapters_url=f"{base}/media/{episode.chapters_key}",
        duration=episode.duration,
        chapters=[ChapterOut.model_validate(c) for c in episode.chapters],
        published=episode.published,
        published_at=episode.published_at,
    )


@router.post(
    "/bulletins", status_code=201, responses=ERRORS, summary="Clean and compose articles into a bulletin"
)
def create_bulletin(body: BulletinCreate, state: State, who: Editor) -> BulletinOut:
    draft = service.Draft(body.title, body.target, body.engine, body.voice, list(body.articles))
    return bulletin_out(state, service.create_bulletin(state, who.user, draft))


@router.get("/bulletins/{bulletin_id}", responses=ERRORS, summary="A bulletin and its script")
def read_bulletin(bulletin_id: RowId, state: State, who: Viewer) -> BulletinOut:
    return bulletin_out(state, service.get_bulletin(state, bulletin_id))


@router.patch("/bulletins/{bulletin_id}", responses=ERRORS, summary="Edit the title or the script's segments")
def edit_bulletin(bulletin_id: RowId, body: BulletinPatch, state: State, who: Editor) -> BulletinOut:
    segments = [seg.model_dump() for seg in body.segments] if body.segments is not None else None
    return bulletin_out(state, service.edit_script(state, bulletin_id, title=body.title, segments=segments))


@router.delete(
    "/bulletins/{bulletin_id}",
    status_code=204,
    responses=ERRORS,
    summary="Delete a bulletin, its episode and its files (409 while it renders)",
)
def delete_bulletin(bulletin_id: RowId, state: State, who: Editor) -> None:
    service.delete_bulletin(state, who.user, bulletin_id)


@router.post(
    "/bulletins/{bulletin_id}/render",
    status_code=202,
    responses=ERRORS,
    summary="Queue a render of the script",
)
def render_bulletin(
    bulletin_id: RowId, state: State, who: Editor, body: Annotated[RenderRequest | None, Body()] = None
) -> RenderAccepted:
    options = body or RenderRequest()
    job = service.start_render(
        state, who.user, bulletin_id, engine=options.engine, voice=options.voice, target=options.target
    )
    return RenderAccepted(job=job.id)


@router.post("/jobs/{job_id}/cancel", responses=ERRORS, summary="Cancel a queued or running render")
def cancel_job(job_id: str, state: State, who: Editor) -> JobOut:
    return job_out(service.cancel_job(state, who.user, job_id))


@router.get("/jobs/{job_id}", responses=ERRORS, summary="A render job's state and progress")
def read_job(job_id: str, state: State, who: Viewer) -> JobOut:
    return job_out(service.get_job(state, job_id))


@router.get("/episodes/{episode_id}", responses=ERRORS, summary="An episode's files, duration and state")
def read_episode(episode_id: RowId, request: Request, state: State, who: Viewer) -> EpisodeOut:
    return episode_out(service.get_episode(state, episode_id), public_base(state, request))


@router.post("/episodes/{episode_id}/publish", responses=ERRORS, summary="Put the episode in the feed")
def publish(episode_id: RowId, request: Request, state: State, who: Editor) -> EpisodeOut:
    episode = service.set_published(state, who.user, episode_id, True)
    return episode_out(episode, public_base(state, request))


@router.post("/episodes/{episode_id}/unpublish", responses=ERRORS, summary="Take the episode out of the feed")
def unpublish(episode_id: RowId, request: Request, state: State, who: Editor) -> EpisodeOut:
    episode = service.set_published(state, who.user, episode_id, False)
    return episode_out(episode, public_base(state, request))
