"""A reply that rides in the webhook's response to its update: the inbox records how an update's reply
leaves (in the response, or through the sender), and the outbox which update's response carries a message.

Revision ID: 0007_webhook_answers
Revises: 0004_inbox (the inbox), 0006_replies (the outbox's replies)
"""
from alembic import op
import sqlalchemy as sa

revision = '0007_webhook_answers'
down_revision = ('0004_inbox', '0006_replies')
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inbox') as batch:
        batch.add_column(sa.Column('reply_via', sa.String(length=16), nullable=True))
        batch.create_check_constraint(op.f('ck_inbox_reply_via_valid'), "reply_via IS NULL OR reply_via IN ('response', 'sender')")
    op.add_column('outbox', sa.Column('answers_update', sa.BigInteger(), nullable=True))
    op.create_index(op.f('ix_outbox_answers_update'), 'outbox', ['answers_update'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_outbox_answers_update'), table_name='outbox')
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('answers_update')
    with op.batch_alter_table('inbox') as batch:
        batch.drop_constraint(op.f('ck_inbox_reply_via_valid'), type_='check')
        batch.drop_column('reply_via')
