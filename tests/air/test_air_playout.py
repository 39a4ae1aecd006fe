"""Handing a bulletin to the playout: a watch folder seen through inotify as an importer sees it, a
signed webhook to a real HTTP server, and real Liquidsoap streaming to real Icecast with the shipped
example script, the bulletin found in a recording of the stream by cross-correlation."""

from __future__ import annotations

import contextlib
import grp
import hashlib
import hmac
import html
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import pytest
import soundfile
from conftest import LOCAL, Hook, Site
from inotify_simple import INotify, flags
from scipy import signal

from producer.air.playout import (
    Handoff,
    Liquidsoap,
    PlayoutError,
    WatchFolder,
    Webhook,
    check_targets,
    parse_target,
)
from producer.air.poll import poll
from producer.air.runs import Services, advance_runs, start_run
from producer.audio.bwf import BroadcastInfo, write_bwf
from producer.audio.ffmpeg import ffmpeg_exe
from producer.errors import InputError
from producer.jobs import JobQueue
from producer.resources import bundled
from producer.settings import load_settings
from producer.store.air import Programme, Run, RunState, SourceKind, add_programme, add_source
from producer.store.db import Database, Episode, database_url
from producer.store.files import open_store
from tests.web.support import server_env, start_server

AIR_TIME = datetime(2026, 12, 6, 14, 0, tzinfo=UTC)
SCRIPT = bundled("audio") / "liquidsoap" / "news.liq"
# The bulletin and the recording are compared at the stream's own rate: on another rate's grid a
# fraction of a sample between them costs the noise's high frequencies much of their correlation.
RATE = 44_100


def _handoff(audio: Path, title: str = "نشرة الساعة الثانية") -> Handoff:
    return Handoff(
        audio=audio,
        title=title,
        guid="alwan-news/2026-12-06T14:00",
        air_time=AIR_TIME,
        audio_url="https://radio.example/episodes/1400.mp3",
    )


# --- parse_target -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "kind", "where"),
    [
        ("dir:/srv/azuracast/import", WatchFolder, Path("/srv/azuracast/import")),
        ("liquidsoap:127.0.0.1:1234", Liquidsoap, ("127.0.0.1", 1234)),
        ("liquidsoap:[::1]:1234", Liquidsoap, ("::1", 1234)),
        ("liquidsoap:unix:/run/liquidsoap/news.sock", Liquidsoap, "/run/liquidsoap/news.sock"),
        ("webhook:https://playout.example/hook?k=1", Webhook, "https://playout.example/hook?k=1"),
    ],
)
def test_written_targets_are_understood(spec: str, kind: type, where: object) -> None:
    target = parse_target(spec, queue="akhbar", secret=b"s")
    assert isinstance(target, kind)
    assert target.spec == spec
    found = {WatchFolder: "folder", Liquidsoap: "address", Webhook: "url"}[kind]
    assert getattr(target, found) == where
    if isinstance(target, Liquidsoap):
        assert target.queue == "akhbar"


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "dir:",
        "/srv/import",
        "liquidsoap:",
        "liquidsoap:localhost",
        "liquidsoap:localhost:0",
        "liquidsoap:localhost:65536",
        "liquidsoap:localhost:http",
        "liquidsoap::1234",
        "liquidsoap:unix:",
        "webhook:",
        "webhook:ftp://playout.example/hook",
        "icecast:localhost:8000",
    ],
)
def test_other_targets_are_refused_in_one_sentence(spec: str) -> None:
    with pytest.raises(InputError, match="is not a playout target: use dir:PATH"):
        parse_target(spec, queue="news", secret=b"s")


# --- watch folder -----------------------------------------------------------------------------------


def _broadcast_wav(path: Path, seconds: float) -> Path:
    """A broadcast WAV as the render writes it (bext, cart): noise at 48 kHz."""
    rate = 48_000
    frames = int(seconds * rate)
    noise = np.random.default_rng(7).uniform(-0.1, 0.1, frames)
    created = datetime(2026, 12, 6, 13, 55)
    info = BroadcastInfo(
        title="نشرة الساعة الثانية",
        station="راديو ألوان",
        station_ascii="Radio Alwan",
        programme="نشرة الساعة",
        language="ar",
        created=created,
        valid_until=created + timedelta(hours=1),
        intro_end=0,
        segue=frames,
    )
    with path.open("wb") as out:
        write_bwf(out, (noise[i : i + rate] for i in range(0, frames, rate)), frames, rate, info)
    return path


