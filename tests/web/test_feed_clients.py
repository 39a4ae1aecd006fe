"""The served feed as podcast clients meet it: gPodder subscribing and downloading, both transcripts."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import feedparser
import podcastparser
import pytest
from mutagen.mp3 import MP3

from tests.web.support import Newsroom

GPO = shutil.which("gpo")


def gpo(home: Path, *args: str) -> str:
    proc = subprocess.run(
        [GPO or "gpo", *args],
        env={**os.environ, "GPODDER_HOME": str(home), "GPODDER_DOWNLOAD_DIR": str(home / "downloads")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


@pytest.mark.skipif(GPO is None, reason="gPodder's gpo is not installed: apt install gpodder")
@pytest.mark.parametrize("newsroom", ["sqlite"], indirect=True)
def test_gpodder_subscribes_and_downloads_an_episode(
    newsroom: Newsroom, rendered: dict[str, object], tmp_path: Path
) -> None:
    episode = rendered["episode"]
    assert isinstance(episode, dict)
    feed_url = newsroom.server.url + "/feed.xml"
    gpo(tmp_path, "subscribe", feed_url)
    listed = gpo(tmp_path, "episodes", feed_url)
    assert "نشرة الاختبار" in listed
    gpo(tmp_path, "download", feed_url)
    with newsroom.server.client() as anonymous:
        served = anonymous.get(str(episode["audio_url"])).content
    assert len(served) == episode["audio_bytes"]
    # The session's newsroom may have published other episodes too: ours is among the downloads.
    downloaded = [p for p in (tmp_path / "downloads").rglob("*.mp3") if p.read_bytes() == served]
    assert len(downloaded) == 1
    assert abs(MP3(downloaded[0]).info.length - episode["duration"]) < 0.1


@pytest.mark.parametrize("newsroom", ["sqlite"], indirect=True)
def test_served_feed_describes_stories_and_links_both_transcripts(
    newsroom: Newsroom, rendered: dict[str, object]
) -> None:
    episode = rendered["episode"]
    assert isinstance(episode, dict)
    with newsroom.server.client() as anonymous:
        body = anonymous.get("/feed.xml").content
        entry = next(e for e in feedparser.parse(body).entries if e.title == "نشرة الاختبار")
        pod = podcastparser.parse(newsroom.server.url + "/feed.xml", io.BytesIO(body))
        item = next(e for e in pod["episodes"] if e["title"] == "نشرة الاختبار")
        # Each story's headline and first sentence, then the chapters with their times.
        description = item["description"]
        assert "انقطاع المياه عن أحياء في المدينة لمدة يومين" in description
        assert "الفقرات:\n00:00 العناوين\n" in description
        for chapter in episode["chapters"][1:]:
            assert chapter["title"] in description
        assert "<strong>" in entry.content[0].value
        links = {link.get("type"): link.get("url") for link in _transcripts(body)}
        assert links["text/vtt"] == episode["transcript_url"]
        assert links["application/x-subrip"] == episode["subtitles_url"]
        srt = anonymous.get(links["application/x-subrip"])
        assert srt.status_code == 200 and srt.headers["content-type"] == "application/x-subrip; charset=utf-8"
        vtt = anonymous.get(links["text/vtt"]).text
    srt_times = [line for line in srt.text.split("\n") if " --> " in line]
    vtt_times = [line for line in vtt.split("\n") if " --> " in line]
    assert len(srt_times) == len(vtt_times) > 5
    assert [t.replace(",", ".") for t in srt_times] == vtt_times
    assert b'<?xml-stylesheet type="text/xsl"' in body
    with newsroom.server.client() as anonymous:
        xsl = anonymous.get("/static/feed.xsl")
        # A browser gets the same document as XML, which it renders through the stylesheet.
        as_page = anonymous.get("/feed.xml", headers={"Accept": "text/html,application/xml;q=0.9"})
    assert as_page.headers["content-type"] == "text/xml; charset=utf-8" and as_page.content == body
    assert "Accept" in as_page.headers["vary"]
    assert xsl.status_code == 200 and b"xsl:stylesheet" in xsl.content


def _transcripts(body: bytes) -> list[dict[str, str]]:
    from lxml import etree

    ns = "{https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md}"
    root = etree.fromstring(body)
    item = next(i for i in root.iter("item") if i.findtext("title") == "نشرة الاختبار")
    return [dict(node.attrib) for node in item.iter(f"{ns}transcript")]


def test_station_form_sets_apple_category_owner_and_lock(tmp_path: Path) -> None:
    from tests.web.support import ADMIN_PASSWORD, login, server_env, start_server

    data = tmp_path / "data"
    data.mkdir()
    server = start_server(data, server_env(data, PRODUCER_FEED_OWNER_EMAIL="desk@radio.example"))
    try:
        with server.client() as client:
            feed = podcastparser.parse(server.url + "/feed.xml", io.BytesIO(client.get("/feed.xml").content))
            # The owner's email comes from the environment until the settings page changes it.
            assert feed["itunes_owner"]["email"] == "desk@radio.example"
            csrf = login(client, "admin", ADMIN_PASSWORD)
            station = {
                "csrf_token": csrf,
                "station_name": "راديو ألوان",
                "programme_name": "نشرة الأخبار",
                "engine": "espeak",
                "target": "podcast",
                "feed_title": "نشرة الأخبار",
                "feed_author": "راديو ألوان",
                "feed_owner_email": "news@radio.example",
                "feed_category": "News/Daily News",
            }
            assert client.post("/settings/station", data={**station, "feed_locked": "on"}).status_code == 303
            feed = podcastparser.parse(server.url + "/feed.xml", io.BytesIO(client.get("/feed.xml").content))
            assert feed["itunes_categories"] == [["News", "Daily News"]]
            assert feed["itunes_owner"]["email"] == "news@radio.example"
            assert feed["import_prohibited"] is True
            assert client.post("/settings/station", data=station).status_code == 303
            feed = podcastparser.parse(server.url + "/feed.xml", io.BytesIO(client.get("/feed.xml").content))
            assert feed["import_prohibited"] is False
            refused = client.post("/settings/station", data={**station, "feed_category": "Daily News"})
            assert refused.status_code == 422
    finally:
        server.stop()
    assert server.group_gone()
