"""Amazon reports: the original values an imported returns report carries (RMA id, return reason text,
resolution, SAFE-T claim id and state), the currency of an imported order, and an index on the
return's delivery for the claim finder.

Revision ID: 0006_amazon
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = '0006_amazon'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN and CREATE INDEX: SQLite needs no table rebuild for them.
    op.add_column('orders', sa.Column('currency', sa.String(length=3), nullable=True))
    op.add_column('return_requests', sa.Column('amazon_rma_id', sa.String(length=64), nullable=True))
    op.add_column('return_requests', sa.Column('amazon_reason', sa.String(length=200), nullable=True))
    op.add_column('refunds', sa.Column('amazon_resolution', sa.String(length=64), nullable=True))
    op.add_column('claims', sa.Column('safet_claim_id', sa.String(length=64), nullable=True))
    op.add_column('claims', sa.Column('safet_claim_state', sa.String(length=64), nullable=True))
    op.create_index(op.f('ix_claims_safet_claim_id'), 'claims', ['safet_claim_id'], unique=True)
    op.create_index(op.f('ix_return_requests_delivered_at'), 'return_requests', ['delivered_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_return_requests_delivered_at'), table_name='return_requests')
    op.drop_index(op.f('ix_claims_safet_claim_id'), table_name='claims')
    with op.batch_alter_table('claims') as batch:
        batch.drop_column('safet_claim_state')
        batch.drop_column('safet_claim_id')
    with op.batch_alter_table('refunds') as batch:
        batch.drop_column('amazon_resolution')
    with op.batch_alter_table('return_requests') as batch:
        batch.drop_column('amazon_reason')
        batch.drop_column('amazon_rma_id')
    with op.batch_alter_table('orders') as batch:
        batch.drop_column('currency')
