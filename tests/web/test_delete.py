"""Deleting a bulletin, through the API and the editor's page, on both backends: the episode
leaves the feed, its files the storage, its rows the database; a viewer cannot, a bulletin being
rendered cannot be, and an unconfirmed delete changes nothing."""

from __future__ import annotations

import re

import feedparser
import httpx

from tests.web.support import ARTICLE_SCHOOL, ARTICLE_WATER, EDITOR_PASSWORD, Newsroom, login, wait_job


def _published(api: httpx.Client, title: str) -> tuple[int, dict[str, object]]:
    created = api.post(
        "/api/v1/bulletins", json={"title": title, "articles": [ARTICLE_WATER], "target": "podcast"}
    )
    assert created.status_code == 201, created.text
    bulletin = created.json()["id"]
    state = wait_job(api, api.post(f"/api/v1/bulletins/{bulletin}/render").json()["job"])
    assert state["state"] == "done", state
    episode = api.post(f"/api/v1/episodes/{state['episode']}/publish").json()
    return bulletin, episode


def _feed_guids(newsroom: Newsroom) -> list[str]:
    with newsroom.server.client() as anonymous:
        return [entry.id for entry in feedparser.parse(anonymous.get("/feed.xml").content).entries]


def test_the_api_deletes_a_bulletin_its_episode_and_its_files(newsroom: Newsroom) -> None:
    with newsroom.api() as api, newsroom.api(newsroom.viewer_token) as viewer:
        bulletin, episode = _published(api, "نشرة للحذف")
        audio = str(episode["audio_url"])
        with newsroom.server.client() as anonymous:
            assert anonymous.get(audio).status_code == 200
        assert any(guid.endswith(str(episode["guid"])) for guid in _feed_guids(newsroom))
        assert viewer.delete(f"/api/v1/bulletins/{bulletin}").status_code == 403
        assert api.delete(f"/api/v1/bulletins/{bulletin}").status_code == 204
        assert api.get(f"/api/v1/bulletins/{bulletin}").status_code == 404
        assert api.get(f"/api/v1/episodes/{episode['id']}").status_code == 404
        with newsroom.server.client() as anonymous:
            assert anonymous.get(audio).status_code == 404
        assert not any(guid.endswith(str(episode["guid"])) for guid in _feed_guids(newsroom))
        again = api.delete(f"/api/v1/bulletins/{bulletin}")
        assert again.status_code == 404 and "غير موجودة" in again.text


def test_the_editor_page_deletes_only_once_confirmed(newsroom: Newsroom) -> None:
    with newsroom.api() as api:
        created = api.post("/api/v1/bulletins", json={"title": "مسودة للحذف", "articles": [ARTICLE_SCHOOL]})
        bulletin = created.json()["id"]
    with newsroom.server.client() as client:
        csrf = login(client, "editor", EDITOR_PASSWORD)
        page = client.get(f"/bulletins/{bulletin}").text
        assert f'action="/bulletins/{bulletin}/delete"' in page
        unconfirmed = client.post(f"/bulletins/{bulletin}/delete", data={"csrf_token": csrf})
        assert unconfirmed.status_code == 422 and "أكّدوا الحذف" in unconfirmed.text
        assert client.get(f"/bulletins/{bulletin}").status_code == 200
        done = client.post(f"/bulletins/{bulletin}/delete", data={"csrf_token": csrf, "confirm": "yes"})
        assert done.status_code == 303 and done.headers["location"] == "/?deleted=1"
        assert "حُذفت النشرة وحلقتها." in client.get("/?deleted=1").text
        assert client.get(f"/bulletins/{bulletin}").status_code == 404
        listed = client.get("/").text
        assert not re.search(rf'href="/bulletins/{bulletin}"', listed)
