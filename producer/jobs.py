"""Render jobs on a real queue: Huey over a SQLite file by default, Redis by URL, same code.

A job's state lives in the database (`Job` rows), the queue only carries job ids. A worker takes
an id, voices the frozen script in a child process (so a crash, a hang or a timeout of an engine
never takes the web server down, and the server's event loop never waits on a render), stores the
files, and only then points the episode at them: an episode is never visible half-made.

Workers beat a heartbeat into their running job. A job whose worker died (kill -9, power cut) is
noticed by any worker — at once when the dead worker was on the same machine, else when its
heartbeat is `job_stale_seconds` old — and retried once, then marked failed with the reason.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import secrets
import shutil
import socket
import threading
import time
import traceback
from dataclasses import dataclass
from datetime import timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from huey import Huey, SqliteHuey

from producer.errors import ProducerError
from producer.feed import stories_of, summary_text
from producer.scriptfile import script_from_dict
from producer.settings import Settings
from producer.store import db
from producer.store.db import Bulletin, Database, Episode, Job, utcnow
from producer.store.files import FileStore
from producer.store.station import StationConfig, station_settings

log = logging.getLogger("producer.jobs")

MAX_ATTEMPTS = 2
_TASK = "producer.render"
_PROGRESS_EVERY = 0.5  # seconds between progress writes
_HEARTBEAT_EVERY = 3.0
RENDER_NICENESS = 19

# What the editor sees when a render fails: the kind of failure in Arabic, then the engine's reason.
_FAILURE_PREFIX = {
    "EngineUnavailable": "محرّك النطق غير متاح",
    "EngineError": "فشل محرّك النطق",
    "InputError": "نص النشرة غير صالح للتوليد",
    "AudioError": "خطأ في معالجة الصوت",
    "TemplateError": "خطأ في قالب المحطة",
}


class RenderFailed(Exception):
    """A render ended without episode files; the message is shown to the editor as it is."""


def make_huey(settings: Settings) -> Huey:
    if settings.queue_url:
        if not settings.queue_url.startswith(("redis://", "rediss://", "unix://")):
            raise ProducerError(f"unsupported queue URL {settings.queue_url!r}: use redis://host:port/db")
        try:
            from huey import RedisHuey
        except ImportError as exc:  # pragma: no cover - depends on the optional extra
            raise ProducerError(
                "a redis:// queue needs the redis package: pip install 'producer[scale]'"
            ) from exc
        return RedisHuey("producer", url=settings.queue_url, results=False)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("producer", filename=str(settings.data_dir / "queue.db"), results=False)


def _identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class RenderResult:
    audio: Path
    transcript: Path
    chapters: Path
    subtitles: Path
    duration: float
    chapters_list: list[dict[str, Any]]
    cues: list[dict[str, Any]]


class JobQueue:
    """Submits render jobs and runs them; the web app and `producer worker` each build one."""

    def __init__(self, settings: Settings, database: Database, store: FileStore) -> None:
        self.settings, self.db, self.store = settings, database, store
        self.huey = make_huey(settings)
        self._task = self.huey.task(name=_TASK)(self._run_job)
        self.identity = _identity()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # ---- submitting ----------------------------------------------------------------------------

    def submit(self, job_id: str) -> None:
        self._task(job_id)

    # ---- running -------------------------------------------------------------------------------

    def start(self) -> None:
        """Run the worker loop and the dead-job reaper in background threads (inside `serve`)."""
        self._stop.clear()
        for target, name in ((self.run, "producer-worker"), (self._reap_loop, "producer-reaper")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def run(self) -> None:
        """Take jobs from the queue until stopped; polls back off to one second when idle."""
        delay = 0.05
        while not self._stop.is_set():
            task = self.huey.dequeue()
            if task is None:
                self._stop.wait(delay)
                delay = min(delay * 2, 1.0)
                continue
            delay = 0.05
            try:
                self.huey.execute(task)
            except Exception:  # a task's failure is already recorded on its job; keep serving
                log.exception("render task %s crashed", task.id)

    def run_forever(self) -> None:
        """`producer worker`: reaper in the background, jobs in this thread until stopped."""
        reaper = threading.Thread(target=self._reap_loop, name="producer-reaper", daemon=True)
        reaper.start()
        self.run()

    def request_stop(self) -> None:
        self._stop.set()

    # ---- reaping jobs of dead workers ----------------------------------------------------------

    def _reap_loop(self) -> None:
        interval = max(0.5, min(self.settings.job_stale_seconds / 3, 10.0))
        while not self._stop.is_set():
            try:
                self.reap()
            except Exception:  # the database may be briefly unavailable; try again next round
                log.exception("reaping dead jobs failed")
            self._stop.wait(interval)

    def reap(self) -> list[str]:
        """Retry (or fail) running jobs whose worker is gone; returns the ids it requeued."""
        host = socket.gethostname()
        stale_before = utcnow() - timedelta(seconds=self.settings.job_stale_seconds)
        requeued: list[str] = []
        with self.db.write() as s:
            for job in db.running_jobs(s):
                if job.worker == self.identity:
                    continue
                w_host, _, rest = (job.worker or "::").partition(":")
                pid = rest.partition(":")[0]
                dead_here = w_host == host and pid.isdigit() and not _pid_alive(int(pid))
                silent = job.heartbeat is None or job.heartbeat < stale_before
                if not (dead_here or silent):
                    continue
                if job.attempts < MAX_ATTEMPTS:
                    job.state, job.progress, job.stage, job.worker = "queued", 0.0, "retry", None
                    requeued.append(job.id)
                else:
                    _fail(
                        job,
                        "انقطع العامل أثناء التوليد أكثر من مرة (أُعيد تشغيل الخادم أو توقف)؛ "
                        "أعيدوا المحاولة.",
                    )
        for job_id in requeued:
            log.warning("job %s lost its worker; queued again", job_id)
            self.submit(job_id)
        return requeued

    # ---- one job -------------------------------------------------------------------------------

    def _run_job(self, job_id: str) -> None:
        with self.db.write() as s:
            job = s.get(Job, job_id)
            if job is None or job.state != "queued":
                return
            job.state, job.attempts, job.worker = "running", job.attempts + 1, self.identity
            job.heartbeat, job.progress, job.stage, job.error = utcnow(), 0.0, "start", None
            station = StationConfig.load(self.settings, db.station_values(s))
            work = self.settings.data_dir / "work" / f"{job.id}-{job.attempts}"
            request = (dict(job.script), job.engine, job.voice, job.target, job.bulletin_id)
        script, engine, voice, target, bulletin_id = request
        try:
            work.mkdir(parents=True, exist_ok=True)
            conf = station_settings(self.settings, station, self.store, work, with_audio=True)
            suffix = ".mp3" if target == "podcast" else ".wav"
            out = work / f"bulletin-{bulletin_id}{suffix}"
            result = self._render(job_id, conf, script, out, engine, voice, target)
            episode_id = self._store(job_id, bulletin_id, script, result)
        except RenderFailed as exc:
            with self.db.write() as s:
                job = s.get(Job, job_id)
                if job is not None and job.worker == self.identity:
                    if self._stop.is_set():
                        # Shutting down, not failing: the next worker start picks the job up again.
                        job.state, job.worker, job.stage = "queued", None, "retry"
                    else:
                        _fail(job, str(exc))
            if self._stop.is_set():
                self.submit(job_id)
            return
        except ProducerError as exc:
            self._mark_failed(job_id, _describe(type(exc).__name__, str(exc)))
            return
        except Exception as exc:
            log.exception("job %s failed", job_id)
            self._mark_failed(job_id, _describe("crash", f"{type(exc).__name__}: {exc}"))
            return
        finally:
            shutil.rmtree(work, ignore_errors=True)
        with self.db.write() as s:
            job = s.get(Job, job_id)
            if job is not None:
                job.state, job.progress, job.stage = "done", 1.0, "done"
                job.episode_id, job.finished = episode_id, utcnow()

    def _mark_failed(self, job_id: str, message: str) -> None:
        with self.db.write() as s:
            job = s.get(Job, job_id)
            if job is not None:
                _fail(job, message)

    def _render(
        self,
        job_id: str,
        conf: Settings,
        script: dict[str, Any],
        out: Path,
        engine: str | None,
        voice: str | None,
        target: str,
    ) -> RenderResult:
        """Run the pipeline in a child process, relaying its progress into the job row."""
        context = multiprocessing.get_context("spawn")
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(
            target=_child_main,
            args=(sender, conf, script, out, engine, voice, target),
            name=f"producer-render-{job_id}",
        )
        child.start()
        sender.close()
        deadline = time.monotonic() + self.settings.render_timeout
        last_write = last_beat = 0.0
        try:
            while True:
                if self._stop.is_set():
                    raise RenderFailed("أُوقف الخادم أثناء التوليد.")
                if time.monotonic() > deadline:
                    raise RenderFailed(
                        f"تجاوز التوليد المهلة المسموح بها ({self.settings.render_timeout:.0f} ثانية)."
                    )
                message: tuple[Any, ...] | None = None
                try:
                    if receiver.poll(0.5):
                        message = receiver.recv()
                except (EOFError, OSError):
                    child.join(5)
                    raise RenderFailed(
                        f"توقّفت عملية التوليد فجأة (رمز الخروج {child.exitcode})؛ "
                        "أعيدوا المحاولة أو اختاروا محركًا آخر."
                    ) from None
                now = time.monotonic()
                if message is not None and message[0] == "done":
                    return RenderResult(**message[1])
                if message is not None and message[0] == "error":
                    raise RenderFailed(_describe(message[1], message[2]))
                progress = message[1:] if message is not None and message[0] == "progress" else None
                if (progress and now - last_write >= _PROGRESS_EVERY) or now - last_beat >= _HEARTBEAT_EVERY:
                    self._beat(job_id, progress)
                    last_beat = now
                    if progress:
                        last_write = now
        finally:
            receiver.close()
            if child.is_alive():
                child.terminate()
                child.join(5)
                if child.is_alive():
                    child.kill()
                    child.join()

    def _beat(self, job_id: str, progress: tuple[Any, ...] | None) -> None:
        with self.db.write() as s:
            job = s.get(Job, job_id)
            if job is None:
                return
            job.heartbeat = utcnow()
            if progress:
                # The bar only moves forward, even when a stage reports coarsely.
                job.progress = max(job.progress, min(float(progress[0]), 0.99))
                job.stage = str(progress[1])[:64]

    def _store(self, job_id: str, bulletin_id: int, script: dict[str, Any], result: RenderResult) -> int:
        """Upload the three files under a fresh revision, then switch the episode to them."""
        revision = secrets.token_hex(6)
        with self.db.read() as s:
            existing = db.episode_of(s, bulletin_id)
            guid = existing.guid if existing else secrets.token_hex(16)
            old_revision = existing.revision if existing else None
        prefix = f"episodes/{guid}/{revision}"
        keys = {}
        for name, path in (
            ("audio", result.audio),
            ("transcript", result.transcript),
            ("chapters", result.chapters),
            ("subtitles", result.subtitles),
        ):
            keys[name] = f"{prefix}/{path.name}"
            self.store.put_file(keys[name], path)
        audio = self.store.stat(keys["audio"])
        if audio is None:
            raise ProducerError("the rendered audio vanished from the file store")
        with self.db.write() as s:
            episode = db.episode_of(s, bulletin_id)
            if episode is None:
                episode = Episode(guid=guid, bulletin_id=bulletin_id)
                s.add(episode)
            episode.title = str(script.get("title", ""))[:300]
            # Each story's headline and first sentence, which the feed shows as the episode's description.
            episode.description = summary_text(stories_of(script_from_dict(script)))
            episode.revision, episode.audio_key, episode.audio_type = (
                revision,
                keys["audio"],
                audio.content_type,
            )
            episode.audio_bytes, episode.transcript_key = audio.size, keys["transcript"]
            episode.chapters_key, episode.duration = keys["chapters"], result.duration
            episode.subtitles_key = keys["subtitles"]
            episode.chapters, episode.cues, episode.rendered = result.chapters_list, result.cues, utcnow()
            if episode.published:
                db.touch_feed(s)
            bulletin = s.get(Bulletin, bulletin_id)
            if bulletin is not None:
                bulletin.updated = utcnow()
            s.flush()
            episode_id = episode.id
        if old_revision and old_revision != revision:
            self.store.delete_prefix(f"episodes/{guid}/{old_revision}")
        log.info("job %s stored episode %s revision %s", job_id, episode_id, revision)
        return episode_id


def _fail(job: Job, message: str) -> None:
    job.state, job.error, job.finished, job.worker = "failed", message, utcnow(), None


def _describe(kind: str, message: str) -> str:
    prefix = _FAILURE_PREFIX.get(kind, "حدث خطأ غير متوقع أثناء التوليد")
    return f"{prefix}: {message}"


def _child_main(
    conn: Connection,
    settings: Settings,
    script: dict[str, Any],
    out: Path,
    engine: str | None,
    voice: str | None,
    target: str,
) -> None:
    """The render itself, in its own process; everything it reports goes through `conn`."""
    _exit_with_parent()
    # A render is batch work: at a lower priority (inherited by its ffmpeg), the web server and
    # the feed stay responsive while it runs on the same cores.
    os.nice(RENDER_NICENESS)

    def send(message: tuple[Any, ...]) -> None:
        try:
            conn.send(message)
        except OSError:  # the worker is gone: nobody will use this render
            os._exit(3)

    try:
        from producer.pipeline import build_episode

        files = build_episode(
            script_from_dict(script),
            out,
            settings=settings,
            engine=engine,
            voice=voice,
            target=target,  # type: ignore[arg-type]
            progress=lambda fraction, stage: send(("progress", fraction, stage)),
        )
        result = {
            "audio": files.audio,
            "transcript": files.transcript,
            "chapters": files.chapters,
            "subtitles": files.subtitles,
            "duration": files.duration,
            "chapters_list": [
                {"title": c.title, "start": c.start, "end": c.end} for c in files.chapters_list
            ],
            "cues": [{"start": c.start, "end": c.end, "text": c.text} for c in files.cues],
        }
        send(("done", result))
    except ProducerError as exc:
        send(("error", type(exc).__name__, str(exc)))
    except Exception as exc:
        traceback.print_exc()
        send(("error", "crash", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _exit_with_parent() -> None:
    """A render whose worker was killed stops too, instead of running on unobserved."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(3)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
