"""Login throttling moves into the database (every web process shares it) and API tokens get an
optional expiry."""

import sqlalchemy as sa
from alembic import op

revision = "0003_hostile"
down_revision = "0003_publish"


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("blocked_until", sa.DateTime(), nullable=True),
        sa.Column("last", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_login_failures_last", "login_failures", ["last"])
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires", sa.DateTime(), nullable=True))
