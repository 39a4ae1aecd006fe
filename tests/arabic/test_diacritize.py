"""The real libtashkeel model shipped in the piper-tts wheel."""

from __future__ import annotations

from producer.arabic import Diacritizer, get_diacritizer
from producer.arabic.diacritize import DIACRITICS, strip_diacritics

SENTENCES = [
    "قالت وزارة الدفاع إن مقاتلاتها استهدفت اجتماعا في محيط دير الزور",
    "وأضاف المسؤول في تصريح لرويترز أن القوات ستطلق الهجوم",
]


def test_adds_diacritics_and_keeps_the_letters() -> None:
    lines = [*SENTENCES, "", "قال UN إن - Reuters!"]
    out = get_diacritizer().diacritize(lines)
    assert len(out) == len(lines)
    for before, after in zip(lines, out, strict=True):
        assert strip_diacritics(after) == before
    for sentence in out[:2]:
        assert sum(c in DIACRITICS for c in sentence) > len(sentence.split())
    assert out[2] == ""
    assert "UN" in out[3] and "Reuters!" in out[3]


def test_batched_equals_one_by_one_and_is_loaded_once() -> None:
    diacritizer = get_diacritizer()
    assert get_diacritizer() is diacritizer
    batched = diacritizer.diacritize(SENTENCES * 3)
    assert batched == [diacritizer.diacritize([s])[0] for s in SENTENCES] * 3


def test_existing_diacritics_are_kept() -> None:
    out = Diacritizer().diacritize(["وقَسَد تعلن بدء العمليات"])[0]
    assert out.startswith("وَقَسَد")


def test_long_lines_are_split_and_rejoined() -> None:
    line = " ".join([SENTENCES[0]] * 20)
    out = get_diacritizer().diacritize([line])
    assert strip_diacritics(out[0]) == line
