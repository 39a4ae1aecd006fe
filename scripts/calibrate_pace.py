"""Fit espeak-ng's rate unit to Arabic words per minute of voiced time (see producer/tts/pace.py).

    python scripts/calibrate_pace.py [--rates 150 200 250 300 350] [--pages N]

Voices the first two body paragraphs of each scraped page in tests/data/pages (speakable and
diacritized as a build does) at each rate, measures words per minute of voiced time, and prints
the least-squares line that pace.py's ESPEAK_SLOPE and ESPEAK_INTERCEPT hold.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from producer.arabic.lexicon import Lexicon
from producer.pipeline import diacritization, speakable_lines
from producer.tts.espeak import EspeakConfig, EspeakEngine
from producer.tts.pace import count_words, espeak_rate, voiced_seconds, words_per_minute

PAGES = Path(__file__).resolve().parent.parent / "tests" / "data" / "pages"


def news_paragraphs(pages: int) -> list[str]:
    paragraphs: list[str] = []
    for page in sorted(PAGES.glob("*.expected.txt"))[:pages]:
        lines = [line for line in page.read_text(encoding="utf-8").splitlines() if line.strip()]
        paragraphs += lines[1:3]
    return paragraphs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rates", type=int, nargs="+", default=[150, 200, 250, 300, 350])
    parser.add_argument("--pages", type=int, default=50)
    args = parser.parse_args()

    spoken = speakable_lines(news_paragraphs(args.pages), Lexicon.default(), diacritize=False)
    words = sum(count_words(text) for text in spoken)
    texts = diacritization().apply(spoken)
    print(f"{len(texts)} paragraphs, {words} words")
    measured = []
    for rate in args.rates:
        engine = EspeakEngine(EspeakConfig(rate=rate))
        seconds = sum(voiced_seconds(c.samples, c.rate) for text in texts for c in engine.synthesize(text))
        measured.append(words_per_minute(words, seconds))
        print(f"rate {rate:4d}: {seconds:7.1f} s voiced, {measured[-1]:6.1f} words per minute")
    if len(set(args.rates)) > 1:
        slope, intercept = np.polyfit(args.rates, measured, 1)
        print(f"fit: words per minute = {slope:.4f} x rate + {intercept:.2f}")
    print(f"pace.py today: 130 words per minute -> espeak rate {espeak_rate(130)}")


if __name__ == "__main__":
    main()
