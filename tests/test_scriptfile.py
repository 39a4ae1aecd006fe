from datetime import datetime, timedelta, timezone

import pytest

from producer.errors import InputError
from producer.models import Script, Segment, SegmentKind
from producer.scriptfile import (
    looks_like_script,
    script_from_dict,
    script_from_text,
    script_to_dict,
    script_to_text,
)

DAMASCUS = timezone(timedelta(hours=3))


def sample_script() -> Script:
    segments = (
        Segment(SegmentKind.IDENT, "راديو ألوان، نشرة الأخبار."),
        Segment(SegmentKind.GREETING, "صباح الخير."),
        Segment(SegmentKind.HEADLINES, "إليكم أبرز العناوين:\nالخبر الأول\nالخبر الثاني"),
        Segment(SegmentKind.TRANSITION, "نبدأ نشرتنا بهذا الخبر.", story=0),
        Segment(SegmentKind.STORY, "الخبر الأول\nفقرة أولى.\nفقرة ثانية فيها 5 غارات.", story=0),
        Segment(SegmentKind.TRANSITION, "وفي ختام النشرة.", story=1),
        Segment(SegmentKind.STORY, "الخبر الثاني\nفقرة.", story=1),
        Segment(SegmentKind.SIGNOFF, "إلى اللقاء."),
    )
    return Script(
        title="نشرة الصباح",
        station="راديو ألوان",
        programme="نشرة الأخبار",
        created=datetime(2017, 9, 15, 10, 30, tzinfo=DAMASCUS),
        headlines=("الخبر الأول", "الخبر الثاني"),
        segments=segments,
    )


def test_text_round_trip_is_exact():
    script = sample_script()
    text = script_to_text(script)
    assert looks_like_script(text)
    assert script_from_text(text) == script


def test_text_form_is_readable_sections():
    text = script_to_text(sample_script())
    assert "[story 2]  # خبر\nالخبر الثاني\nفقرة.\n" in text
    assert "title: نشرة الصباح\n" in text


def test_editing_a_story_headline_renames_its_chapter():
    text = script_to_text(sample_script()).replace("الخبر الثاني\nفقرة.", "عنوان جديد\nفقرة معدلة.")
    edited = script_from_text(text)
    assert edited.headlines == ("الخبر الأول", "عنوان جديد")
    assert edited.segments[6].text == "عنوان جديد\nفقرة معدلة."


def test_comments_and_blank_lines_are_not_read():
    text = script_to_text(sample_script()).replace("[signoff]", "# ملاحظة للمذيع\n\n[signoff]")
    assert script_from_text(text) == sample_script()


def test_bom_is_accepted():
    assert script_from_text("\ufeff" + script_to_text(sample_script())) == sample_script()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("[signoff]", "[music]"), "unknown section [music]"),
        (lambda t: t.replace("[story 1]", "[story]"), "needs a story number"),
        (lambda t: t.replace("created: ", "created: yesterday "), "not ISO 8601"),
        (lambda t: t.replace("station: ", "stationx: "), "expected a header"),
        (lambda t: t.split("[story 1]")[0], "no [story N] section"),
    ],
)
def test_malformed_scripts_are_rejected_with_a_reason(edit, message):
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        script_from_text(edit(script_to_text(sample_script())))


def test_dict_round_trip():
    script = sample_script()
    assert script_from_dict(script_to_dict(script)) == script


def test_dict_with_bad_kind_is_an_input_error():
    data = script_to_dict(sample_script())
    data["segments"][0]["kind"] = "weather"
    with pytest.raises(InputError):
        script_from_dict(data)


def test_atomic_writes_get_the_usual_file_mode(tmp_path):

    from producer import atomic
    from producer.atomic import atomic_write_text

    atomic_write_text(tmp_path / "a.txt", "نص")
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o666 & ~atomic._UMASK
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
