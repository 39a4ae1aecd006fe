"""An editor's vowels for one word: in the script, or as a station lexicon entry (exact text)."""

from __future__ import annotations

import pytest

from producer.arabic.vowels import set_vowels
from producer.errors import InputError


def test_every_whole_occurrence_is_spelled_with_the_vowels() -> None:
    text = "قتلت القوات أمير الجماعة.\nوقالت إنها قُتِلت أمس، وقتلته لاحقا."
    out, count = set_vowels(text, "قتلت", "قَتَلَتْ")
    assert count == 2
    assert out == "قَتَلَتْ القوات أمير الجماعة.\nوقالت إنها قَتَلَتْ أمس، وقتلته لاحقا."


def test_a_word_clicked_with_its_vowels_is_found_by_its_letters() -> None:
    out, count = set_vowels("هذه نشرة الأخبار", "نَشَرَةُ", "نَشْرَةُ")
    assert (out, count) == ("هذه نَشْرَةُ الأخبار", 1)


@pytest.mark.parametrize(
    ("word", "vowels"),
    [("قتلت", "قَتَلْتُمْ"), ("قتلت", "قتلتِ x"), ("", ""), ("two words", "two words"), ("قتل ت", "قَتَلَ تْ")],
)
def test_vowels_that_change_letters_are_refused(word: str, vowels: str) -> None:
    with pytest.raises(InputError):
        set_vowels("قتلت", word, vowels)
