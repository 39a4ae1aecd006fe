"""Operator-facing guarantees: an audit trail of publishing and settings, security headers on every
kind of response, and uploads that are never served as something a browser would run."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from producer.store.db import AuditEntry
from producer.store.files import CONTENT_TYPES, content_type_for
from tests.web.support import ADMIN_PASSWORD, Newsroom, Server, login, png_bytes, wav_bytes


def audit_rows(server: Server) -> list[tuple[str, str, str, dict[str, Any]]]:
    """The audit table as the server stored it, read from this process."""
    with server.database() as database, database.read() as s:
        rows = s.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(row.user, row.action, row.subject, row.detail) for row in rows]


def test_publish_unpublish_and_settings_are_audited(newsroom: Newsroom, rendered: dict[str, object]) -> None:
    episode = rendered["episode"]
    assert isinstance(episode, dict)
    before = len(audit_rows(newsroom.server))
    with newsroom.api() as api:
        assert api.post(f"/api/v1/episodes/{episode['id']}/unpublish").json()["published"] is False
        assert api.post(f"/api/v1/episodes/{episode['id']}/unpublish").status_code == 200  # no change
        assert api.post(f"/api/v1/episodes/{episode['id']}/publish").json()["published"] is True
    with newsroom.server.client() as admin:
        csrf = login(admin, "admin", ADMIN_PASSWORD)
        reply = admin.post("/settings/lexicon", data={"csrf_token": csrf, "lexicon": "قسد\tقَسَد\n"})
        assert reply.status_code == 200
        refused = admin.post("/settings/lexicon", data={"csrf_token": csrf, "lexicon": "بلا فاصل"})
        assert refused.status_code == 422  # a refused change is not an entry
        page = admin.get("/settings").text
    added = audit_rows(newsroom.server)[before:]
    subject = f"episode {episode['id']}"
    assert [(user, action, subj) for user, action, subj, _ in added] == [
        ("editor", "unpublish", subject),
        ("editor", "publish", subject),
        ("admin", "settings.lexicon", "station"),
    ]
    assert added[0][3] == {"title": episode["title"]}  # as it was, should the episode go
    # Admins read the trail on the settings page, newest first.
    rows = re.findall(r'<td dir="ltr">([^<]+)</td><td>([^<]+)</td>', page)
    assert rows[:3] == [("settings.lexicon", "station"), ("publish", subject), ("unpublish", subject)]


def paths_of_every_kind(newsroom: Newsroom, rendered: dict[str, object]) -> dict[str, tuple[str, str]]:
    episode = rendered["episode"]
    assert isinstance(episode, dict)
    audio = "/media/" + str(episode["audio_url"]).split("/media/", 1)[1]
    return {
        "page": ("GET", "/login"),
        "redirect": ("GET", "/settings"),
        "feed": ("GET", "/feed.xml"),
        "media": ("GET", audio),
        "media range": ("GET", audio),
        "media range past int digits": ("GET", audio),
        "media missing": ("GET", "/media/episodes/nothing.mp3"),
        "static": ("GET", "/static/style.css"),
        "static missing": ("GET", "/static/nothing.css"),
        "health": ("GET", "/healthz"),
        "openapi": ("GET", "/openapi.json"),
        "api 401": ("GET", "/api/v1/bulletins/1"),
        "page 404": ("GET", "/nothing-here"),
        "page 405": ("DELETE", "/login"),
        "api 405": ("PUT", "/api/v1/bulletins/1"),
        "too large": ("POST", "/api/v1/bulletins"),
    }


@pytest.mark.parametrize(
    "kind",
    [
        "page",
        "redirect",
        "feed",
        "media",
        "media range",
        "media range past int digits",
        "media missing",
        "static",
        "static missing",
        "health",
        "openapi",
        "api 401",
        "page 404",
        "page 405",
        "api 405",
        "too large",
    ],
)
def test_every_response_carries_the_security_headers(
    newsroom: Newsroom, rendered: dict[str, object], kind: str
) -> None:
    method, path = paths_of_every_kind(newsroom, rendered)[kind]
    extra: dict[str, object] = {}
    if kind == "media range":
        extra["headers"] = {"Range": "bytes=0-99"}
    if kind == "media range past int digits":
        extra["headers"] = {"Range": "bytes=" + "9" * 5000 + "-"}
    if kind == "too large":
        extra["content"] = b"x" * (3 * 2**20)
    with newsroom.server.client() as anonymous:
        reply = anonymous.request(method, path, **extra)  # type: ignore[arg-type]
    assert reply.status_code < 500
    if kind == "media range past int digits":
        assert reply.status_code == 416
    assert reply.headers["x-content-type-options"] == "nosniff", kind
    policy = reply.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy, kind
    assert reply.headers["x-frame-options"] == "DENY", kind
    if reply.status_code == 405:
        assert reply.headers["allow"], kind


@pytest.mark.parametrize(
    "name",
    ["page.html", "page.htm", "x.svg", "x.js", "x.mjs", "x.xhtml", "x.xml", "x.php", "x.exe", "x", "x.HTML"],
)
def test_no_stored_file_is_served_as_something_a_browser_runs(name: str) -> None:
    assert content_type_for(f"station/{name}") == "application/octet-stream"


def test_the_known_types_are_all_inert() -> None:
    risky = ("html", "javascript", "svg", "xml", "ecmascript")
    assert not [t for t in CONTENT_TYPES.values() if any(word in t for word in risky)]


def test_uploaded_files_come_back_inert(newsroom: Newsroom) -> None:
    with newsroom.server.client() as admin:
        csrf = login(admin, "admin", ADMIN_PASSWORD)
        for path, data, files in (
            ("/settings/jingle", {"slot": "outro"}, {"file": ("x.html.wav", wav_bytes(1.0), "text/html")}),
            ("/settings/artwork", {}, {"file": ("x.svg.png", png_bytes(1400, 1400), "image/svg+xml")}),
        ):
            assert admin.post(path, data={"csrf_token": csrf, **data}, files=files).status_code == 303
        page = admin.get("/settings").text
        keys = re.findall(r'(?:href|src)="/media/(station/[^"]+)"', page)
        assert {key.rsplit(".", 1)[1] for key in keys} >= {"wav", "png"}
        for key in keys:
            reply = admin.get(f"/media/{key}")
            assert reply.status_code == 200
            # Stored under the server's own name, typed by what was checked, never by the upload.
            assert reply.headers["content-type"] in ("audio/wav", "image/png")
            assert reply.headers["x-content-type-options"] == "nosniff"
            assert "x.html" not in key and "x.svg" not in key
        admin.post("/settings/jingle", data={"csrf_token": csrf, "slot": "outro"})  # back to none


def test_unknown_types_download_instead_of_display(newsroom: Newsroom) -> None:
    media = newsroom.server.data_dir / "media" / "station"
    media.mkdir(parents=True, exist_ok=True)
    (media / "left-behind.html").write_text("<script>alert(1)</script>")
    with newsroom.api() as logged_in:
        reply = logged_in.get("/media/station/left-behind.html")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/octet-stream"
    assert reply.headers["content-disposition"].startswith("attachment")


def test_openapi_documents_errors_as_json(newsroom: Newsroom) -> None:
    with httpx.Client(base_url=newsroom.server.url) as client:
        assert client.get("/openapi.json").status_code == 401  # the schema is not public
    with newsroom.api() as client:
        document = client.get("/openapi.json").json()
    create = document["paths"]["/api/v1/bulletins"]["post"]
    assert set(create["responses"]) >= {"201", "400", "401", "403", "413", "422"}
    error = document["components"]["schemas"]["ErrorOut"]
    assert error["required"] == ["detail"]
