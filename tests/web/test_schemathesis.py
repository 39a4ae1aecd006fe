"""Schemathesis against the real server's /openapi.json with an editor's API token.

Every operation is fuzzed from its schema (valid and invalid inputs, derandomized so a run is
repeatable): no 5xx, every status, content type, header and body matches what the schema
declares, unsupported methods get 405 with `Allow`, a request without the token gets 401.
The server is this module's own (one on SQLite, one on PostgreSQL and Redis), so publishing and
unpublishing at random touches no other test.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from producer.tts.registry import engine_names
from producer.web.api import RenderRequest
from tests.backends import backend_for
from tests.web.support import (
    ADMIN_PASSWORD,
    ARTICLE_WATER,
    EDITOR_PASSWORD,
    Server,
    login,
    png_bytes,
    run_cli,
    server_env,
    start_server,
    wait_job,
)


@dataclass(frozen=True)
class Fuzzed:
    server: Server
    token: str
    job: str
    media_key: str


def upload_artwork(server: Server) -> str:
    """The station artwork's media key: a public file no fuzzed request replaces (a re-render
    would replace an episode's files)."""
    with server.client() as admin:
        csrf = login(admin, "admin", ADMIN_PASSWORD)
        reply = admin.post(
            "/settings/artwork",
            data={"csrf_token": csrf},
            files={"file": ("art.png", png_bytes(1400, 1400), "image/png")},
        )
        assert reply.status_code == 303, reply.text[:300]
        found = re.search(r'<itunes:image href="[^"]*/media/([^"]+)"', admin.get("/feed.xml").text)
    assert found is not None
    return found.group(1)


@pytest.fixture(scope="module", params=["sqlite", "postgresql+redis"])
def fuzzed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    data_dir = tmp_path_factory.mktemp("schemathesis") / "data"
    data_dir.mkdir()
    # gTTS would go to the internet: point it at a closed loopback port so such renders fail fast.
    env = server_env(
        data_dir,
        PRODUCER_GTTS_BASE_URL="http://127.0.0.1:9",
        **backend_for(request, request.param).env(),
    )
    added = run_cli(data_dir, "user", "add", "editor", "--role", "editor", stdin=EDITOR_PASSWORD, env=env)
    assert added.returncode == 0, added.stderr
    token = run_cli(data_dir, "token", "create", "editor", env=env).stdout.strip()
    server = start_server(data_dir, env)
    try:
        with server.client(headers={"Authorization": f"Bearer {token}"}) as api:
            # Bulletin 1 with its episode 1, so the fuzzer's small ids reach real rows, not only 404s.
            bulletin = api.post("/api/v1/bulletins", json={"articles": [ARTICLE_WATER]}).json()
            job = api.post(f"/api/v1/bulletins/{bulletin['id']}/render").json()["job"]
            assert wait_job(api, job)["state"] == "done"
        yield Fuzzed(server, token, job, upload_artwork(server))
    finally:
        server.stop()


# Derandomized and bounded: the same cases every run, about 1,500 requests in a few seconds here.
CONFIG = """
[generation]
max-examples = 40
deterministic = true
[phases.stateful]
max-steps = 20
[auth.openapi.HTTPBearer]
bearer = "${PRODUCER_FUZZ_TOKEN}"
# Schemathesis's list plus 413: a body over the service's size limit is refused before parsing.
[checks.negative_data_rejection]
expected-statuses = [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429, "5xx"]

# Ids no generator can guess (random hex), so these operations reach a real job and real files.
[[operations]]
include-path = "/api/v1/jobs/{job_id}"
parameters = { job_id = "${PRODUCER_FUZZ_JOB}" }
[[operations]]
include-path = "/media/{key}"
parameters = { key = "${PRODUCER_FUZZ_MEDIA}" }

# The schema can say "a list of strings" but not "Arabic news the cleaner can read", "at least one
# story segment with text" or the station's configurable limits: such bodies are schema-valid and
# rightly refused (422 or 413 with an Arabic sentence), which this one check counts as a failure.
[[operations]]
include-path = "/api/v1/bulletins"
include-method = "POST"
checks.positive_data_acceptance.enabled = false
[[operations]]
include-path = "/api/v1/bulletins/{bulletin_id}"
include-method = "PATCH"
checks.positive_data_acceptance.enabled = false
"""


def test_api_conforms_to_its_schema(fuzzed: Fuzzed, tmp_path: Path) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG, encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(config),
            "run",
            f"{fuzzed.server.url}/openapi.json",
            "--header",
            f"Authorization: Bearer {fuzzed.token}",
        ],
        env={
            **os.environ,
            "PRODUCER_FUZZ_TOKEN": fuzzed.token,
            "PRODUCER_FUZZ_JOB": fuzzed.job,
            "PRODUCER_FUZZ_MEDIA": fuzzed.media_key,
            "NO_COLOR": "1",
        },
        cwd=tmp_path,  # its cache folder goes there, not into the checkout
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # Long generated bodies are cut in the report, so a failure stays readable.
    report = "\n".join(line[:300] for line in result.stdout.splitlines() if line.strip())
    assert result.returncode == 0, report[-12_000:] + result.stderr[-3000:]
    summary = re.search(r"(\d+) generated", result.stdout)
    assert summary is not None and int(summary.group(1)) >= 500, result.stdout[-3000:]
    selected = re.search(r"Selected: (\d+)/\1\b", result.stdout)  # every operation of the schema …
    assert selected is not None and f"Tested: {selected.group(1)}" in result.stdout  # … was tested


def test_schema_names_the_registry_engines() -> None:
    """The API's engine choices come from the registry: the schema lists exactly its engines."""
    schema = RenderRequest.model_json_schema()
    assert schema["$defs"]["EngineName"]["enum"] == engine_names() == ["espeak", "piper", "gtts"]


def test_schema_declares_the_bearer_scheme(fuzzed: Fuzzed) -> None:
    with fuzzed.server.client(headers={"Authorization": f"Bearer {fuzzed.token}"}) as client:
        document = client.get("/openapi.json").json()
    assert document["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token from `producer token create NAME`.",
    }
    operations = [op for path in document["paths"].values() for op in path.values()]
    assert len({op["operationId"] for op in operations}) == len(operations)
    for path, methods in document["paths"].items():
        for op in methods.values():
            assert ("security" in op) == path.startswith("/api/"), path
