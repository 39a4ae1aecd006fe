"""The newsroom's operations, shared by the HTML pages and the JSON API.

Each function validates its input, calls the pipeline's stages, and stores the result; it raises
`Rejected` with an HTTP status and one Arabic sentence the page or API shows as it is.
"""

from __future__ import annotations

import errno
import logging
import re
import secrets
import sqlite3
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError, OperationalError

from producer.errors import InputError, ProducerError
from producer.jobs import QueueUnavailable
from producer.jobs.lease import due_at
from producer.models import SegmentKind, Target
from producer.store import db
from producer.store.db import Bulletin, Episode, Job, JobState, User, utcnow
from producer.store.files import StoreError
from producer.store.removal import BulletinBusy, remove_bulletin
from producer.store.station import StationConfig, station_settings
from producer.store.words import station_words
from producer.web.deps import AppState

Row = TypeVar("Row")

log = logging.getLogger("producer.web")

QUEUE_DOWN_RETRY = 15  # seconds a client is asked to wait when the job queue is down
QUEUE_DOWN = "طابور التوليد غير متاح الآن؛ حُفظت المهمة وستبدأ حين يعود، ويمكنكم إعادة المحاولة بعد قليل."
SPEAKABLE_FAULT = "تعذّر تحضير نص القراءة بسبب خلل في البرنامج وسُجّل الخطأ؛ يمكنكم متابعة تحرير النص."
UPLOAD_TYPES = (".txt", ".html", ".htm", ".docx")
MAX_TITLE = 200
# Uploads being unpacked and parsed at once: each may take tens of MB while it is read.
_PARSING = threading.BoundedSemaphore(2)
PARSE_WAIT = 20.0
# C0 controls other than tab, newline, carriage return and form feed: their presence means binary.
_BINARY = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")
# Bidi embeddings, overrides and isolates: pasted text carries them by accident, and in a title or
# segment shown in lists, pages and podcast apps they can reorder what readers see. The cleaner
# drops them from articles; titles and edited segments lose them here. RLM/LRM marks stay.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_SEGMENT_KINDS = tuple(SegmentKind)
_TARGETS = tuple(Target)


class Rejected(Exception):
    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.retry_after = status, message, retry_after


@dataclass
class Draft:
    """What the compose form holds; saved as is, so nothing typed is lost on an error."""

    title: str = ""
    target: str = Target.PODCAST
    engine: str | None = None
    voice: str | None = None
    articles: list[str] | None = None


def check_text(text: str, what: str, limit: int) -> str:
    if _BINARY.search(text):
        raise Rejected(422, f"{what} يحتوي على محارف ثنائية أو تحكّمية؛ الصقوا نصًا عاديًا.")
    if len(text) > limit:
        raise Rejected(413, f"{what} أطول من الحد المسموح ({limit:,} حرف).")
    return text


def check_draft(state: AppState, draft: Draft) -> Draft:
    settings = state.settings
    title = check_text(_BIDI_CONTROLS.sub("", draft.title).strip(), "العنوان", MAX_TITLE)
    if draft.target not in _TARGETS:
        raise Rejected(422, "الوجهة يجب أن تكون بودكاست أو بث إذاعي.")
    articles = [a.replace("\r\n", "\n").strip() for a in draft.articles or []]
    articles = [a for a in articles if a]
    if not articles:
        raise Rejected(422, "أضيفوا خبرًا واحدًا على الأقل.")
    if len(articles) > settings.max_stories:
        raise Rejected(413, f"عدد الأخبار أكبر من الحد المسموح ({settings.max_stories} خبرًا).")
    for number, text in enumerate(articles, start=1):
        check_text(text, f"الخبر رقم {number}", settings.max_article_chars)
    engine = (draft.engine or "").strip() or None
    voice = (draft.voice or "").strip() or None
    if engine is not None:
        check_engine(engine)
    if voice is not None:
        check_text(voice, "اسم الصوت", 200)
    return Draft(title, draft.target, engine, voice, articles)


def check_engine(name: str) -> None:
    from producer.tts.registry import engine_names

    if name not in engine_names():
        raise Rejected(422, f"محرّك النطق «{name[:40]}» غير معروف.")


