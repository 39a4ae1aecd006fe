"""The real rawi models shipped in the text2tashkeel wheel, through producer's wrapper."""

from __future__ import annotations

from producer.arabic import Diacritizer, get_diacritizer, speakable
from producer.arabic.diacritize import DIACRITICS, looks_like_verb, strip_diacritics
from producer.arabic.pausal import pausal

SENTENCES = [
    "قالت وزارة الدفاع إن مقاتلاتها استهدفت اجتماعا في محيط دير الزور",
    "وأضاف المسؤول في تصريح لرويترز أن القوات ستطلق الهجوم",
]


def test_adds_diacritics_and_keeps_the_letters() -> None:
    lines = [*SENTENCES, "", "قال UN إن - Reuters!", "أرجأ القاضي الجلسة ـ مؤقتا"]
    out = get_diacritizer().diacritize(lines)
    assert len(out) == len(lines)
    for before, after in zip(lines, out, strict=True):
        assert strip_diacritics(after) == before
    for sentence in out[:2]:
        assert sum(c in DIACRITICS for c in sentence) > len(sentence.split())
    assert out[2] == ""
    assert "UN" in out[3] and "Reuters!" in out[3]


def test_the_lead_headline_and_the_ident_read_right() -> None:
    headline, ident = get_diacritizer().diacritize(
        ["روسيا تقول إنها قتلت أمير ديرالزور", "نشرة الظهيرة من راديو ألوان"]
    )
    assert headline.split()[:4] == ["رُوسْيَا", "تَقُولُ", "إِنَّهَا", "قَتَلَتْ"]  # active: she killed
    assert ident.startswith("نَشْرَةُ الظَّهِيرَةِ ")


def test_pausal_form_before_pauses_only() -> None:
    (out,) = get_diacritizer().diacritize(["وصل الوفد صباحا، وبدأ الاجتماع"])
    assert out == "وَصَلَ الْوَفْدُ صَبَاحَا، وَبَدَأَ الِاجْتِمَاعْ"
    (full,) = get_diacritizer().diacritize(["وصل الوفد صباحا، وبدأ الاجتماع"], pausal=False)
    assert full.startswith("وَصَلَ الْوَفْدُ صَبَاحًا، وَبَدَأَ الِاجْتِمَاع") and full != out
    assert pausal(full) == out


def test_batched_equals_one_by_one_and_is_loaded_once() -> None:
    diacritizer = get_diacritizer()
    assert get_diacritizer() is diacritizer
    batched = diacritizer.diacritize(SENTENCES * 3)
    assert batched == [diacritizer.diacritize([s])[0] for s in SENTENCES] * 3


def test_existing_diacritics_are_kept() -> None:
    diacritizer = Diacritizer()
    assert diacritizer.diacritize(["وقَسَد تعلن بدء العمليات"])[0].startswith("وَقَسَد")
    # The model reads this verb as active; the editor's passive vowels win, even before a pause.
    (typed,) = diacritizer.diacritize(["قُتِلَتْ أمير الجماعة، وقَتَلَ الأمراءِ."])
    assert typed.startswith("قُتِلَتْ ")
    assert "وَقَتَلَ " in typed
    assert typed.endswith("الْأُمَرَاءِ.")
    # A shadda alone gets the model's vowel beside it.
    (shadda,) = diacritizer.diacritize(["وقّع الطرفان اتفاقا"])
    assert shadda.startswith("وَقَّعَ")


def test_words_to_check_are_marked() -> None:
    (reading,) = get_diacritizer().read(["قتل ثلاثة مدنيين في قصف. الحكومة تعلن الحداد"])
    by_word = {strip_diacritics(w.text): w for w in reading.words}
    assert by_word["قتل"].opens_with_verb
    assert not by_word["الحكومة"].opens_with_verb
    assert not by_word["ثلاثة"].opens_with_verb
    assert [strip_diacritics(reading.text)[w.start : w.end] for w in reading.words] == [
        "قتل", "ثلاثة", "مدنيين", "في", "قصف", "الحكومة", "تعلن", "الحداد",
    ]  # fmt: skip
    assert not any(w.given for w in reading.words)
    (typed,) = get_diacritizer().read(["قُتِلَ ثلاثة مدنيين"])
    assert typed.words[0].given and not typed.words[0].unsure
    # The case vowel the number reader writes is not shown as a person's.
    (counted,) = get_diacritizer().read([speakable("قال إن 23 غارة استهدفت المدينة")])
    assert "ثَلَاثًا" in counted.text
    assert not any(w.given for w in counted.words)


