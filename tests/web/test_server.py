"""The whole newsroom flow against a real server and worker: API, render, feed, media."""

from __future__ import annotations

import io
import re

import feedparser
import podcastparser

from tests.web.support import ARTICLE_SCHOOL, ARTICLE_WATER, Newsroom, wait_job

HEADLINES = ["انقطاع المياه عن أحياء في المدينة لمدة يومين", "افتتاح مدرسة جديدة في الريف الشمالي"]


def test_health_and_openapi(newsroom: Newsroom) -> None:
    with newsroom.server.client() as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz").json()
        assert ready["status"] == "ok" and set(ready["checks"]) == {"database", "queue", "storage"}
        assert all(check["status"] == "ok" and check["seconds"] >= 0 for check in ready["checks"].values())
    with newsroom.api() as client:  # the schema is for the newsroom's clients only
        schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    assert set(paths) >= {
        "/api/v1/bulletins",
        "/api/v1/bulletins/{bulletin_id}",
        "/api/v1/bulletins/{bulletin_id}/render",
        "/api/v1/jobs/{job_id}",
        "/api/v1/episodes/{episode_id}",
        "/api/v1/episodes/{episode_id}/publish",
        "/api/v1/episodes/{episode_id}/unpublish",
    }
    assert set(paths["/api/v1/bulletins/{bulletin_id}"]) == {"get", "patch", "delete"}


def test_create_edit_render_publish(newsroom: Newsroom) -> None:
    with newsroom.api() as api:
        created = api.post(
            "/api/v1/bulletins",
            json={"title": "نشرة الظهيرة", "articles": [ARTICLE_WATER, ARTICLE_SCHOOL], "target": "podcast"},
        )
        assert created.status_code == 201, created.text
        bulletin = created.json()
        script = bulletin["script"]
        assert script["headlines"] == HEADLINES
        assert [s["kind"] for s in script["segments"]] == [
            "ident",
            "greeting",
            "headlines",
            "transition",
            "story",
            "transition",
            "story",
            "signoff",
        ]

        # Edit the second story's headline: the chapter title follows it.
        segments = script["segments"]
        story = segments[6]
        story["text"] = "افتتاح مدرسة حديثة في الريف الشمالي\n" + story["text"].split("\n", 1)[1]
        patched = api.patch(f"/api/v1/bulletins/{bulletin['id']}", json={"segments": segments})
        assert patched.status_code == 200, patched.text
        assert patched.json()["script"]["headlines"][1] == "افتتاح مدرسة حديثة في الريف الشمالي"
        assert api.get(f"/api/v1/bulletins/{bulletin['id']}").json()["script"]["segments"][6] == story

        accepted = api.post(f"/api/v1/bulletins/{bulletin['id']}/render", json={"engine": "espeak"})
        assert accepted.status_code == 202
        job = accepted.json()["job"]
        seen = []
        while True:
            state = api.get(f"/api/v1/jobs/{job}").json()
            seen.append(state["progress"])
            if state["state"] in ("done", "failed"):
                break
        assert state["state"] == "done", state
        assert state["error"] is None and state["progress"] == 1.0
        assert seen == sorted(seen)  # the bar only moves forward

        episode = api.get(f"/api/v1/episodes/{state['episode']}").json()
        assert episode["published"] is False
        assert [c["title"] for c in episode["chapters"]] == [
            "العناوين",
            HEADLINES[0],
            "افتتاح مدرسة حديثة في الريف الشمالي",
        ]
        assert 5 < episode["duration"] < 120
        audio = api.get(episode["audio_url"])
        assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mpeg"
        assert len(audio.content) == episode["audio_bytes"]
        assert audio.content[:3] == b"ID3"

        # Not in the public feed, and its files are not public, until published.
        with newsroom.server.client() as anonymous:
            assert episode["audio_url"] not in anonymous.get("/feed.xml").text
            assert anonymous.get(episode["audio_url"]).status_code == 404
            published = api.post(f"/api/v1/episodes/{episode['id']}/publish").json()
            assert published["published"] is True
            feed = anonymous.get("/feed.xml")
            assert anonymous.get(episode["audio_url"]).status_code == 200

        parsed = feedparser.parse(feed.content)
        assert not parsed.bozo
        entry = next(e for e in parsed.entries if e.title == "نشرة الظهيرة")
        assert entry.enclosures[0].href == episode["audio_url"]
        assert int(entry.enclosures[0].length) == episode["audio_bytes"]
        assert entry.enclosures[0].type == "audio/mpeg"
        assert entry.itunes_duration == str(round(episode["duration"]))

        pod = podcastparser.parse(newsroom.server.url + "/feed.xml", io.BytesIO(feed.content))
        item = next(e for e in pod["episodes"] if e["title"] == "نشرة الظهيرة")
        assert item["enclosures"][0]["file_size"] == episode["audio_bytes"]
        assert item["total_time"] == round(episode["duration"])
        assert item["transcript_url"] == episode["transcript_url"]
        assert item["chapters_json_url"] == episode["chapters_url"]
        assert [c["title"] for c in item["chapters"]] == [c["title"] for c in episode["chapters"]]

        transcript = api.get(episode["transcript_url"])
        assert transcript.headers["content-type"] == "text/vtt; charset=utf-8"
        assert transcript.text.startswith("WEBVTT")
        chapters = api.get(episode["chapters_url"]).json()
        assert [c["title"] for c in chapters["chapters"]] == [c["title"] for c in episode["chapters"]]

        # A re-render keeps the episode (same guid) under a new enclosure URL; the old files go.
        again = wait_job(api, api.post(f"/api/v1/bulletins/{bulletin['id']}/render").json()["job"])
        assert again["state"] == "done" and again["episode"] == episode["id"]
        rerendered = api.get(f"/api/v1/episodes/{episode['id']}").json()
        assert rerendered["guid"] == episode["guid"]
        assert rerendered["audio_url"] != episode["audio_url"]
        assert rerendered["published"] is True
        with newsroom.server.client() as anonymous:
            feed = feedparser.parse(anonymous.get("/feed.xml").content)
            entry = next(e for e in feed.entries if e.title == "نشرة الظهيرة")
            assert entry.enclosures[0].href == rerendered["audio_url"]
            assert entry.id == f"producer:{episode['guid']}"
            assert anonymous.get(episode["audio_url"]).status_code == 404

        unpublished = api.post(f"/api/v1/episodes/{episode['id']}/unpublish").json()
        assert unpublished["published"] is False
        with newsroom.server.client() as anonymous:
            assert rerendered["audio_url"] not in anonymous.get("/feed.xml").text


