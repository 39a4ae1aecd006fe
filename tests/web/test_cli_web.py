"""The web service's commands: accounts, tokens, and `serve` refusing a public address unsafely."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.backends import Backend
from tests.web.support import login, producer_command, run_cli, server_env, start_server

# The accounts commands on each database (the queue plays no part in them).
ON_EACH_DATABASE = pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


def serve_public(data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        producer_command("serve", "--host", "0.0.0.0", "--port", "1"),
        env=server_env(data_dir, **{"PRODUCER_BASE_URL": "https://news.example.org", **env}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_serve_refuses_public_host_without_a_strong_admin(tmp_path: Path) -> None:
    unset = serve_public(tmp_path / "a", PRODUCER_ADMIN_PASSWORD="")
    assert unset.returncode != 0
    assert "refusing to listen on 0.0.0.0" in unset.stderr
    weak = serve_public(tmp_path / "b", PRODUCER_ADMIN_PASSWORD="admin")
    assert weak.returncode != 0
    assert "password" in weak.stderr
    # An admin added by hand with a default password does not count either.
    data = tmp_path / "c"
    from producer import auth
    from producer.store.db import Database, User

    data.mkdir()
    database = Database(f"sqlite:///{data / 'producer.db'}")
    database.migrate()
    with database.write() as s:
        s.add(User(name="boss", role="admin", password_hash=auth.hash_password("changeme")))
    database.dispose()
    assert serve_public(data, PRODUCER_ADMIN_PASSWORD="").returncode != 0


def test_serve_refuses_public_host_without_a_base_url(tmp_path: Path) -> None:
    # The Host header of any request would otherwise choose the public feed's enclosure URLs.
    refused = serve_public(
        tmp_path / "e", PRODUCER_BASE_URL="", PRODUCER_ADMIN_PASSWORD="mango-violin-harbour"
    )
    assert refused.returncode != 0
    assert "without PRODUCER_BASE_URL" in refused.stderr


@ON_EACH_DATABASE
def test_user_and_token_commands(tmp_path: Path, backend: Backend) -> None:
    data = tmp_path / "d"
    env = server_env(data, **backend.env())
    added = run_cli(data, "user", "add", "huda", "--role", "editor", stdin="huda-pass-2024\n", env=env)
    assert added.returncode == 0, added.stderr
    for args, stdin in (
        (("user", "add", "huda", "--role", "editor"), "another-pass-1\n"),  # exists
        (("user", "add", "rami", "--role", "boss"), "rami-pass-2024\n"),  # no such role
        (("user", "add", "rami", "--role", "viewer"), "short\n"),  # weak password
        (("token", "create", "nobody"), ""),
    ):
        result = run_cli(data, *args, stdin=stdin, env=env)
        assert result.returncode != 0, args
    token = run_cli(data, "token", "create", "huda", env=env)
    assert token.returncode == 0 and token.stdout.startswith("prd_") and len(token.stdout.strip()) > 40
    assert run_cli(data, "token", "create", "huda", "--days", "30", env=env).returncode == 0
    listed = run_cli(data, "token", "list", env=env).stdout.splitlines()
    assert [line.split("\t")[1] for line in listed] == ["huda", "huda"]
    assert listed[0].endswith("\tnever") and not listed[1].endswith("\tnever")
    number = listed[0].split("\t")[0]
    assert run_cli(data, "token", "revoke", number, env=env).returncode == 0
    assert run_cli(data, "token", "revoke", number, env=env).returncode != 0  # already gone
    assert len(run_cli(data, "token", "list", env=env).stdout.splitlines()) == 1


@ON_EACH_DATABASE
def test_first_start_on_loopback_creates_an_admin_that_can_log_in(tmp_path: Path, backend: Backend) -> None:
    data = tmp_path / "fresh"
    data.mkdir()
    env = server_env(data, PRODUCER_ADMIN_PASSWORD="", **backend.env())
    server = start_server(data, env)
    try:
        found = re.search(r"created the account admin with password (\S+)", server.log.read_text())
        assert found is not None, server.log.read_text()
        with server.client() as client:
            login(client, "admin", found.group(1))
            assert client.get("/settings").status_code == 200
            # The hint names a page the admin can reach from the menu, by the menu's own words.
            hint = re.search(r"the page (\S+), (/\S+)\)", server.log.read_text())
            assert hint is not None, server.log.read_text()
            page = client.get(hint.group(2))
            assert page.status_code == 200 and "كلمة مرور جديدة" in page.text
            assert f'<a href="{hint.group(2)}">{hint.group(1)}</a>' in client.get("/").text
    finally:
        server.stop()
    # The second start finds the account and creates none.
    again = start_server(data, env)
    again.stop()
    assert "created the account" not in again.log.read_text()
