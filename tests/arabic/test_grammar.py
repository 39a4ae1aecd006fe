"""The grammatical rules applied to the model's marks (producer/arabic/grammar.py), on exact text."""

from __future__ import annotations

from producer.arabic import Diacritizer, get_diacritizer
from producer.arabic.diacritize import strip_diacritics
from producer.arabic.grammar import correct
from producer.arabic.pausal import join_marks, split_marks


def corrected(vowelled: str) -> str:
    """`vowelled` (as a model might have voiced it) after the rules."""
    skeleton, marks = split_marks(vowelled)
    correct(skeleton, marks)
    return join_marks(skeleton, marks)


def test_a_verb_without_subject_is_passive() -> None:
    assert corrected("عَثَرَ عَلَى جُثَّةٍ") == "عُثِرَ عَلَى جُثَّةٍ"
    assert corrected("أَفْرَجَ عَنْ صَحَفِيٍّ") == "أُفْرِجَ عَنْ صَحَفِيٍّ"
    assert corrected("اسْتَهْدَفَتْ بِالصَّوَارِيخِ") == "اسْتُهْدِفَتْ بِالصَّوَارِيخِ"
    assert corrected("رَفَضَ لُبْنَانُ الِاتِّهَامَاتِ") == "رَفَضَ لُبْنَانُ الِاتِّهَامَاتِ"  # a name, the subject
    assert corrected("ذَكَرَ أَنَّ الْحَرِيقَ") == "ذُكِرَ أَنَّ الْحَرِيقَ"
    # Only where the verb opens the sentence: after و the subject may be the last sentence's.
    assert corrected("وَأَعْلَنَ عَنْ خُطَّةٍ") == "وَأَعْلَنَ عَنْ خُطَّةٍ"
    assert corrected("قَالَ الْوَزِيرُ. أَعْلَنَ عَنْ خُطَّةٍ") == "قَالَ الْوَزِيرُ. أُعْلِنَ عَنْ خُطَّةٍ"
    assert corrected("الْوَزِيرُ أَعْلَنَ عَنْ خُطَّةٍ") == "الْوَزِيرُ أَعْلَنَ عَنْ خُطَّةٍ"


def test_a_casualty_verb_before_a_number_or_victims_is_passive_and_they_are_nominative() -> None:
    assert corrected("قَتَلَ ثَلَاثَةَ مَدَنِيِّينَ") == "قُتِلَ ثَلَاثَةُ مَدَنِيِّينَ"
    assert corrected("اعْتَقَلَتْ عَشَرَاتٍ") == "اعْتُقِلَتْ عَشَرَاتٌ"
    assert corrected("جَرَحَ شَخْصَانِ") == "جُرِحَ شَخْصَانِ"  # a dual's nun keeps its kasra
    assert corrected("قَتَلَ أَطْفَالٍ فِي الْقَصْفِ") == "قُتِلَ أَطْفَالٌ فِي الْقَصْفِ"
    assert corrected("قَتَلَ مُسَلَّحُونَ خَمْسَةَ جُنُودٍ") == "قَتَلَ مُسَلَّحُونَ خَمْسَةَ جُنُودٍ"
    assert corrected("نَزَحَ آلَافُ السُّكَّانِ") == "نَزَحَ آلَافُ السُّكَّانِ"  # not a casualty verb


def test_impersonal_present_before_an() -> None:
    assert corrected("يَتَوَقَّعُ أَنْ تَنْخَفِضَ") == "يُتَوَقَّعُ أَنْ تَنْخَفِضَ"
    assert corrected("يَعْتَقِدُ أَنَّ الْوَفْدَ") == "يُعْتَقَدُ أَنَّ الْوَفْدَ"
    assert corrected("يَجِبُ أَنْ يَعُودَ") == "يَجِبُ أَنْ يَعُودَ"


def test_verbs_whose_passive_changes_letters_are_left() -> None:
    assert corrected("أَفَادَ بِأَنَّ") == "أَفَادَ بِأَنَّ"  # hollow: أُفِيدَ has a ي
    assert corrected("انْضَمَّ لِلْفَرِيقِ") == "انْضَمَّ لِلْفَرِيقِ"  # doubled


