"""The one Settings object: environment variables PRODUCER_*, defaults = embedded mode.

Build it with `load_settings()` at an edge (CLI, web app factory, worker) and pass what a stage
needs down as arguments; no stage reads settings on its own.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from producer.models import Target

# The embedded SQLite database in the data folder (when no database_url is set).
DATABASE_FILE = "producer.db"


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "producer"


ENV_PREFIX = "PRODUCER_"


class Settings(BaseModel):
    """Every field is read from `PRODUCER_<NAME>` (any case) unless passed in; pydantic parses the
    strings. pydantic-settings did this at ~0.1 s of import on every start of a CLI command or a
    render child, a sixth of a re-render after a one-word edit; these fields need none of its sources."""

    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _from_environment(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        found = {
            name[len(ENV_PREFIX) :].lower(): value
            for name, value in os.environ.items()
            if name.upper().startswith(ENV_PREFIX)
        }
        return {**{name: value for name, value in found.items() if name in cls.model_fields}, **data}

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Where the database, media and cache live in embedded mode.",
    )

    station_name: str = Field("راديو ألوان", description="Station name used in the ident and tags.")
    programme_name: str = Field("نشرة الأخبار", description="Programme name (ID3 album, feed title).")
    timezone: str = Field("Asia/Damascus", description="Time zone for the greeting's date and time.")
    clock_dial: Literal["12h", "24h"] = Field(
        "12h",
        description="How 24-hour times are read: 12h (21:40 → التاسعة وأربعين دقيقة مساء) or 24h "
        "(الحادية والعشرون وأربعون دقيقة).",
    )
    templates_dir: Path | None = Field(
        None,
        description="A folder of NAME.j2 script templates the CLI's `script` and `build` use under the "
        "station's own (stored in the database); the web service uses only the station's.",
    )

    engine: str = Field("espeak", description="Default TTS engine: espeak, piper or gtts.")
    voice: str | None = Field(
        None, description="Default voice of the engine (engine's own default if unset)."
    )
    pace: int = Field(
        130,
        ge=80,
        le=220,
        description="Reading pace in Arabic words per minute of voiced time (espeak and piper; gTTS "
        "keeps Google's).",
    )
    espeak_rate: int | None = Field(
        None,
        ge=80,
        le=450,
        description="espeak-ng's own rate unit; when set it overrides PRODUCER_PACE for espeak.",
    )
    espeak_pitch: int = Field(45, ge=0, le=99, description="espeak-ng base pitch, 0-99.")
    piper_voices_dir: Path | None = Field(
        None, description="Folder of Piper .onnx voices (default: DATA_DIR/voices)."
    )
    voices_base_url: str = Field(
        "https://huggingface.co/rhasspy/piper-voices/resolve/v1.0.0",
        description="Where `producer voices install NAME` downloads Piper voices: a release in the "
        "rhasspy/piper-voices layout (voices.json and the voice files).",
    )
    gtts_tld: str = Field("com", description="Google host top-level domain used by gTTS.")
    gtts_base_url: str | None = Field(
        None,
        description="Base URL gTTS requests go to instead of https://translate.google.<tld> (a proxy).",
    )
    gtts_timeout: float = Field(15.0, gt=0, description="Seconds before one gTTS request gives up.")
    gtts_concurrency: int = Field(4, ge=1, le=16, description="gTTS requests in flight at once.")
    workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1, ge=1, description="Parallel synthesis workers."
    )
    cache_max_mb: int = Field(
        2048, ge=1, description="Size limit in MiB of each cache, voiced segments and encoded parts (LRU)."
    )

    target: Target = Field(Target.PODCAST, description="Default loudness target: podcast or broadcast.")
    jingle_intro: Path | None = Field(None, description="Intro jingle file (any format ffmpeg reads).")
    jingle_outro: Path | None = Field(None, description="Outro jingle file.")
    stinger: Path | None = Field(None, description="Stinger played between stories.")
    music_bed: Path | None = Field(None, description="Optional music bed under the speech, ducked.")
    # Loudness as heard: a mono programme plays on both channels, 3 LU louder than it measures alone.
    podcast_lufs: float = Field(
        -16.0,
        ge=-30.0,
        le=-10.0,
        description="Podcast loudness in LUFS as played on two channels; the mono MP3 measures 3 LU "
        "lower (-19 for -16), as AES TD1004 and Apple ask of mono podcasts.",
    )
    broadcast_lufs: float = Field(
        -23.0, ge=-31.0, le=-14.0, description="Broadcast loudness in LUFS (EBU R128) of the two-channel WAV."
    )
    bed_level_lu: float = Field(
        -18.0, ge=-40.0, le=-6.0, description="Music bed under speech, in LU relative to the speech."
    )
    station_ascii: str = Field(
        "Radio Alwan",
        max_length=32,
        pattern=r"^[ -~]*$",
        description="Station name in ASCII for the broadcast WAV's bext and cart fields that must be ASCII.",
    )
    cart_expiry_hours: float = Field(
        2.0, gt=0.0, description="Hours after its creation a broadcast WAV's cart chunk says it stops airing."
    )
    lexicon_path: Path | None = Field(
        None,
        description="A lexicon TSV file of an earlier release, imported once into the database at the "
        "first start while the database has no lexicon yet, then never read (default: "
        "DATA_DIR/lexicon.tsv). The station's lexicon lives in the database.",
    )

    # The web service (producer serve / producer worker).
    database_url: str | None = Field(
        None,
        description="SQLAlchemy database URL (default: SQLite file DATA_DIR/producer.db; "
        "postgresql+psycopg://… for scale-out).",
    )
    queue_url: str | None = Field(
        None,
        description="Job queue: unset = SQLite file DATA_DIR/queue.db with the worker inside `serve`; "
        "redis://host:6379/0 to share jobs with `producer worker` processes.",
    )
    embedded_worker: bool = Field(True, description="Run a job worker inside `producer serve`.")
    storage: Literal["local", "s3"] = Field(
        "local", description="Where episode files and uploads live: local (DATA_DIR/media) or s3."
    )
    s3_bucket: str | None = Field(None, description="S3 bucket for storage=s3.")
    s3_endpoint_url: str | None = Field(None, description="S3-compatible endpoint (MinIO, …); unset = AWS.")
    s3_region: str | None = Field(None, description="S3 region name.")
    s3_access_key_id: str | None = Field(None, description="S3 access key id (unset = boto3's own lookup).")
    s3_secret_access_key: SecretStr | None = Field(None, description="S3 secret access key.")
    s3_prefix: str = Field("", description="Key prefix inside the bucket, e.g. 'station1/'.")
    s3_create_bucket: bool = Field(
        False, description="Create the S3 bucket at start when it is missing (else a clear error)."
    )
    base_url: str | None = Field(
        None,
        description="Public address of the service (https://news.example.org); feed and media URLs "
        "use it. Unset = taken from each request.",
    )
    secret_key: SecretStr | None = Field(
        None, description="Key for signing form tokens (default: generated once into DATA_DIR/secret_key)."
    )
    admin_password: SecretStr | None = Field(
        None,
        description="Password of the `admin` account, created at first start; `serve` refuses a "
        "non-loopback host while no admin has a non-default password.",
    )
    session_hours: float = Field(12.0, gt=0, description="Hours a login session lasts without use.")
    render_timeout: float = Field(1800.0, gt=0, description="Seconds before a render job is stopped.")
    job_stale_seconds: float = Field(
        30.0,
        gt=0,
        description="Lease of a running job, in seconds by the database clock: a job whose worker "
        "has not renewed it for this long (frozen, dead, cut off) is taken again by another worker.",
    )
    max_upload_mb: float = Field(20.0, gt=0, description="Largest accepted request or upload, in MiB.")
    max_article_chars: int = Field(60_000, ge=100, description="Longest accepted article, in characters.")
    max_stories: int = Field(40, ge=1, description="Most stories in one bulletin.")

    # The podcast feed.
    feed_owner_email: str = Field(
        "",
        max_length=200,
        description="Email of the feed's owner (itunes:owner, podcast:locked), which Apple requires to "
        "list a podcast; the settings page can change it.",
    )

    # Limits of `producer serve` against slow or flooding clients.
    trusted_proxies: str = Field(
        "",
        description="Comma-separated addresses (or networks) of reverse proxies whose X-Forwarded-For "
        "and X-Forwarded-Proto are believed; unset = none, the client's own address counts.",
    )
    max_connections: int = Field(
        1000, ge=10, description="Open connections `serve` accepts at once; more are closed at once."
    )
    header_timeout: float = Field(
        10.0, gt=0, description="Seconds a connection has to send a complete request head."
    )
    keepalive_timeout: float = Field(
        5.0, gt=0, description="Seconds an idle keep-alive connection stays open."
    )

    # The hourly automation: sources, programmes, hand-off to the playout.
    source_poll_minutes: float = Field(
        10.0, gt=0, description="Minutes between two fetches of each source by the scheduler."
    )
    sources_private: bool = Field(
        False,
        description="Allow sources at private, loopback or link-local addresses (a CMS inside the "
        "station's network); off, an editor cannot make the server fetch internal addresses.",
    )
    article_window_hours: float = Field(
        24.0, gt=0, description="Only articles fetched within this many hours go into a programme's bulletin."
    )
    air_keep_days: float = Field(
        14.0,
        gt=0,
        description="Days the automation's bulletins are kept after their air time: then their episodes "
        "leave the feed and their files the storage (the runs' history stays; staff's bulletins are never "
        "removed).",
    )
    liquidsoap_queue: str = Field(
        "news",
        description="Name of the Liquidsoap request queue a liquidsoap: playout pushes bulletins into.",
    )
    webhook_secret: SecretStr | None = Field(
        None, description="Key that signs webhook: playout bodies (HMAC-SHA256 in X-Producer-Signature)."
    )
    scheduler: bool = Field(
        True, description="Run the programmes' scheduler inside `producer serve` and `producer worker`."
    )

    # Logs of `serve` and `worker` (standard error).
    log_format: Literal["auto", "text", "json"] = Field(
        "auto",
        description="Log lines of serve and worker: text, or json (one object per line, with job_id "
        "and attempt on a job's lines); auto = text on a terminal, json otherwise.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Least severe log records written: DEBUG, INFO, WARNING or ERROR."
    )

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def voices_dir(self) -> Path:
        return self.piper_voices_dir or self.data_dir / "voices"

    @property
    def lexicon_file(self) -> Path:
        """Where an earlier release kept the station's lexicon: imported once, never written."""
        return self.lexicon_path or self.data_dir / "lexicon.tsv"


def load_settings(**overrides: object) -> Settings:
    """Read the environment, then apply explicit overrides (CLI flags, test values)."""
    return Settings(**overrides)  # type: ignore[arg-type]
