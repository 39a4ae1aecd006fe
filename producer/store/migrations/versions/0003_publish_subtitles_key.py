"""Episode.subtitles_key: the SubRip transcript stored beside the WebVTT one.

Nullable: episodes rendered before there were SubRip files have none, and the feed links only
the transcripts an episode has.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_publish"
down_revision = "0003_scale"


def upgrade() -> None:
    with op.batch_alter_table("episodes") as batch:
        batch.add_column(sa.Column("subtitles_key", sa.String(length=500), nullable=True))
