"""Shared fixtures: an isolated data folder per test session and the project's own sample pages."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_FIXTURE = ROOT.parent / "shared" / "fixtures" / "alwan_article.txt"
ALWAN_PAGE = ROOT / "tests" / "data" / "pages" / "alwan.txt"


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep every test's cache, lexicon and database out of the user's real data folder.

    One folder per test session, so the segment cache is shared and repeated voicing stays cheap.
    """
    data = tmp_path_factory.getbasetemp() / "producer-data"
    data.mkdir(exist_ok=True)
    monkeypatch.setenv("PRODUCER_DATA_DIR", str(data))
    return data


@pytest.fixture(scope="session")
def examples() -> list[Path]:
    return sorted((ROOT / "examples").glob("*.txt"))
