"""A local HTTP server with the rhasspy/piper-voices release layout: voices.json and voice files.

It serves the tests' tiny generated voice under the catalog's paths, with the catalog's sizes and
MD5 digests, so `producer voices install NAME` runs against a real server without the internet.
"""

from __future__ import annotations

import hashlib
import json
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

from make_test_voice import make_test_voice


def _entry(root: Path, name: str, files: list[Path]) -> dict[str, object]:
    language, speaker, quality = name.split("-")
    return {
        "key": name,
        "name": speaker,
        "language": {"code": language, "family": language.split("_")[0]},
        "quality": quality,
        "num_speakers": 1,
        "speaker_id_map": {},
        "files": {
            str(path.relative_to(root)): {
                "size_bytes": path.stat().st_size,
                "md5_digest": hashlib.md5(path.read_bytes()).hexdigest(),
            }
            for path in files
        },
        "aliases": [],
    }


def publish(root: Path, name: str) -> tuple[Path, Path]:
    """Put the tiny test voice at the catalog's path for `name` (e.g. ar_XX-test-x_low)."""
    language, speaker, quality = name.split("-")
    folder = root / language.split("_")[0] / language / speaker / quality
    model = make_test_voice(folder, name)
    config = model.with_name(model.name + ".json")
    if not language.startswith("ar"):
        data = json.loads(config.read_text(encoding="utf-8"))
        data["espeak"]["voice"] = "en-us"
        data["language"] = {"code": language, "family": "en", "region": "US"}
        config.write_text(json.dumps(data), encoding="utf-8")
    card = folder / "MODEL_CARD"
    card.write_text(f"# {name}\n", encoding="utf-8")
    return model, config


class VoiceServer:
    """Serves `root` over HTTP on a free loopback port; write voices.json with `write_catalog`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        handler = partial(_QuietHandler, directory=str(root))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def write_catalog(self, names: list[str]) -> dict[str, dict[str, object]]:
        catalog = {}
        for name in names:
            language, speaker, quality = name.split("-")
            folder = self.root / language.split("_")[0] / language / speaker / quality
            catalog[name] = _entry(self.root, name, sorted(folder.iterdir()))
        (self.root / "voices.json").write_text(json.dumps(catalog), encoding="utf-8")
        return catalog

    def __enter__(self) -> VoiceServer:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """No request log on the test output."""
