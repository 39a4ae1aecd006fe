"""The one Settings object: environment variables PRODUCER_*, defaults = embedded mode.

Build it with `load_settings()` at an edge (CLI, web app factory, worker) and pass what a stage
needs down as arguments; no stage reads settings on its own.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

Target = Literal["podcast", "broadcast"]


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "producer"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PRODUCER_", extra="ignore")

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Where the database, media, cache and lexicon live in embedded mode.",
    )

    station_name: str = Field("راديو ألوان", description="Station name used in the ident and tags.")
    programme_name: str = Field("نشرة الأخبار", description="Programme name (ID3 album, feed title).")
    timezone: str = Field("Asia/Damascus", description="Time zone for the greeting's date and time.")
    templates_dir: Path | None = Field(
        None, description="A folder of the station's own script templates overriding the shipped ones."
    )

    engine: str = Field("espeak", description="Default TTS engine: espeak, piper or gtts.")
    voice: str | None = Field(None, description="Default voice of the engine (engine's own default if unset).")
    espeak_rate: int = Field(150, ge=80, le=450, description="espeak-ng speaking rate, words per minute.")
    espeak_pitch: int = Field(45, ge=0, le=99, description="espeak-ng base pitch, 0-99.")
    piper_voices_dir: Path | None = Field(
        None, description="Folder of Piper .onnx voices (default: DATA_DIR/voices)."
    )
    gtts_tld: str = Field("com", description="Google host top-level domain used by gTTS.")
    gtts_timeout: float = Field(15.0, gt=0, description="Seconds before one gTTS request gives up.")
    gtts_concurrency: int = Field(4, ge=1, le=16, description="gTTS requests in flight at once.")
    workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1, ge=1, description="Parallel synthesis workers."
    )
    cache_max_mb: int = Field(2048, ge=1, description="Segment cache size limit in MiB (LRU eviction).")

    target: Target = Field("podcast", description="Default loudness target: podcast or broadcast.")
    jingle_intro: Path | None = Field(None, description="Intro jingle file (any format ffmpeg reads).")
    jingle_outro: Path | None = Field(None, description="Outro jingle file.")
    stinger: Path | None = Field(None, description="Stinger played between stories.")
    music_bed: Path | None = Field(None, description="Optional music bed under the speech, ducked.")
    lexicon_path: Path | None = Field(
        None, description="The station's pronunciation lexicon (default: DATA_DIR/lexicon.tsv)."
    )

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def voices_dir(self) -> Path:
        return self.piper_voices_dir or self.data_dir / "voices"

    @property
    def lexicon_file(self) -> Path:
        return self.lexicon_path or self.data_dir / "lexicon.tsv"


def load_settings(**overrides: object) -> Settings:
    """Read the environment, then apply explicit overrides (CLI flags, test values)."""
    return Settings(**overrides)  # type: ignore[arg-type]
