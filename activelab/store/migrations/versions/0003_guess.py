"""The model's guesses: a ``guesses`` table (one row per item and model version), the guess
shown on each lease, and on each event the guess shown and whether the answer took it.

Revision ID: 0003
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0005"


def upgrade() -> None:
    op.create_table(
        "guesses",
        sa.Column("model_version_id", sa.Integer(), sa.ForeignKey("model_versions.id"),
                  primary_key=True),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("items.id"), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
    )
    with op.batch_alter_table("leases") as batch:
        batch.add_column(sa.Column("guess", sa.String(200), nullable=True))
        batch.add_column(sa.Column("guess_confidence", sa.Float(), nullable=True))
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("guess", sa.String(200), nullable=True))
        batch.add_column(sa.Column("guess_accepted", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("guess_accepted")
        batch.drop_column("guess")
    with op.batch_alter_table("leases") as batch:
        batch.drop_column("guess_confidence")
        batch.drop_column("guess")
    op.drop_table("guesses")
