"""Every form refuses bad input with an Arabic sentence and a 4xx, and loses nothing saved."""

from __future__ import annotations

import io
import re
import zipfile

import httpx
import pytest

from tests.web.support import (
    ADMIN_PASSWORD,
    ARTICLE_SCHOOL,
    ARTICLE_WATER,
    EDITOR_PASSWORD,
    Newsroom,
    docx_bytes,
    login,
    png_bytes,
    wav_bytes,
)

ARABIC = re.compile("[\u0600-\u06ff]")


def form_error(html: str) -> str:
    found = re.search(r'id="form-error">([^<]+)<', html)
    assert found is not None, html[:2000]
    assert ARABIC.search(found.group(1))
    return found.group(1)


@pytest.fixture(scope="module")
def editor(newsroom: Newsroom) -> tuple[httpx.Client, str]:
    client = newsroom.server.client()
    return client, login(client, "editor", EDITOR_PASSWORD)


@pytest.fixture(scope="module")
def admin(newsroom: Newsroom) -> tuple[httpx.Client, str]:
    client = newsroom.server.client()
    return client, login(client, "admin", ADMIN_PASSWORD)


def save_draft(client: httpx.Client, csrf: str, articles: list[str]) -> int:
    reply = client.post(
        "/bulletins", data={"csrf_token": csrf, "title": "مسودة", "article": articles, "action": "save"}
    )
    assert reply.status_code == 303
    found = re.search(r"draft=(\d+)", reply.headers["location"])
    assert found is not None
    return int(found.group(1))


BAD_COMPOSE = [
    ("empty", {"article": ["", "   "]}, None, 422),
    ("binary", {"article": ["خبر\x00\x01\x02 ثنائي"]}, None, 422),
    ("too long", {"article": ["خبر " * 16_000]}, None, 413),
    ("too many", {"article": [ARTICLE_WATER] * 41}, None, 413),
    ("bad target", {"article": [ARTICLE_WATER], "target": "tv"}, None, 422),
    ("bad engine", {"article": [ARTICLE_WATER], "engine": "nope"}, None, 422),
    ("no arabic", {"article": ["Just an English sentence about nothing at all."]}, None, 422),
    ("exe upload", {}, ("virus.exe", b"MZ\x90\x00", "application/octet-stream"), 415),
    ("pdf upload", {}, ("paper.pdf", b"%PDF-1.4", "application/pdf"), 415),
    ("binary txt", {}, ("story.txt", bytes(range(256)) * 8, "text/plain"), 422),
    ("empty file", {}, ("story.txt", b"", "text/plain"), 422),
    ("broken docx", {}, ("story.docx", b"PK\x03\x04 not a zip", "application/octet-stream"), 422),
]


@pytest.mark.parametrize(("case", "fields", "upload", "status"), BAD_COMPOSE, ids=[c[0] for c in BAD_COMPOSE])
def test_compose_refuses_bad_input_and_keeps_the_draft(
    editor: tuple[httpx.Client, str], case: str, fields: dict[str, object], upload: tuple | None, status: int
) -> None:
    client, csrf = editor
    draft = save_draft(client, csrf, [ARTICLE_WATER])
    data = {"csrf_token": csrf, "draft": str(draft), "title": "مسودة", "action": "compose", **fields}
    files = {"files": upload} if upload else None
    reply = client.post("/bulletins", data=data, files=files)
    assert reply.status_code == status, (case, reply.text[:500])
    form_error(reply.text)
    # What was typed stays in the form, and the saved draft is untouched (or saved, never lost).
    for text in fields.get("article", []) if isinstance(fields.get("article"), list) else []:
        if text.strip() and len(text) < 1000 and "\x00" not in text:
            assert text.split("\n")[0] in reply.text
    saved = client.get("/", params={"draft": draft}).text
    assert "انقطاع المياه عن أحياء في المدينة" in saved or "Just an English" in saved