def test_watch_folder_shows_the_importer_only_a_complete_file(tmp_path: Path) -> None:
    source = _broadcast_wav(tmp_path / "bulletin.wav", 30)
    folder = tmp_path / "import"
    folder.mkdir()
    with INotify() as inotify:
        inotify.add_watch(folder, flags.CREATE | flags.MODIFY | flags.CLOSE_WRITE | flags.MOVED_TO)
        receipt = WatchFolder("dir:" + str(folder), folder).deliver(_handoff(source))
        events = [(event.name, flags.from_mask(event.mask)) for event in inotify.read(timeout=0)]
    final = Path(receipt)
    assert final.parent == folder
    assert final.name == "20261206-1400-alwan-news-2026-12-06T14-00.wav"
    assert os.listdir(folder) == [final.name]  # nothing half-written left behind
    assert final.read_bytes() == source.read_bytes()
    # An importer watching the folder (AzuraCast, LibreTime) sees the final name appear once, by a
    # rename; everything written before went to a hidden name it skips.
    assert [name for name, mask in events if flags.MOVED_TO in mask] == [final.name]
    (hidden,) = {name for name, mask in events if flags.MOVED_TO not in mask}
    assert hidden.startswith(f".{final.name}.") and hidden.endswith(".tmp")


@pytest.mark.parametrize(
    "content",
    [
        b"ID3\x04" + bytes(2000),  # the podcast MP3
        b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00" + bytes(16) + b"data\x00\x00\x00\x00",  # no bext
        b"RIFF",
    ],
)
def test_watch_folder_takes_only_the_broadcast_wav(tmp_path: Path, content: bytes) -> None:
    source = tmp_path / "bulletin.wav"
    source.write_bytes(content)
    folder = tmp_path / "import"
    with pytest.raises(PlayoutError, match=r"takes the broadcast WAV, and bulletin\.wav is not one"):
        WatchFolder("dir:" + str(folder), folder).deliver(_handoff(source))
    assert not folder.exists()


@pytest.mark.parametrize(
    ("target", "specs"),
    [("podcast", ["dir:/srv/import"]), ("podcast", ["webhook:https://x.example/", "liquidsoap:h:1234"])],
)
def test_a_podcast_programme_does_not_go_on_air(target: str, specs: list[str]) -> None:
    with pytest.raises(InputError, match="plays the broadcast WAV, and a podcast programme renders the MP3"):
        check_targets(specs, target)


def test_air_targets_take_a_broadcast_programme() -> None:
    check_targets(["dir:/srv/import", "liquidsoap:h:1234", "webhook:https://x.example/"], "broadcast")
    check_targets(["webhook:https://x.example/"], "podcast")


def test_watch_folder_that_cannot_be_written_is_a_playout_error(tmp_path: Path) -> None:
    source = _broadcast_wav(tmp_path / "bulletin.wav", 0.5)
    not_a_folder = tmp_path / "import"
    not_a_folder.write_text("a file where the folder should be")
    with pytest.raises(PlayoutError, match="cannot be written to"):
        WatchFolder("dir:" + str(not_a_folder), not_a_folder).deliver(_handoff(source))
    assert not_a_folder.read_text() == "a file where the folder should be"


# --- webhook ----------------------------------------------------------------------------------------


def test_webhook_body_is_signed_with_the_secret(hook: Hook, tmp_path: Path) -> None:
    secret = "مفتاح-المحطة".encode()
    target = parse_target(f"webhook:{hook.url}", queue="news", secret=secret)
    assert target.deliver(_handoff(tmp_path / "1400.wav")) == "HTTP 204"
    [(headers, body)] = hook.received
    assert headers["Content-Type"] == "application/json"
    scheme, _, digest = headers["X-Producer-Signature"].partition("=")
    assert scheme == "sha256"
    assert hmac.compare_digest(digest, hmac.new(secret, body, hashlib.sha256).hexdigest())
    assert not hmac.compare_digest(digest, hmac.new(b"another key", body, hashlib.sha256).hexdigest())
    assert json.loads(body) == {
        "event": "bulletin.ready",
        "title": "نشرة الساعة الثانية",
        "guid": "alwan-news/2026-12-06T14:00",
        "air_time": "2026-12-06T14:00:00+00:00",
        "audio_url": "https://radio.example/episodes/1400.mp3",
    }


