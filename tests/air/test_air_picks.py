"""Editors' picks for a programme's next bulletin: the reading order they make, and a real run
(real sources over HTTP, the real planner and composer) reading exactly what they chose."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import LOCAL, Site
from sqlalchemy import select

from producer.air import desk
from producer.air.picks import Choice, line_up
from producer.air.poll import poll
from producer.air.programmes import Invalid
from producer.air.runs import Services
from producer.jobs import JobQueue
from producer.settings import load_settings
from producer.store.air import Article, Mode, Programme, Run, SourceKind, add_programme, add_source
from producer.store.db import Bulletin, Database, database_url
from producer.store.files import open_store
from tests.backends import backend_for

WATER = "عودة المياه إلى 12 حيا في مدينة حلب"
SCHOOLS = "افتتاح ثلاث مدارس جديدة في ريف إدلب"
BREAD = "ارتفاع أسعار الخبز في درعا بعد رفع سعر الطحين"
T0 = (datetime.now(UTC) + timedelta(days=1)).replace(minute=55, second=0, microsecond=0)


@pytest.mark.parametrize(
    ("choices", "chosen", "order", "least", "keep"),
    [
        ({}, (1, 2), (1, 2, 3), (1, 1), 0),
        ({3: Choice(pinned=True)}, (3, 1), (3, 1, 2), (1, 1), 1),
        ({1: Choice(dropped=True)}, (2, 3), (2, 3), (1, 1), 0),
        ({1: Choice(position=1), 2: Choice(position=0), 3: Choice(position=2)}, (2, 1), (2, 1, 3), (1, 1), 0),
        # A story that came in after the editor ordered the list (no position) goes first.
        ({1: Choice(position=0), 2: Choice(position=1)}, (3, 1), (3, 1, 2), (1, 1), 0),
        ({2: Choice(extra=5)}, (1, 2), (1, 2, 3), (1, 3), 0),
        (
            {1: Choice(pinned=True), 2: Choice(pinned=True), 3: Choice(pinned=True)},
            (1, 2, 3),
            (1, 2, 3),
            (1, 1, 1),
            3,
        ),
    ],
    ids=["newest first", "pinned", "dropped", "ordered", "new arrival", "extended", "pinned over the count"],
)
def test_line_up(
    choices: dict[int, Choice],
    chosen: tuple[int, ...],
    order: tuple[int, ...],
    least: tuple[int, ...],
    keep: int,
) -> None:
    lineup = line_up([1, 2, 3], {1: 3, 2: 3, 3: 2}, choices, max_stories=2)
    assert (lineup.chosen, lineup.order, lineup.least, lineup.keep) == (chosen, order, least, keep)


@pytest.fixture(params=["sqlite", "postgresql"])
def station(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, site: Site
) -> Services:
    """Two sources polled at T0 - 10 minutes: three news items (the agency's water story is the
    same news as Alwan's and is kept as a duplicate of it); on each database backend."""
    monkeypatch.setenv("PRODUCER_DATA_DIR", str(tmp_path / "data"))
    for key, value in backend_for(request, request.param).env().items():
        if value:
            monkeypatch.setenv(key, value)
    settings = load_settings()
    settings.data_dir.mkdir(parents=True)
    database = Database(database_url(settings.data_dir, settings.database_url))
    store = open_store(settings)
    services = Services(settings, database, store, JobQueue(settings, database, store))
    database.migrate()
    for name, path in (("ألوان", "/feed.xml"), ("الوكالة", "/agency.xml")):
        with database.write() as s:
            source_id = add_source(s, name, site.url(path), SourceKind.FEED).id
        poll(database, source_id, now=T0 - timedelta(minutes=10), limits=LOCAL)
    return services


def test_a_run_reads_the_stories_its_editors_pinned_dropped_ordered_and_extended(station: Services) -> None:
    with station.db.write() as s:
        programme_id = add_programme(
            s,
            Programme(
                name="نشرة الساعة", cron="55 * * * *", lead_minutes=5, length_seconds=95, max_stories=2,
                sources=["ألوان", "الوكالة"], mode=Mode.AUTO.value, playout=[], no_repeat=3,
            ),
        ).id  # fmt: skip
        ids = {a.headline: a.id for a in s.scalars(select(Article).where(Article.same_as.is_(None)))}
    now = T0 - timedelta(minutes=1)
    shown = desk.next_bulletin(station, programme_id, now=now)
    assert shown.slot.air == T0 + timedelta(minutes=5) and shown.run_id is None
    # Newest first (fetched together: the last stored first); two fit the count.
    assert [c.headline for c in shown.candidates] == [BREAD, SCHOOLS, WATER]
    assert [c.chosen for c in shown.candidates] == [True, True, False]

    for article, action in ((BREAD, "drop"), (WATER, "pin"), (SCHOOLS, "extend")):
        desk.change_pick(station, programme_id, ids[article], action, now=now)
    shown = desk.next_bulletin(station, programme_id, now=now)
    assert [(c.headline, c.chosen, c.kept) for c in shown.candidates] == [
        (WATER, True, 1),
        (SCHOOLS, True, 2),
        (BREAD, False, 0),
    ]
    # The total adds the ident, greeting, headlines, jingles and pauses to the stories' own time.
    assert sum(c.seconds for c in shown.candidates if c.chosen) < shown.total <= 95

    run_id = desk.build_next(station, programme_id, now=now)
    with station.db.read() as s:
        run = s.get(Run, run_id)
        assert run is not None
        bulletin = s.get(Bulletin, run.bulletin_id)
    assert bulletin is not None and bulletin.script is not None
    assert run.article_ids == [ids[WATER], ids[SCHOOLS]]
    assert bulletin.script["headlines"] == [WATER, SCHOOLS]
    schools = bulletin.articles[1].split("\n\n")
    assert schools[0] == SCHOOLS and len(schools) == 3  # headline, lead and the paragraph added
    with pytest.raises(Invalid, match="built already"):
        desk.change_pick(station, programme_id, ids[BREAD], "restore", now=now)
