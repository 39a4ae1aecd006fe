"""Precision and recall of the lines `clean` keeps, over the hand-written page set.

Each page `tests/data/pages/NAME.txt` has `NAME.expected.txt`: the headline on line 1, then one body
paragraph per line, written from what a newsreader should read. A produced line counts as right when
the same line (whitespace normalized) is expected; lines are compared as multisets.

    python scripts/eval_clean.py [PAGES_DIR]
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

from producer.errors import InputError
from producer.ingest import clean

PAGES = Path(__file__).resolve().parent.parent / "tests" / "data" / "pages"


def _lines(text: str) -> Counter[str]:
    return Counter(" ".join(line.split()) for line in text.splitlines() if line.strip())


def main(argv: list[str]) -> int:
    pages = Path(argv[1]) if len(argv) > 1 else PAGES
    rows = []
    totals = Counter()
    for expected_path in sorted(pages.glob("*.expected.txt")):
        name = expected_path.name.removesuffix(".expected.txt")
        text = (pages / f"{name}.txt").read_text(encoding="utf-8")
        expected = _lines(expected_path.read_text(encoding="utf-8"))
        started = time.perf_counter()
        try:
            produced = _lines(clean(text).text)
        except InputError:
            produced = Counter()
        elapsed = time.perf_counter() - started
        right = sum((produced & expected).values())
        counts = Counter(right=right, produced=sum(produced.values()), expected=sum(expected.values()))
        totals.update(counts)
        rows.append((name, counts, elapsed))

    print(f"{'page':34} {'kept':>5} {'want':>5} {'right':>5} {'prec':>6} {'recall':>6} {'ms':>6}")
    for name, c, elapsed in rows:
        print(
            f"{name:34} {c['produced']:5} {c['expected']:5} {c['right']:5} "
            f"{_ratio(c['right'], c['produced']):6.3f} {_ratio(c['right'], c['expected']):6.3f} "
            f"{elapsed * 1000:6.2f}"
        )
    print(
        f"{'TOTAL (' + str(len(rows)) + ' pages)':34} {totals['produced']:5} {totals['expected']:5} "
        f"{totals['right']:5} {_ratio(totals['right'], totals['produced']):6.3f} "
        f"{_ratio(totals['right'], totals['expected']):6.3f}"
    )
    return 0


def _ratio(a: int, b: int) -> float:
    return a / b if b else 1.0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