def test_feed_channel_and_revalidation(newsroom: Newsroom, rendered: dict[str, object]) -> None:
    with newsroom.server.client() as client:
        first = client.get("/feed.xml")
        assert first.status_code == 200
        assert first.headers["content-type"] == "application/rss+xml; charset=utf-8"
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        assert client.get("/feed.xml", headers={"If-None-Match": etag}).status_code == 304
        assert client.get("/feed.xml", headers={"If-Modified-Since": modified}).status_code == 304
        assert client.get("/feed.xml", headers={"If-None-Match": '"other"'}).status_code == 200
        head = client.head("/feed.xml")
        assert head.status_code == 200 and head.content == b""
        assert head.headers["etag"] == etag and head.headers["content-type"] == first.headers["content-type"]
    body = first.text
    base = newsroom.server.url
    for required in (
        "<title>",
        "<description>",
        "<language>ar</language>",
        f'<itunes:image href="{base}/',
        '<itunes:category text="News"/>',
        "<itunes:explicit>false</itunes:explicit>",
        "<itunes:author>",
        "<itunes:owner>",
        f"<link>{base}/</link>",
        f'<atom:link href="{base}/feed.xml" rel="self" type="application/rss+xml"/>',
    ):
        assert required in body, required
    pod = podcastparser.parse(base + "/feed.xml", io.BytesIO(first.content))
    # The shipped artwork, or the station's once uploaded (the settings tests do): public either way.
    assert pod["cover_url"].startswith((f"{base}/static/artwork.png", f"{base}/media/station/artwork-"))
    with newsroom.server.client() as client:
        art = client.get(pod["cover_url"])
    assert art.status_code == 200 and art.headers["content-type"] == "image/png"


def test_media_ranges_return_exact_bytes(newsroom: Newsroom, rendered: dict[str, object]) -> None:
    episode = rendered["episode"]
    assert isinstance(episode, dict)
    url = episode["audio_url"]
    with newsroom.server.client() as client:
        full = client.get(url)
        data, size = full.content, len(full.content)
        assert size == episode["audio_bytes"]
        etag = full.headers["etag"]
        assert full.headers["accept-ranges"] == "bytes"
        assert full.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert full.headers["x-content-type-options"] == "nosniff"

        cases = {
            "bytes=0-99": (0, 99),
            "bytes=100-": (100, size - 1),
            "bytes=-500": (size - 500, size - 1),
            f"bytes={size - 10}-{size + 1000}": (size - 10, size - 1),
        }
        for header, (first, last) in cases.items():
            part = client.get(url, headers={"Range": header})
            assert part.status_code == 206, header
            assert part.content == data[first : last + 1], header
            assert part.headers["content-range"] == f"bytes {first}-{last}/{size}"
            assert part.headers["content-length"] == str(last - first + 1)

        for header in (f"bytes={size}-", "bytes=-0"):
            refused = client.get(url, headers={"Range": header})
            assert refused.status_code == 416
            assert refused.headers["content-range"] == f"bytes */{size}"

        # Several ranges, or a partial copy of another version: the whole file.
        assert client.get(url, headers={"Range": "bytes=0-1,4-5"}).content == data
        stale = client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"old"'})
        assert stale.status_code == 200 and stale.content == data
        fresh = client.get(url, headers={"Range": "bytes=0-9", "If-Range": etag})
        assert fresh.status_code == 206 and fresh.content == data[:10]
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304

        head = client.head(url)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-length"] == str(size)
        assert head.headers["etag"] == etag
        head_range = client.head(url, headers={"Range": "bytes=-100"})
        assert head_range.status_code == 206 and head_range.headers["content-length"] == "100"

        download = client.get(url + "?download=1", headers={"Range": "bytes=0-0"})
        assert download.headers["content-disposition"].startswith("attachment; filename=")


