"""Voices as a station gets them: install by name from a catalog over real HTTP, from a file or a
URL, list and remove; checked against the catalog's sizes and MD5 digests, atomic, offline in one
sentence."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from make_test_voice import make_test_voice
from voice_server import VoiceServer, publish

from producer.errors import DownloadError, InputError
from producer.tts.piper import PiperConfig, PiperEngine
from producer.tts.voices import (
    MAX_MODEL_BYTES,
    arabic_catalog,
    install_by_name,
    install_files,
    install_from,
    installed_voices,
    remove_voice,
)

GOOD = "ar_XX-test-x_low"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[VoiceServer]:
    root = tmp_path / "release"
    for name in (GOOD, "ar_YY-damaged-x_low", "en_US-test-x_low"):
        publish(root, name)
    with VoiceServer(root) as running:
        catalog = running.write_catalog([GOOD, "ar_YY-damaged-x_low", "en_US-test-x_low"])
        # The damaged voice's model on the server is not what the catalog promises.
        damaged = root / "ar" / "ar_YY" / "damaged" / "x_low" / "ar_YY-damaged-x_low.onnx"
        damaged.write_bytes(damaged.read_bytes()[:-1] + b"\x01")
        assert catalog
        yield running


def producer(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "producer", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=300,
        check=False,
    )


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_install_list_and_remove_by_name_from_the_command_line(server: VoiceServer, tmp_path: Path) -> None:
    voices = tmp_path / "voices"
    env = {"PRODUCER_VOICES_BASE_URL": server.base_url, "PRODUCER_PIPER_VOICES_DIR": str(voices)}
    installed = producer("voices", "install", GOOD, env=env)
    assert installed.returncode == 0, installed.stderr
    assert installed.stdout.startswith(f"installed {GOOD} (ar_XX, x_low, ")
    served = server.root / "ar" / "ar_XX" / "test" / "x_low"
    for suffix in (".onnx", ".onnx.json"):
        assert (voices / f"{GOOD}{suffix}").read_bytes() == (served / f"{GOOD}{suffix}").read_bytes()
    assert leftovers(voices) == [f"{GOOD}.onnx", f"{GOOD}.onnx.json"]  # no MODEL_CARD, no staging folder
    assert PiperEngine(PiperConfig(voices)).voices() == [GOOD]

    listed = producer("voices", "list", env={**env, "PRODUCER_ENGINE": "piper", "PRODUCER_VOICE": GOOD})
    assert listed.stdout.splitlines()[1].split()[:4] == ["*", GOOD, "ar_XX", "x_low"]
    available = producer("voices", "list", "--available", env=env)
    assert [line.split()[0] for line in available.stdout.splitlines()[1:]] == [GOOD, "ar_YY-damaged-x_low"]

    removed = producer("voices", "remove", GOOD, env=env)
    assert removed.returncode == 0 and leftovers(voices) == []
    again = producer("voices", "remove", GOOD, env=env)
    assert again.returncode == 1
    assert again.stderr == f"producer: error: no voice '{GOOD}' is installed in {voices}\n"


def test_offline_install_fails_in_one_sentence(tmp_path: Path) -> None:
    with VoiceServer(tmp_path) as stopped:
        base_url = stopped.base_url  # the port is closed once the server stops
    voices = tmp_path / "voices"
    env = {"PRODUCER_VOICES_BASE_URL": base_url, "PRODUCER_PIPER_VOICES_DIR": str(voices)}
    proc = producer("voices", "install", GOOD, env=env)
    host = base_url.removeprefix("http://")
    assert proc.returncode == 1
    assert proc.stderr == (
        f"producer: error: Cannot reach {host} to download the voice (offline?); install it from a file "
        "with `producer voices install --from FILE`.\n"
    )
    assert leftovers(voices) == []


def test_a_file_that_does_not_match_the_catalog_installs_nothing(server: VoiceServer, tmp_path: Path) -> None:
    voices = tmp_path / "voices"
    make_test_voice(voices, "ar_YY-damaged-x_low")  # an older, working copy stays as it was
    before = {p.name: p.read_bytes() for p in voices.iterdir()}
    with pytest.raises(DownloadError, match=r"does not match the catalog .*; nothing was installed\.$"):
        install_by_name("ar_YY-damaged-x_low", voices, server.base_url)
    assert {p.name: p.read_bytes() for p in voices.iterdir()} == before


def test_a_download_larger_than_the_catalog_says_is_stopped(server: VoiceServer, tmp_path: Path) -> None:
    served = server.root / "ar" / "ar_XX" / "test" / "x_low" / f"{GOOD}.onnx"
    served.write_bytes(served.read_bytes() + b"\0" * 100_000)
    with pytest.raises(DownloadError, match=r"is larger than the \d+ bytes expected; download stopped\.$"):
        install_by_name(GOOD, tmp_path / "voices", server.base_url)
    assert leftovers(tmp_path / "voices") == []


def test_a_catalog_entry_above_the_size_bound_is_not_downloaded(server: VoiceServer, tmp_path: Path) -> None:
    catalog = json.loads((server.root / "voices.json").read_text(encoding="utf-8"))
    model_path = next(path for path in catalog[GOOD]["files"] if path.endswith(".onnx"))
    catalog[GOOD]["files"][model_path]["size_bytes"] = MAX_MODEL_BYTES + 1
    (server.root / "voices.json").write_text(json.dumps(catalog), encoding="utf-8")
    with pytest.raises(DownloadError, match=r"more than the \d+ a voice file may have\.$"):
        install_by_name(GOOD, tmp_path / "voices", server.base_url)


def test_unknown_and_foreign_voices_are_refused(server: VoiceServer, tmp_path: Path) -> None:
    voices = tmp_path / "voices"
    unknown = f"^the voice catalog at {re.escape(server.base_url)} has no voice 'ar_JO-nobody-low'$"
    with pytest.raises(InputError, match=unknown):
        install_by_name("ar_JO-nobody-low", voices, server.base_url)
    with pytest.raises(InputError, match=r"^the voice en_US-test-x_low speaks en_US, not Arabic$"):
        install_by_name("en_US-test-x_low", voices, server.base_url)
    with pytest.raises(InputError, match="is not a voice name"):
        install_by_name("../../etc/passwd", voices, server.base_url)
    assert leftovers(voices) == []
    assert [voice.name for voice in arabic_catalog(server.base_url)] == [GOOD, "ar_YY-damaged-x_low"]


def test_install_from_a_file_and_from_a_url(server: VoiceServer, tmp_path: Path) -> None:
    model = make_test_voice(tmp_path / "download", "ar_SY-local-x_low")
    voices = tmp_path / "voices"
    assert install_from(str(model), voices).name == "ar_SY-local-x_low"
    url = f"{server.base_url}/ar/ar_XX/test/x_low/{GOOD}.onnx"
    assert install_from(url, voices).name == GOOD
    assert [voice.name for voice in installed_voices(voices)] == ["ar_SY-local-x_low", GOOD]
    with pytest.raises(InputError, match="is not a Piper model"):
        install_from(str(model.with_name("notes.txt")), voices)


def test_a_damaged_upload_is_refused_and_a_good_one_replaces_the_old_voice(tmp_path: Path) -> None:
    source = make_test_voice(tmp_path / "upload")
    model, config = source.read_bytes(), source.with_name(source.name + ".json").read_bytes()
    voices = tmp_path / "voices"
    with pytest.raises(InputError, match="is not an ONNX model onnxruntime can load"):
        install_files("ar_XX-test-tiny", io.BytesIO(b"not a model"), io.BytesIO(config), voices)
    with pytest.raises(InputError, match="is not a Piper voice config"):
        install_files("ar_XX-test-tiny", io.BytesIO(model), io.BytesIO(b"{}"), voices)
    assert leftovers(voices) == []
    for _ in range(2):
        install_files("ar_XX-test-tiny", io.BytesIO(model), io.BytesIO(config), voices)
    assert PiperEngine(PiperConfig(voices)).voices() == ["ar_XX-test-tiny"]
    remove_voice("ar_XX-test-tiny", voices)
    assert leftovers(voices) == []
