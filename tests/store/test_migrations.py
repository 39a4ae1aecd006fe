"""The schema's migrations on both backends (a SQLite file and a real PostgreSQL server): a fresh
database, one made by create_all before there were migrations, several processes migrating at
once, and the `producer db` commands."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, inspect, select, update
from sqlalchemy.exc import DataError

from producer.arabic.lexicon import LexiconEntry
from producer.errors import ProducerError
from producer.store import db, migrations, words
from producer.store.db import Base, Bulletin, Database, Episode, User

JOB_LEASE_COLUMNS = ("lease_until", "enqueued", "due", "output")
WORDS = ("lexicon_entries", "station_templates", "words_versions")
BIG = 3 * 2**31  # an episode of 6 GiB: more than a 32-bit integer holds


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A fresh database, not migrated yet."""
    database = Database(database_url)
    yield database
    database.dispose()


def before_migrations() -> MetaData:
    """The schema create_all made before there were migrations: today's, but audio_bytes 32-bit
    and no tables or columns that later revisions added."""
    old = MetaData()
    for table in Base.metadata.sorted_tables:
        # Tables of revisions 0003_scale, 0003_hostile, 0003_air, 0004_lexdb and 0004_airweb.
        tables = ("secrets", "login_failures", "sources", "articles", "programmes", "runs", "picks", *WORDS)
        if table.name in tables:
            continue
        copy = table.to_metadata(old)
        if table.name == "jobs":
            # Without the lease columns and the one-active-job index of revision 0003_scale.
            for name in JOB_LEASE_COLUMNS:
                copy._columns.remove(copy.c[name])
            copy.indexes = {i for i in copy.indexes if i.name in ("ix_jobs_state", "ix_jobs_bulletin_id")}
    old.tables["episodes"].c.audio_bytes.type = Integer()
    episodes = old.tables["episodes"]
    episodes._columns.remove(episodes.c.subtitles_key)  # added by 0003_publish
    tokens = old.tables["api_tokens"]
    tokens._columns.remove(tokens.c.expires)
    return old


