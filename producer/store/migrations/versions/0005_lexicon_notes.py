"""Lexicon entries keep the comment lines written above them (their note), which saving the
settings page, an import or an upgrade used to drop."""

import sqlalchemy as sa
from alembic import op

revision = "0005_notes"
down_revision = "0004_airweb"


def upgrade() -> None:
    with op.batch_alter_table("lexicon_entries") as batch:
        batch.add_column(sa.Column("note", sa.Text(), nullable=False, server_default=""))
