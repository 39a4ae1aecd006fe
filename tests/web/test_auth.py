"""Who gets in: every non-public route needs a login or token, roles hold, forms need CSRF."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi.routing import APIRoute

from producer.settings import load_settings
from producer.web.app import create_app
from tests.web.support import EDITOR_PASSWORD, VIEWER_PASSWORD, Newsroom, login, login_form_token

PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/feed.xml"),
    ("HEAD", "/feed.xml"),
    ("GET", "/media/{key:path}"),
    ("HEAD", "/media/{key:path}"),
    ("GET", "/login"),
    ("POST", "/login"),
}
SAMPLE_PARAMS = {
    "bulletin_id": "1",
    "episode_id": "1",
    "job_id": "abc",
    "user_id": "1",
    "token_id": "1",
    "slot": "intro",
    "name": "ar_JO-kareem-medium",
    "source_id": "1",
    "programme_id": "1",
    "run_id": "1",
}


def app_routes(tmp_path: Path) -> list[tuple[str, str]]:
    """(method, path) of every route the app serves, through included routers."""
    app = create_app(load_settings(data_dir=tmp_path))
    found: list[tuple[str, str]] = []

    def walk(routes: list[object]) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                walk(inner.routes)
            elif isinstance(route, APIRoute) or hasattr(route, "methods"):
                found.extend((m, route.path) for m in route.methods)  # type: ignore[attr-defined]

    walk(app.routes)
    app.state.producer.previews.shutdown()
    app.state.producer.db.dispose()
    return sorted(set(found))


def test_every_private_route_needs_auth(newsroom: Newsroom, tmp_path: Path) -> None:
    routes = app_routes(tmp_path)
    assert ("POST", "/api/v1/bulletins") in routes and ("GET", "/settings") in routes
    private = [(m, p) for m, p in routes if (m, p) not in PUBLIC]
    assert len(private) >= 25
    with newsroom.server.client() as anonymous:
        for method, path in private:
            url = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: SAMPLE_PARAMS[m.group(1)], path)
            for headers in ({}, {"Authorization": "Bearer prd_not-a-real-token"}):
                reply = anonymous.request(method, url, headers=headers)
                if method in ("GET", "HEAD") and not path.startswith("/api/") and path != "/openapi.json":
                    assert reply.status_code == 303, (method, path)
                    assert reply.headers["location"].startswith("/login?next=")
                else:
                    assert reply.status_code == 401, (method, path, reply.status_code)


def test_roles(newsroom: Newsroom, rendered: dict[str, object]) -> None:
    bulletin, episode = rendered["bulletin"], rendered["episode"]
    assert isinstance(bulletin, dict) and isinstance(episode, dict)
    with newsroom.api(newsroom.viewer_token) as viewer:
        assert viewer.get(f"/api/v1/bulletins/{bulletin['id']}").status_code == 200
        assert viewer.get(f"/api/v1/episodes/{episode['id']}").status_code == 200
        for method, path in (
            ("POST", "/api/v1/bulletins"),
            ("PATCH", f"/api/v1/bulletins/{bulletin['id']}"),
            ("POST", f"/api/v1/bulletins/{bulletin['id']}/render"),
            ("POST", f"/api/v1/episodes/{episode['id']}/unpublish"),
        ):
            reply = viewer.request(method, path, json={"articles": ["x"]})
            assert reply.status_code == 403, path
            assert re.search("[\u0600-\u06ff]", reply.json()["detail"])
        assert viewer.get(f"/api/v1/episodes/{episode['id']}").json()["published"] is True
    with newsroom.server.client() as client:
        login(client, "viewer", VIEWER_PASSWORD)
        assert client.get("/").status_code == 200
        assert 'action="/bulletins"' not in client.get("/").text  # no compose form for a viewer
        for page in ("/settings", "/users"):
            assert client.get(page).status_code == 403
    with newsroom.server.client() as client:
        login(client, "editor", EDITOR_PASSWORD)
        assert client.get("/settings").status_code == 403


def test_forms_need_the_csrf_token(newsroom: Newsroom, rendered: dict[str, object]) -> None:
    episode = rendered["episode"]
    assert isinstance(episode, dict)
    with newsroom.server.client() as client:
        csrf = login(client, "editor", EDITOR_PASSWORD)
        path = f"/episodes/{episode['id']}/unpublish"
        for data in ({}, {"csrf_token": "forged"}):
            reply = client.post(path, data=data)
            assert reply.status_code == 403
            assert "أعيدوا تحميل الصفحة" in reply.text
        # The API through a session cookie needs the token in a header.
        api = f"/api/v1/episodes/{episode['id']}/unpublish"
        assert client.post(api).status_code == 403
        assert client.post(api, headers={"X-CSRF-Token": "forged"}).status_code == 403
        with newsroom.api() as token_client:
            assert token_client.get(f"/api/v1/episodes/{episode['id']}").json()["published"] is True
        # With the token it works (and is put back for the other tests).
        assert client.post(api, headers={"X-CSRF-Token": csrf}).json()["published"] is False
        assert client.post(f"/episodes/{episode['id']}/publish", data={"csrf_token": csrf}).status_code == 303
    with newsroom.api() as token_client:
        assert token_client.get(f"/api/v1/episodes/{episode['id']}").json()["published"] is True


def test_login_cookie_rotation_and_logout(newsroom: Newsroom) -> None:
    with newsroom.server.client() as client:
        login(client, "viewer", VIEWER_PASSWORD)
        first = client.cookies.get("producer_session")
        # Logging in again (as anyone) replaces the session id and ends the old session.
        csrf = login(client, "editor", EDITOR_PASSWORD)
        cookie = client.cookies.get("producer_session")
        assert cookie and first and cookie != first
        with httpx.Client(base_url=newsroom.server.url, cookies={"producer_session": first}) as old:
            assert old.get("/").status_code == 303
        reply = client.get("/")
        assert reply.status_code == 200
        for header, value in (
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
        ):
            assert reply.headers[header] == value
        assert "frame-ancestors 'none'" in reply.headers["content-security-policy"]
        assert "script-src 'self'" in reply.headers["content-security-policy"]
        assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    with httpx.Client(base_url=newsroom.server.url, cookies={"producer_session": cookie}) as stale:
        assert stale.get("/").status_code == 303


def test_session_cookie_flags(newsroom: Newsroom) -> None:
    with newsroom.server.client() as client:
        token = login_form_token(client)
        reply = client.post(
            "/login", data={"name": "editor", "password": EDITOR_PASSWORD, "csrf_token": token}
        )
        set_cookie = [
            v for k, v in reply.headers.multi_items() if k == "set-cookie" and "producer_session=" in v
        ]
        assert set_cookie and "HttpOnly" in set_cookie[0] and "SameSite=lax" in set_cookie[0]


def test_login_is_rate_limited(newsroom: Newsroom) -> None:
    with newsroom.server.client() as client:
        statuses = []
        for _ in range(6):
            token = login_form_token(client)
            reply = client.post(
                "/login", data={"name": "nobody", "password": "wrong-guess", "csrf_token": token}
            )
            statuses.append(reply.status_code)
        assert statuses == [401] * 5 + [429]
        assert "انتظروا" in reply.text
        # A form without the login page's token is refused before any password check.
        assert client.post("/login", data={"name": "editor", "password": EDITOR_PASSWORD}).status_code == 403


def test_a_name_no_account_can_have_is_refused_as_a_wrong_one(newsroom: Newsroom) -> None:
    """A NUL in the name: no account has one (PostgreSQL refuses to even look), a plain 401."""
    with newsroom.server.client() as client:
        token = login_form_token(client)
        reply = client.post(
            "/login", data={"name": "edi\x00tor", "password": EDITOR_PASSWORD, "csrf_token": token}
        )
        assert reply.status_code == 401 and "غير صحيحة" in reply.text


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_login_never_redirects_off_site(newsroom: Newsroom, target: str) -> None:
    with newsroom.server.client() as client:
        page = client.get("/login", params={"next": target})
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        reply = client.post(
            "/login",
            data={
                "name": "editor",
                "password": EDITOR_PASSWORD,
                "csrf_token": token.group(1),
                "next": target,
            },
        )
        assert reply.headers["location"] == "/"
