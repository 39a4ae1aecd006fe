"""Properties of `clean` on generated pastes: only InputError escapes, and cleaning is idempotent."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from producer.errors import InputError
from producer.ingest import clean, vocab

# Words, furniture labels, marks and symbols that the rules react to, mixed with random text below.
_PLAIN = (
    "قال الوزير إن الحكومة ستعلن عن خطة جديدة في دمشق اليوم مقتل و40 عنصرا لـ بـ2017 هـ "
    "القياديين“أبو محمد” ـ ﻻ ﷲ یقول الکاتب مفخخفة 2024 10:30 15/9/2017 ٤ % كتب: بقلم المصدر: الوسوم "
    "التعليقات تابعنا على اقرأ أيضا أيضاً: شاهد عاجل | خبر دلالات شارك فيسبوك تويتر واتساب منذ 3 ساعات "
    "آخر تحديث: (رويترز) صورة أرشيفية الرئيسية > » « \" ' “ ” - :- المدينة نيوز سانا دمشق-سانا خاص "
    "#سوريا https://t.me/x a@b.co www.x.com 🔴 👍🏽 © جميع الحقوق محفوظة . ، ؟ ! ؛ … A + 123 مشاهدة"
)
WORDS = [*_PLAIN.split(), "\u200f", "\u00a0", "\ufeff"]
WORDS += sorted(vocab.TERMINAL_LABELS)[:20] + sorted(vocab.LIST_LABELS)[:20] + sorted(vocab.UI_LABELS)[:20]

DATA = Path(__file__).resolve().parent.parent / "data"
PAGE_LINES = sorted(
    {
        line
        for p in [*(DATA / "pages").glob("*.txt"), *(DATA / "pages_blind").glob("*.txt")]
        for line in p.read_text(encoding="utf-8").splitlines()
    }
)

word = st.one_of(st.sampled_from(WORDS), st.text(min_size=1, max_size=6))
line = st.lists(word, max_size=30).map(" ".join)
separator = st.sampled_from(["\n", "\n\n", "\r\n", "\t", "    ", "\u2029", " "])
page = st.lists(st.tuples(line, separator), max_size=25).map(lambda parts: "".join(a + b for a, b in parts))
# Real page lines (furniture and prose) shuffled into new layouts.
reshuffled = st.lists(st.sampled_from(PAGE_LINES), max_size=30).map("\n".join)
pastes = st.one_of(page, reshuffled, st.text(max_size=400))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pastes)
def test_clean_raises_only_input_error_and_is_idempotent(text: str) -> None:
    try:
        story = clean(text)
    except InputError:
        return
    assert story.headline.strip() and story.paragraphs
    assert clean(story.text) == story


def test_clean_is_linear_on_long_hostile_lines() -> None:
    # Inputs that make backtracking regexes explode: long runs of dots, quotes, dashes, hashtags.
    hostile = "\n".join(
        [
            "عنوان الخبر الرئيسي اليوم",
            "قال " + "a." * 20000 + " الوزير.",
            "قال " + '"' * 20000 + " الوزير.",
            "قال " + "- " * 20000 + " الوزير.",
            "قال " + "#س" * 20000 + " الوزير.",
            "قال " + "ـ" * 20000 + " الوزير.",
            "كلمة" * 20000 + ":- نص الخبر.",
        ]
    )
    story = clean(hostile)
    assert story.headline == "عنوان الخبر الرئيسي اليوم"