def test_verb_shapes() -> None:
    for verb in ("قَتَلَ", "قُتِلَتْ", "يُقْتَلُ", "أُعْلِنَ", "اعْتُقِلَ", "وَأَضَافَ", "نَشَرُوا"):
        assert looks_like_verb(verb), verb
    for noun in ("رُوسْيَا", "الْحُكُومَةُ", "نَشْرَةُ", "بَيْنَ", "هَذِهِ", "مَدِينَةٌ"):
        assert not looks_like_verb(noun), noun


def test_long_lines_are_split_and_rejoined() -> None:
    line = " ".join([SENTENCES[0]] * 20)
    diacritizer = get_diacritizer()
    out = diacritizer.diacritize([line])
    assert strip_diacritics(out[0]) == line
    (reading,) = diacritizer.read([line])
    assert len(reading.words) == len(line.split())
    assert [strip_diacritics(line)[w.start : w.end] for w in reading.words] == line.split()


def test_reading_pieces_cover_the_text() -> None:
    (reading,) = get_diacritizer().read(["قال «المتحدث»: الوضع هادئ، UN 2"])
    pieces = reading.pieces()
    assert "".join(text for text, _ in pieces) == reading.text
    assert [strip_diacritics(text) for text, word in pieces if word] == ["قال", "المتحدث", "الوضع", "هادئ"]
    assert [text for text, word in pieces if word is None] == [" «", "»: ", " ", "، UN 2"]


def test_vowels_typed_in_a_script_file_are_voiced() -> None:
    """`producer build bulletin.script` reads what the editor typed: their vowels win over the model's."""
    from producer.arabic import Lexicon
    from producer.pipeline import speakable_texts
    from producer.scriptfile import script_from_text

    script = script_from_text(
        "# producer script v1\n"
        "title: نشرة\nstation: راديو ألوان\nprogramme: نشرة الأخبار\ncreated: 2026-01-05T12:00:00+02:00\n\n"
        "[story 1]\n"
        "قُتِلَتْ أمير الجماعة في غارة\n"
        "وقال مراسلنا إن الهجوم بدأ فجرا.\n"
    )
    (story,) = speakable_texts([seg.text for seg in script.segments], Lexicon.default(), diacritize=True)
    headline, body = story.split("\n")
    assert headline.startswith("قُتِلَتْ ")  # typed passive kept
    assert strip_diacritics(headline) == "قتلت أمير الجماعة في غارة"
    assert body.endswith(" فَجْرَا.")  # pausal: tanween fath on alif read as a long a


def test_a_long_line_is_paused_only_where_it_pauses() -> None:
    line = " ".join(["وقال المسؤول إن القوات ستطلق الهجوم"] * 20)  # no punctuation: one clause
    assert len(line) > 400  # cut into pieces for the model
    (paused,) = get_diacritizer().diacritize([line])
    (full,) = get_diacritizer().diacritize([line], pausal=False)
    assert paused.split()[:-1] == full.split()[:-1]  # only the last word is before a pause
    assert paused.split()[-1] != full.split()[-1]
    (reading,) = get_diacritizer().read([line])
    assert [w.opens_with_verb for w in reading.words].count(True) <= 1


def test_the_editors_view_reads_as_the_build_voices() -> None:
    """The view diacritizes a whole script in one call, a build one line at a time: both must give the
    same vowels (the int8 models once read a sentence differently when batched with others)."""
    from pathlib import Path

    rows = (
        (Path(__file__).resolve().parents[1] / "data" / "tashkeel_eval.tsv").read_text("utf-8").splitlines()
    )
    lines = [strip_diacritics(row.split("\t")[1].replace("*", "")) for row in rows if row[:1].isdigit()]
    assert len(lines) >= 150
    diacritizer = get_diacritizer()
    assert diacritizer.diacritize(lines) == [diacritizer.diacritize([line])[0] for line in lines]
