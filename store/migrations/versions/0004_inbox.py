"""The durable inbox (updates stored before they are acknowledged) and the shared per-person rate limit.

Revision ID: 0004_inbox
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = '0004_inbox'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('inbox',
    sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('taken_by', sa.String(length=128), nullable=True),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_inbox_attempts_non_negative')),
    sa.PrimaryKeyConstraint('update_id', name=op.f('pk_inbox'))
    )
    op.create_index('ix_inbox_pending', 'inbox', ['chat_id', 'update_id'], unique=False,
                    postgresql_where=sa.text('processed_at IS NULL'), sqlite_where=sa.text('processed_at IS NULL'))
    op.create_index(op.f('ix_inbox_processed_at'), 'inbox', ['processed_at'], unique=False)
    op.create_index(op.f('ix_processed_updates_processed_at'), 'processed_updates', ['processed_at'], unique=False)
    op.create_table('rate_limits',
    sa.Column('telegram_user_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('tat', sa.Double(), nullable=False),
    sa.Column('refused', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('telegram_user_id', name=op.f('pk_rate_limits'))
    )


def downgrade() -> None:
    op.drop_table('rate_limits')
    op.drop_index(op.f('ix_processed_updates_processed_at'), table_name='processed_updates')
    op.drop_index(op.f('ix_inbox_processed_at'), table_name='inbox')
    op.drop_index('ix_inbox_pending', table_name='inbox')
    op.drop_table('inbox')
