"""Where the files shipped beside the package (jingles, web templates) are found.

In a checkout (editable install) they sit at the repository's top level (`audio/`, `web/`); a wheel
carries them inside the package as `producer/_bundled/...`.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def bundled(name: str) -> Path:
    """Path of a top-level shipped folder (`audio`, `web`), in a wheel or in a checkout."""
    for candidate in (_PACKAGE / "_bundled" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"shipped folder {name!r} is missing from this installation")