def extract_upload(state: AppState, filename: str, data: bytes) -> str:
    from producer.ingest import extract_text

    name = Path(filename or "").name
    if not name.lower().endswith(UPLOAD_TYPES):
        raise Rejected(415, f"الملف «{name[:80]}» ليس من الأنواع المقبولة (txt أو html أو docx).")
    if not data:
        raise Rejected(422, f"الملف «{name[:80]}» فارغ.")
    if len(data) > state.settings.max_upload_mb * 2**20:
        raise Rejected(413, f"الملف «{name[:80]}» أكبر من الحد المسموح.")
    if not _PARSING.acquire(timeout=PARSE_WAIT):
        raise Rejected(429, "ملفات كثيرة تُقرأ الآن؛ أعيدوا المحاولة بعد قليل.")
    try:
        return extract_text(data, name)
    except InputError as exc:
        raise Rejected(422, f"تعذّرت قراءة الملف «{name[:80]}»: {exc}") from exc
    finally:
        _PARSING.release()


def save_draft(state: AppState, user: User, draft: Draft, bulletin_id: int | None) -> int:
    with state.db.write() as s:
        bulletin = s.get(Bulletin, bulletin_id) if bulletin_id else None
        if bulletin is None:
            bulletin = Bulletin(author=user.name, script=None)
            s.add(bulletin)
        bulletin.title, bulletin.target = draft.title, draft.target
        bulletin.engine, bulletin.voice = draft.engine, draft.voice
        bulletin.articles, bulletin.updated = list(draft.articles or []), utcnow()
        s.flush()
        return bulletin.id


def station(state: AppState) -> StationConfig:
    with state.db.read() as s:
        return StationConfig.load(state.settings, db.station_values(s))


def compose_draft(state: AppState, draft: Draft) -> dict[str, Any]:
    """Clean each article and compose the script with the station's templates."""
    from producer.ingest import clean
    from producer.pipeline import compose_script
    from producer.scriptfile import script_to_dict

    stories = []
    for number, text in enumerate(draft.articles or [], start=1):
        try:
            stories.append(clean(text))
        except InputError as exc:
            raise Rejected(422, f"تعذّر تنظيف الخبر رقم {number}: {exc}") from exc
    conf = station_settings(state.settings, station(state))
    templates = station_words(state.db).templates
    try:
        script = compose_script(stories, conf, templates=templates, title=draft.title or None)
    except ProducerError as exc:
        raise Rejected(422, f"تعذّر تأليف النشرة: {exc}") from exc
    return script_to_dict(script)


@contextmanager
def workdir(state: AppState) -> Iterator[Path]:
    """A scratch folder (a render's jingles, a viewer's throwaway voice cache), removed after use."""
    base = state.settings.data_dir / "work"
    base.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=base, prefix="web-") as name:
        yield Path(name)


def store_script(state: AppState, bulletin_id: int, script: dict[str, Any]) -> None:
    with state.db.write() as s:
        bulletin = s.get(Bulletin, bulletin_id)
        if bulletin is None:
            raise Rejected(404, "النشرة غير موجودة.")
        bulletin.script, bulletin.updated = script, utcnow()
        if not bulletin.title:
            bulletin.title = script["title"]


def create_bulletin(state: AppState, user: User, draft: Draft) -> Bulletin:
    """API: compose first, store only a bulletin that composed (a failed call leaves nothing)."""
    draft = check_draft(state, draft)
    script = compose_draft(state, draft)
    with state.db.write() as s:
        bulletin = Bulletin(
            title=draft.title or script["title"],
            target=draft.target,
            engine=draft.engine,
            voice=draft.voice,
            articles=list(draft.articles or []),
            script=script,
            author=user.name,
        )
        s.add(bulletin)
        s.flush()
        return bulletin


def get_row(state: AppState, model: type[Row], key: int, missing: str) -> Row:
    """The row of `model` with primary key `key`; a 404 saying `missing` (in Arabic) when there is none."""
    with state.db.read() as s:
        row = s.get(model, key)
    if row is None:
        raise Rejected(404, missing)
    return row


def get_bulletin(state: AppState, bulletin_id: int) -> Bulletin:
    return get_row(state, Bulletin, bulletin_id, "النشرة غير موجودة.")