def test_media_never_leaves_the_store(newsroom: Newsroom, rendered: dict[str, object]) -> None:
    (newsroom.server.data_dir / "media" / "station").mkdir(parents=True, exist_ok=True)
    (newsroom.server.data_dir.parent / "outside.txt").write_text("outside")
    (newsroom.server.data_dir / "media" / "station" / "escape").symlink_to(newsroom.server.data_dir.parent)
    raw_paths = [
        "/media/../producer.db",
        "/media/..%2fproducer.db",
        "/media/%2e%2e/%2e%2e/etc/passwd",
        "/media/episodes/..%2F..%2Fsecret_key",
        "/media//etc/passwd",
        "/media/%2Fetc%2Fpasswd",
        "/media/..\\..\\secret_key",
        "/media/station/escape/outside.txt",
        "/media/secret_key",
    ]
    with newsroom.api() as client:  # even logged in
        for path in raw_paths:
            reply = client.get(path)
            assert reply.status_code in (400, 404), path
            assert b"outside" not in reply.content and b"SQLite" not in reply.content


def test_api_rejects_bad_edits_and_keeps_the_script(newsroom: Newsroom, rendered: dict[str, object]) -> None:
    bulletin = rendered["bulletin"]
    assert isinstance(bulletin, dict)
    path = f"/api/v1/bulletins/{bulletin['id']}"
    with newsroom.api() as api:
        before = api.get(path).json()
        segments = [dict(s) for s in before["script"]["segments"]]
        emptied = [{**s, "text": "  "} if s["kind"] == "story" else s for s in segments]
        reply = api.patch(path, json={"segments": emptied})
        assert reply.status_code == 422
        assert re.search("[\u0600-\u06ff]", reply.json()["detail"])
        binary = [{**segments[0], "text": "نص\x00ثنائي"}, *segments[1:]]
        assert api.patch(path, json={"segments": binary}).status_code == 422
        assert api.patch(path, json={"segments": [{"kind": "bogus", "text": "x"}]}).status_code == 422
        assert api.get(path).json() == before

        assert api.post("/api/v1/bulletins", json={"title": "x", "articles": []}).status_code == 422
        too_many = api.post("/api/v1/bulletins", json={"articles": [ARTICLE_WATER] * 41})
        assert too_many.status_code == 413 and re.search("[\u0600-\u06ff]", too_many.json()["detail"])
        huge = api.post("/api/v1/bulletins", json={"articles": ["خبر " * 20_000]})
        assert huge.status_code == 413
        garbage = api.post(
            "/api/v1/bulletins", content=b"\xff\xfe not json", headers={"content-type": "application/json"}
        )
        assert garbage.status_code in (400, 422)
        assert api.get("/api/v1/bulletins/999999").status_code == 404
        assert api.get("/api/v1/jobs/nope").status_code == 404
        assert api.get("/api/v1/episodes/999999").status_code == 404


def test_failed_render_shows_the_engine_reason_and_keeps_the_draft(newsroom: Newsroom) -> None:
    with newsroom.api() as api:
        bulletin = api.post("/api/v1/bulletins", json={"articles": [ARTICLE_WATER]}).json()
        # piper has no Arabic voice installed here: the job fails with the engine's own reason.
        state = wait_job(
            api,
            api.post(f"/api/v1/bulletins/{bulletin['id']}/render", json={"engine": "piper"}).json()["job"],
        )
        assert state["state"] == "failed"
        assert state["error"].startswith("محرّك النطق غير متاح: ")
        assert state["episode"] is None
        assert api.get(f"/api/v1/bulletins/{bulletin['id']}").json()["script"] == bulletin["script"]
        retried = wait_job(
            api,
            api.post(f"/api/v1/bulletins/{bulletin['id']}/render", json={"engine": "espeak"}).json()["job"],
        )
        assert retried["state"] == "done"
        assert retried["error"] is None
