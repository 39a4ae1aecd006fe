"""A table of hostile and broken inputs across the API, the forms and the uploads.

Each row is sent to a real server that already holds a composed bulletin, a saved draft, station
settings, a jingle, artwork, a lexicon and users. Every row must get its exact 4xx with one Arabic
sentence (JSON `detail` in the API, the page's alert in the HTML UI), and afterwards everything
saved before must be exactly as it was: no row changed, no file gone, no job or composed bulletin
created. A rejected compose may only add a new draft holding what was typed.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from producer.store.db import Database
from tests.backends import backend_for
from tests.web.support import (
    ADMIN_PASSWORD,
    ARTICLE_SCHOOL,
    ARTICLE_WATER,
    EDITOR_PASSWORD,
    FLOOR_MB,
    SERVER_ERROR,
    Server,
    Usage,
    docx_bytes,
    login,
    png_bytes,
    run_cli,
    server_env,
    start_server,
    usage,
    wav_bytes,
)

ARABIC = re.compile("[\u0600-\u06ff]")
MB = 2**20
HEADLINE, BODY = ARTICLE_WATER.split("\n", 1)


@dataclass
class Newsroom:
    server: Server
    api: httpx.Client
    editor: httpx.Client
    editor_csrf: str
    admin: httpx.Client
    admin_csrf: str
    bulletin: int  # composed, with a script
    draft: int  # saved from the compose form, never composed
    segments: list[dict[str, Any]]
    database: Database  # the server's, opened here to check what it stored
    start: Usage  # the server's resources once the fixture's settings were saved


@pytest.fixture(scope="module", params=["sqlite", "postgresql+redis"])
def room(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Newsroom]:
    data_dir = tmp_path_factory.mktemp("hostile") / "data"
    data_dir.mkdir()
    env = server_env(data_dir, **backend_for(request, request.param).env())
    added = run_cli(data_dir, "user", "add", "editor", "--role", "editor", stdin=EDITOR_PASSWORD, env=env)
    assert added.returncode == 0, added.stderr
    token = run_cli(data_dir, "token", "create", "editor", env=env).stdout.strip()
    server = start_server(data_dir, env)
    api = server.client(headers={"Authorization": f"Bearer {token}"})
    editor, admin = server.client(), server.client()
    database = Database(server.database_url)
    try:
        editor_csrf = login(editor, "editor", EDITOR_PASSWORD)
        admin_csrf = login(admin, "admin", ADMIN_PASSWORD)
        created = api.post("/api/v1/bulletins", json={"title": "نشرة محفوظة", "articles": [ARTICLE_WATER]})
        assert created.status_code == 201, created.text
        saved = editor.post(
            "/bulletins",
            data={"csrf_token": editor_csrf, "title": "مسودة", "article": [ARTICLE_SCHOOL], "action": "save"},
        )
        assert saved.status_code == 303
        draft = re.search(r"draft=(\d+)", saved.headers["location"])
        assert draft is not None
        # Station settings worth losing: names, a template, a lexicon, a jingle and the artwork.
        for path, data, files in (
            (
                "/settings/station",
                {
                    "station_name": "إذاعة الاختبار",
                    "programme_name": "نشرة الظهيرة",
                    "engine": "espeak",
                    "target": "podcast",
                    "feed_title": "نشرات إذاعة الاختبار",
                    "feed_author": "إذاعة الاختبار",
                    "feed_category": "News",
                },
                None,
            ),
            (
                "/settings/templates",
                {"ident": "هنا {{ station }}", "greeting": "{{ salutation }}", "signoff": "إلى اللقاء"},
                None,
            ),
            ("/settings/lexicon", {"lexicon": "قسد\tقَسَد\n"}, None),
            ("/settings/jingle", {"slot": "intro"}, {"file": ("intro.wav", wav_bytes(1.0), "audio/wav")}),
            ("/settings/artwork", {}, {"file": ("art.png", png_bytes(1400, 1400), "image/png")}),
        ):
            reply = admin.post(path, data={"csrf_token": admin_csrf, **data}, files=files)
            assert reply.status_code in (200, 303), (path, reply.text[:300])
        yield Newsroom(
            server,
            api,
            editor,
            editor_csrf,
            admin,
            admin_csrf,
            created.json()["id"],
            int(draft.group(1)),
            created.json()["script"]["segments"],
            database,
            usage(server),
        )
    finally:
        for client in (api, editor, admin):
            client.close()
        database.dispose()
        server.stop()


# ---- what "nothing saved is lost" means ---------------------------------------------------------


def snapshot(room: Newsroom) -> dict[str, Any]:
    """Every saved row that matters, read straight from the server's database, and the files."""
    with room.database.read() as s:

        def query(sql: str) -> list[tuple[Any, ...]]:
            return [tuple(row) for row in s.execute(text(sql))]

        rows = {
            "bulletins": {
                r[0]: r[1:]
                for r in query(
                    "SELECT id, title, target, engine, voice, articles, script, updated FROM bulletins"
                )
            },
            "station": dict(query("SELECT key, value FROM station WHERE key != 'feed_changed'")),
            "episodes": query("SELECT id, published, revision FROM episodes"),
            "users": query("SELECT name, role, active, password_hash FROM users"),
            "jobs": query("SELECT count(*) FROM jobs"),
            "tokens": query("SELECT count(*) FROM api_tokens"),
            "lexicon": query("SELECT pattern, replacement, position FROM lexicon_entries ORDER BY position"),
            "templates": query("SELECT name, text FROM station_templates ORDER BY name"),
            "words": query("SELECT name, version FROM words_versions ORDER BY name"),
        }
    data_dir = room.server.data_dir
    media = data_dir / "media"
    rows["files"] = {
        str(p.relative_to(media)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(media.rglob("*"))
        if p.is_file()
    }
    return rows


def assert_nothing_lost(before: dict[str, Any], after: dict[str, Any]) -> None:
    for key in ("station", "episodes", "users", "jobs", "tokens", "files", "lexicon", "templates", "words"):
        assert after[key] == before[key], key
    for bulletin_id, row in before["bulletins"].items():
        assert after["bulletins"].get(bulletin_id) == row, f"bulletin {bulletin_id} changed"
    for bulletin_id in after["bulletins"].keys() - before["bulletins"].keys():
        # The JSON column holds the draft's missing script as JSON null (the text "null" to SQLite).
        assert after["bulletins"][bulletin_id][5] in (None, "null"), "a rejected request composed a bulletin"


def message_of(reply: httpx.Response) -> str:
    kind = reply.headers.get("content-type", "")
    if kind.startswith("application/json"):
        detail = reply.json()["detail"]
        assert isinstance(detail, str)
        return detail
    if kind.startswith("text/html"):
        found = re.search(r'class="alert error"[^>]*>([^<]+)<', reply.text)
        assert found is not None, reply.text[:1500]
        return found.group(1)
    assert kind.startswith("text/plain"), kind
    return reply.text


# ---- the table -------------------------------------------------------------------------------------

Make = Callable[[Newsroom], dict[str, Any]]


@dataclass(frozen=True)
class Bad:
    name: str
    who: str  # "api" (an editor's token), "editor" or "admin" (a logged-in browser)
    method: str
    path: str  # {b}: the composed bulletin, {d}: the saved draft
    status: int
    make: Make
    csrf: bool = True

    def __str__(self) -> str:
        return self.name


def nothing(_room: Newsroom) -> dict[str, Any]:
    return {}


def body(value: object) -> Make:
    return lambda _room: {"json": value}


def raw(content: bytes, content_type: str = "application/json") -> Make:
    return lambda _room: {"content": content, "headers": {"content-type": content_type}}


def form(fields: dict[str, Any], files: list[tuple[str, tuple[str, bytes, str]]] | None = None) -> Make:
    return lambda _room: {"data": dict(fields), "files": files}


def segments(change: Callable[[list[dict[str, Any]]], object]) -> Make:
    """A PATCH body made from the saved script's segments."""
    return lambda room: {"json": {"segments": change([dict(s) for s in room.segments])}}


def with_story_text(text: str) -> Callable[[list[dict[str, Any]]], object]:
    return lambda segs: [{**s, "text": text} if s["kind"] == "story" else s for s in segs]


def editor_form(change: Callable[[dict[str, str]], None]) -> Make:
    """The script editor's form for the saved bulletin, with one change."""

    def make(room: Newsroom) -> dict[str, Any]:
        fields = {"count": str(len(room.segments)), "title": "نشرة محفوظة", "action": "save"}
        fields.update({f"seg-{i}": s["text"] for i, s in enumerate(room.segments)})
        change(fields)
        return {"data": fields}

    return make


def story_index(room: Newsroom) -> int:
    return next(i for i, s in enumerate(room.segments) if s["kind"] == "story")


def set_story(text: str) -> Callable[[dict[str, str]], None]:
    # Story 0 of the saved bulletin sits at index 4 (ident, greeting, headlines, transition, story).
    return lambda fields: fields.__setitem__("seg-4", text)


def deep_json(depth: int) -> bytes:
    return b'{"articles": ' + b"[" * depth + b"]" * depth + b"}"


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("[Content_Types].xml", "<Types/>")
        bomb.writestr("word/document.xml", b"<" + b"a" * (200 * MB) + b">")
    return out.getvalue()


def docx_without_document() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    return out.getvalue()


def png_bomb() -> bytes:
    """A PNG whose header claims 40,000 × 40,000 pixels, in a few dozen bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 40_000, 40_000, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def wav_header_only() -> bytes:
    return wav_bytes(1.0)[:44]


def id3_then_garbage() -> bytes:
    return b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 40


def upload(name: str, data: bytes | Callable[[], bytes], kind: str) -> Make:
    def make(_room: Newsroom) -> dict[str, Any]:
        content = data() if callable(data) else data
        return {"data": {"action": "compose", "title": "ملف"}, "files": [("files", (name, content, kind))]}

    return make


def settings_file(
    path: str, fields: dict[str, str], name: str, data: bytes | Callable[[], bytes], kind: str
) -> Make:
    def make(_room: Newsroom) -> dict[str, Any]:
        content = data() if callable(data) else data
        return {"data": dict(fields), "files": [("file", (name, content, kind))]}

    return make


GOOD = {"articles": [ARTICLE_WATER]}
STATION = {
    "station_name": "إذاعة أخرى",
    "programme_name": "نشرة أخرى",
    "engine": "espeak",
    "target": "podcast",
    "feed_title": "عنوان",
    "feed_description": "",
    "feed_author": "مؤلف",
    "feed_owner_email": "",
    "feed_category": "News",
}
TEMPLATES = {"ident": "هنا {{ station }}", "greeting": "{{ salutation }}", "signoff": "إلى اللقاء"}


def station(**change: str) -> Make:
    return form({**STATION, **change})


def templates(**change: str) -> Make:
    return form({**TEMPLATES, **change})


def compose(**fields: Any) -> Make:
    return form({"action": "compose", "title": "مسودة", **fields})


def compose_draft(**fields: Any) -> Make:
    """The compose form sent for the saved draft: a rejection must leave the draft as it was."""
    return lambda room: {"data": {"action": "compose", "title": "مسودة", "draft": str(room.draft), **fields}}


def api(name: str, method: str, path: str, status: int, make: Make) -> Bad:
    return Bad(f"api {name}", "api", method, path, status, make)


def editor(name: str, path: str, status: int, make: Make, csrf: bool = True) -> Bad:
    return Bad(name, "editor", "POST", path, status, make, csrf)


def admin(name: str, path: str, status: int, make: Make) -> Bad:
    return Bad(name, "admin", "POST", path, status, make)


def story_index_as(value: object) -> Make:
    return segments(lambda s: [{**x, "story": value} if x["story"] is not None else x for x in s])


def jingle(name: str, data: bytes | Callable[[], bytes], slot: str = "intro") -> Make:
    return settings_file("/settings/jingle", {"slot": slot}, name, data, "audio/wav")


def artwork(name: str, data: bytes | Callable[[], bytes]) -> Make:
    return settings_file("/settings/artwork", {}, name, data, "application/octet-stream")


def user(name: str, role: str = "editor", password: str = "sami-pass-5678") -> Make:
    return form({"name": name, "role": role, "password": password})


def eleven_files(_room: Newsroom) -> dict[str, Any]:
    files = [("files", (f"s{i}.txt", ARTICLE_WATER.encode(), "text/plain")) for i in range(11)]
    return {"data": {"action": "compose"}, "files": files}


A, B, R = "/api/v1/bulletins", "/api/v1/bulletins/{b}", "/api/v1/bulletins/{b}/render"
ID, JOB, EP = "/api/v1/bulletins/", "/api/v1/jobs/", "/api/v1/episodes/"
C, E = "/bulletins", "/bulletins/{b}"
OCTETS = "application/octet-stream"
CONTROLS = "\u202e\u2066\u200f\u200e\u2069"

CASES: list[Bad] = [
    # ---- API: create a bulletin ----------------------------------------------------------------
    api("create: empty body", "POST", A, 422, raw(b"")),
    api("create: whitespace body", "POST", A, 422, raw(b"  \n\t ")),
    api("create: null", "POST", A, 422, raw(b"null")),
    api("create: a list", "POST", A, 422, body([ARTICLE_WATER])),
    api("create: a string", "POST", A, 422, body(ARTICLE_WATER)),
    api("create: empty object", "POST", A, 422, body({})),
    api("create: no articles", "POST", A, 422, body({"articles": []})),
    api("create: empty article", "POST", A, 422, body({"articles": [""]})),
    api("create: whitespace article", "POST", A, 422, body({"articles": [" \n\t\u00a0\u2003 "]})),
    api("create: null article", "POST", A, 422, body({"articles": [None]})),
    api("create: number article", "POST", A, 422, body({"articles": [123]})),
    api("create: articles a string", "POST", A, 422, body({"articles": ARTICLE_WATER})),
    api("create: article an object", "POST", A, 422, body({"articles": [{"text": ARTICLE_WATER}]})),
    api("create: nested list", "POST", A, 422, body({"articles": [[ARTICLE_WATER]]})),
    api("create: title a number", "POST", A, 422, body({**GOOD, "title": 123})),
    api("create: title a list", "POST", A, 422, body({**GOOD, "title": ["نشرة"]})),
    api("create: title null", "POST", A, 422, body({**GOOD, "title": None})),
    api("create: title too long", "POST", A, 422, body({**GOOD, "title": "ن" * 201})),
    api("create: title with NUL", "POST", A, 422, body({**GOOD, "title": "نشرة\x00"})),
    api("create: title 1e400", "POST", A, 422, raw(b'{"articles": ["x"], "title": 1e400}')),
    api("create: unknown target", "POST", A, 422, body({**GOOD, "target": "tv"})),
    api("create: target upper case", "POST", A, 422, body({**GOOD, "target": "PODCAST"})),
    api("create: target null", "POST", A, 422, body({**GOOD, "target": None})),
    api("create: unknown engine", "POST", A, 422, body({**GOOD, "engine": "nope"})),
    api("create: engine a path", "POST", A, 422, body({**GOOD, "engine": "../../bin/sh"})),
    api("create: engine a number", "POST", A, 422, body({**GOOD, "engine": 1})),
    api("create: voice a number", "POST", A, 422, body({**GOOD, "voice": 5})),
    api("create: voice too long", "POST", A, 422, body({**GOOD, "voice": "v" * 201})),
    api("create: unknown field", "POST", A, 422, body({**GOOD, "admin": True})),
    api("create: misspelt field", "POST", A, 422, body({"Articles": [ARTICLE_WATER]})),
    api("create: NUL in article", "POST", A, 422, body({"articles": [ARTICLE_WATER + "\x00"]})),
    api("create: bell in article", "POST", A, 422, body({"articles": [ARTICLE_WATER + "\x07"]})),
    api("create: DEL in article", "POST", A, 422, body({"articles": [ARTICLE_WATER + "\x7f"]})),
    api("create: ANSI escape", "POST", A, 422, body({"articles": ["\x1b[31m" + ARTICLE_WATER]})),
    # ensure_ascii writes the lone surrogate as the JSON escape \ud800, which is valid JSON.
    api(
        "create: lone surrogate",
        "POST",
        A,
        422,
        raw(json.dumps({"articles": [ARTICLE_WATER + "\ud800"]}).encode()),
    ),
    api("create: invalid UTF-8", "POST", A, 400, raw(b'{"articles": ["\xff\xfe\xc3\x28"]}')),
    api("create: truncated JSON", "POST", A, 422, raw(b'{"articles": [')),
    api("create: trailing garbage", "POST", A, 422, raw(json.dumps(GOOD).encode() + b" xyz")),
    api("create: NaN", "POST", A, 422, raw(b'{"articles": ["x"], "title": NaN}')),
    api("create: 1e999 article", "POST", A, 422, raw(b'{"articles": [1e999]}')),
    api("create: 100,000 nested lists", "POST", A, 400, raw(deep_json(100_000))),
    api("create: 10 MB article", "POST", A, 413, body({"articles": ["خ" * (10 * MB // 2)]})),
    api("create: 10,000 stories", "POST", A, 422, body({"articles": ["خبر قصير\nنص الخبر."] * 10_000})),
    api("create: 1,000 stories", "POST", A, 413, body({"articles": [ARTICLE_WATER] * 1000})),
    api("create: 41 stories", "POST", A, 413, body({"articles": [ARTICLE_WATER] * 41})),
    api("create: 60,001 characters", "POST", A, 413, body({"articles": ["خ" * 60_001]})),
    api("create: English only", "POST", A, 422, body({"articles": ["Just an English sentence."]})),
    api("create: only RTL/LTR controls", "POST", A, 422, body({"articles": [CONTROLS]})),
    api("create: only digits", "POST", A, 422, body({"articles": ["123 456\n789"]})),
    api("create: only markup", "POST", A, 422, body({"articles": ["<p></p><script>alert(1)</script>"]})),
    api("create: text/plain", "POST", A, 422, raw(json.dumps(GOOD).encode(), "text/plain")),
    api("create: form-encoded", "POST", A, 422, raw(b"articles=x", "application/x-www-form-urlencoded")),
    api("create: XML", "POST", A, 422, raw(b"<articles><a>x</a></articles>", "application/xml")),
    api("create: duplicate key", "POST", A, 422, raw(b'{"articles": ["x"], "articles": 5}')),
    # ---- API: edit a bulletin ------------------------------------------------------------------
    api("patch: no segments", "PATCH", B, 422, segments(lambda s: [])),
    api("patch: segments a string", "PATCH", B, 422, segments(lambda s: "نص")),
    api("patch: null segment", "PATCH", B, 422, segments(lambda s: [None])),
    api("patch: unknown kind", "PATCH", B, 422, segments(lambda s: [{**s[0], "kind": "bogus"}, *s[1:]])),
    api("patch: story index too big", "PATCH", B, 422, story_index_as(99)),
    api("patch: negative story", "PATCH", B, 422, story_index_as(-1)),
    api("patch: story a string", "PATCH", B, 422, story_index_as("0")),
    api("patch: story true", "PATCH", B, 422, story_index_as(True)),
    api("patch: story 0.5", "PATCH", B, 422, story_index_as(0.5)),
    api("patch: story without index", "PATCH", B, 422, story_index_as(None)),
    api("patch: ident with index", "PATCH", B, 422, segments(lambda s: [{**s[0], "story": 0}, *s[1:]])),
    api("patch: NUL in text", "PATCH", B, 422, segments(with_story_text("نص\x00ثنائي"))),
    api("patch: 60,001 characters", "PATCH", B, 413, segments(with_story_text("خ" * 60_001))),
    api("patch: 200,001 characters", "PATCH", B, 422, segments(with_story_text("خ" * 200_001))),
    api("patch: text a number", "PATCH", B, 422, segments(with_story_text(7))),
    api("patch: blank story", "PATCH", B, 422, segments(with_story_text(" \n "))),
    api("patch: unknown field", "PATCH", B, 422, body({"segments": None, "extra": 1})),
    api("patch: unknown segment field", "PATCH", B, 422, segments(lambda s: [{**s[0], "x": 1}, *s[1:]])),
    api("patch: title too long", "PATCH", B, 422, body({"title": "ن" * 201})),
    api("patch: title with NUL", "PATCH", B, 422, body({"title": "\x00"})),
    api("patch: 5,001 segments", "PATCH", B, 422, segments(lambda s: [s[0]] * 5001)),
    api("patch: 200 segments", "PATCH", B, 413, segments(lambda s: [*s, *[s[0]] * 200])),
    api("patch: a draft", "PATCH", "/api/v1/bulletins/{d}", 409, body({"title": "عنوان"})),
    api("patch: truncated JSON", "PATCH", B, 422, raw(b'{"title": "')),
    api("patch: invalid UTF-8", "PATCH", B, 400, raw(b'{"title": "\xc0\xaf"}')),
    # ---- API: render ---------------------------------------------------------------------------
    api("render: unknown engine", "POST", R, 422, body({"engine": "nope"})),
    api("render: unknown target", "POST", R, 422, body({"target": "tv"})),
    api("render: a list", "POST", R, 422, body([])),
    api("render: voice too long", "POST", R, 422, body({"voice": "v" * 201})),
    api("render: NUL in the voice", "POST", R, 422, body({"voice": "a\x00b"})),
    api("render: unknown field", "POST", R, 422, body({"priority": "high"})),
    api("render: truncated JSON", "POST", R, 422, raw(b"{")),
    api("render: missing bulletin", "POST", ID + "999999/render", 404, body({})),
    api("render: a draft", "POST", "/api/v1/bulletins/{d}/render", 409, body({})),
    # ---- API: ids ------------------------------------------------------------------------------
    api("id: zero", "GET", ID + "0", 422, nothing),
    api("id: negative", "GET", ID + "-1", 422, nothing),
    api("id: letters", "GET", ID + "abc", 422, nothing),
    api("id: fraction", "GET", ID + "1.5", 422, nothing),
    api("id: 2**31", "GET", ID + "2147483648", 422, nothing),
    api("id: 41 digits", "GET", ID + "1" + "0" * 40, 422, nothing),
    api("id: 10,000 digits", "GET", ID + "9" * 10_000, 422, nothing),
    api("id: NUL", "GET", ID + "%00", 422, nothing),
    api("id: Arabic digit", "GET", ID + "%D9%A1", 422, nothing),
    api("id: missing", "GET", ID + "999999", 404, nothing),
    api("id: traversal", "GET", ID + "..%2f..%2fetc%2fpasswd", 404, nothing),
    api("job: unknown", "GET", JOB + "nope", 404, nothing),
    api("job: traversal", "GET", JOB + "%2e%2e%2f%2e%2e%2fproducer.db", 404, nothing),
    api("job: 5,000 characters", "GET", JOB + "a" * 5000, 404, nothing),
    api("job: NUL in the id", "GET", JOB + "a%00b", 404, nothing),
    api("episode: zero", "GET", EP + "0", 422, nothing),
    api("episode: missing", "GET", EP + "999999", 404, nothing),
    api("publish: missing", "POST", EP + "999999/publish", 404, nothing),
    api("unpublish: letters", "POST", EP + "abc/unpublish", 422, nothing),
    api("unknown method", "PUT", B, 405, nothing),
    # ---- compose form --------------------------------------------------------------------------
    editor("compose: empty", C, 422, compose_draft(article=["", "   "])),
    editor("compose: whitespace", C, 422, compose_draft(article=["\u00a0\u2003\n\t"])),
    editor("compose: NUL", C, 422, compose_draft(article=[ARTICLE_WATER + "\x00"])),
    editor("compose: control characters", C, 422, compose_draft(article=["\x01\x02" + ARTICLE_WATER])),
    editor("compose: 60,001 characters", C, 413, compose_draft(article=["خ" * 60_001])),
    editor("compose: 41 stories", C, 413, compose_draft(article=[ARTICLE_WATER] * 41)),
    editor("compose: 10 MB text", C, 413, compose_draft(article=["خ" * (5 * MB)])),
    editor("compose: 10,000 stories", C, 413, compose_draft(article=["خبر قصير\nنص."] * 10_000)),
    editor("compose: unknown target", C, 422, compose_draft(article=[ARTICLE_WATER], target="tv")),
    editor("compose: unknown engine", C, 422, compose_draft(article=[ARTICLE_WATER], engine="nope")),
    editor("compose: title with NUL", C, 422, compose_draft(article=[ARTICLE_WATER], title="\x00")),
    editor("compose: title too long", C, 413, compose_draft(article=[ARTICLE_WATER], title="ن" * 201)),
    editor("compose: English only", C, 422, compose(article=["Just an English sentence."])),
    editor("compose: only RTL/LTR controls", C, 422, compose(article=[CONTROLS])),
    editor("compose: no CSRF token", C, 403, compose(article=[ARTICLE_WATER]), csrf=False),
    editor("compose: JSON body", C, 422, raw(json.dumps(GOOD).encode())),
    editor("upload: .exe", C, 415, upload("virus.exe", b"MZ\x90\x00", OCTETS)),
    editor("upload: .pdf", C, 415, upload("paper.pdf", b"%PDF-1.4", "application/pdf")),
    editor("upload: no extension", C, 415, upload("../../../etc/passwd", b"root:x:0:0", "text/plain")),
    editor("upload: .svg", C, 415, upload("a.svg", b"<svg onload=alert(1)/>", "image/svg+xml")),
    editor("upload: binary .txt", C, 422, upload("story.txt", bytes(range(256)) * 8, "text/plain")),
    editor("upload: PNG named .txt", C, 422, upload("story.txt", lambda: png_bytes(64, 64), "text/plain")),
    editor(
        "upload: invalid UTF-8 .txt",
        C,
        422,
        upload("s.txt", b"\xc3\x28\xa0\xa1\xe2\x28\xa1" * 50, "text/plain"),
    ),
    editor("upload: empty .txt", C, 422, upload("story.txt", b"", "text/plain")),
    editor("upload: broken .docx", C, 422, upload("story.docx", b"PK\x03\x04 not a zip", OCTETS)),
    editor("upload: .docx without document", C, 422, upload("story.docx", docx_without_document, OCTETS)),
    editor("upload: zip bomb .docx", C, 422, upload("bomb.docx", zip_bomb, OCTETS)),
    editor(
        "upload: .docx of English", C, 422, upload("en.docx", lambda: docx_bytes("Only English."), OCTETS)
    ),
    editor(
        "upload: .html of scripts", C, 422, upload("page.html", b"<script>alert(1)</script>", "text/html")
    ),
    editor("upload: 3 MB file", C, 413, upload("big.txt", ("خبر " * (3 * MB // 7)).encode(), "text/plain")),
    editor("upload: 11 files", C, 413, eleven_files),
    # ---- script editor form and its helpers ----------------------------------------------------
    editor("editor: page changed since opened", E, 409, editor_form(lambda f: f.__setitem__("count", "99"))),
    editor("editor: blank story", E, 422, editor_form(set_story("  "))),
    editor("editor: NUL in story", E, 422, editor_form(set_story("نص\x00"))),
    editor("editor: 60,001 characters", E, 413, editor_form(set_story("خ" * 60_001))),
    editor("editor: title with NUL", E, 422, editor_form(lambda f: f.__setitem__("title", "\x00"))),
    editor("editor: missing bulletin", "/bulletins/999999", 404, editor_form(lambda f: None)),
    editor("editor: id letters", "/bulletins/abc", 400, editor_form(lambda f: None)),
    editor("speakable: NUL", E + "/speakable", 422, form({"text": "\x00"})),
    editor("speakable: 60,001 characters", E + "/speakable", 413, form({"text": "خ" * 60_001})),
    editor("listen: empty", E + "/listen", 422, form({"text": "  "})),
    editor("listen: NUL", E + "/listen", 422, form({"text": "نص\x00"})),
    editor("listen: 20,001 characters", E + "/listen", 413, form({"text": "خ" * 20_001})),
    editor("listen: unknown engine", E + "/listen", 422, form({"text": "نص", "engine": "nope"})),
    editor("render form: unknown engine", E + "/render", 422, form({"engine": "nope"})),
    editor("render form: unknown target", E + "/render", 422, form({"target": "tv"})),
    editor("render form: voice too long", E + "/render", 413, form({"voice": "v" * 201})),
    editor("render form: NUL in the voice", E + "/render", 422, form({"voice": "a\x00b"})),
    # ---- station settings ----------------------------------------------------------------------
    admin("station: empty names", "/settings/station", 422, station(station_name="", programme_name="")),
    admin("station: NUL in name", "/settings/station", 422, station(station_name="إذاعة\x00")),
    admin("station: name too long", "/settings/station", 413, station(station_name="ن" * 201)),
    admin("station: description too long", "/settings/station", 413, station(feed_description="ن" * 4001)),
    admin("station: unknown engine", "/settings/station", 422, station(engine="nope")),
    admin("station: unknown target", "/settings/station", 422, station(target="tv")),
    admin("station: unknown category", "/settings/station", 422, station(feed_category="Crypto")),
    admin("station: bad e-mail", "/settings/station", 422, station(feed_owner_email="not an address")),
    admin("template: syntax error", "/settings/templates", 422, templates(ident="{{ station ")),
    admin("template: unclosed for", "/settings/templates", 422, templates(ident="{% for h in headlines %}")),
    admin(
        "template: sandbox escape", "/settings/templates", 422, templates(ident="{{ ''.__class__.__mro__ }}")
    ),
    admin("template: unknown variable", "/settings/templates", 422, templates(ident="{{ nothing_here }}")),
    admin("template: division by zero", "/settings/templates", 422, templates(ident="{{ 1 / 0 }}")),
    admin("template: text plus number", "/settings/templates", 422, templates(ident="{{ station + 1 }}")),
    admin("template: huge range", "/settings/templates", 422, templates(ident="{{ range(10**7)|list }}")),
    admin("template: too long", "/settings/templates", 413, templates(ident="ا" * 6000)),
    admin(
        "template: fails only on a full bulletin",
        "/settings/templates",
        422,
        templates(ident="{{ 1 / (40 - count) }}"),
    ),
    admin(
        "template: join bomb",
        "/settings/templates",
        422,
        templates(ident="{{ (['x' * 9999] * 999) | join }}"),
    ),
    admin("template: format width", "/settings/templates", 422, templates(ident="{{ '%0999999999d' % 1 }}")),
    admin("template: center", "/settings/templates", 422, templates(ident="{{ 'x' | center(999999999) }}")),
    admin(
        "template: nested range",
        "/settings/templates",
        422,
        templates(ident="{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}"),
    ),
    admin("template: NUL", "/settings/templates", 422, templates(signoff="وداعا\x00")),
    admin("jingle: not audio", "/settings/jingle", 422, jingle("j.mp3", b"this is not audio")),
    admin("jingle: ID3 then garbage", "/settings/jingle", 422, jingle("j.mp3", id3_then_garbage)),
    admin("jingle: WAV header only", "/settings/jingle", 422, jingle("j.wav", wav_header_only)),
    admin("jingle: empty file", "/settings/jingle", 422, jingle("j.wav", b"")),
    admin("jingle: .exe", "/settings/jingle", 415, jingle("j.exe", lambda: wav_bytes(1))),
    admin("jingle: .html", "/settings/jingle", 415, jingle("j.html", b"<script>alert(1)</script>")),
    admin("jingle: 125 seconds", "/settings/jingle", 422, jingle("j.wav", lambda: wav_bytes(125), "outro")),
    admin("jingle: unknown slot", "/settings/jingle", 422, jingle("j.wav", lambda: wav_bytes(1), "middle")),
    admin("jingle: 3 MB", "/settings/jingle", 413, jingle("j.wav", b"\0" * (3 * MB))),
    admin("artwork: too small", "/settings/artwork", 422, artwork("a.png", lambda: png_bytes(600, 600))),
    admin("artwork: not square", "/settings/artwork", 422, artwork("a.png", lambda: png_bytes(1400, 1500))),
    admin("artwork: GIF", "/settings/artwork", 415, artwork("a.gif", lambda: png_bytes(1400, 1400, "GIF"))),
    admin(
        "artwork: CMYK JPEG",
        "/settings/artwork",
        422,
        artwork("a.jpg", lambda: png_bytes(1400, 1400, "JPEG", "CMYK")),
    ),
    admin("artwork: garbage", "/settings/artwork", 422, artwork("a.png", b"\x89PNG garbage")),
    admin(
        "artwork: truncated PNG",
        "/settings/artwork",
        422,
        artwork("a.png", lambda: png_bytes(1400, 1400)[:200]),
    ),
    admin("artwork: decompression bomb", "/settings/artwork", 422, artwork("a.png", png_bomb)),
    admin(
        "artwork: SVG with script", "/settings/artwork", 422, artwork("a.svg", b"<svg onload='alert(1)'/>")
    ),
    admin("artwork: HTML", "/settings/artwork", 422, artwork("a.html", b"<script>alert(1)</script>")),
    admin("artwork: none", "/settings/artwork", 422, form({})),
    admin("lexicon: no tab", "/settings/lexicon", 422, form({"lexicon": "كلمة بلا فاصل"})),
    admin("lexicon: bad regex", "/settings/lexicon", 422, form({"lexicon": "re:([\tشيء"})),
    admin("lexicon: NUL", "/settings/lexicon", 422, form({"lexicon": "قسد\tقَسَد\x00\n"})),
    admin("lexicon: too long", "/settings/lexicon", 413, form({"lexicon": "قسد\tقَسَد\n" * 50_001})),
    # ---- users ---------------------------------------------------------------------------------
    admin("user: weak password", "/users", 422, user("sami", password="123")),
    admin("user: NUL in name", "/users", 422, user("sa\x00mi")),
    admin("user: name too long", "/users", 422, user("s" * 65)),
    admin("user: unknown role", "/users", 422, user("sami", role="root")),
    admin("user: password too long", "/users", 413, user("sami", password="p" * 1025)),
    admin("user: existing name", "/users", 409, user("editor", role="admin")),
    admin("user: missing user", "/users/999999", 404, form({"role": "editor", "active": "on"})),
    admin("user: unknown role change", "/users/1", 422, form({"role": "root", "active": "on"})),
]


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 100
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_hostile_input_gets_a_clear_4xx_and_loses_nothing(room: Newsroom, case: Bad) -> None:
    client = {"api": room.api, "editor": room.editor, "admin": room.admin}[case.who]
    csrf = {"api": None, "editor": room.editor_csrf, "admin": room.admin_csrf}[case.who]
    request = case.make(room)
    if csrf and case.csrf:
        if "data" in request:
            request["data"] = {"csrf_token": csrf, **request["data"]}
        else:
            request.setdefault("headers", {})["x-csrf-token"] = csrf
    path = case.path.format(b=room.bulletin, d=room.draft)
    before = snapshot(room)
    reply = client.request(case.method, path, **request)
    assert reply.status_code == case.status, (case.name, reply.status_code, reply.text[:500])
    assert ARABIC.search(message_of(reply)), reply.text[:500]
    assert_nothing_lost(before, snapshot(room))


# ---- strange but legitimate text: accepted, kept and shown literally, never run -----------------

DIGITS = re.compile(r"[0-9\u0660-\u0669\u06f0-\u06f9]")
LITERAL = [
    ("markup", "<b>عاجل</b> <script>alert(1)</script>", "<script>alert(1)</script>"),
    ("jinja expression", "{{ 7*7 }} و{{ station }}", "7*7"),
    ("jinja loop", "{% for x in range(3) %}تكرار{% endfor %}", "range(3)"),
    ("jinja internals", "{{ ''.__class__.__mro__ }}", "__class__"),
    ("bidi override", "\u202eمعكوس\u202c و\u2066LTR\u2069", "معكوس"),
    ("41-digit number", "العدد " + "1" + "0" * 40, "1" + "0" * 40),
    ("4,000-digit number", "العدد " + "9" * 4000, "9" * 4000),
]


@pytest.mark.parametrize(("case", "snippet", "kept"), LITERAL, ids=[c[0] for c in LITERAL])
def test_strange_text_is_kept_and_shown_literally(room: Newsroom, case: str, snippet: str, kept: str) -> None:
    created = room.api.post(
        "/api/v1/bulletins",
        json={"title": f"\u202e{snippet[:100]}", "articles": [f"{HEADLINE}\n{BODY} {snippet}"]},
    )
    assert created.status_code == 201, created.text[:300]
    bulletin = created.json()
    story = next(s["text"] for s in bulletin["script"]["segments"] if s["kind"] == "story")
    assert kept in story
    assert "\u202e" not in bulletin["title"] and "\u202e" not in story  # bidi overrides never stored
    page = room.editor.get(f"/bulletins/{bulletin['id']}").text
    assert "<script>alert" not in page and "<b>عاجل" not in page
    assert kept.replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;") in page
    spoken = room.editor.post(
        f"/bulletins/{bulletin['id']}/speakable", data={"text": story, "csrf_token": room.editor_csrf}
    )
    assert spoken.status_code == 200
    assert not DIGITS.search(spoken.json()["speakable"])
    assert "تسعة وأربعون" not in spoken.json()["speakable"]  # {{ 7*7 }} is never evaluated


def test_a_front_end_fault_keeps_the_editor_open(room: Newsroom) -> None:
    """Text that trips the speakable front end (see test_properties.KNOWN_CRASH) is saved and
    the editor still opens with it, even while the spoken view cannot be made."""
    created = room.api.post("/api/v1/bulletins", json={"articles": [ARTICLE_WATER]}).json()
    segments = created["script"]["segments"]
    segments[0] = {**segments[0], "text": "عام 2017 ـ"}
    assert (
        room.api.patch(f"/api/v1/bulletins/{created['id']}", json={"segments": segments}).status_code == 200
    )
    page = room.editor.get(f"/bulletins/{created['id']}")
    assert page.status_code == 200
    assert "عام 2017 ـ" in page.text


def test_the_whole_table_left_the_server_within_the_floor_and_without_a_5xx(room: Newsroom) -> None:
    """Run last: every row above together grew the server by less than 300 MB, and none was
    answered with a 5xx or logged a traceback."""
    after = usage(room.server)
    assert after.peak_mb - room.start.peak_mb < FLOOR_MB, (room.start, after)
    log = room.server.log.read_text()
    assert SERVER_ERROR.search(log) is None, SERVER_ERROR.search(log)
    assert "Traceback" not in log
