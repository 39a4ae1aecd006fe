"""The schema's migrations (Alembic), run on a connection whose transaction the caller holds.

One file per revision in versions/; env.py only hands Alembic that connection. There is no
alembic.ini: the scripts are this folder and the database is the caller's, so an installed
package migrates its own database.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

from producer.errors import ProducerError

SCRIPTS = Path(__file__).resolve().parent
# The revision whose schema is exactly what create_all made before there were migrations, and
# its tables: a database holding them all but no revision was made by such a release.
BASELINE = "0001"
BASELINE_TABLES = frozenset(
    {"api_tokens", "audit", "bulletins", "episodes", "jobs", "sessions", "station", "users"}
)


def config(connection: Connection) -> Config:
    """Alembic's configuration for migrating `connection` (env.py takes it from the attributes)."""
    alembic_config = Config()
    # The option goes through ConfigParser, which reads % as interpolation.
    alembic_config.set_main_option("script_location", str(SCRIPTS).replace("%", "%%"))
    alembic_config.attributes["connection"] = connection
    return alembic_config


def head() -> str | None:
    return ScriptDirectory(str(SCRIPTS)).get_current_head()


def current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection) -> None:
    """Bring the schema to the newest revision, in the connection's open transaction."""
    migration = config(connection)
    found = current(connection)
    if found is None and BASELINE_TABLES.issubset(inspect(connection).get_table_names()):
        command.stamp(migration, BASELINE)
    elif found is not None and found not in _known():
        raise ProducerError(
            f"the database is at schema revision {found}, newer than this release knows"
            f" (its newest is {head()}): install the release that wrote it, or a later one"
        )
    command.upgrade(migration, "head")


def _known() -> set[str]:
    return {script.revision for script in ScriptDirectory(str(SCRIPTS)).walk_revisions()}