def edit_script(
    state: AppState, bulletin_id: int, *, title: str | None, segments: Sequence[dict[str, Any]] | None
) -> Bulletin:
    """Replace the title and/or segment texts; the headlines follow the stories' first lines."""
    from producer.scriptfile import script_from_dict, script_to_dict

    bulletin = get_bulletin(state, bulletin_id)
    if bulletin.script is None:
        raise Rejected(409, "هذه مسودة لم تُؤلَّف بعد؛ أرسلوها من صفحة التحرير أولًا.")
    data = dict(bulletin.script)
    if title is not None:
        data["title"] = (
            check_text(_BIDI_CONTROLS.sub("", title).strip(), "العنوان", MAX_TITLE) or data["title"]
        )
    if segments is not None:
        data["segments"] = check_segments(state, segments)
    try:
        script = script_to_dict(script_from_dict(data))
    except InputError as exc:
        raise Rejected(422, f"النص غير صالح: {exc}") from exc
    with state.db.write() as s:
        row = s.get(Bulletin, bulletin_id)
        if row is None:
            raise Rejected(404, "النشرة غير موجودة.")
        row.script, row.updated = script, utcnow()
        if title is not None:
            row.title = script["title"]
        return row


def check_segments(state: AppState, segments: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(segments) > 4 * state.settings.max_stories + 10:
        raise Rejected(413, "عدد المقاطع أكبر من الحد المسموح.")
    out = []
    for number, seg in enumerate(segments, start=1):
        kind, story = seg.get("kind"), seg.get("story")
        if kind not in _SEGMENT_KINDS:
            raise Rejected(422, f"نوع المقطع رقم {number} غير معروف.")
        needs_story = kind in (SegmentKind.STORY, SegmentKind.TRANSITION)
        if (story is None) == needs_story or (
            story is not None and (not isinstance(story, int) or not 0 <= story < state.settings.max_stories)
        ):
            raise Rejected(422, f"رقم الخبر في المقطع رقم {number} غير صالح.")
        text = check_text(
            _BIDI_CONTROLS.sub("", str(seg.get("text", ""))).replace("\r\n", "\n").strip(),
            f"المقطع رقم {number}",
            60_000,
        )
        if not text:
            if kind == SegmentKind.STORY:
                raise Rejected(422, f"نص الخبر في المقطع رقم {number} فارغ؛ اكتبوا نصًا أو احذفوا الخبر.")
            continue
        out.append({"kind": kind, "text": text, "story": story})
    if not any(seg["kind"] == SegmentKind.STORY for seg in out):
        raise Rejected(422, "النشرة تحتاج إلى خبر واحد على الأقل.")
    return out


def start_render(
    state: AppState,
    user: User,
    bulletin_id: int,
    *,
    engine: str | None,
    voice: str | None,
    target: str | None,
) -> Job:
    """Queue a render of the script as it is now; a render already under way is returned instead."""
    if engine:
        check_engine(engine)
    if voice is not None:
        # Checked as a draft's voice is: the render form's went into the row unchecked, where
        # PostgreSQL refused a NUL or more than the column's 200 characters with a 500.
        check_text(voice, "اسم الصوت", 200)
    if target is not None and target not in _TARGETS:
        raise Rejected(422, "الوجهة يجب أن تكون بودكاست أو بث إذاعي.")
    try:
        job, fresh = _queue_render(state, user, bulletin_id, engine=engine, voice=voice, target=target)
    except IntegrityError:
        # Another request queued this bulletin's render between our look and our insert: the
        # unique index kept it to one, and that one is the answer.
        with state.db.read() as s:
            found = db.active_job(s, bulletin_id)
        if found is None:
            raise
        return found
    if fresh or (job.state == JobState.QUEUED and job.enqueued is None):
        try:
            state.queue.submit(job.id)
        except QueueUnavailable as exc:
            # The row is kept and is the truth: the reconciler sends its message once the queue
            # is back, and asking again returns the same job.
            log.warning(
                "render of bulletin %s queued while the job queue is down: %s",
                bulletin_id,
                exc,
                extra={"job_id": job.id},
            )
            raise Rejected(503, QUEUE_DOWN, retry_after=QUEUE_DOWN_RETRY) from exc
    return job


def _queue_render(
    state: AppState,
    user: User,
    bulletin_id: int,
    *,
    engine: str | None,
    voice: str | None,
    target: str | None,
) -> tuple[Job, bool]:
    with state.db.write() as s:
        bulletin = s.get(Bulletin, bulletin_id)
        if bulletin is None:
            raise Rejected(404, "النشرة غير موجودة.")
        if bulletin.script is None:
            raise Rejected(409, "لا يمكن توليد مسودة لم تُؤلَّف بعد.")
        running = db.active_job(s, bulletin_id)
        if running is not None:
            return running, False
        if engine:
            bulletin.engine = engine
        if voice is not None:
            bulletin.voice = voice.strip() or None
        if target:
            bulletin.target = target
        now = utcnow()
        job = Job(
            id=secrets.token_hex(16),
            bulletin_id=bulletin_id,
            script=bulletin.script,
            engine=bulletin.engine,
            voice=bulletin.voice,
            target=bulletin.target,
            author=user.name,
            created=now,
            due=due_at(now, bulletin.script),
            # Marked sent before it is: should the send fail, the mark is cleared (see JobQueue.submit).
            enqueued=now,
        )
        s.add(job)
        s.flush()
        return job, True


DISK_FULL = "امتلأ قرص الخادم فلم يُحفظ شيء؛ أبلغوا المسؤول ثم أعيدوا الإرسال."
DATABASE_DOWN = "قاعدة البيانات غير متاحة الآن؛ أعيدوا المحاولة بعد قليل."


def outage_refusal(exc: BaseException) -> Rejected | None:
    """What to answer for an outage met while serving a request, or None for a real fault."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OSError) and cause.errno == errno.ENOSPC:
            return Rejected(507, DISK_FULL)
        if isinstance(cause, sqlite3.OperationalError) and "full" in str(cause):
            return Rejected(507, DISK_FULL)
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, OperationalError):
        return Rejected(503, DATABASE_DOWN, retry_after=QUEUE_DOWN_RETRY)
    return None


def cancel_job(state: AppState, user: User, job_id: str) -> Job:
    """Cancel a queued or running render; a finished one is left as it is (409)."""
    job = get_job(state, job_id)
    if not state.queue.cancel(job.id):
        raise Rejected(409, "انتهت هذه المهمة ولا يمكن إلغاؤها.")
    with state.db.write() as s:
        db.audit(s, user.name, "cancel", f"job {job.id}", bulletin=job.bulletin_id)
    return get_job(state, job_id)


def get_job(state: AppState, job_id: str) -> Job:
    with state.db.read() as s:
        job = s.get(Job, job_id) if db.storable(job_id) else None
    if job is None:
        raise Rejected(404, "مهمة التوليد غير موجودة.")
    return job


def get_episode(state: AppState, episode_id: int) -> Episode:
    return get_row(state, Episode, episode_id, "الحلقة غير موجودة.")


def delete_bulletin(state: AppState, user: User, bulletin_id: int) -> None:
    """Remove a bulletin, its episode and its files for good (producer.store.removal)."""
    try:
        found = remove_bulletin(state.db, state.store, bulletin_id, who=user.name, now=utcnow())
    except BulletinBusy as exc:
        raise Rejected(409, "تُولَّد هذه النشرة الآن؛ ألغوا التوليد أو انتظروا انتهاءه ثم احذفوها.") from exc
    except (StoreError, OSError) as exc:
        log.warning("could not delete the files of bulletin %s: %s", bulletin_id, exc)
        raise Rejected(
            503, "تعذّر حذف ملفات الحلقة من التخزين؛ أُزيلت من الخلاصة ولم يُحذف غير ذلك. حاولوا بعد قليل."
        ) from exc
    if not found:
        raise Rejected(404, "النشرة غير موجودة.")


def set_published(state: AppState, user: User, episode_id: int, published: bool) -> Episode:
    with state.db.write() as s:
        episode = s.get(Episode, episode_id)
        if episode is None:
            raise Rejected(404, "الحلقة غير موجودة.")
        if episode.published != published:
            episode.published = published
            if published and episode.published_at is None:
                # pubDate is the first publication; unpublish + publish keeps the episode's place.
                episode.published_at = utcnow()
            db.touch_feed(s)
            db.audit(
                s,
                user.name,
                "publish" if published else "unpublish",
                f"episode {episode.id}",
                title=episode.title,
            )
        return episode


def station_speakable(state: AppState, texts: Sequence[str]) -> list[str]:
    """How each text will be read: numbers, dates and symbols in words, the station's lexicon applied."""
    from producer.pipeline import speakable_texts

    for text in texts:
        check_text(text, "النص", 60_000)
    lexicon = station_words(state.db).lexicon
    try:
        clock = state.settings.clock_dial
        return speakable_texts(texts, lexicon, diacritize=False, clock=clock)
    except ProducerError:
        raise
    except Exception as exc:
        # A fault in the front end must not take the script editor down with it: the page opens
        # without the spoken view, the JSON view says why, and the log keeps the trace.
        log.exception("the speakable front end failed on a script")
        raise Rejected(500, SPEAKABLE_FAULT) from exc
