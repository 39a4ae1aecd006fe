from __future__ import annotations

import pytest

from producer.tts.text import split_sentences, split_to_limit


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("", []),
        ("  \n ", []),
        ("خبر واحد", ["خبر واحد"]),
        ("الأول. الثاني؟ الثالث! الرابع", ["الأول.", "الثاني؟", "الثالث!", "الرابع"]),
        # Decimals and times are not sentence ends; a line break is.
        (
            "بلغ النمو 3.5 بالمئة عند 10:30 صباحاً.\nسطر آخر",
            ["بلغ النمو 3.5 بالمئة عند 10:30 صباحاً.", "سطر آخر"],
        ),
        # A closing quote stays with its sentence.
        ('قال: "انتهى الأمر." ثم غادر.', ['قال: "انتهى الأمر."', "ثم غادر."]),
        ("انتظروا… ثم   تكلموا.", ["انتظروا…", "ثم تكلموا."]),
    ],
)
def test_split_sentences(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


@pytest.mark.parametrize(
    ("sentence", "limit", "pieces"),
    [
        ("قصيرة", 100, ["قصيرة"]),
        ("", 100, []),
        # Clause commas first, neighbours packed back together while they fit.
        ("أولاً، ثانياً، ثالثاً، رابعاً", 16, ["أولاً، ثانياً،", "ثالثاً، رابعاً"]),
        # Then words; a number with digit-group spaces is one word.
        ("العدد 1 000 000 شخص في المدينة", 16, ["العدد 1 000 000", "شخص في المدينة"]),
        # A time and a decimal are never cut.
        ("الساعة 10:30 والنسبة 3.5 بالمئة", 12, ["الساعة 10:30", "والنسبة 3.5", "بالمئة"]),
        # Only a single word longer than the limit is cut inside.
        ("أ" * 25, 10, ["أ" * 10, "أ" * 10, "أ" * 5]),
    ],
)
def test_split_to_limit(sentence: str, limit: int, pieces: list[str]) -> None:
    assert split_to_limit(sentence, limit) == pieces


def test_split_to_limit_keeps_every_word_of_a_long_sentence() -> None:
    sentence = (
        "قال مسؤول كبير في قوات سوريا الديمقراطية، يوم أمس الجمعة، إن قسد ستعلن عن عملية ضد تنظيم "
        "الدولة في شمال محافظة دير الزور اليوم السبت، في الساعة 10:30 صباحا، وإن عدد المقاتلين "
        "1 000 000 مقاتل تقريبا بحسب التقديرات الأولية المنشورة أمس."
    )
    pieces = split_to_limit(sentence, 100)
    assert all(len(piece) <= 100 for piece in pieces)
    assert " ".join(pieces) == sentence
    assert len(pieces) == 3
    assert any("10:30" in piece for piece in pieces)
    assert any("1 000 000" in piece for piece in pieces)
