"""The review desk and the outbox: agents, who decided each decision (with a note and the decision
it reviews), cases handed to people, and messages waiting to be sent.

Revision ID: 0003_desk
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0003_desk'
down_revision = '0001'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
ROLE_CHECK = "role IN ('buyer', 'seller', 'admin', 'agent')"
ACCOUNT_CHECK = (
    "(role = 'buyer' AND buyer_id IS NOT NULL AND seller_id IS NULL AND agent_id IS NULL)"
    " OR (role = 'seller' AND seller_id IS NOT NULL AND buyer_id IS NULL AND agent_id IS NULL)"
    " OR (role = 'admin' AND buyer_id IS NULL AND seller_id IS NULL AND agent_id IS NULL)"
    " OR (role = 'agent' AND agent_id IS NOT NULL AND buyer_id IS NULL AND seller_id IS NULL)"
)
OLD_ROLE_CHECK = "role IN ('buyer', 'seller', 'admin')"
OLD_ACCOUNT_CHECK = (
    "(role = 'buyer' AND buyer_id IS NOT NULL AND seller_id IS NULL)"
    " OR (role = 'seller' AND seller_id IS NOT NULL AND buyer_id IS NULL)"
    " OR (role = 'admin' AND buyer_id IS NULL AND seller_id IS NULL)"
)


def _identity_tables(role_check: str, account_check: str, with_agent: bool) -> list[sa.Table]:
    """chat_identities and chat_invites as they are after (or before) this revision, for SQLite's table copy."""
    meta = sa.MetaData()
    agent = [sa.Column('agent_id', sa.String(length=64), nullable=True)] if with_agent else []
    identities = sa.Table(
        'chat_identities', meta,
        sa.Column('telegram_user_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('buyer_id', sa.String(length=64), nullable=True),
        sa.Column('seller_id', sa.String(length=64), nullable=True),
        *agent,
        sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(account_check, name='ck_chat_identities_account_matches_role'),
        sa.CheckConstraint(role_check, name='ck_chat_identities_role_valid'),
        sa.ForeignKeyConstraint(['buyer_id'], ['buyers.id'], name='fk_chat_identities_buyer_id_buyers'),
        sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name='fk_chat_identities_seller_id_sellers'),
        sa.PrimaryKeyConstraint('telegram_user_id', name='pk_chat_identities'),
    )
    invites = sa.Table(
        'chat_invites', meta,
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('buyer_id', sa.String(length=64), nullable=True),
        sa.Column('seller_id', sa.String(length=64), nullable=True),
        *[sa.Column('agent_id', sa.String(length=64), nullable=True)] if with_agent else [],
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('used_by', sa.BigInteger(), nullable=True),
        sa.CheckConstraint(account_check, name='ck_chat_invites_account_matches_role'),
        sa.CheckConstraint(role_check, name='ck_chat_invites_role_valid'),
        sa.CheckConstraint('used_at IS NULL OR used_at >= created_at', name='ck_chat_invites_used_at_after_created_at'),
        sa.ForeignKeyConstraint(['buyer_id'], ['buyers.id'], name='fk_chat_invites_buyer_id_buyers'),
        sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name='fk_chat_invites_seller_id_sellers'),
        sa.PrimaryKeyConstraint('code_hash', name='pk_chat_invites'),
    )
    return [identities, invites]


def _roles(role_check: str, account_check: str, *, add_agent: bool) -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    # SQLite cannot alter a CHECK constraint: batch mode copies each table, starting from its current definition.
    before = (_identity_tables(OLD_ROLE_CHECK, OLD_ACCOUNT_CHECK, with_agent=False) if add_agent
              else _identity_tables(ROLE_CHECK, ACCOUNT_CHECK, with_agent=True))
    for table in before:
        name = table.name
        options = {'copy_from': table, 'recreate': 'always'} if sqlite else {}
        with op.batch_alter_table(name, **options) as batch:
            batch.drop_constraint(op.f(f'ck_{name}_account_matches_role'), type_='check')
            batch.drop_constraint(op.f(f'ck_{name}_role_valid'), type_='check')
            if add_agent:
                batch.add_column(sa.Column('agent_id', sa.String(length=64), nullable=True))
            else:
                batch.drop_column('agent_id')
        with op.batch_alter_table(name) as batch:
            batch.create_check_constraint(op.f(f'ck_{name}_account_matches_role'), account_check)
            batch.create_check_constraint(op.f(f'ck_{name}_role_valid'), role_check)


