"""Piper voices as a station gets them: listed, installed by name or from a file, removed.

Install by name reads the rhasspy/piper-voices release's `voices.json` at `Settings.voices_base_url`
(per voice: its files, each with `size_bytes` and `md5_digest`, paths such as
`ar/ar_JO/kareem/medium/ar_JO-kareem-medium.onnx`), downloads the model and its config, and checks
both against the catalog before installing. Every voice, whatever its source, must load: its config
as Piper reads it, its model in onnxruntime, and it must speak Arabic.

Installing is atomic for the engine, which offers a voice only when its model and its config are
both in the folder: the files are checked in a temporary folder beside it, an old config is removed
first, the model moved in, and the config moved in last.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from producer.errors import DownloadError, InputError

MAX_MODEL_BYTES = 256 * 2**20  # a "high" Piper voice is ~115 MB
MAX_CONFIG_BYTES = 2 * 2**20
MAX_CATALOG_BYTES = 16 * 2**20  # the release's voices.json is ~1.5 MB
TIMEOUT = (10.0, 60.0)  # seconds to connect, and between two reads
_CHUNK = 1 << 20
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


@dataclass(frozen=True)
class CatalogFile:
    path: str  # relative to the catalog's base URL
    size: int
    md5: str


@dataclass(frozen=True)
class CatalogVoice:
    name: str
    language: str
    quality: str
    model: CatalogFile
    config: CatalogFile


@dataclass(frozen=True)
class InstalledVoice:
    name: str
    language: str
    quality: str
    sample_rate: int
    size: int  # bytes of the model


def _check_name(name: str) -> str:
    if not _NAME.match(name) or name.endswith(".onnx"):
        raise InputError(
            f"{name!r} is not a voice name (letters, digits, '_', '-', '.'; e.g. ar_JO-kareem-medium)"
        )
    return name


def read_voice_config(data: bytes, source: str) -> dict[str, Any]:
    """The parsed config of a Piper voice, or InputError saying why it is not one."""
    from piper.config import PiperConfig

    try:
        config = json.loads(data.decode("utf-8"))
        PiperConfig.from_dict(config)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{source} is not a Piper voice config: {exc}") from exc
    return config  # type: ignore[no-any-return]


def _language(config: dict[str, Any]) -> str:
    return str(config.get("language", {}).get("code") or config.get("espeak", {}).get("voice", "?"))


def speaks_arabic(config: dict[str, Any]) -> bool:
    """Whether a voice config's language (or espeak-ng voice) is Arabic."""
    return config.get("espeak", {}).get("voice") == "ar" or _language(config).startswith("ar")


def installed_voices(folder: Path) -> list[InstalledVoice]:
    """The voices in `folder` with both files present, Arabic or not, by name."""
    voices = []
    for model in sorted(folder.glob("*.onnx")) if folder.is_dir() else []:
        try:
            config = json.loads(model.with_name(model.name + ".json").read_text(encoding="utf-8"))
            size = model.stat().st_size
        except (OSError, ValueError):
            continue
        voices.append(
            InstalledVoice(
                model.name.removesuffix(".onnx"),
                _language(config),
                str(config.get("audio", {}).get("quality", "?")),
                int(config.get("audio", {}).get("sample_rate", 0)),
                size,
            )
        )
    return voices


# ---- the catalog ---------------------------------------------------------------------------------------


def _get(url: str, limit: int, out: IO[bytes], timeout: tuple[float, float]) -> str:
    """Stream `url` into `out`, at most `limit` bytes; the MD5 of what was written."""
    import requests

    digest = hashlib.md5(usedforsecurity=False)
    written = 0
    try:
        with requests.get(url, stream=True, timeout=timeout) as response:
            if response.status_code == 404:
                raise DownloadError(f"{url} is not there (404).")
            response.raise_for_status()
            for chunk in response.iter_content(_CHUNK):
                written += len(chunk)
                if written > limit:
                    raise DownloadError(f"{url} is larger than the {limit} bytes expected; download stopped.")
                digest.update(chunk)
                out.write(chunk)
    except requests.ConnectionError as exc:
        host = urlsplit(url).netloc
        raise DownloadError(
            f"Cannot reach {host} to download the voice (offline?); install it from a file with "
            "`producer voices install --from FILE`."
        ) from exc
    except requests.Timeout as exc:
        raise DownloadError(f"{urlsplit(url).netloc} stopped answering while sending {url}.") from exc
    except requests.RequestException as exc:
        raise DownloadError(f"Downloading {url} failed: {exc}.") from exc
    return digest.hexdigest()


def _file(files: dict[str, Any], suffix: str) -> CatalogFile | None:
    for path, info in files.items():
        if path.endswith(suffix):
            return CatalogFile(path, int(info["size_bytes"]), str(info["md5_digest"]))
    return None


