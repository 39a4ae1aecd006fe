"""A server killed with SIGKILL in the middle of a render loses nothing and publishes nothing half-made,
whether its jobs wait in the SQLite queue file or in Redis (with the rows in PostgreSQL)."""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

from tests.backends import Backend
from tests.web.support import (
    ADMIN_PASSWORD,
    ARTICLE_SCHOOL,
    ARTICLE_WATER,
    login,
    run_cli,
    server_env,
    start_server,
    wait_job,
)

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "pages" / "alwan.txt"


def test_kill_during_render_then_restart(tmp_path: Path, backend: Backend) -> None:
    data = tmp_path / "data"
    data.mkdir()
    env = server_env(data, **backend.env())
    server = start_server(data, env)
    try:
        token = run_cli(data, "token", "create", "admin", env=env).stdout.strip()
        with server.client() as client:
            csrf = login(client, "admin", ADMIN_PASSWORD)
            saved = client.post(
                "/bulletins",
                data={
                    "csrf_token": csrf,
                    "title": "مسودة قبل الانهيار",
                    "article": [ARTICLE_SCHOOL],
                    "action": "save",
                },
            )
            draft = int(re.search(r"draft=(\d+)", saved.headers["location"]).group(1))  # type: ignore[union-attr]
        api = server.client(headers={"Authorization": f"Bearer {token}"})
        articles = [FIXTURE.read_text(encoding="utf-8"), ARTICLE_WATER, ARTICLE_SCHOOL]
        bulletin = api.post("/api/v1/bulletins", json={"title": "نشرة الانهيار", "articles": articles}).json()
        job = api.post(f"/api/v1/bulletins/{bulletin['id']}/render").json()["job"]
        deadline = time.monotonic() + 60
        while api.get(f"/api/v1/jobs/{job}").json()["state"] != "running":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        server.stop(signal.SIGKILL)
        api.close()
    finally:
        server.stop(signal.SIGKILL)
    # The render the kill interrupted (and its voicing processes) is gone with the server.
    assert server.group_gone()

    server = start_server(data, env)
    try:
        with server.client(headers={"Authorization": f"Bearer {token}"}) as api:
            state = wait_job(api, job)
            # Retried by the new worker (or failed with a reason the page shows), never left running.
            assert state["state"] in ("done", "failed")
            if state["state"] == "failed":
                assert re.search("[\u0600-\u06ff]", str(state["error"]))
            else:
                episode = api.get(f"/api/v1/episodes/{state['episode']}").json()
                assert episode["published"] is False
                audio = api.get(episode["audio_url"])
                assert len(audio.content) == episode["audio_bytes"]
            assert api.get(f"/api/v1/bulletins/{bulletin['id']}").json()["script"] == bulletin["script"]
            assert server.client().get("/feed.xml").text.count("<item>") == 0
        with server.client() as client:
            login(client, "admin", ADMIN_PASSWORD)
            assert "مسودة قبل الانهيار" in client.get("/", params={"draft": draft}).text
        # No half-written files are left behind in the media store.
        assert not [p for p in (data / "media").rglob("*") if p.name.startswith(".")]
    finally:
        server.stop()
