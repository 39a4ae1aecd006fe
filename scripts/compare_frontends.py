"""Score producer's Arabic front-end against num2words and arabic-tts-frontend on our test tables.

    python scripts/compare_frontends.py

Exact-match accuracy on every tests/data/speakable*.tsv (whole sentences: speakable.tsv and the blind
sets written before each round of work) and tests/data/cardinals.tsv (numbers alone, with the gender
and case the table asks for). num2words only spells numbers, so it
is run as the usual minimal front-end: every number in the sentence replaced by num2words(n, "ar").
arabic-tts-frontend is a reference point only, not a dependency of producer:
`pip install arabic-tts-frontend` first; without it its column says "not installed".
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

from num2words import num2words

from producer.arabic import Lexicon, speakable
from producer.arabic.numbers import cardinal

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
_EASTERN = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def rows(name: str) -> list[list[str]]:
    lines = (DATA / f"{name}.tsv").read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line and not line.startswith("#")]


def num2words_frontend(text: str) -> str:
    def spell(m: re.Match[str]) -> str:
        value = float(m[0]) if "." in m[0] else int(m[0])
        return str(num2words(value, lang="ar"))

    return _NUMBER.sub(spell, text.translate(_EASTERN))


def load_arabic_tts_frontend() -> tuple[Callable[[str], str] | None, Callable[[int, bool], str] | None]:
    try:
        from arabic_tts_frontend import VoiceFrontEnd, verbalise
    except ImportError:
        return None, None
    front = VoiceFrontEnd()
    return (lambda text: front.prepare(text).spoken), (lambda n, feminine: verbalise(n, feminine=feminine))


def accuracy(pairs: list[tuple[str, str]]) -> str:
    hits = sum(got == want for got, want in pairs)
    return f"{hits}/{len(pairs)} ({100 * hits / len(pairs):.1f}%)"


def main() -> int:
    atf_text, atf_number = load_arabic_tts_frontend()
    lexicon = Lexicon.default()
    numbers = rows("cardinals")

    print(f"{'table':<24}{'producer':>20}{'num2words':>20}{'arabic-tts-frontend':>24}")
    for table in sorted(DATA.glob("speakable*.tsv")):
        sentences = [(row[0], row[1]) for row in rows(table.stem)]
        ours = accuracy([(speakable(text, lexicon=lexicon), want) for text, want in sentences])
        n2w = accuracy([(num2words_frontend(text), want) for text, want in sentences])
        atf = accuracy([(atf_text(text), want) for text, want in sentences]) if atf_text else "not installed"
        print(f"{table.name:<24}{ours:>20}{n2w:>20}{atf:>24}")
        # The same, only on the sentences that have a number to read (the others test that text is kept).
        digits = [(text, want) for text, want in sentences if re.search(r"\d", text.translate(_EASTERN))]
        ours = accuracy([(speakable(text, lexicon=lexicon), want) for text, want in digits])
        n2w = accuracy([(num2words_frontend(text), want) for text, want in digits])
        atf = accuracy([(atf_text(text), want) for text, want in digits]) if atf_text else "not installed"
        print(f"{'  with numbers only':<24}{ours:>20}{n2w:>20}{atf:>24}")

    ours = accuracy([(cardinal(int(n), feminine=g == "f", case=c), want) for n, g, c, want in numbers])  # type: ignore[arg-type]
    n2w = accuracy([(str(num2words(int(n), lang="ar")), want) for n, _g, _c, want in numbers])
    atf = (
        accuracy([(atf_number(int(n), g == "f"), want) for n, g, _c, want in numbers])
        if atf_number
        else "not installed"
    )
    print(f"{'cardinals.tsv':<24}{ours:>20}{n2w:>20}{atf:>24}")

    sentences = [(row[0], row[1]) for row in rows("speakable")]
    texts = [text for text, _ in sentences] * 20
    started = time.perf_counter()
    for text in texts:
        speakable(text, lexicon=lexicon)
    rate = len(texts) / (time.perf_counter() - started)
    print(f"\nproducer speakable: {rate:,.0f} sentences/s on one core (no diacritization)")

    from producer.arabic import get_diacritizer

    diacritizer = get_diacritizer()
    spoken = [speakable(text, lexicon=lexicon) for text, _ in sentences]
    started = time.perf_counter()
    diacritizer.diacritize(spoken)
    rate = len(spoken) / (time.perf_counter() - started)
    print(f"producer diacritizer: {rate:,.0f} sentences/s (text2tashkeel rawi ONNX)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
