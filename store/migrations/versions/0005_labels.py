"""Sellers' return addresses, printed on prepaid return labels; the units a return request is about.

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
    with op.batch_alter_table('return_requests') as batch:
        batch.add_column(sa.Column('quantity', sa.Integer(), nullable=True))
        batch.create_check_constraint(op.f('ck_return_requests_quantity_positive'), 'quantity IS NULL OR quantity >= 1')


def downgrade() -> None:
    with op.batch_alter_table('return_requests') as batch:
        batch.drop_constraint(op.f('ck_return_requests_quantity_positive'), type_='check')
        batch.drop_column('quantity')
    with op.batch_alter_table('sellers') as batch:
        batch.drop_column('return_address')
