"""The diacritizer's cost per 1,000 words, as a build runs it (one onnxruntime thread, model loaded).

Two inputs: the sentences of both vocalization sets (short lines, many of equal length, so batched)
and the paragraphs of tests/data/pace_article.txt (long lines, one model run each). Prints CPU and
wall-clock milliseconds per 1,000 words, the best of `--repeat` runs, and the machine's load
before and after (wall time grows with the load; CPU time much less).

Usage: python scripts/bench_diacritizer.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from eval_diacritizers import EVAL_SET, load  # noqa: E402

from producer.arabic.diacritize import Diacritizer  # noqa: E402

HELD_OUT = ROOT / "tests" / "data" / "tashkeel_heldout.tsv"
ARTICLE = ROOT / "tests" / "data" / "pace_article.txt"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    inputs = {
        "sentences": [s.bare for path in (EVAL_SET, HELD_OUT) for s in load(path)],
        "paragraphs": [line for line in ARTICLE.read_text("utf-8").splitlines() if line.strip()],
    }
    print(f"load before: {os.getloadavg()[0]:.1f}")
    diacritizer = Diacritizer(threads=1)
    diacritizer.diacritize(inputs["sentences"][:5])
    for name, lines in inputs.items():
        words = sum(len(line.split()) for line in lines)
        cpu, wall = [], []
        for _ in range(args.repeat):
            cpu_start, wall_start = time.process_time(), time.perf_counter()
            diacritizer.diacritize(lines)
            cpu.append(time.process_time() - cpu_start)
            wall.append(time.perf_counter() - wall_start)
        print(
            f"{name} ({len(lines)} lines, {words} words): {min(cpu) / words * 1e6:.0f} ms CPU,"
            f" {min(wall) / words * 1e6:.0f} ms wall per 1,000 words (best of {args.repeat})"
        )
    print(f"load after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