def fetch_catalog(base_url: str) -> dict[str, CatalogVoice]:
    """Every voice of the release at `base_url`, by name (voices.json)."""
    with tempfile.TemporaryFile() as out:
        _get(f"{base_url.rstrip('/')}/voices.json", MAX_CATALOG_BYTES, out, TIMEOUT)
        out.seek(0)
        try:
            entries = json.loads(out.read().decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise DownloadError(f"The voice catalog at {base_url} is not valid JSON.") from exc
    catalog = {}
    try:
        for name, entry in entries.items():
            model = _file(entry["files"], ".onnx")
            config = _file(entry["files"], ".onnx.json")
            if model and config:
                language = str(entry.get("language", {}).get("code", "?"))
                catalog[name] = CatalogVoice(name, language, str(entry.get("quality", "?")), model, config)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise DownloadError(f"The voice catalog at {base_url} is not in the piper-voices layout.") from exc
    return catalog


def arabic_catalog(base_url: str) -> list[CatalogVoice]:
    return [voice for voice in fetch_catalog(base_url).values() if voice.language.startswith("ar")]


# ---- installing ------------------------------------------------------------------------------------------


@contextmanager
def _staging(folder: Path) -> Iterator[Path]:
    """A temporary folder inside `folder`, so that the final renames stay on one file system."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".install-") as staging:
        yield Path(staging)


def _download(base_url: str, entry: CatalogFile, target: Path, limit: int) -> None:
    if entry.size > limit:
        raise DownloadError(
            f"{entry.path} is {entry.size} bytes, more than the {limit} a voice file may have."
        )
    with target.open("wb") as out:
        md5 = _get(f"{base_url.rstrip('/')}/{entry.path}", entry.size, out, TIMEOUT)
    size = target.stat().st_size
    if size != entry.size or md5 != entry.md5:
        raise DownloadError(
            f"{entry.path} does not match the catalog ({size} bytes, MD5 {md5}; the catalog says "
            f"{entry.size} bytes, MD5 {entry.md5}); nothing was installed."
        )


def _check_model(model: Path, name: str) -> None:
    import onnxruntime

    try:
        onnxruntime.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own types for a damaged model
        raise InputError(f"the model of {name} is not an ONNX model onnxruntime can load") from exc


def _place(staged_model: Path, staged_config: Path, folder: Path, name: str) -> InstalledVoice:
    """Check the staged files, then move them in: old config out, model in, config in last."""
    config = read_voice_config(staged_config.read_bytes(), f"the config of {name}")
    if not speaks_arabic(config):
        raise InputError(f"the voice {name} speaks {_language(config)}, not Arabic")
    _check_model(staged_model, name)
    model, config_path = folder / f"{name}.onnx", folder / f"{name}.onnx.json"
    config_path.unlink(missing_ok=True)
    os.replace(staged_model, model)
    os.replace(staged_config, config_path)
    return next(voice for voice in installed_voices(folder) if voice.name == name)


def install_by_name(name: str, folder: Path, base_url: str) -> InstalledVoice:
    """Download `name`'s model and config from the catalog, check both, install them."""
    voice = fetch_catalog(base_url).get(_check_name(name))
    if voice is None:
        raise InputError(f"the voice catalog at {base_url} has no voice {name!r}")
    with _staging(folder) as staging:
        model, config = staging / f"{name}.onnx", staging / f"{name}.onnx.json"
        _download(base_url, voice.config, config, MAX_CONFIG_BYTES)
        _download(base_url, voice.model, model, MAX_MODEL_BYTES)
        return _place(model, config, folder, name)


def _copy_in(source: str, target: Path, limit: int) -> None:
    """`source` (a path or an http(s) URL) into `target`, at most `limit` bytes."""
    if urlsplit(source).scheme in ("http", "https"):
        with target.open("wb") as out:
            _get(source, limit, out, TIMEOUT)
        return
    path = Path(source)
    if not path.is_file():
        raise InputError(f"no such file: {source}")
    if path.stat().st_size > limit:
        raise InputError(f"{source} is larger than {limit} bytes")
    shutil.copyfile(path, target)


def install_from(source: str, folder: Path, name: str | None = None) -> InstalledVoice:
    """Install the voice whose model is `source` (`NAME.onnx`, a path or URL; its config is
    `NAME.onnx.json` beside it)."""
    base = urlsplit(source).path if urlsplit(source).scheme in ("http", "https") else source
    if not base.endswith(".onnx"):
        raise InputError(f"{source} is not a Piper model: give the .onnx file (its .onnx.json beside it)")
    name = _check_name(name or Path(base).name.removesuffix(".onnx"))
    with _staging(folder) as staging:
        model, config = staging / f"{name}.onnx", staging / f"{name}.onnx.json"
        _copy_in(source + ".json", config, MAX_CONFIG_BYTES)
        _copy_in(source, model, MAX_MODEL_BYTES)
        return _place(model, config, folder, name)


def _copy_bounded(source: IO[bytes], target: Path, limit: int, what: str) -> None:
    with target.open("wb") as out:
        copied = 0
        while chunk := source.read(_CHUNK):
            copied += len(chunk)
            if copied > limit:
                raise InputError(f"{what} is larger than {limit} bytes")
            out.write(chunk)


def install_files(name: str, model: IO[bytes], config: IO[bytes], folder: Path) -> InstalledVoice:
    """Install a voice from its two files (an upload), each read up to its size bound."""
    _check_name(name)
    with _staging(folder) as staging:
        staged_model, staged_config = staging / f"{name}.onnx", staging / f"{name}.onnx.json"
        _copy_bounded(config, staged_config, MAX_CONFIG_BYTES, f"the config of {name}")
        _copy_bounded(model, staged_model, MAX_MODEL_BYTES, f"the model of {name}")
        return _place(staged_model, staged_config, folder, name)


def remove_voice(name: str, folder: Path) -> None:
    """Remove a voice: its config first, so that the engine stops offering it at once."""
    model, config = folder / f"{_check_name(name)}.onnx", folder / f"{name}.onnx.json"
    if not model.exists() and not config.exists():
        raise InputError(f"no voice {name!r} is installed in {folder}")
    config.unlink(missing_ok=True)
    model.unlink(missing_ok=True)
    folder.joinpath(f"{name}.onnx.pace.json").unlink(missing_ok=True)  # the engine's measured pace
