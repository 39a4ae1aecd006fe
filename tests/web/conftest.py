"""The session's newsroom: one real server with an editor, a viewer and their API tokens.

It runs once on the embedded defaults (SQLite database, SQLite queue) and once on the scale-out
backends (PostgreSQL database, Redis queue), so every test using it checks both.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.backends import backend_for
from tests.web.support import (
    ARTICLE_SCHOOL,
    ARTICLE_WATER,
    EDITOR_PASSWORD,
    VIEWER_PASSWORD,
    Newsroom,
    run_cli,
    server_env,
    start_server,
    wait_job,
)


@pytest.fixture(scope="session", params=["sqlite", "postgresql+redis"])
def newsroom(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Newsroom]:
    data_dir = tmp_path_factory.mktemp("newsroom") / "data"
    data_dir.mkdir()
    env = server_env(data_dir, **backend_for(request, request.param).env())
    for name, role, password in (
        ("editor", "editor", EDITOR_PASSWORD),
        ("viewer", "viewer", VIEWER_PASSWORD),
    ):
        result = run_cli(data_dir, "user", "add", name, "--role", role, stdin=password + "\n", env=env)
        assert result.returncode == 0, result.stderr
    tokens = {}
    for name in ("editor", "viewer"):
        result = run_cli(data_dir, "token", "create", name, env=env)
        assert result.returncode == 0, result.stderr
        tokens[name] = result.stdout.strip()
    server = start_server(data_dir, env)
    try:
        yield Newsroom(server, tokens["editor"], tokens["viewer"])
    finally:
        server.stop()


@pytest.fixture(scope="session")
def rendered(newsroom: Newsroom) -> dict[str, object]:
    """One bulletin composed, rendered and published through the API, shared by read-only tests."""
    with newsroom.api() as api:
        created = api.post(
            "/api/v1/bulletins",
            json={"title": "نشرة الاختبار", "articles": [ARTICLE_WATER, ARTICLE_SCHOOL], "target": "podcast"},
        )
        assert created.status_code == 201, created.text
        bulletin = created.json()
        job = api.post(f"/api/v1/bulletins/{bulletin['id']}/render").json()["job"]
        state = wait_job(api, job)
        assert state["state"] == "done", state
        episode = api.post(f"/api/v1/episodes/{state['episode']}/publish").json()
    return {"bulletin": bulletin, "episode": episode}
