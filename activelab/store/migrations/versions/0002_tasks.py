"""Task types: an answer's value (a JSON list of labels or spans) can be long, so
``events.label`` and ``answers.label`` become Text, and so do the model's guesses shown
(``events.guess``, ``leases.guess``).

Revision ID: 0002
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0003"


#: The columns that hold an answer value.
COLUMNS = (("events", "label"), ("answers", "label"), ("events", "guess"), ("leases", "guess"))


def upgrade() -> None:
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, type_=sa.Text(), existing_type=sa.String(200),
                               existing_nullable=True)


def downgrade() -> None:
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, type_=sa.String(200), existing_type=sa.Text(),
                               existing_nullable=True)
