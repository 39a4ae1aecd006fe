"""Operating a cluster: liveness and readiness, Prometheus metrics, the signing key shared through
the database by every web server, the bucket checked at start, and cancelling a render."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from producer.errors import ProducerError
from producer.settings import load_settings
from producer.web.app import create_app
from tests.backends import Backend
from tests.web.support import (
    ADMIN_PASSWORD,
    ARTICLE_WATER,
    Newsroom,
    free_port,
    login,
    run_cli,
    server_env,
    start_server,
    wait_job,
)

moto_server = pytest.importorskip("moto.server")


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_count_jobs_renders_and_requests(newsroom: Newsroom) -> None:
    with newsroom.server.client(headers={"Authorization": f"Bearer {newsroom.editor_token}"}) as api:
        bulletin = api.post("/api/v1/bulletins", json={"articles": [ARTICLE_WATER]}).json()
        job = api.post(f"/api/v1/bulletins/{bulletin['id']}/render").json()["job"]
        assert wait_job(api, job)["state"] == "done"
        api.get("/no-such-page-1")
        api.get("/no-such-page-2")
        reply = api.get("/metrics")
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/plain")
    found = samples(reply.text)
    assert found[("producer_jobs", (("state", "done"),))] >= 1
    assert ("producer_queue_depth", ()) in found
    assert found[("producer_render_seconds_count", (("outcome", "done"),))] >= 1
    lookups = sum(v for (name, _), v in found.items() if name == "producer_cache_lookups_total")
    assert lookups > 0
    routes = {dict(labels).get("route") for (name, labels) in found if name.startswith("producer_http")}
    # Requests are labelled by route template; unknown paths share one label.
    assert {"/api/v1/bulletins/{bulletin_id}/render", "unmatched"} <= routes
    assert not any(route and route.startswith("/no-such") for route in routes)


def test_cancel_a_queued_render_from_the_api(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    env = server_env(data, PRODUCER_EMBEDDED_WORKER="false")  # nothing takes the job
    server = start_server(data, env)
    try:
        token = run_cli(data, "token", "create", "admin", env=env).stdout.strip()
        with server.client(headers={"Authorization": f"Bearer {token}"}) as api:
            bulletin = api.post("/api/v1/bulletins", json={"articles": [ARTICLE_WATER]}).json()
            job = api.post(f"/api/v1/bulletins/{bulletin['id']}/render").json()["job"]
            cancelled = api.post(f"/api/v1/jobs/{job}/cancel")
            assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
            assert api.post(f"/api/v1/jobs/{job}/cancel").status_code == 409
            again = api.post(f"/api/v1/bulletins/{bulletin['id']}/render").json()["job"]
            assert again != job  # a cancelled job does not block the next render
        with server.client() as browser:  # and from the job page's button
            csrf = login(browser, "admin", ADMIN_PASSWORD)
            page = browser.get(f"/jobs/{again}").text
            assert f'action="/jobs/{again}/cancel"' in page
            assert browser.post(f"/jobs/{again}/cancel", data={}).status_code == 403  # no CSRF token
            sent = browser.post(f"/jobs/{again}/cancel", data={"csrf_token": csrf})
            assert sent.status_code == 303 and sent.headers["location"] == f"/jobs/{again}"
            page = browser.get(f"/jobs/{again}").text
            assert "أُلغيت المهمة" in page and f'action="/jobs/{again}/cancel"' not in page
    finally:
        server.stop()


@pytest.mark.parametrize("backend", ["postgresql+redis"], indirect=True)
def test_two_web_servers_share_the_signing_key(tmp_path: Path, backend: Backend) -> None:
    """A login form from one server is accepted by another: the key is in the shared database."""
    servers = []
    for name in ("one", "two"):
        data = tmp_path / name
        data.mkdir()
        servers.append(
            start_server(data, server_env(data, PRODUCER_EMBEDDED_WORKER="false", **backend.env()))
        )
    try:
        with httpx.Client(timeout=60) as browser:
            token = re.search(
                r'name="csrf_token" value="([^"]+)"', browser.get(f"{servers[0].url}/login").text
            )
            assert token is not None
            reply = browser.post(
                f"{servers[1].url}/login",
                data={"name": "admin", "password": ADMIN_PASSWORD, "csrf_token": token.group(1), "next": "/"},
            )
            assert reply.status_code == 303, reply.text
        assert not (tmp_path / "one" / "secret_key").exists()
    finally:
        for server in servers:
            server.stop()


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_missing_bucket_is_a_clear_error_at_start_or_is_created(s3_endpoint: str, tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path,
        storage="s3",
        s3_bucket="not-made-yet",
        s3_endpoint_url=s3_endpoint,
        s3_region="us-east-1",
        s3_access_key_id="testing",
        s3_secret_access_key="testing",
    )
    with pytest.raises(ProducerError, match="bucket not-made-yet does not exist"):
        create_app(settings)
    state = create_app(settings.model_copy(update={"s3_create_bucket": True})).state.producer
    try:
        state.store.check()
    finally:
        state.previews.shutdown()
        state.db.dispose()


def test_readyz_names_the_dependency_that_is_down(s3_endpoint: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    env = server_env(
        data,
        PRODUCER_QUEUE_URL=f"unix://{tmp_path}/no-redis.sock?db=1",
        PRODUCER_EMBEDDED_WORKER="false",
    )
    server = start_server(data, env)
    try:
        with server.client() as client:
            assert client.get("/healthz").status_code == 200  # alive all the same
            ready = client.get("/readyz")
        assert ready.status_code == 503
        checks = ready.json()["checks"]
        assert checks["queue"]["status"] == "unavailable" and checks["queue"]["error"]
        assert checks["database"]["status"] == checks["storage"]["status"] == "ok"
    finally:
        server.stop()


def test_signing_key_is_generated_once_and_rotated_by_the_cli(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    keys = []
    for _ in range(2):
        state = create_app(settings).state.producer
        keys.append(state.secret)
        state.previews.shutdown()
        state.db.dispose()
    rotated = run_cli(tmp_path, "secret", "rotate", env=server_env(tmp_path))
    assert rotated.returncode == 0, rotated.stderr
    state = create_app(settings).state.producer
    keys.append(state.secret)
    state.previews.shutdown()
    state.db.dispose()
    assert keys[0] == keys[1] != keys[2] and len(keys[2]) == 64
    assert not (tmp_path / "secret_key").exists()  # in the database, not a per-machine file
