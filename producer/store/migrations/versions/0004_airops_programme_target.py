"""A programme says what it renders: the broadcast WAV for the air (the default) or the podcast MP3."""

import sqlalchemy as sa
from alembic import op

revision = "0004_airops"
down_revision = "0004_lexdb"


def upgrade() -> None:
    with op.batch_alter_table("programmes") as batch:
        batch.add_column(
            sa.Column("target", sa.String(length=16), nullable=False, server_default="broadcast")
        )


def downgrade() -> None:
    with op.batch_alter_table("programmes") as batch:
        batch.drop_column("target")
