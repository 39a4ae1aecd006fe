"""Helpers for the web tests: a real `producer serve` subprocess on a free loopback port, over its
own database (its SQLite file, or one given by PRODUCER_DATABASE_URL) and media folder, with its
embedded worker rendering for real."""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from producer.store.db import Database, database_url

ADMIN_PASSWORD = "newsroom-admin-pass"
EDITOR_PASSWORD = "editor-pass-1234"
VIEWER_PASSWORD = "viewer-pass-1234"

# Short articles keep renders quick; each has a headline line and body paragraphs, with numbers
# the speakable view spells out.
ARTICLE_WATER = (
    "انقطاع المياه عن أحياء في المدينة لمدة يومين\n"
    "أعلنت مؤسسة المياه أن الضخ سيتوقف عن 3 أحياء في المدينة يومي السبت والأحد لإجراء أعمال صيانة.\n"
    "وقالت المؤسسة إن الفرق الفنية ستعمل على مدار الساعة لإعادة الضخ في أقرب وقت ممكن."
)
ARTICLE_SCHOOL = (
    "افتتاح مدرسة جديدة في الريف الشمالي\n"
    "افتتحت مديرية التربية مدرسة جديدة تتسع لـ 400 طالب وطالبة في الريف الشمالي.\n"
    "وأوضحت المديرية أن المدرسة تضم مختبرا ومكتبة وملعبا."
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def producer_command(*args: str) -> list[str]:
    """The real `producer` command."""
    return [sys.executable, "-m", "producer", *args]


def server_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRODUCER_")}
    env.update(
        {
            "PRODUCER_DATA_DIR": str(data_dir),
            "PRODUCER_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "PRODUCER_WORKERS": "1",
            "PRODUCER_JOB_STALE_SECONDS": "3",
            "PRODUCER_MAX_UPLOAD_MB": "2",
            "PRODUCER_SOURCES_PRIVATE": "1",  # the tests' news sites are on loopback
            **extra,
        }
    )
    # An empty value means "unset" (pydantic would read "" as a password).
    return {k: v for k, v in env.items() if not (k.startswith("PRODUCER_") and v == "")}


# Issue #15's floor: no input makes the server grow by more than this.
FLOOR_MB = 300
# An access-log line of a 5xx reply (uvicorn's format: "GET /path HTTP/1.1" 500 …).
SERVER_ERROR = re.compile(r'HTTP/1\.[01]" 5\d\d ')


@dataclass(frozen=True)
class Usage:
    peak_mb: float  # VmHWM: the most the process ever held resident
    cpu: float  # user + system seconds
    fds: int


def usage(server: Server) -> Usage:
    """The server process's resources, read from /proc."""
    pid = server.process.pid
    status = Path(f"/proc/{pid}/status").read_text()
    peak = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024  # type: ignore[union-attr]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    return Usage(peak, ticks / os.sysconf("SC_CLK_TCK"), len(list(Path(f"/proc/{pid}/fd").iterdir())))


@dataclass
class Server:
    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        return database_url(self.data_dir, self.env.get("PRODUCER_DATABASE_URL"))

    @contextmanager
    def database(self) -> Iterator[Database]:
        """The server's own database, opened from this process to read back what it stored."""
        database = Database(self.database_url)
        try:
            yield database
        finally:
            database.dispose()

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # What the server spawned (render processes, their voicing pool, ffmpeg) is in the server's
        # own process group: a server killed mid-render must not leave them running after the test.
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def group_gone(self, timeout: float = 10.0) -> bool:
        """Whether no process of the server's group is left (after stop())."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.1)
        return False

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, **kwargs)  # type: ignore[arg-type]


def start_server(data_dir: Path, env: dict[str, str] | None = None) -> Server:
    port = free_port()
    log = data_dir.parent / f"{data_dir.name}-server-{port}.log"
    env = env or server_env(data_dir)
    process = subprocess.Popen(
        producer_command("serve", "--port", str(port)),
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, which stop() ends whole
    )
    server = Server(f"http://127.0.0.1:{port}", data_dir, process, log, env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.stop(signal.SIGKILL)
    raise RuntimeError(f"server did not start: {log.read_text()[-3000:]}")


def run_cli(
    data_dir: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The `producer` command, by default with `server_env(data_dir)`: pass a server's env to
    reach that server's database."""
    return subprocess.run(
        producer_command(*args),
        env=env or server_env(data_dir),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def login_form_token(client: httpx.Client) -> str:
    """The CSRF token the login page hands out with its form."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    return token.group(1)


def login(client: httpx.Client, name: str, password: str) -> str:
    """Log in through the form; returns the session's CSRF token."""
    reply = client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": login_form_token(client), "next": "/"},
    )
    assert reply.status_code == 303, reply.text
    return csrf_of(client.get("/").text)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def wait_job(client: httpx.Client, job: str, timeout: float = 120) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = client.get(f"/api/v1/jobs/{job}").json()
        if state["state"] in ("done", "failed", "cancelled"):
            return state  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError(f"job {job} did not finish")


@dataclass
class Newsroom:
    server: Server
    editor_token: str
    viewer_token: str

    def api(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token or self.editor_token}"}
        return self.server.client(headers=headers)


# ---- files for uploads ---------------------------------------------------------------------------


def docx_bytes(text: str) -> bytes:
    from docx import Document

    document = Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def png_bytes(width: int, height: int, kind: str = "PNG", mode: str = "RGB") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new(mode, (width, height), 0).save(out, kind)
    return out.getvalue()


def wav_bytes(seconds: float) -> bytes:
    import numpy as np
    import soundfile

    out = io.BytesIO()
    t = np.arange(int(8000 * seconds)) / 8000
    soundfile.write(out, (0.2 * np.sin(2 * np.pi * 440 * t)).astype("float32"), 8000, format="WAV")
    return out.getvalue()
