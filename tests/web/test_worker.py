"""`producer worker` alone renders what a `serve` without its embedded worker queues: over the
SQLite queue file they share, and over Redis with a PostgreSQL database (the scale-out setup)."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from tests.backends import Backend
from tests.web.support import ARTICLE_SCHOOL, producer_command, run_cli, server_env, start_server, wait_job


def test_separate_worker_takes_the_jobs(tmp_path: Path, backend: Backend) -> None:
    data = tmp_path / "data"
    data.mkdir()
    env = server_env(data, PRODUCER_EMBEDDED_WORKER="false", **backend.env())
    server = start_server(data, env)
    worker = None
    try:
        token = run_cli(data, "token", "create", "admin", env=env).stdout.strip()
        with server.client(headers={"Authorization": f"Bearer {token}"}) as api:
            bulletin = api.post("/api/v1/bulletins", json={"articles": [ARTICLE_SCHOOL]}).json()
            job = api.post(f"/api/v1/bulletins/{bulletin['id']}/render").json()["job"]
            assert api.get(f"/api/v1/jobs/{job}").json()["state"] == "queued"
            worker = subprocess.Popen(
                producer_command("worker"), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            state = wait_job(api, job)
            assert state["state"] == "done", state
            # What the worker stored, the server serves.
            episode = api.get(f"/api/v1/episodes/{state['episode']}").json()
            audio = api.get(episode["audio_url"])
            assert audio.status_code == 200 and len(audio.content) == episode["audio_bytes"] > 0
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(30) == 0
        server.stop()