@pytest.mark.parametrize("status", [301, 404, 500])
def test_webhook_that_does_not_accept_is_a_playout_error(hook: Hook, tmp_path: Path, status: int) -> None:
    hook.status = status
    with pytest.raises(PlayoutError, match=f"answered HTTP {status}"):
        Webhook("webhook:" + hook.url, hook.url, b"k").deliver(_handoff(tmp_path / "1400.wav"))
    assert len(hook.received) == 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_playouts_are_playout_errors(tmp_path: Path) -> None:
    port = _free_port()
    with pytest.raises(PlayoutError, match="cannot be reached"):
        Webhook("webhook:x", f"http://127.0.0.1:{port}/", b"k").deliver(_handoff(tmp_path / "1400.wav"))
    with pytest.raises(PlayoutError, match="cannot be reached"):
        parse_target(f"liquidsoap:127.0.0.1:{port}", queue="news", secret=b"").deliver(
            _handoff(tmp_path / "1400.wav")
        )


def test_liquidsoap_protocol_over_ipv6_one_line_per_command(tmp_path: Path) -> None:
    """Liquidsoap's telnet protocol as the station's server speaks it: a line in, the reply ended by
    END; a headline cannot add a line of its own."""
    lines: list[bytes] = []
    with socket.create_server(("::1", 0), family=socket.AF_INET6) as server:

        def answer() -> None:
            conn, _ = server.accept()
            with conn, conn.makefile("rb") as reader:
                for line in reader:
                    lines.append(line)
                    if line == b"quit\n":
                        break
                    conn.sendall(b"17\r\nEND\r\n")

        thread = threading.Thread(target=answer, daemon=True)
        thread.start()
        target = parse_target(f"liquidsoap:[::1]:{server.getsockname()[1]}", queue="news", secret=b"")
        title = 'أخبار "عاجلة"\\\nnews.skip'
        assert target.deliver(_handoff(tmp_path / "1400.wav", title=title)) == "request 17 in news"
        thread.join(timeout=10)
    assert lines == [
        (
            "news.push annotate:title=\"أخبار 'عاجلة'/ news.skip\","
            f'producer_air_time="2026-12-06T14:00:00+00:00":{tmp_path / "1400.wav"}\n'
        ).encode(),
        b"quit\n",
    ]


def test_liquidsoap_is_not_given_a_temporary_file(tmp_path: Path) -> None:
    """A download of an object-store episode is gone after the hand-off: without the served URL
    the push is refused (and retried) rather than queued to fail at air time."""
    parcel = replace(_handoff(tmp_path / "1400.wav"), audio_url=None, audio_lasts=False)
    with pytest.raises(PlayoutError, match=r"needs the bulletin's URL \(PRODUCER_BASE_URL\)"):
        Liquidsoap("liquidsoap:127.0.0.1:9", ("127.0.0.1", 9), "news").deliver(parcel)


# --- Liquidsoap and Icecast -------------------------------------------------------------------------

_ICECAST_XML = """<icecast>
  <hostname>127.0.0.1</hostname>
  <limits><sources>2</sources><burst-on-connect>0</burst-on-connect><source-timeout>10</source-timeout></limits>
  <authentication>
    <source-password>{password}</source-password>
    <admin-user>admin</admin-user><admin-password>{password}</admin-password>
  </authentication>
  <listen-socket><port>{port}</port><bind-address>127.0.0.1</bind-address></listen-socket>
  <paths>
    <basedir>{folder}</basedir><logdir>{folder}</logdir>
    <webroot>/usr/share/icecast2/web</webroot><adminroot>/usr/share/icecast2/admin</adminroot>
  </paths>
  <logging><errorlog>-</errorlog><accesslog>-</accesslog><loglevel>3</loglevel></logging>{security}
</icecast>
"""


def _security() -> str:
    """Icecast will not run as root; as root it is told to drop to nobody once its port is bound."""
    if os.geteuid() != 0:
        return ""
    nobody = pwd.getpwnam("nobody")
    group = grp.getgrgid(nobody.pw_gid).gr_name
    return (
        "\n  <security><chroot>0</chroot><changeowner>"
        f"<user>nobody</user><group>{group}</group></changeowner></security>"
    )


def _wait_for(what: str, ready: Callable[[], bool], logs: list[Path], seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, PlayoutError, httpx.HTTPError, ValueError):
            if ready():
                return
        time.sleep(0.3)
    tails = "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-2000:]}" for log in logs)
    pytest.fail(f"{what} within {seconds:.0f} s\n{tails}")