def test_compose_accepts_uploads_and_opens_the_editor(editor: tuple[httpx.Client, str]) -> None:
    client, csrf = editor
    reply = client.post(
        "/bulletins",
        data={"csrf_token": csrf, "title": "نشرة الملفات", "action": "compose", "article": [ARTICLE_WATER]},
        files=[
            ("files", ("school.docx", docx_bytes(ARTICLE_SCHOOL), "application/octet-stream")),
        ],
    )
    assert reply.status_code == 303
    page = client.get(reply.headers["location"])
    assert "افتتاح مدرسة جديدة في الريف الشمالي" in page.text
    assert 'lang="ar" dir="rtl"' in page.text
    # The speakable view spells the numbers out.
    assert "أربعمائة" in page.text or "أربعمئة" in page.text


def test_oversized_request_is_refused_before_reading(editor: tuple[httpx.Client, str]) -> None:
    client, csrf = editor
    reply = client.post("/bulletins", data={"csrf_token": csrf, "article": ["خ" * (3 * 2**20)]})
    assert reply.status_code == 413
    assert ARABIC.search(reply.text)


def test_zip_bomb_docx_is_refused(editor: tuple[httpx.Client, str]) -> None:
    client, csrf = editor
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("[Content_Types].xml", "<Types/>")
        bomb.writestr("word/document.xml", b"<" + b"a" * (200 * 2**20) + b">")
    reply = client.post(
        "/bulletins",
        data={"csrf_token": csrf, "action": "compose"},
        files={"files": ("bomb.docx", out.getvalue(), "application/octet-stream")},
    )
    assert reply.status_code in (413, 422)
    form_error(reply.text)


def test_editor_keeps_typed_text_on_error(editor: tuple[httpx.Client, str], newsroom: Newsroom) -> None:
    client, csrf = editor
    with newsroom.api() as api:
        bulletin = api.post("/api/v1/bulletins", json={"articles": [ARTICLE_WATER]}).json()
    segments = bulletin["script"]["segments"]
    data = {"csrf_token": csrf, "count": str(len(segments)), "title": bulletin["title"], "action": "save"}
    for i, seg in enumerate(segments):
        data[f"seg-{i}"] = seg["text"]
    story = next(i for i, s in enumerate(segments) if s["kind"] == "story")
    data[f"seg-{story}"] = ""
    data["seg-0"] = "تعريف معدّل لم يُحفظ بعد"
    reply = client.post(f"/bulletins/{bulletin['id']}", data=data)
    assert reply.status_code == 422
    form_error(reply.text)
    assert "تعريف معدّل لم يُحفظ بعد" in reply.text
    with newsroom.api() as api:
        assert api.get(f"/api/v1/bulletins/{bulletin['id']}").json()["script"] == bulletin["script"]
    # A good edit saves.
    data[f"seg-{story}"] = segments[story]["text"] + "\nوأضافت المؤسسة أن العمل سينتهي قريبا."
    assert client.post(f"/bulletins/{bulletin['id']}", data=data).status_code == 200
    with newsroom.api() as api:
        saved = api.get(f"/api/v1/bulletins/{bulletin['id']}").json()["script"]["segments"]
    assert saved[0]["text"] == "تعريف معدّل لم يُحفظ بعد"
    assert saved[story]["text"].endswith("سينتهي قريبا.")


