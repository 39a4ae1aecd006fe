"""The station's words as rows: lexicon entries, station templates, and a version per kind.

The lexicon and templates the settings page kept as two station values (a TSV text, a JSON
object) move into the new tables, in the order written; the values are then dropped. A lexicon
file of an earlier release is imported at the first start instead (producer.store.words), as
only the running service knows where it is.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0004_lexdb"
down_revision = "0003_air"


def upgrade() -> None:
    op.create_table(
        "lexicon_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pattern", sa.String(length=300), nullable=False),
        sa.Column("replacement", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pattern"),
    )
    op.create_table(
        "station_templates",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "words_versions",
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    _move_station_values()


def _move_station_values() -> None:
    station = sa.table("station", sa.column("key", sa.String), sa.column("value", sa.JSON))
    lexicon = sa.table(
        "lexicon_entries",
        *(sa.column(name) for name in ("pattern", "replacement", "position", "created_by", "created")),
        *(sa.column(name) for name in ("updated_by", "updated")),
    )
    templates = sa.table(
        "station_templates", *(sa.column(name) for name in ("name", "text", "updated_by", "updated"))
    )
    versions = sa.table("words_versions", *(sa.column(name) for name in ("name", "version", "updated")))
    bind = op.get_bind()
    stored = dict(
        bind.execute(sa.select(station.c.key, station.c.value).where(station.c.key.in_(_KEYS))).all()
    )
    now = datetime.now(UTC).replace(tzinfo=None)  # the tables keep naive UTC
    who = "upgrade"
    if isinstance(stored.get("lexicon"), str):
        # Saved through the settings page, so already checked line by line; a later line with the
        # same word replaced an earlier one, as it does here.
        entries: dict[str, str] = {}
        for line in stored["lexicon"].splitlines():
            fields = line.split("\t")
            if line.strip() and not line.lstrip().startswith("#") and len(fields) == 2:
                entries[fields[0].strip()] = fields[1].strip()
        entry_rows = [
            {"pattern": pattern, "replacement": spoken, "position": position, "created_by": who}
            | {"created": now, "updated_by": who, "updated": now}
            for position, (pattern, spoken) in enumerate(entries.items())
        ]
        if entry_rows:
            op.bulk_insert(lexicon, entry_rows)
        op.bulk_insert(versions, [{"name": "lexicon", "version": 1, "updated": now}])
    if isinstance(stored.get("templates"), dict) and stored["templates"]:
        template_rows = [
            {"name": name, "text": text, "updated_by": who, "updated": now}
            for name, text in sorted(stored["templates"].items())
            if isinstance(text, str)
        ]
        op.bulk_insert(templates, template_rows)
        op.bulk_insert(versions, [{"name": "templates", "version": 1, "updated": now}])
    bind.execute(sa.delete(station).where(station.c.key.in_(_KEYS)))


_KEYS = ("lexicon", "templates")