def _as_reference(source: str) -> list[str]:
    """ffmpeg's arguments that decode a file or a stream the same way: mono 16-bit at RATE."""
    return ["-i", source, "-ac", "1", "-ar", str(RATE), "-c:a", "pcm_s16le"]


def _ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", *args], check=True, timeout=120)


def _best_match(recording: np.ndarray, reference: np.ndarray) -> tuple[float, int]:
    """Normalized cross-correlation: the best cosine between the reference and a stretch of the
    recording, and where that stretch starts."""
    n = len(reference)
    reference = reference / np.linalg.norm(reference)
    dots = signal.correlate(recording, reference, mode="valid", method="fft")
    energy = np.concatenate(([0.0], np.cumsum(recording.astype(np.float64) ** 2)))
    # Near-silent stretches are not allowed to score by dividing by almost nothing (-60 dBFS floor).
    norms = np.sqrt(np.maximum(energy[n:] - energy[:-n], n * 1e-6))
    scores = dots / norms
    best = int(np.argmax(scores))
    return float(scores[best]), best


def _mount(status: str) -> dict[str, str] | None:
    """What Icecast says of the /radio mount, if it has one (its JSON, made by XSLT, writes
    non-ASCII letters as HTML character references)."""
    sources = httpx.get(status, timeout=5).json()["icestats"].get("source", [])
    for source in sources if isinstance(sources, list) else [sources]:
        if str(source.get("listenurl", "")).endswith("/radio"):
            return {key: html.unescape(str(value)) for key, value in source.items()}
    return None


@dataclass
class Station:
    stream: str
    status: str
    telnet: tuple[str, int]
    unix_socket: str
    music_hz: float
    logs: list[Path]


@pytest.fixture
def station(tmp_path: Path) -> Iterator[Station]:
    missing = [name for name in ("liquidsoap", "icecast2") if shutil.which(name) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed (Debian packages liquidsoap, icecast2)")
    music = tmp_path / "music"
    music.mkdir()
    music_hz = 330.0
    _ffmpeg(
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency={music_hz:g}:duration=60",
        "-ac",
        "2",
        "-ar",
        "44100",
        str(music / "song.wav"),
    )
    password = os.urandom(8).hex()
    ice_port, telnet_port = _free_port(), _free_port()
    config = tmp_path / "icecast.xml"
    config.write_text(
        _ICECAST_XML.format(password=password, port=ice_port, folder=tmp_path, security=_security())
    )
    unix_socket = str(tmp_path / "liq.sock")
    env = {
        **os.environ,
        "NEWS_MUSIC": str(music),
        "NEWS_QUEUE": "news",
        "NEWS_WINDOW_MINUTES": "0",  # closed: the test opens it through the server socket
        "NEWS_TELNET_PORT": str(telnet_port),
        "NEWS_SOCKET": unix_socket,
        "ICECAST_HOST": "127.0.0.1",
        "ICECAST_PORT": str(ice_port),
        "ICECAST_PASSWORD": password,
        "ICECAST_MOUNT": "radio",
    }
    # Liquidsoap refuses to run as root too, unless told on its command line.
    allow_root = ["settings.init.allow_root.set(true)"] if os.geteuid() == 0 else []
    logs = [tmp_path / "icecast.log", tmp_path / "liquidsoap.log"]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for command, log in (
            (["icecast2", "-c", str(config)], logs[0]),
            (["liquidsoap", *allow_root, str(SCRIPT)], logs[1]),
        ):
            with log.open("wb") as out:
                processes.append(
                    subprocess.Popen(
                        command,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                        env=env,
                        cwd=tmp_path,
                        start_new_session=True,
                    )
                )
        stream = f"http://127.0.0.1:{ice_port}/radio"
        liquidsoap = Liquidsoap("liquidsoap", ("127.0.0.1", telnet_port), "news")
        _wait_for(
            "Liquidsoap's server socket did not answer", lambda: "2.1" in liquidsoap.command("version"), logs
        )

        status = f"http://127.0.0.1:{ice_port}/status-json.xsl"
        _wait_for("Liquidsoap's stream did not reach Icecast", lambda: _mount(status) is not None, logs)
        yield Station(stream, status, ("127.0.0.1", telnet_port), unix_socket, music_hz, logs)
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in reversed(processes):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _dominant_hz(samples: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / RATE)[int(np.argmax(spectrum))])


