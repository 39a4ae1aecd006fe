"""The pausal form on exact vowelled text."""

from __future__ import annotations

import pytest

from producer.arabic.pausal import pausal


@pytest.mark.parametrize(
    ("full", "read"),
    [
        # end of a sentence: the case vowel goes
        ("قَالَ الْوَزِيرُ.", "قَالَ الْوَزِيرْ."),
        ("نَشْرَةُ الْأَخْبَارِ", "نَشْرَةُ الْأَخْبَارْ"),
        # a clause before a comma, and the end of the line
        ("قُتِلَ ثَلَاثَةٌ، وَأُصِيبَ آخَرُونَ", "قُتِلَ ثَلَاثَةْ، وَأُصِيبَ آخَرُونْ"),
        # tanween fath before a final alif or alif maqsura reads as a long a
        ("وَصَلَ الْوَفْدُ صَبَاحًا.", "وَصَلَ الْوَفْدُ صَبَاحَا."),
        ("وَصَلَ الْوَفْدُ صَبَاحاً.", "وَصَلَ الْوَفْدُ صَبَاحَا."),
        ("أَصَابَ الصَّارُوخُ مَبْنًى؛", "أَصَابَ الصَّارُوخُ مَبْنَى؛"),
        # nunation without an alif: dropped
        ("هَذِهِ مَسْأَلَةٌ دَقِيقَةٌ!", "هَذِهِ مَسْأَلَةٌ دَقِيقَةْ!"),
        ("فِي الْعَاصِمَةِ بَيْرُوتَ؟", "فِي الْعَاصِمَةِ بَيْرُوتْ؟"),
        # a shadda stays, its vowel goes
        ("قَالَ الْأَمِينُ الْعَامُّ:", "قَالَ الْأَمِينُ الْعَامّ:"),
        # closing quotes and brackets do not hide the pause
        ("قَالَ «الْحَلُّ سِيَاسِيٌّ».", "قَالَ «الْحَلُّ سِيَاسِيّ»."),
        # the pronouns keep their vowel; words without a final mark are left alone
        ("الْمُهِمُّ هُوَ.", "الْمُهِمُّ هُوَ."),
        ("ذَهَبَ إِلَى.", "ذَهَبَ إِلَى."),
        # nothing changes inside a clause
        ("قَالَ الْوَزِيرُ إِنَّ الْحَلَّ سِيَاسِيٌّ", "قَالَ الْوَزِيرُ إِنَّ الْحَلَّ سِيَاسِيّ"),
        # each line of a segment ends in a pause
        ("نَشْرَةُ الْأَخْبَارِ\nقَالَ الْوَزِيرُ", "نَشْرَةُ الْأَخْبَارْ\nقَالَ الْوَزِيرْ"),
        ("UN يَقُولُ: Reuters", "UN يَقُولْ: Reuters"),
    ],
)
def test_pausal_form(full: str, read: str) -> None:
    assert pausal(full) == read


def test_the_end_of_a_piece_cut_mid_line_is_no_pause() -> None:
    from producer.arabic.pausal import apply_pausal, split_marks

    skeleton, marks = split_marks("قَالَ الْوَزِيرُ")
    assert apply_pausal(skeleton, marks, ends_in_pause=False) == marks
    assert apply_pausal(skeleton, marks)[-1] == "ْ"
