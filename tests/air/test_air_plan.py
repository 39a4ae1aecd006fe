"""Fitting a bulletin to its length, and when a programme's bulletins are built and aired."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from producer.air.fit import fit, seconds_for
from producer.air.plan import Furniture, plan
from producer.air.schedule import check_cron, due, next_slot
from producer.errors import InputError
from producer.models import Story

TEN = " ".join(["كلمة"] * 10)  # ten words: 5 s at 120 words per minute


def _story(name: str, paragraphs: int) -> Story:
    return Story(f"{name} {TEN}", tuple(f"{TEN} {i}" for i in range(paragraphs)))


def test_reading_time_is_words_at_the_pace_plus_a_breath_per_paragraph() -> None:
    assert seconds_for([TEN, TEN], 120) == pytest.approx(10.0 + 0.5)


def test_every_story_keeps_its_lead_and_the_rest_is_shared_in_order() -> None:
    stories = [_story("أ", 4), _story("ب", 4), _story("ج", 1)]
    # Each headline ~5.75 s, each paragraph ~5.75 s at 120 wpm: room for 8 pieces.
    fitted = fit(stories, budget_seconds=8 * 5.75 + 0.1, words_per_minute=120)
    assert [len(f.story.paragraphs) for f in fitted] == [2, 2, 1]
    assert [f.total_paragraphs for f in fitted] == [4, 4, 1]
    assert sum(f.seconds for f in fitted) <= 8 * 5.75 + 0.1
    assert fitted[0].story.paragraphs == stories[0].paragraphs[:2]


def test_stories_whose_lead_does_not_fit_are_left_out_latest_first() -> None:
    stories = [_story("أ", 3), _story("ب", 3), _story("ج", 3)]
    fitted = fit(stories, budget_seconds=4 * 5.75 + 0.1, words_per_minute=120)
    assert [f.story.headline[0] for f in fitted] == ["أ", "ب"]
    assert [len(f.story.paragraphs) for f in fitted] == [1, 1]


def test_a_slower_pace_keeps_less() -> None:
    stories = [_story("أ", 6)]
    fast = fit(stories, budget_seconds=30, words_per_minute=150)
    slow = fit(stories, budget_seconds=30, words_per_minute=100)
    assert len(fast[0].story.paragraphs) > len(slow[0].story.paragraphs) >= 1


def test_the_next_slot_is_built_at_the_cron_time_and_airs_after_the_lead() -> None:
    # Damascus is UTC+3: ":55 every hour" builds at 10:55 local = 07:55 UTC, airs 08:00 UTC.
    slot = next_slot(
        "55 * * * *", "Asia/Damascus", after=datetime(2026, 12, 6, 7, 40, tzinfo=UTC), lead_minutes=5
    )
    assert (slot.build, slot.air) == (
        datetime(2026, 12, 6, 7, 55, tzinfo=UTC),
        datetime(2026, 12, 6, 8, 0, tzinfo=UTC),
    )


def test_a_daily_bulletin_keeps_its_local_hour() -> None:
    slot = next_slot(
        "50 7 * * *", "Asia/Damascus", after=datetime(2026, 12, 6, 12, 0, tzinfo=UTC), lead_minutes=10
    )
    assert slot.build == datetime(2026, 12, 7, 4, 50, tzinfo=UTC)  # 07:50 in Damascus
    assert slot.air == datetime(2026, 12, 7, 5, 0, tzinfo=UTC)


def test_the_slots_due_are_those_built_since_the_last_look() -> None:
    since = datetime(2026, 12, 6, 7, 0, tzinfo=UTC)
    now = datetime(2026, 12, 6, 9, 56, tzinfo=UTC)
    slots = due("55 * * * *", "Asia/Damascus", since=since, now=now, lead_minutes=5)
    assert [s.build.hour for s in slots] == [7, 8, 9]


@pytest.mark.parametrize("bad", ["", "every hour", "61 * * * *", "* * * *", "0 0 * * * *"])
def test_a_bad_cron_expression_is_refused_in_one_sentence(bad: str) -> None:
    with pytest.raises(InputError, match="is not a cron expression of five fields"):
        check_cron(bad)


def _compose(stories):  # type: ignore[no-untyped-def]
    from producer.pipeline import compose_script
    from producer.settings import Settings

    return compose_script(stories, Settings(), title="نشرة", now=datetime(2026, 12, 6, 10, 0, tzinfo=UTC))


FURNITURE = Furniture(intro=8.0, outro=6.0, stinger=1.5)


def test_a_bulletin_is_planned_to_its_length_with_its_fixed_parts_counted() -> None:
    stories = [_story(name, 10) for name in "أبجد"]
    planned = plan(stories, length_seconds=240, words_per_minute=130, furniture=FURNITURE, compose=_compose)
    # Within one paragraph (~5.5 s at this pace) of the length, every story trimmed.
    assert 234 <= planned.seconds <= 240
    assert all(len(f.story.paragraphs) < f.total_paragraphs for f in planned.stories)
    assert [f.story.headline for f in planned.stories] == [s.headline for s in stories]
    assert planned.script.headlines == tuple(s.headline for s in stories)
    # The stories read what was fitted, no more.
    bodies = [seg.text for seg in planned.script.segments if seg.kind.value == "story"]
    assert [b.count("\n") for b in bodies] == [len(f.story.paragraphs) for f in planned.stories]


def test_a_longer_programme_reads_more_of_each_story() -> None:
    stories = [_story(name, 8) for name in "أبجد"]
    short = plan(stories, length_seconds=150, words_per_minute=130, furniture=FURNITURE, compose=_compose)
    long = plan(stories, length_seconds=400, words_per_minute=130, furniture=FURNITURE, compose=_compose)
    assert sum(len(f.story.paragraphs) for f in long.stories) > sum(
        len(f.story.paragraphs) for f in short.stories
    )


def test_a_programme_too_short_for_any_lead_still_reads_the_first_story_s_lead() -> None:
    planned = plan(
        [_story("أ", 3)], length_seconds=5, words_per_minute=130, furniture=FURNITURE, compose=_compose
    )
    (only,) = planned.stories
    assert len(only.story.paragraphs) == 1