def test_news_words_keep_the_model_case_ending() -> None:
    assert corrected("وَصَلَ إِلَى جِنِيفِ") == "وَصَلَ إِلَى جُنَيْفِ"
    assert corrected("رُوسِيَا تَقُولُ") == "رُوسْيَا تَقُولُ"
    assert corrected("فِي الزَّلْزَالِ") == "فِي الزِّلْزَالِ"
    assert corrected("بِالرِّقَّةِ") == "بِالرَّقَّةِ"  # clitic and article before a name
    assert corrected("لِلْحُكُومَةِ وَالْحَكُومَةُ") == "لِلْحُكُومَةِ وَالْحُكُومَةُ"
    # Two vowelless consonants do not meet.
    assert corrected("مِنْ الِاحْتِجَازِ عَنْ الصَّحَفِيِّ") == "مِنَ الِاحْتِجَازِ عَنِ الصَّحَفِيِّ"
    # ف is a root letter here, not the conjunction before تحت.
    assert corrected("فَتَحَتْ الْمَدَارِسُ") == "فَتَحَتِ الْمَدَارِسُ"


def test_the_noun_after_a_sentence_opening_verb_is_nominative() -> None:
    assert corrected("عَقَدَ الْوُزَرَاءِ اجْتِمَاعًا") == "عَقَدَ الْوُزَرَاءُ اجْتِمَاعًا"
    assert corrected("فُرِضَ حَظْرِ التَّجَوُّلِ") == "فُرِضَ حَظْرُ التَّجَوُّلِ"  # in construct
    assert corrected("وَصَلَ صَبَاحَ الْيَوْمِ") == "وَصَلَ صَبَاحَ الْيَوْمِ"  # an adverb of time
    assert corrected("عَادَ مُجَدَّدًا") == "عَادَ مُجَدَّدًا"  # nunation: maybe an adverb
    assert corrected("عَادَ بِالطَّائِرَةِ") == "عَادَ بِالطَّائِرَةِ"  # a preposition's noun
    assert corrected("الْوَزِيرُ أَكَّدَ الْخَبَرَ") == "الْوَزِيرُ أَكَّدَ الْخَبَرَ"  # not the opening word
    # Headlines that open with a noun shaped like a verb: a plural in ات, a masdar like a present.
    assert corrected("مُخَيَّمَاتُ الشَّمَالِ") == "مُخَيَّمَاتُ الشَّمَالِ"
    assert corrected("تَمْدِيدُ مُهْلَةِ التَّسْدِيدِ") == "تَمْدِيدُ مُهْلَةِ التَّسْدِيدِ"
    assert corrected("حَسَبَ تَعْبِيرِهِ") == "حَسَبَ تَعْبِيرِهِ"


def test_a_sukun_before_a_hamzat_wasl_takes_a_vowel() -> None:
    assert corrected("أَكَّدَتْ الشَّرِكَةُ") == "أَكَّدَتِ الشَّرِكَةُ"
    assert corrected("لَهُمْ الْحَقُّ") == "لَهُمُ الْحَقُّ"
    assert corrected("مِنْ اسْتِهْدَافٍ") == "مِنِ اسْتِهْدَافٍ"  # مِنَ only before the article
    assert corrected("قَالَتْ إِنَّ") == "قَالَتْ إِنَّ"  # إ is no hamzat wasl


def test_no_shadda_on_a_moon_letter_after_the_article() -> None:
    assert corrected("الْقَّمَرُ") == "الْقَمَرُ"
    assert corrected("الشَّمْسُ") == "الشَّمْسُ"


def test_through_the_diacritizer() -> None:
    out = get_diacritizer().diacritize(
        ["عثر على جثة في النهر", "قتل ثلاثة مدنيين في قصف", "يتوقع أن تنخفض درجات الحرارة", "الإعمار"],
        pausal=False,
    )
    assert [line.split()[0] for line in out[:3]] == ["عُثِرَ", "قُتِلَ", "يُتَوَقَّعُ"]
    assert out[3].startswith("الْإِعْمَار")  # إ is read with i whatever the model says
    assert out[0].split()[1] == "عَلَى"


def test_nunation_typed_on_the_alif_is_not_doubled() -> None:
    (out,) = get_diacritizer().diacritize(["اقرأ أيضاً"])
    assert out.endswith("أَيْضَاً")


def test_typed_vowels_win_over_the_rules() -> None:
    (typed,) = Diacritizer().diacritize(["عَثَرَ على جثة، قَتَلَ ثلاثة"])
    assert typed.startswith("عَثَرَ عَلَى ")
    assert strip_diacritics(typed) == "عثر على جثة، قتل ثلاثة"
