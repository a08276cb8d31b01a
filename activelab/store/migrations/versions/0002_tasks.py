"""Task types: an answer's value (a JSON list of labels or spans) can be long, so
``events.label`` and ``answers.label`` become Text.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    for table in ("events", "answers"):
        with op.batch_alter_table(table) as batch:
            batch.alter_column("label", type_=sa.Text(), existing_type=sa.String(200),
                               existing_nullable=True)


def downgrade() -> None:
    for table in ("events", "answers"):
        with op.batch_alter_table(table) as batch:
            batch.alter_column("label", type_=sa.String(200), existing_type=sa.Text(),
                               existing_nullable=True)