BAD_SETTINGS = [
    (
        "template syntax",
        "/settings/templates",
        {"ident": "{{ station ", "greeting": "مرحبا", "signoff": "وداعا"},
        None,
        422,
    ),
    (
        "template sandbox",
        "/settings/templates",
        {"ident": "{{ ''.__class__.__mro__[1].__subclasses__() }}", "greeting": "مرحبا", "signoff": "وداعا"},
        None,
        422,
    ),
    (
        "template unknown",
        "/settings/templates",
        {"ident": "{{ nothing_here }}", "greeting": "x", "signoff": "y"},
        None,
        422,
    ),
    (
        "template huge",
        "/settings/templates",
        {"ident": "ا" * 6000, "greeting": "x", "signoff": "y"},
        None,
        413,
    ),
    (
        "jingle not audio",
        "/settings/jingle",
        {"slot": "intro"},
        ("jingle.mp3", b"this is not audio", "audio/mpeg"),
        422,
    ),
    (
        "jingle wrong type",
        "/settings/jingle",
        {"slot": "intro"},
        ("jingle.exe", wav_bytes(1), "audio/wav"),
        415,
    ),
    (
        "jingle too long",
        "/settings/jingle",
        {"slot": "outro"},
        ("long.wav", wav_bytes(125), "audio/wav"),
        422,
    ),
    ("jingle bad slot", "/settings/jingle", {"slot": "middle"}, ("j.wav", wav_bytes(1), "audio/wav"), 422),
    ("artwork small", "/settings/artwork", {}, ("a.png", png_bytes(600, 600), "image/png"), 422),
    ("artwork not square", "/settings/artwork", {}, ("a.png", png_bytes(1400, 1500), "image/png"), 422),
    ("artwork gif", "/settings/artwork", {}, ("a.gif", png_bytes(1400, 1400, "GIF"), "image/gif"), 415),
    ("artwork garbage", "/settings/artwork", {}, ("a.png", b"\x89PNG garbage", "image/png"), 422),
    ("lexicon no tab", "/settings/lexicon", {"lexicon": "كلمة بلا فاصل"}, None, 422),
    ("lexicon bad regex", "/settings/lexicon", {"lexicon": "re:([\tشيء"}, None, 422),
    ("station empty name", "/settings/station", {"station_name": "", "programme_name": "x"}, None, 422),
]


@pytest.mark.parametrize(
    ("case", "path", "fields", "upload", "status"), BAD_SETTINGS, ids=[c[0] for c in BAD_SETTINGS]
)
def test_settings_refuse_bad_input_and_keep_settings(
    admin: tuple[httpx.Client, str],
    case: str,
    path: str,
    fields: dict[str, str],
    upload: tuple | None,
    status: int,
) -> None:
    client, csrf = admin
    before = client.get("/settings").text
    files = {"file": upload} if upload else None
    reply = client.post(path, data={"csrf_token": csrf, **fields}, files=files)
    assert reply.status_code == status, (case, reply.text[:300])
    form_error(reply.text)
    if path == "/settings/templates":
        assert fields["ident"][:50] in reply.text.replace("&#39;", "'")  # kept as typed
    after = client.get("/settings").text
    # Nothing saved changed (the audit log and the page are the same).
    assert re.sub(r'value="[^"]{40,}"', "", after) == re.sub(r'value="[^"]{40,}"', "", before)


