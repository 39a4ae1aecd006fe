"""The automation's commands, run as a station runs them: `producer source|programme …`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Site


@pytest.fixture
def producer(tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {**os.environ, "PRODUCER_DATA_DIR": str(tmp_path / "data")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "producer", *args], capture_output=True, text=True, env=env, timeout=120
        )

    return run


def test_sources_are_added_fetched_deduplicated_and_listed(site: Site, producer) -> None:  # type: ignore[no-untyped-def]
    assert producer("source", "add", site.url("/feed.xml"), "--name", "ألوان").returncode == 0
    added = producer("source", "add", site.url("/agency.xml"), "--name", "الوكالة")
    assert added.returncode == 0 and "(feed)" in added.stderr
    page = producer("source", "add", site.url("/news/schools"), "--name", "مقال")
    assert page.returncode == 0 and "(page)" in page.stderr

    fetched = producer("source", "fetch")
    assert fetched.returncode == 0, fetched.stderr
    assert fetched.stdout.splitlines() == [
        "ألوان: 2 new, 0 updated, 0 duplicates",  # the water story, and the schools page of a teaser
        "الوكالة: 1 new, 0 updated, 1 duplicates",  # its water story is Alwan's
        "مقال: 0 new, 0 updated, 0 duplicates",  # the schools page again, by its URL
    ]
    again = producer("source", "fetch", "ألوان")
    assert again.stdout.strip() == "ألوان: unchanged"

    listed = producer("source", "list").stdout.splitlines()
    assert len(listed) == 3 and all(line.endswith("\tok") for line in listed)


def test_a_broken_source_fails_the_fetch_and_shows_its_error(site: Site, producer) -> None:  # type: ignore[no-untyped-def]
    assert producer("source", "add", site.url("/broken"), "--name", "معطل", "--kind", "feed").returncode == 0
    fetched = producer("source", "fetch")
    assert fetched.returncode == 1
    assert fetched.stderr.strip() == f"معطل: {site.url('/broken')} answered HTTP 500"
    (line,) = producer("source", "list").stdout.splitlines()
    assert line.endswith(f"error: {site.url('/broken')} answered HTTP 500")


def test_programmes_are_added_and_listed_with_their_next_air_time(
    site: Site, producer, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    producer("source", "add", site.url("/feed.xml"), "--name", "ألوان")
    added = producer(
        "programme", "add", "نشرة الساعة", "--cron", "55 * * * *", "--length", "4:00",
        "--sources", "ألوان", "--auto", "--playout", f"dir:{tmp_path / 'playout'}",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    (line,) = producer("programme", "list").stdout.splitlines()
    name, cron, air, mode, target, sources, last = line.split("\t")
    assert (name, cron, mode, target, sources, last) == (
        "نشرة الساعة",
        "55 * * * *",
        "auto",
        "broadcast",
        "ألوان",
        "last: never run",
    )
    assert air.startswith("next air ") and air.endswith(":00")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cron", "every hour", "--length", "4:00", "--sources", "ألوان"], "is not a cron expression"),
        (["--cron", "55 * * * *", "--length", "four", "--sources", "ألوان"], "is not a length in minutes"),
        (["--cron", "55 * * * *", "--length", "4:00", "--sources", "غائب"], "no source is named 'غائب'"),
        (
            ["--cron", "55 * * * *", "--length", "4:00", "--sources", "ألوان", "--playout", "ftp:x"],
            "is not a playout target",
        ),
        (
            [
                "--cron",
                "55 * * * *",
                "--length",
                "4:00",
                "--sources",
                "ألوان",
                "--target",
                "podcast",
                "--playout",
                "dir:/srv/import",
            ],
            "plays the broadcast WAV, and a podcast programme renders the MP3 for the feed",
        ),
        (
            ["--cron", "55 * * * *", "--length", "4:00", "--sources", "ألوان", "--target", "mp3"],
            "--target must be broadcast or podcast",
        ),
        (
            ["--cron", "55 * * * *", "--length", "4:00", "--sources", "ألوان", "--approve-by", "5"],
            "approve_by must be between 0 and 4, not 5",
        ),
    ],
)
def test_a_bad_programme_is_refused_in_one_line(site: Site, producer, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    producer("source", "add", site.url("/feed.xml"), "--name", "ألوان")
    result = producer("programme", "add", "نشرة", *args)
    assert result.returncode != 0
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
