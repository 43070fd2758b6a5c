"""Replies through the outbox carry what a chat reply can: an edit of the message whose button was
pressed, a file (a label PDF, a chart PNG) and a chat's command menu.

Revision ID: 0006_replies
Revises: 0003_desk (the outbox table)
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

revision = '0006_replies'
down_revision = '0003_desk'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('edit_message_id', sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column('file_name', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('file_kind', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('file_content', sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column('menu', JSON, nullable=True))
        batch.create_check_constraint(op.f('ck_outbox_file_whole'),
                                      '(file_content IS NULL) = (file_name IS NULL) AND (file_content IS NULL) = (file_kind IS NULL)')
        batch.create_check_constraint(op.f('ck_outbox_file_kind_valid'), "file_kind IS NULL OR file_kind IN ('document', 'photo')")


def downgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.drop_constraint(op.f('ck_outbox_file_kind_valid'), type_='check')
        batch.drop_constraint(op.f('ck_outbox_file_whole'), type_='check')
        for column in ('menu', 'file_content', 'file_kind', 'file_name', 'edit_message_id'):
            batch.drop_column(column)
