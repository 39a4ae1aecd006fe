"""Episode.audio_bytes becomes a 64-bit integer: PostgreSQL's 32-bit integer refused an episode
over 2 GiB.

SQLite cannot change a column's type in place: batch mode rebuilds the table there (copying its
rows) and is a plain ALTER TABLE on PostgreSQL.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("episodes") as batch:
        batch.alter_column(
            "audio_bytes", existing_type=sa.Integer(), type_=sa.BigInteger(), existing_nullable=False
        )
