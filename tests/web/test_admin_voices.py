"""The admin's voices page on a real server: install by name from a local catalog over HTTP, upload,
listen to the sample sentence, set the station's default, remove."""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tts"))
from make_test_voice import make_test_voice
from real_size_voice import install_real_size_voice
from voice_server import VoiceServer, publish

from producer.store import db
from tests.web.support import ADMIN_PASSWORD, Server, login, server_env, start_server

GOOD = "ar_XX-test-x_low"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, VoiceServer]]:
    root = tmp_path_factory.mktemp("release")
    publish(root, GOOD)
    data = tmp_path_factory.mktemp("voices-site") / "data"
    data.mkdir()
    with VoiceServer(root) as catalog:
        catalog.write_catalog([GOOD])
        server = start_server(data, server_env(data, PRODUCER_VOICES_BASE_URL=catalog.base_url))
        try:
            yield server, catalog
        finally:
            server.stop()


@pytest.fixture(scope="module")
def admin(site: tuple[Server, VoiceServer]) -> tuple[httpx.Client, str]:
    client = site[0].client()
    return client, login(client, "admin", ADMIN_PASSWORD)


def rows(html: str) -> list[str]:
    return re.findall(r'<tr data-voice="([^"]+)">', html)


def form_error(html: str) -> str:
    found = re.search(r'id="form-error">([^<]+)<', html)
    assert found is not None, html[:2000]
    return found.group(1)


def test_install_listen_default_and_remove(
    admin: tuple[httpx.Client, str], site: tuple[Server, VoiceServer]
) -> None:
    client, csrf = admin
    assert rows(client.get("/settings/voices").text) == []
    installed = client.post("/settings/voices/install", data={"csrf_token": csrf, "name": GOOD})
    assert installed.status_code == 200 and rows(installed.text) == [GOOD]
    assert (site[0].data_dir / "voices" / f"{GOOD}.onnx").is_file()

    sample = client.get(f"/settings/voices/{GOOD}/sample")
    assert sample.status_code == 200 and sample.headers["content-type"] == "audio/wav"
    audio, rate = sf.read(io.BytesIO(sample.content), dtype="float32")
    assert len(audio) / rate > 1.0 and float(np.sqrt(np.mean(audio**2))) > 0.05

    chosen = client.post(f"/settings/voices/{GOOD}/default", data={"csrf_token": csrf})
    assert chosen.status_code == 200 and "(الافتراضي)" in chosen.text
    settings_page = client.get("/settings").text
    assert re.search(r'<option value="piper" selected>', settings_page)
    assert f'name="voice" value="{GOOD}"' in settings_page

    refused = client.post(f"/settings/voices/{GOOD}/remove", data={"csrf_token": csrf})
    assert refused.status_code == 409 and "الافتراضي" in form_error(refused.text)
    assert rows(refused.text) == [GOOD]


def test_refusals_are_arabic_and_install_nothing(
    admin: tuple[httpx.Client, str], site: tuple[Server, VoiceServer]
) -> None:
    client, csrf = admin
    before = rows(client.get("/settings/voices").text)
    unknown = client.post("/settings/voices/install", data={"csrf_token": csrf, "name": "ar_JO-nobody-low"})
    assert unknown.status_code == 422 and form_error(unknown.text).startswith("لم يُثبَّت الصوت")
    bad = client.post(
        "/settings/voices/upload",
        data={"csrf_token": csrf},
        files={"model": ("ar_SY-bad-low.onnx", b"not a model"), "config": ("ar_SY-bad-low.onnx.json", b"{}")},
    )
    assert bad.status_code == 422 and form_error(bad.text).startswith("لم يُثبَّت الصوت")
    missing = client.post("/settings/voices/ar_JO-nobody-low/remove", data={"csrf_token": csrf})
    assert missing.status_code == 404
    assert client.get("/settings/voices/ar_JO-nobody-low/sample").status_code == 404
    assert rows(client.get("/settings/voices").text) == before
    assert not [p for p in (site[0].data_dir / "voices").iterdir() if p.name.startswith(".install-")]


@pytest.mark.slow
def test_a_real_size_voice_uploads_past_the_general_upload_limit(
    admin: tuple[httpx.Client, str], tmp_path: Path
) -> None:
    """The server takes 2 MB uploads (PRODUCER_MAX_UPLOAD_MB); a 63 MB voice has its own bound."""
    client, csrf = admin
    model = install_real_size_voice(tmp_path, "ar_ZZ-joe-medium")
    with model.open("rb") as onnx, model.with_name(model.name + ".json").open("rb") as config:
        reply = client.post(
            "/settings/voices/upload",
            data={"csrf_token": csrf},
            files={"model": (model.name, onnx), "config": (model.name + ".json", config)},
        )
    assert reply.status_code == 200, reply.text[:2000]
    assert "ar_ZZ-joe-medium" in rows(reply.text)
    removed = client.post("/settings/voices/ar_ZZ-joe-medium/remove", data={"csrf_token": csrf})
    assert "ar_ZZ-joe-medium" not in rows(removed.text)


def test_a_tiny_upload_installs(admin: tuple[httpx.Client, str], tmp_path: Path) -> None:
    client, csrf = admin
    model = make_test_voice(tmp_path, "ar_SY-upload-x_low")
    reply = client.post(
        "/settings/voices/upload",
        data={"csrf_token": csrf},
        files={
            "model": (model.name, model.read_bytes()),
            "config": (model.name + ".json", model.with_name(model.name + ".json").read_bytes()),
        },
    )
    assert reply.status_code == 200 and "ar_SY-upload-x_low" in rows(reply.text)


def station_form(csrf: str, **changes: str) -> dict[str, str]:
    return {
        "csrf_token": csrf,
        "station_name": "راديو ألوان",
        "programme_name": "نشرة الأخبار",
        "engine": "espeak",
        "voice": "",
        "target": "podcast",
        "feed_title": "نشرة الأخبار",
        "feed_description": "",
        "feed_author": "راديو ألوان",
        "feed_owner_email": "",
        "feed_category": "News",
        **changes,
    }


def test_the_pace_is_a_station_setting(
    admin: tuple[httpx.Client, str], site: tuple[Server, VoiceServer]
) -> None:
    client, csrf = admin
    assert 'name="pace" type="number" min="80" max="220" value="130"' in client.get("/settings").text
    for bad in ("79", "221", "fast"):
        refused = client.post("/settings/station", data=station_form(csrf, pace=bad))
        assert refused.status_code == 422 and "سرعة القراءة" in form_error(refused.text)
    saved = client.post("/settings/station", data=station_form(csrf, pace="145"))
    assert saved.status_code == 303
    assert 'name="pace" type="number" min="80" max="220" value="145"' in client.get("/settings").text
    with site[0].database() as database, database.read() as session:
        assert db.station_values(session)["pace"] == 145