def differences(database: Database, metadata: MetaData) -> list[Any]:
    """What autogenerate would change to make the database's schema `metadata`'s."""
    with database.read() as s:
        context = MigrationContext.configure(s.connection(), opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def test_fresh_database_upgrades_to_exactly_the_models(database: Database) -> None:
    database.migrate()
    assert differences(database, Base.metadata) == []
    assert database.revision() == migrations.head() == "0005_notes"
    database.migrate()  # a second start finds nothing to do
    assert database.revision() == "0005_notes"


def test_baseline_is_the_schema_create_all_made(database: Database) -> None:
    with database.write() as s:
        command.upgrade(migrations.config(s.connection()), migrations.BASELINE)
    assert differences(database, before_migrations()) == []


def test_database_made_before_migrations_is_stamped_and_upgraded(database: Database) -> None:
    old = before_migrations()
    with database.write() as s:
        old.create_all(s.connection())
    with database.write() as s:
        s.add(User(name="sara", role="editor", password_hash="x"))
        bulletin = Bulletin(title="نشرة", articles=["خبر"])
        s.add(bulletin)
        s.flush()
        # A row as the old schema holds it (the model has columns later revisions added).
        s.execute(
            old.tables["episodes"]
            .insert()
            .values(
                guid="g1",
                bulletin_id=bulletin.id,
                title="حلقة",
                revision="r1",
                audio_key="a.mp3",
                audio_type="audio/mpeg",
                audio_bytes=123_456,
                transcript_key="a.vtt",
                chapters_key="a.json",
                duration=95.25,
                chapters=[],
                cues=[],
                rendered=datetime.now(UTC),
                published=False,
            )
        )
    if database.engine.dialect.name == "postgresql":
        with pytest.raises(DataError), database.write() as s:  # the column the upgrade widens
            s.execute(update(Episode).values(audio_bytes=BIG))
    assert database.revision() is None

    database.migrate()

    assert database.revision() == migrations.head()
    assert differences(database, Base.metadata) == []
    with database.read() as s:
        assert s.scalars(select(User.name)).all() == ["sara"]
        assert s.execute(select(Episode.guid, Episode.audio_bytes, Episode.bulletin_id)).all() == [
            ("g1", 123_456, bulletin.id)
        ]
    with database.write() as s:
        s.execute(update(Episode).values(audio_bytes=BIG))
    with database.read() as s:
        assert s.scalar(select(Episode.audio_bytes)) == BIG


def test_lexicon_and_templates_kept_as_station_values_become_rows(database: Database) -> None:
    """Before 0004_lexdb the settings page kept the lexicon (TSV text) and the templates (a JSON
    object) as station values: the upgrade moves them into rows, in order, and drops the values."""
    with database.write() as s:
        command.upgrade(migrations.config(s.connection()), "0003_air")
        lexicon = "# station words\nقسد\tقَسَد\nre:\\bNo\\.\\s*(\\d)\tرقم \\1\n\nقسد\tقَسَدْ\n"
        station = Table(
            "station", MetaData(), Column("key", String), Column("value", JSON), Column("updated")
        )
        now = datetime.now(UTC).replace(tzinfo=None)
        s.execute(
            station.insert(),
            [
                {"key": "lexicon", "value": lexicon, "updated": now},
                {"key": "templates", "value": {"ident": "هنا {{ station }}"}, "updated": now},
                {"key": "station_name", "value": "راديو", "updated": now},
            ],
        )
    database.migrate()
    with database.read() as s:
        assert words.lexicon_entries(s) == [
            LexiconEntry("قسد", "قَسَدْ"),  # the later line replaced the earlier, in its place
            LexiconEntry("re:\\bNo\\.\\s*(\\d)", "رقم \\1"),
        ]
        assert words.station_templates(s) == {"ident": "هنا {{ station }}"}
        assert words.versions(s) == {"lexicon": 1, "templates": 1}
        assert db.station_values(s) == {"station_name": "راديو"}


def test_lexicon_rows_of_an_earlier_release_keep_their_entries_with_no_note(database: Database) -> None:
    with database.write() as s:
        command.upgrade(migrations.config(s.connection()), "0004_airweb")
        rows = Table(
            "lexicon_entries",
            MetaData(),
            *(Column(name) for name in ("pattern", "replacement", "position", "created_by", "created")),
            *(Column(name) for name in ("updated_by", "updated")),
        )
        now = datetime.now(UTC).replace(tzinfo=None)
        s.execute(
            rows.insert(),
            [
                {"pattern": "قسد", "replacement": "قَسَد", "position": 0, "created_by": "sara"}
                | {"created": now, "updated_by": "sara", "updated": now}
            ],
        )
    database.migrate()
    with database.read() as s:
        assert [(r.pattern, r.replacement, r.note) for r in words.lexicon_rows(s)] == [("قسد", "قَسَد", "")]


def test_processes_starting_together_migrate_once(database_url: str) -> None:
    """`serve` and its workers starting at once on a fresh database all come up."""
    code = f"from producer.store.db import Database; Database({database_url!r}).migrate()"
    starts = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE) for _ in range(4)]
    errors = [start.communicate(timeout=60)[1].decode()[-2000:] for start in starts]
    assert [start.returncode for start in starts] == [0] * len(starts), errors
    reader = Database(database_url)
    try:
        with reader.read() as s:
            tables = set(inspect(s.connection()).get_table_names())
        assert tables == {*Base.metadata.tables, "alembic_version"}
        assert reader.revision() == migrations.head()
    finally:
        reader.dispose()


def test_db_commands_upgrade_and_show_the_revision(database_url: str) -> None:
    env = {**os.environ, "PRODUCER_DATABASE_URL": database_url}

    def producer(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "producer", "db", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert producer("current").stdout == "none\n"
    upgraded = producer("upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    current = producer("current")
    assert (current.returncode, current.stdout) == (0, f"{migrations.head()} (head)\n")


def test_a_database_from_a_newer_release_is_refused_clearly(database: Database) -> None:
    database.migrate()
    with database.write() as s:
        s.execute(migrations_version_table().update().values(version_num="0099"))
    with pytest.raises(ProducerError, match="revision 0099, newer than this release knows"):
        database.migrate()
    assert database.revision() == "0099"  # left as it was


def migrations_version_table() -> Table:
    return Table("alembic_version", MetaData(), Column("version_num", String(32)))
