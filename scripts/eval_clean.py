"""Precision and recall of the lines `clean` keeps, and how often it picks the right headline.

Each page `tests/data/pages*/NAME.txt` has `NAME.expected.txt`: the headline on line 1, then one body
paragraph per line, written from what a newsreader should read. A produced line counts as right when
the same line (whitespace normalized) is expected; lines are compared as multisets. The headline is
right when the first produced line equals the first expected line.

    python scripts/eval_clean.py [PAGES_DIR ...]     # default: every tests/data/pages* folder
    python scripts/eval_clean.py -v                  # also one row per page
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

from producer.errors import InputError
from producer.ingest import clean

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
HEADER = f"{'page set':34}  kept  want right   prec recall     F1 headline"


def _norm(line: str) -> str:
    return " ".join(line.split())


def _lines(text: str) -> list[str]:
    return [_norm(line) for line in text.splitlines() if line.strip()]


def score_set(pages: Path, verbose: bool) -> Counter[str]:
    totals: Counter[str] = Counter()
    for expected_path in sorted(pages.glob("*.expected.txt")):
        name = expected_path.name.removesuffix(".expected.txt")
        text = (pages / f"{name}.txt").read_text(encoding="utf-8")
        expected = _lines(expected_path.read_text(encoding="utf-8"))
        started = time.perf_counter()
        try:
            produced = _lines(clean(text).text)
        except InputError:
            produced = []
        elapsed = time.perf_counter() - started
        right = sum((Counter(produced) & Counter(expected)).values())
        headline = bool(produced) and produced[0] == expected[0]
        counts = Counter(
            pages=1, right=right, produced=len(produced), expected=len(expected), headline=int(headline)
        )
        totals.update(counts)
        if verbose:
            _row(name, counts, f"{elapsed * 1000:6.2f}")
            if not headline:
                print(f"{'':36}headline {produced[0] if produced else '—'!r}, want {expected[0]!r}")
    return totals


def _row(name: str, c: Counter[str], tail: str = "") -> None:
    precision = _ratio(c["right"], c["produced"])
    recall = _ratio(c["right"], c["expected"])
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(
        f"{name:34} {c['produced']:5} {c['expected']:5} {c['right']:5} {precision:6.3f} {recall:6.3f} "
        f"{f1:6.3f} {c['headline']:4}/{c['pages']:<4} {tail}"
    )


def main(argv: list[str]) -> int:
    verbose = "-v" in argv[1:]
    dirs = [Path(a) for a in argv[1:] if a != "-v"] or sorted(
        d for d in DATA.glob("pages*") if d.is_dir() and any(d.glob("*.expected.txt"))
    )
    print(HEADER)
    overall: Counter[str] = Counter()
    for pages in dirs:
        totals = score_set(pages, verbose)
        _row(f"{pages.name} ({totals['pages']} pages)", totals)
        overall.update(totals)
    if len(dirs) > 1:
        _row(f"ALL ({overall['pages']} pages)", overall)
    return 0


def _ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
