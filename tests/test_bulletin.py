from datetime import datetime, timedelta, timezone

import pytest

from producer.bulletin import BulletinOptions, compose, on_the_five
from producer.errors import InputError, TemplateError
from producer.models import SegmentKind, Story

DAMASCUS = timezone(timedelta(hours=3))
FRIDAY_MORNING = datetime(2017, 9, 15, 10, 31, tzinfo=DAMASCUS)
STORIES = [
    Story("عودة المياه إلى حلب", ("قالت المؤسسة إن الضخ عاد.", "وأوضحت أن العمل مستمر.")),
    Story("افتتاح مدارس في إدلب", ("افتتحت المديرية ثلاث مدارس.",)),
]
OPTIONS = BulletinOptions("راديو ألوان", "نشرة الأخبار")


def test_segments_in_broadcast_order():
    script = compose(STORIES, OPTIONS, FRIDAY_MORNING)
    kinds = [(seg.kind, seg.story) for seg in script.segments]
    assert kinds == [
        (SegmentKind.IDENT, None),
        (SegmentKind.GREETING, None),
        (SegmentKind.HEADLINES, None),
        (SegmentKind.TRANSITION, 0),
        (SegmentKind.STORY, 0),
        (SegmentKind.TRANSITION, 1),
        (SegmentKind.STORY, 1),
        (SegmentKind.SIGNOFF, None),
    ]
    assert script.headlines == ("عودة المياه إلى حلب", "افتتاح مدارس في إدلب")


def test_shipped_templates_read_as_a_newsreader_speaks():
    script = compose(STORIES, OPTIONS, FRIDAY_MORNING)
    text = {seg.kind: seg.text for seg in script.segments if seg.story is None}
    assert text[SegmentKind.IDENT] == "راديو ألوان، نشرة الأخبار."
    assert text[SegmentKind.GREETING] == (
        "صباح الخير. اليوم الجمعة، الخامس عشر من أيلول عام ألفين وسبعة عشر، "
        "والساعة الآن العاشرة والنصف صباحا."
    )
    assert text[SegmentKind.HEADLINES] == "إليكم أبرز العناوين:\nعودة المياه إلى حلب\nافتتاح مدارس في إدلب"
    assert script.segments[4].text == "عودة المياه إلى حلب\nقالت المؤسسة إن الضخ عاد.\nوأوضحت أن العمل مستمر."
    assert script.title == "نشرة الأخبار — الجمعة 2017-09-15"


def test_evening_greeting_and_single_story():
    evening = datetime(2017, 9, 15, 19, 58, tzinfo=DAMASCUS)
    script = compose(STORIES[:1], OPTIONS, evening)
    assert script.segments[1].text.startswith("مساء الخير.")
    assert "الثامنة مساء" in script.segments[1].text
    assert script.segments[2].text.startswith("في هذه النشرة:")


@pytest.mark.parametrize(
    ("minute", "said"), [(0, (10, 0)), (2, (10, 0)), (3, (10, 5)), (31, (10, 30)), (58, (11, 0))]
)
def test_time_is_said_to_the_nearest_five_minutes(minute, said):
    rounded = on_the_five(datetime(2017, 9, 15, 10, minute, 40))
    assert (rounded.hour, rounded.minute, rounded.second) == (*said, 0)


def test_station_templates_override_the_shipped_ones():
    options = BulletinOptions("راديو سوريالي", "الموجز", {"ident": "هنا {{ station }} من دمشق"})
    script = compose(STORIES, options, FRIDAY_MORNING)
    assert script.segments[0].text == "هنا راديو سوريالي من دمشق"
    assert script.segments[-1].text.startswith("بهذا نختتم الموجز.")


@pytest.mark.parametrize(
    "template",
    [
        "{{ 9**9**9 }}",
        "{{ 'x' * 10**8 }}",
        "{{ headlines * 10**7 }}",
        "{{ 1 / (count - 2) }}",
        "{{ station.__class__.__mro__ }}",
        "{{ missing_variable }}",
        "{% for %}",
    ],
)
def test_hostile_or_broken_templates_fail_as_template_errors(template):
    with pytest.raises(TemplateError, match="signoff"):
        compose(STORIES, BulletinOptions("راديو", "نشرة", {"signoff": template}), FRIDAY_MORNING)


def test_no_stories_is_an_input_error():
    with pytest.raises(InputError):
        compose([], OPTIONS, FRIDAY_MORNING)