def test_settings_save_and_audit(admin: tuple[httpx.Client, str], newsroom: Newsroom) -> None:
    client, csrf = admin
    preview = client.post(
        "/settings/templates",
        data={
            "csrf_token": csrf,
            "action": "preview",
            "ident": "هنا {{ station }}",
            "greeting": "{{ salutation }}",
            "signoff": "إلى اللقاء",
            "headlines": "أهم الأخبار:{% for h in headlines %} {{ h }}{% endfor %}",
            "transition": "{% if is_last %}وأخيرًا{% else %}الخبر {{ index }}{% endif %}",
        },
    )
    assert preview.status_code == 200
    assert "هنا راديو ألوان" in preview.text
    # All five templates are editable and previewed, the transition between two sample stories too.
    for name in ("ident", "greeting", "headlines", "transition", "signoff"):
        assert f'name="{name}"' in preview.text and f'data-preview="{name}"' in preview.text
    assert "أهم الأخبار: عنوان خبر تجريبي عنوان خبر ثان" in preview.text and "وأخيرًا" in preview.text
    broken = client.post(
        "/settings/templates", data={"csrf_token": csrf, "action": "preview", "transition": "{% if %}"}
    )
    assert broken.status_code == 422
    artwork = client.post(
        "/settings/artwork",
        data={"csrf_token": csrf},
        files={"file": ("art.png", png_bytes(1400, 1400), "image/png")},
    )
    assert artwork.status_code == 303
    jingle = client.post(
        "/settings/jingle",
        data={"csrf_token": csrf, "slot": "intro"},
        files={"file": ("j.wav", wav_bytes(1.5), "audio/wav")},
    )
    assert jingle.status_code == 303
    written = "# أسماء تُقرأ خطأً\r\nقسد\tقَسَد\r\n"
    lexicon = client.post("/settings/lexicon", data={"csrf_token": csrf, "lexicon": written})
    assert lexicon.status_code == 200 and "حُفظ المعجم" in lexicon.text
    page = client.get("/settings").text
    assert "# أسماء تُقرأ خطأً\nقسد\tقَسَد\n" in page  # the comment is kept with its entry
    for action in ("settings.artwork", "settings.jingle.intro", "settings.lexicon"):
        assert action in page
    with newsroom.server.client() as anonymous:
        feed = anonymous.get("/feed.xml").text
        art = re.search(r'<itunes:image href="([^"]+)"', feed)
        assert art is not None and "/media/station/artwork-" in art.group(1)
        image = anonymous.get(art.group(1))
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        jingle_key = re.search(
            r'<audio controls preload="none" data-jingle="intro" src="/media/(station/jingle-intro-[^"]+)"',
            page,
        )
        assert jingle_key is not None
        assert anonymous.get("/media/" + jingle_key.group(1)).status_code == 404  # jingles are private
    assert client.get("/media/" + jingle_key.group(1)).status_code == 200
    # The jingles in use can be listened to: the uploaded one, and the shipped ones until replaced.
    for slot in ("outro", "stinger"):
        assert f'data-jingle="{slot}" src="/settings/jingle/{slot}/default"' in page
        shipped = client.get(f"/settings/jingle/{slot}/default")
        assert shipped.status_code == 200 and shipped.headers["content-type"] == "audio/ogg"
        assert shipped.content[:4] == b"OggS"
    with newsroom.server.client() as anonymous:
        assert anonymous.get("/settings/jingle/outro/default").status_code in (303, 401, 403)
    # Back to the defaults, so other tests render the shipped way.
    client.post("/settings/jingle", data={"csrf_token": csrf, "slot": "intro"})


def test_users_page(admin: tuple[httpx.Client, str]) -> None:
    client, csrf = admin
    weak = client.post(
        "/users", data={"csrf_token": csrf, "name": "sami", "role": "editor", "password": "123"}
    )
    assert weak.status_code == 422
    form_error(weak.text)
    added = client.post(
        "/users", data={"csrf_token": csrf, "name": "sami", "role": "editor", "password": "sami-pass-5678"}
    )
    assert added.status_code == 303
    again = client.post(
        "/users", data={"csrf_token": csrf, "name": "sami", "role": "editor", "password": "sami-pass-5678"}
    )
    assert again.status_code == 409
    page = client.get("/users").text
    admin_id = re.search(r'action="/users/(\d+)"', page)
    assert admin_id is not None
    last_admin = client.post(
        f"/users/{admin_id.group(1)}", data={"csrf_token": csrf, "role": "viewer", "active": "on"}
    )
    assert last_admin.status_code == 409
    form_error(last_admin.text)


def test_markup_in_articles_is_shown_as_text(editor: tuple[httpx.Client, str]) -> None:
    client, csrf = editor
    head, body = ARTICLE_WATER.split("\n", 1)
    article = (
        f"{head} <script>alert(1)</script>\n<b>العريض</b> {{{{ 7*7 }}}} {{% if 1 %}}نعم{{% endif %}} {body}"
    )
    reply = client.post(
        "/bulletins",
        data={"csrf_token": csrf, "title": "<i>عنوان</i>", "article": [article], "action": "compose"},
    )
    assert reply.status_code == 303, reply.text[:300]
    page = client.get(reply.headers["location"]).text
    assert "<script>alert" not in page and "<b>العريض" not in page and "<i>عنوان" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "{{7*7}}" in page and "{% if 1 %}" in page  # article text is never run as a template
