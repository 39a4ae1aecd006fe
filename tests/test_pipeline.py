"""Pipeline wiring that is not a stage of its own: the script as it is voiced at render time."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

from producer.bulletin import BulletinOptions, compose
from producer.models import Segment, SegmentKind, Story
from producer.pipeline import at_render_time
from producer.settings import Settings

DAMASCUS = timezone(timedelta(hours=3))
COMPOSED = datetime(2017, 9, 15, 10, 31, tzinfo=DAMASCUS)
RENDERED = datetime(2017, 9, 15, 19, 58, tzinfo=DAMASCUS)
STORIES = [Story("عودة المياه إلى حلب", ("قالت المؤسسة إن الضخ عاد.",)), Story("مدارس", ("افتتحت.",))]


def test_the_greeting_says_the_time_of_the_render_not_of_the_compose(tmp_path):
    settings = Settings(data_dir=tmp_path)
    options = BulletinOptions(settings.station_name, settings.programme_name)
    script = compose(STORIES, options, COMPOSED)
    assert "العاشرة والنصف صباحا" in script.segments[1].text
    voiced = at_render_time(script, settings, RENDERED)
    assert voiced.segments[1].text == (
        "مساء الخير. اليوم الجمعة، الخامس عشر من أيلول عام ألفين وسبعة عشر، والساعة الآن الثامنة مساء."
    )
    assert voiced.segments[1:] != script.segments[1:] and voiced.segments[2:] == script.segments[2:]
    assert voiced.created == script.created and voiced.title == script.title


def test_a_greeting_staff_edited_is_voiced_as_edited(tmp_path):
    settings = Settings(data_dir=tmp_path)
    options = BulletinOptions(settings.station_name, settings.programme_name)
    script = compose(STORIES, options, COMPOSED)
    edited = replace(
        script,
        segments=(
            script.segments[0],
            Segment(SegmentKind.GREETING, "أسعد الله صباحكم."),
            *script.segments[2:],
        ),
    )
    assert at_render_time(edited, settings, RENDERED) == edited
    # An edited story does not stop the greeting from being brought up to date.
    story = script.segments[4]
    changed = replace(
        script,
        segments=(*script.segments[:4], replace(story, text=story.text + "\nفقرة."), *script.segments[5:]),
    )
    assert "الثامنة مساء" in at_render_time(changed, settings, RENDERED).segments[1].text
