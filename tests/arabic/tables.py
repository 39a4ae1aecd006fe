"""Reading the table-driven cases in tests/data/*.tsv (tab-separated, '#' starts a comment)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"


def rows(name: str) -> list[tuple[str, ...]]:
    out = []
    for line in (DATA / f"{name}.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            out.append(tuple(line.split("\t")))
    return out