def upgrade() -> None:
    _roles(ROLE_CHECK, ACCOUNT_CHECK, add_agent=True)
    op.add_column('decisions', sa.Column('decided_by', sa.String(length=80), server_default='engine', nullable=False))
    op.add_column('decisions', sa.Column('note', sa.Text(), nullable=True))
    op.add_column('decisions', sa.Column('reviews_decision_id', sa.String(length=16), nullable=True))
    op.create_index(op.f('ix_decisions_reviews_decision_id'), 'decisions', ['reviews_decision_id'], unique=False)

    op.create_table('cases',
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('decision_id', sa.String(length=16), nullable=False),
    sa.Column('order_item_id', sa.String(length=64), nullable=False),
    sa.Column('buyer_id', sa.String(length=64), nullable=False),
    sa.Column('seller_id', sa.String(length=64), nullable=False),
    sa.Column('claim_id', sa.String(length=64), nullable=True),
    sa.Column('statement', sa.Text(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_by', sa.String(length=80), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=80), nullable=True),
    sa.Column('review_decision_id', sa.String(length=16), nullable=True),
    sa.CheckConstraint("kind IN ('escalation', 'appeal', 'claim_review')", name=op.f('ck_cases_kind_valid')),
    sa.CheckConstraint("status IN ('open', 'decided')", name=op.f('ck_cases_status_valid')),
    sa.CheckConstraint('decided_at IS NULL OR decided_at >= opened_at', name=op.f('ck_cases_decided_at_after_opened_at')),
    sa.CheckConstraint("(status = 'decided') = (review_decision_id IS NOT NULL)", name=op.f('ck_cases_decided_has_review')),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], name=op.f('fk_cases_decision_id_decisions')),
    sa.ForeignKeyConstraint(['order_item_id'], ['order_items.id'], name=op.f('fk_cases_order_item_id_order_items')),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_cases_claim_id_claims')),
    sa.ForeignKeyConstraint(['review_decision_id'], ['decisions.id'], name=op.f('fk_cases_review_decision_id_decisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('decision_id', name=op.f('uq_cases_decision_id'))
    )
    op.create_index(op.f('ix_cases_status_opened_at'), 'cases', ['status', 'opened_at'], unique=False)
    op.create_index(op.f('ix_cases_order_item_id'), 'cases', ['order_item_id'], unique=False)
    op.create_index(op.f('ix_cases_buyer_id'), 'cases', ['buyer_id'], unique=False)
    op.create_index(op.f('ix_cases_seller_id'), 'cases', ['seller_id'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=True),
    sa.Column('recipient', sa.String(length=80), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('parse_mode', sa.String(length=16), nullable=True),
    sa.Column('reply_markup', JSON, nullable=True),
    sa.Column('photo', sa.String(length=256), nullable=True),
    sa.Column('document', sa.String(length=256), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('lease_owner', sa.String(length=64), nullable=True),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'sent', 'undeliverable')", name=op.f('ck_outbox_status_valid')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_outbox_attempts_non_negative')),
    sa.CheckConstraint('chat_id IS NOT NULL OR recipient IS NOT NULL', name=op.f('ck_outbox_addressed')),
    sa.CheckConstraint("(status = 'sent') = (sent_at IS NOT NULL)", name=op.f('ck_outbox_sent_has_time')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_outbox_dedupe_key'))
    )
    op.create_index(op.f('ix_outbox_status_next_attempt_at'), 'outbox', ['status', 'next_attempt_at'], unique=False)
    op.create_index(op.f('ix_outbox_recipient_status'), 'outbox', ['recipient', 'status'], unique=False)


def downgrade() -> None:
    op.drop_table('outbox')
    op.drop_table('cases')
    op.drop_index(op.f('ix_decisions_reviews_decision_id'), table_name='decisions')
    for column in ('reviews_decision_id', 'note', 'decided_by'):
        op.drop_column('decisions', column)
    op.execute("DELETE FROM chat_identities WHERE role = 'agent'")
    op.execute("DELETE FROM chat_invites WHERE role = 'agent'")
    _roles(OLD_ROLE_CHECK, OLD_ACCOUNT_CHECK, add_agent=False)
