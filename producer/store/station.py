"""The station's own settings, edited on the settings page and stored in the database.

Every field starts from the service's Settings (environment), so a fresh install works before an
admin opens the page; stored values override them. Files (jingles, artwork) live in the FileStore
and are named here by key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from producer.feed import category_values
from producer.models import Target
from producer.settings import Settings
from producer.store.files import FileStore

# Apple Podcasts' categories, "Top" or "Top/Sub" (see producer.feed.APPLE_CATEGORIES).
CATEGORIES = category_values()


class StationConfig(BaseModel):
    station_name: str = Field(min_length=1, max_length=120)
    programme_name: str = Field(min_length=1, max_length=120)
    engine: str = Field(min_length=1, max_length=32)
    voice: str | None = Field(None, max_length=200)
    target: Target = Target.PODCAST
    pace: int = Field(130, ge=80, le=220, description="Reading pace, Arabic words per minute of voiced time.")
    feed_title: str = Field(min_length=1, max_length=200)
    feed_description: str = Field("", max_length=4000)
    feed_author: str = Field(min_length=1, max_length=200)
    feed_owner_email: str = Field("", max_length=200)
    feed_category: str = Field("News", max_length=100)
    feed_explicit: bool = False
    feed_locked: bool = Field(True, description="podcast:locked: other platforms may not import the feed.")
    artwork_key: str | None = None
    jingle_intro_key: str | None = None
    jingle_outro_key: str | None = None

    @classmethod
    def load(cls, settings: Settings, stored: dict[str, Any]) -> StationConfig:
        defaults: dict[str, Any] = {
            "station_name": settings.station_name,
            "programme_name": settings.programme_name,
            "engine": settings.engine,
            "voice": settings.voice,
            "target": settings.target,
            "pace": settings.pace,
            "feed_title": settings.programme_name,
            "feed_description": f"{settings.programme_name} من {settings.station_name}",
            "feed_author": settings.station_name,
            "feed_owner_email": settings.feed_owner_email,
        }
        known = {key: value for key, value in stored.items() if key in cls.model_fields}
        return cls.model_validate({**defaults, **known})


def station_settings(
    settings: Settings, config: StationConfig, store: FileStore | None = None, workdir: Path | None = None
) -> Settings:
    """Settings for one compose or render: the service's, with the station's choices applied.

    Given a store and a `workdir`, the station's jingles are fetched there for a render (ffmpeg
    reads them as files). The station's lexicon and templates are data, not settings: see
    producer.store.words.
    """
    update: dict[str, Any] = {
        "station_name": config.station_name,
        "programme_name": config.programme_name,
        "engine": config.engine,
        "voice": config.voice,
        "target": config.target,
        "pace": config.pace,
    }
    if store is not None and workdir is not None:
        for field, key in (
            ("jingle_intro", config.jingle_intro_key),
            ("jingle_outro", config.jingle_outro_key),
        ):
            if key:
                local = workdir / key.replace("/", "_")
                store.fetch(key, local)
                update[field] = local
    return settings.model_copy(update=update)
