"""The S3-compatible file store, against moto's S3 server (a real HTTP endpoint, like MinIO)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from producer.settings import load_settings
from producer.store.files import S3FileStore
from tests.web.support import ARTICLE_WATER, free_port, run_cli, server_env, start_server, wait_job

moto_server = pytest.importorskip("moto.server")
boto3 = pytest.importorskip("boto3")

CREDENTIALS = {"PRODUCER_S3_ACCESS_KEY_ID": "testing", "PRODUCER_S3_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket="newsroom")
    yield url
    server.stop()


def test_s3_store_roundtrip(endpoint: str, tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path,
        storage="s3",
        s3_bucket="newsroom",
        s3_endpoint_url=endpoint,
        s3_region="us-east-1",
        s3_prefix="unit/",
        s3_access_key_id="testing",
        s3_secret_access_key="testing",
    )
    store = S3FileStore.from_settings(settings)
    data = bytes(range(256)) * 40
    info = store.put_bytes("episodes/g/r/a.mp3", data)
    assert (info.size, info.content_type) == (len(data), "audio/mpeg")
    assert store.stat("episodes/g/r/a.mp3") == info
    assert b"".join(store.iter_range(info.key, 100, 299)) == data[100:300]
    store.fetch(info.key, tmp_path / "copy.mp3")
    assert (tmp_path / "copy.mp3").read_bytes() == data
    store.put_bytes("episodes/g/r/a.vtt", b"WEBVTT\n")
    store.put_bytes("episodes/gg/r/a.vtt", b"WEBVTT\n")
    store.delete_prefix("episodes/g")
    assert store.stat("episodes/g/r/a.mp3") is None and store.stat("episodes/g/r/a.vtt") is None
    assert store.stat("episodes/gg/r/a.vtt") is not None  # a prefix is a folder, not a string prefix
    assert store.stat("missing.mp3") is None


def test_service_renders_into_s3(endpoint: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    env = server_env(
        data,
        PRODUCER_STORAGE="s3",
        PRODUCER_S3_BUCKET="newsroom",
        PRODUCER_S3_ENDPOINT_URL=endpoint,
        PRODUCER_S3_REGION="us-east-1",
        PRODUCER_S3_PREFIX="service/",
        **CREDENTIALS,
    )
    server = start_server(data, env)
    try:
        token = run_cli(data, "token", "create", "admin").stdout.strip()
        with server.client(headers={"Authorization": f"Bearer {token}"}) as api:
            bulletin = api.post("/api/v1/bulletins", json={"articles": [ARTICLE_WATER]}).json()
            state = wait_job(api, api.post(f"/api/v1/bulletins/{bulletin['id']}/render").json()["job"])
            assert state["state"] == "done", state
            episode = api.post(f"/api/v1/episodes/{state['episode']}/publish").json()
        with server.client() as anonymous:
            audio = anonymous.get(episode["audio_url"])
            assert audio.status_code == 200 and len(audio.content) == episode["audio_bytes"]
            part = anonymous.get(episode["audio_url"], headers={"Range": "bytes=-1000"})
            assert part.status_code == 206 and part.content == audio.content[-1000:]
        assert not (data / "media").exists()  # nothing went to the local folder
    finally:
        server.stop()
