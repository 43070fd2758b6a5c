"""Sellers' return addresses, printed on prepaid return labels.

Revision ID: 0005_labels
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = '0005_labels'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sellers') as batch:
        batch.add_column(sa.Column('return_address', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sellers') as batch:
        batch.drop_column('return_address')
