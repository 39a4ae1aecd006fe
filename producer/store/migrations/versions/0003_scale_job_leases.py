"""Jobs get a lease timed by the database clock, an outbox mark, a fairness order and the prefix
their attempt uploads under; one queued or running job per bulletin becomes a unique index.

The form-signing secret moves into a `secrets` table shared by every server.

Jobs left running by a release without leases get an expired lease, so the first worker that
starts takes them again.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_scale"
down_revision = "0002"

ACTIVE = sa.text("state IN ('queued', 'running')")


def upgrade() -> None:
    op.create_table(
        "secrets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=128), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("lease_until", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("enqueued", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("due", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("output", sa.String(length=500), nullable=True))
    op.create_index("ix_jobs_lease_until", "jobs", ["lease_until"])
    op.create_index("ix_jobs_due", "jobs", ["due"])
    jobs = sa.table(
        "jobs", sa.column("state"), sa.column("created"), sa.column("due"), sa.column("lease_until")
    )
    op.execute(jobs.update().values(due=jobs.c.created))
    op.execute(jobs.update().where(jobs.c.state == "running").values(lease_until=jobs.c.created))
    # Two active jobs of one bulletin (possible before): the older ones are failed, not lost silently.
    op.execute(
        sa.text(
            "UPDATE jobs SET state = 'failed', error = 'superseded' WHERE state IN ('queued', 'running') "
            "AND EXISTS (SELECT 1 FROM jobs AS newer WHERE newer.bulletin_id = jobs.bulletin_id "
            "AND newer.state IN ('queued', 'running') AND newer.created > jobs.created)"
        )
    )
    op.create_index(
        "uq_jobs_active_bulletin",
        "jobs",
        ["bulletin_id"],
        unique=True,
        sqlite_where=ACTIVE,
        postgresql_where=ACTIVE,
    )
