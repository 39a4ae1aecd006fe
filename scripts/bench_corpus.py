"""Benchmark input in which no two paragraphs are alike.

A bulletin made by repeating or rotating the same paragraphs lets the segment cache voice each one
once, so the figures flatter the build. Here every story is the fixture article rewritten: its
places, actors, days and numbers swapped for others and the clauses of each paragraph put in
another order, so each paragraph is new text of the same length and kind. `distinct_stories`
checks that no paragraph (or headline) occurs twice across the whole bulletin and refuses
otherwise.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_CANDIDATES = (
    ROOT.parent / "shared" / "fixtures" / "alwan_article.txt",
    ROOT / "tests" / "data" / "pages" / "alwan.txt",
)

# Each group: the words of the fixture and what story k says instead (index k modulo the list).
_SWAPS: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (
        ("دير الزور", "ديرالزور"),
        (
            "دير الزور",
            "حلب",
            "حمص",
            "إدلب",
            "درعا",
            "حماة",
            "اللاذقية",
            "القامشلي",
            "منبج",
            "طرطوس",
            "السويداء",
        ),
    ),
    (("الرقة", "الرّقة"), ("الرقة", "الباب", "جرابلس", "عفرين", "تل أبيض", "الميادين", "البوكمال", "سراقب")),
    (("الحسكة",), ("الحسكة", "عين العرب", "رأس العين", "عامودا", "المالكية", "الشدادي", "تدمر", "السخنة")),
    (
        ("تنظيم الدولة الإسلامية", "الدولة الإسلامية", "تنظيم الدولة"),
        (
            "تنظيم الدولة",
            "داعش",
            "التنظيم المتطرف",
            "خلايا التنظيم",
            "فلول التنظيم",
            "مسلحي داعش",
            "تنظيم داعش",
        ),
    ),
    (("النظام السوري", "النظام"), ("النظام", "الحكومة", "دمشق", "السلطات", "الحكومة السورية", "السلطة")),
    (("صحراوية",), ("صحراوية", "نائية", "مفتوحة", "جبلية", "قاحلة", "حدودية", "معزولة", "وعرة", "زراعية")),
    (("الجمعة",), ("الجمعة", "السبت", "الأحد", "الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة الماضي")),
    (("السبت",), ("السبت", "الأحد", "الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت المقبل")),
    (
        ("قوات النظام",),
        ("قوات النظام", "القوات الحكومية", "الجيش السوري", "قوات الحكومة", "وحدات الجيش", "القوات النظامية"),
    ),
    (("التحالف",), ("التحالف", "الائتلاف", "التحالف الغربي", "تحالف واشنطن", "التحالف الدولي نفسه")),
    (("رويترز", "لرويترز"), ("لرويترز", "لفرانس برس", "للأسوشيتد برس", "لوكالة الأناضول", "لقناة الحرة")),
    (("الشولا",), ("الشولا", "كباجب", "المالحة", "عياش", "البغيلية", "الجفرة", "حطلة", "مراط")),
    (("الطبيب",), ("الطبيب", "المهندس", "المعلم", "الصيدلاني", "المحامي", "الممرض", "الناشط", "الصحفي")),
    (
        ("التنظيم",),
        (
            "التنظيم",
            "الفصيل",
            "التنظيم المتشدد",
            "المسلحين",
            "الجماعة",
            "عناصر التنظيم",
            "قادة التنظيم",
            "الخلايا النائمة",
            "الفصيل المسلح",
            "قيادة الجماعة",
            "المجموعة المسلحة",
            "الجماعة المتشددة",
        ),
    ),
    (
        ("الوزارة",),
        (
            "الوزارة",
            "وزارة الدفاع",
            "القيادة الروسية",
            "موسكو",
            "الجيش الروسي",
            "الكرملين",
            "الأركان الروسية",
            "قاعدة حميميم",
            "المتحدث الروسي",
            "القيادة العسكرية",
            "الدفاع الروسية",
            "الناطق",
        ),
    ),
)

_NUMBER = re.compile(r"\d+")
_CLAUSE = re.compile(r"(?<=[،,])\s+")


def fixture_text() -> str:
    for path in FIXTURE_CANDIDATES:
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise SystemExit("no fixture article found")


def _swap(text: str, k: int) -> str:
    for words, choices in _SWAPS:
        replacement = choices[k % len(choices)]
        for word in sorted(words, key=len, reverse=True):
            text = text.replace(word, replacement)
    # Numbers change per story (and per place in the story), keeping their size.
    counter = iter(range(1, 10_000))
    return _NUMBER.sub(lambda m: str(int(m.group()) + 7 * k + next(counter) * (k > 0)), text)


def _reorder(paragraph: str, k: int) -> str:
    """The paragraph's clauses rotated by k (the sentence stays a paragraph of the same length)."""
    clauses = _CLAUSE.split(paragraph.rstrip("."))
    shift = k % len(clauses)
    rotated = clauses[shift:] + clauses[:shift]
    return "، ".join(c.rstrip("،,") for c in rotated) + "."


def distinct_stories(text: str, count: int) -> list[str]:
    """`count` articles written from one, no paragraph or headline equal to another anywhere."""
    from producer.ingest import clean

    story = clean(text)
    articles, seen = [], set()
    for k in range(count):
        headline = _swap(story.headline, k)
        body = [_reorder(_swap(p, k), k) if k else p for p in story.paragraphs]
        for line in (headline, *body):
            if line in seen:
                raise SystemExit(f"benchmark input repeats a paragraph (story {k + 1}): {line[:60]}…")
            seen.add(line)
        articles.append("\n\n".join([headline, *body]) + "\n")
    return articles


def paragraphs_of(paths: list[Path]) -> list[str]:
    """Every headline and paragraph the cleaner keeps from `paths`, in order."""
    from producer.ingest import clean

    out = []
    for path in paths:
        story = clean(path.read_text(encoding="utf-8"))
        out += [story.headline, *story.paragraphs]
    return out


def assert_distinct(paths: list[Path]) -> None:
    """Refuse a benchmark whose articles, as cleaned, share a paragraph."""
    lines = paragraphs_of(paths)
    repeated = {line for line in lines if lines.count(line) > 1}
    if repeated:
        raise SystemExit(
            f"benchmark input repeats {len(repeated)} paragraph(s), e.g. {next(iter(repeated))[:60]}…"
        )


def write_articles(texts: list[str], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, text in enumerate(texts):
        path = folder / f"story{i:02d}.txt"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    assert_distinct(paths)
    return paths
