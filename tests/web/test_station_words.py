"""The station's lexicon and templates are shared through the database by every process of a
scale-out station (PostgreSQL and Redis): two web servers on separate data folders (as on two
machines), the CLI and a `producer worker`. A change made by one is used by the others on their
next build, without a restart; a stale lexicon file on a machine is not read."""

from __future__ import annotations

import html
import signal
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from producer.arabic.dates import time_words
from producer.bulletin import BulletinOptions, compose, on_the_five
from producer.ingest import clean
from producer.scriptfile import script_to_dict
from producer.store.db import Bulletin
from tests.backends import Backend
from tests.web.support import (
    ADMIN_PASSWORD,
    ARTICLE_SCHOOL,
    login,
    producer_command,
    run_cli,
    server_env,
    start_server,
    wait_job,
)

DAMASCUS = ZoneInfo("Asia/Damascus")
GREETING = "{{ salutation }}. معكم {{ station }} والساعة الآن {{ clock }}."


def clock_of(moment: datetime) -> str:
    return time_words(on_the_five(moment.astimezone(DAMASCUS)).time())


def words_of(text: str) -> str:
    return " ".join(text.split())


def render(api: httpx.Client, bulletin: int) -> str:
    """Render through the worker; the episode's WebVTT transcript, its lines joined."""
    job = api.post(f"/api/v1/bulletins/{bulletin}/render").json()["job"]
    state = wait_job(api, job)
    assert state["state"] == "done", state
    episode = api.get(f"/api/v1/episodes/{state['episode']}").json()
    return words_of(api.get(episode["transcript_url"]).text)


@pytest.mark.parametrize("backend", ["postgresql+redis"], indirect=True)
def test_two_servers_the_cli_and_a_worker_share_the_lexicon_and_templates(
    tmp_path: Path, backend: Backend
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    extra = {"PRODUCER_EMBEDDED_WORKER": "false", "PRODUCER_SCHEDULER": "false", **backend.env()}
    env = server_env(first, **extra)
    server = start_server(first, env)
    assert run_cli(first, "lexicon", "add", "مختبرا", "مُخْتَبَرًا", env=env).returncode == 0
    # The other machine has a lexicon file of an earlier release: the database's lexicon wins.
    (second / "lexicon.tsv").write_text("مختبرا\tشيء آخر\n", encoding="utf-8")
    other = start_server(second, server_env(second, **extra))
    worker_log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        producer_command("worker"), env=env, stdout=worker_log, stderr=subprocess.STDOUT
    )
    try:
        assert f"{second / 'lexicon.tsv'} is not read" in other.log.read_text(encoding="utf-8")
        token = run_cli(first, "token", "create", "admin", env=env).stdout.strip()
        auth = {"Authorization": f"Bearer {token}"}
        with server.client(headers=auth) as api, other.client(headers=auth) as api2:
            admin = server.client()
            csrf = login(admin, "admin", ADMIN_PASSWORD)
            templates = html.unescape(admin.get("/settings").text)
            assert "اليوم {{ weekday }}" in templates  # the shipped greeting, before
            saved = admin.post("/settings/templates", data={"csrf_token": csrf, "greeting": GREETING})
            assert saved.status_code == 303, saved.text

            # The other server composes with the template the first one saved.
            bulletin = api2.post("/api/v1/bulletins", json={"articles": [ARTICLE_SCHOOL]}).json()
            greeting = bulletin["script"]["segments"][1]["text"]
            assert greeting.startswith(("صباح الخير. معكم راديو ألوان", "مساء الخير. معكم راديو ألوان"))

            # …and reads the word as the CLI wrote it, not as its own machine's stale file says.
            reader = other.client()
            reader_csrf = login(reader, "admin", ADMIN_PASSWORD)
            spoken = reader.post(
                f"/bulletins/{bulletin['id']}/speakable",
                data={"text": "تضم مختبرا"},
                headers={"X-CSRF-Token": reader_csrf},
            ).json()["speakable"]
            assert spoken.split()[-1] == "مُخْتَبَرًا"
            # A word the CLI adds now, while the server runs, is read on its next build.
            assert run_cli(first, "lexicon", "add", "ملعبا", "مَلْعَبًا", env=env).returncode == 0
            spoken = reader.post(
                f"/bulletins/{bulletin['id']}/speakable",
                data={"text": "تضم ملعبا"},
                headers={"X-CSRF-Token": reader_csrf},
            ).json()["speakable"]
            assert spoken.split()[-1] == "مَلْعَبًا"

            # The worker says the time of the render, not of the compose, only if it has the
            # station's greeting too: with another template it would voice the script as composed.
            composed = datetime.now(DAMASCUS) - timedelta(hours=3)
            options = BulletinOptions("راديو ألوان", "نشرة الأخبار", {"greeting": GREETING})
            earlier = compose([clean(ARTICLE_SCHOOL)], options, composed)
            assert clock_of(composed) in earlier.segments[1].text
            with server.database() as database, database.write() as s:
                row = s.get(Bulletin, bulletin["id"])
                assert row is not None
                row.script = script_to_dict(earlier)
            start = datetime.now(DAMASCUS)
            transcript = render(api, bulletin["id"])
            assert "معكم راديو ألوان والساعة الآن" in transcript
            assert clock_of(composed) not in transcript
            assert any(clock_of(moment) in transcript for moment in (start, datetime.now(DAMASCUS)))
            admin.close()
            reader.close()
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        worker_log.close()
        other.stop()
        server.stop()