@pytest.mark.slow
def test_bulletin_pushed_to_liquidsoap_goes_on_air_at_the_hour(station: Station, tmp_path: Path) -> None:
    # The bulletin: four seconds of noise (below 8 kHz, well inside what mp3 at 128 kb/s keeps), nothing
    # like the music's steady tone; a second noise of the same kind is the control that must not be found.
    bulletin, control = tmp_path / "bulletin.wav", tmp_path / "control.wav"
    for path, seed in ((bulletin, 16), (control, 61)):
        _ffmpeg(
            "-f",
            "lavfi",
            "-i",
            f"anoisesrc=duration=4:color=white:amplitude=0.3:seed={seed},lowpass=f=8000,lowpass=f=8000",
            "-ar",
            "44100",
            "-ac",
            "1",
            str(path),
        )
    recording = tmp_path / "recording.wav"
    recorder = subprocess.Popen(
        [
            ffmpeg_exe(),
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            *_as_reference(station.stream),
            "-t",
            "20",
            str(recording),
        ],
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        # One second of music on air before the bulletin is pushed.
        _wait_for(
            "the recording of the stream did not start",
            lambda: recording.stat().st_size > 44 + 2 * RATE,
            station.logs,
            seconds=60,
        )
        playout = parse_target(
            f"liquidsoap:{station.telnet[0]}:{station.telnet[1]}", queue="news", secret=b""
        )
        receipt = playout.deliver(_handoff(bulletin, title='نشرة "الثانية"\nnews.skip'))
        request = receipt.removeprefix("request ").removesuffix(" in news")
        assert request.isdigit(), receipt
        console = parse_target(f"liquidsoap:unix:{station.unix_socket}", queue="news", secret=b"")
        # The headline's line break did not become a second command: it is part of the title.
        metadata = console.command(f"request.metadata {request}")
        assert "title=\"نشرة 'الثانية' news.skip\"" in metadata, metadata
        assert 'producer_air_time="2026-12-06T14:00:00+00:00"' in metadata, metadata

        # Outside the window after the hour the bulletin waits in the queue instead of airing.
        title = "نشرة 'الثانية' news.skip"
        time.sleep(3)
        assert request in console.command("news.queue").split(), console.command("request.trace " + request)
        assert (_mount(station.status) or {}).get("title") != title
        # Liquidsoap 2.1.3 takes no spaces around the = of var.set.
        assert console.command("var.set news_window=60").strip() == "Variable news_window set."
        _wait_for(
            "Icecast did not show the bulletin on air",
            lambda: (_mount(station.status) or {}).get("title") == title,
            station.logs,
            seconds=30,
        )
        # A queue the script does not have: Liquidsoap says so and producer reports a refusal.
        with pytest.raises(PlayoutError, match="refused the bulletin"):
            Liquidsoap("liquidsoap:sport", station.telnet, "sport").deliver(_handoff(bulletin))
        _, errors = recorder.communicate(timeout=90)
        assert recorder.returncode == 0, errors.decode(errors="replace")
    finally:
        if recorder.poll() is None:
            recorder.kill()
            recorder.wait(timeout=10)

    on_air, rate = soundfile.read(recording, dtype="float64")
    assert rate == RATE
    reference_path = tmp_path / "reference.wav"
    _ffmpeg(*_as_reference(str(bulletin)), str(reference_path))
    reference, _ = soundfile.read(reference_path, dtype="float64")
    _ffmpeg(*_as_reference(str(control)), str(reference_path))
    other, _ = soundfile.read(reference_path, dtype="float64")

    found, at = _best_match(on_air, reference)
    chance, _ = _best_match(on_air, other)
    # Clean: no music left under the bulletin (the song kept under it scored 0.73 here).
    assert found > 0.9, (found, chance)
    assert chance < 0.1, (found, chance)
    # The whole bulletin is in the recording, which begins with the music.
    assert at + len(reference) <= len(on_air)
    assert abs(_dominant_hz(on_air[:RATE]) - station.music_hz) < 3


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    moto_server = pytest.importorskip("moto.server")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.mark.slow
def test_with_episodes_in_s3_liquidsoap_fetches_the_bulletin_by_url_and_airs_it(
    station: Station, s3_endpoint: str, site: Site, tmp_path: Path
) -> None:
    """Episodes in an object store (moto's S3 server): the hand-off's download is temporary, so
    Liquidsoap is given the served media's URL, downloads it into a file of its own, and airs it."""
    data = tmp_path / "data"
    data.mkdir()
    s3 = {
        "PRODUCER_STORAGE": "s3",
        "PRODUCER_S3_BUCKET": "episodes",
        "PRODUCER_S3_ENDPOINT_URL": s3_endpoint,
        "PRODUCER_S3_REGION": "us-east-1",
        "PRODUCER_S3_ACCESS_KEY_ID": "testing",
        "PRODUCER_S3_SECRET_ACCESS_KEY": "testing",
        "PRODUCER_S3_CREATE_BUCKET": "true",
    }
    # The web service that serves the media (no worker or scheduler of its own: the test drives them).
    server = start_server(
        data, server_env(data, PRODUCER_EMBEDDED_WORKER="false", PRODUCER_SCHEDULER="false", **s3)
    )
    try:
        settings = load_settings(
            data_dir=data,
            base_url=server.url,
            storage="s3",
            s3_bucket="episodes",
            s3_endpoint_url=s3_endpoint,
            s3_region="us-east-1",
            s3_access_key_id="testing",
            s3_secret_access_key="testing",
        )
        database = Database(database_url(data, None))
        store = open_store(settings)
        services = Services(settings, database, store, JobQueue(settings, database, store))
        now = datetime.now(UTC).replace(microsecond=0)
        with database.write() as s:
            source_id = add_source(s, "ألوان", site.url("/feed.xml"), SourceKind.FEED).id
        assert poll(database, source_id, now=now, limits=LOCAL).stored.new == 2
        with database.write() as s:
            programme = Programme(
                name="نشرة الساعة",
                cron="55 * * * *",
                length_seconds=60,
                max_stories=1,
                sources=["ألوان"],
                playout=[f"liquidsoap:{station.telnet[0]}:{station.telnet[1]}"],
            )
            programme_id = add_programme(s, programme).id
        run_id = start_run(services, programme_id, now + timedelta(minutes=5), now=now)
        assert run_id is not None and services.queue.work_once()
        assert advance_runs(services, now=now + timedelta(seconds=30)) == [run_id]
        with database.read() as s:
            run = s.get(Run, run_id)
            assert run is not None
            episode = s.get(Episode, run.episode_id)
        assert run.state == RunState.HANDED_OFF, run.error
        assert episode is not None and not (data / "media").exists()  # in S3, not on this disk
        (handed,) = run.handoff.values()
        request = handed["receipt"].removeprefix("request ").removesuffix(" in news")
        console = parse_target(f"liquidsoap:unix:{station.unix_socket}", queue="news", secret=b"")
        metadata = console.command(f"request.metadata {request}")
        url = f"{server.url}/media/{episode.audio_key}"
        # Pushed as the served URL; Liquidsoap resolved it ahead of air time into a temporary file of
        # its own, which it deletes after playing.
        assert f':{url}"' in metadata and 'temporary="true"' in metadata, metadata
        _wait_for(
            "Liquidsoap did not download the bulletin",
            lambda: 'status="ready"' in console.command(f"request.metadata {request}"),
            station.logs,
            seconds=30,
        )
        assert console.command("var.set news_window=60").strip() == "Variable news_window set."
        _wait_for(
            "Icecast did not show the bulletin from S3 on air",
            # The WAV's own tags name the station as artist: Icecast shows "artist - title".
            lambda: episode.title in str((_mount(station.status) or {}).get("title")),
            station.logs,
            seconds=60,
        )
        # What Liquidsoap plays is its own download of the served file (the hand-off's temporary
        # copy was deleted at once), the very bytes in S3.
        metadata = console.command(f"request.metadata {request}")
        found = re.search(r'^filename="([^"]+)"', metadata, re.MULTILINE)
        assert found is not None and "producer-handoff-" not in found[1], metadata
        stored = hashlib.sha256(store.read_bytes(episode.audio_key)).hexdigest()
        with contextlib.suppress(FileNotFoundError):  # Liquidsoap deletes it once played
            assert hashlib.sha256(Path(found[1]).read_bytes()).hexdigest() == stored
        served = httpx.get(url, timeout=30)
        assert served.status_code == 200 and served.headers["content-type"] == "audio/wav"
        assert hashlib.sha256(served.content).hexdigest() == stored
    finally:
        server.stop()
