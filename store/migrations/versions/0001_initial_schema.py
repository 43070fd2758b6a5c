"""Initial schema: marketplace records, the decision log and the chat tables.

Revision ID: 0001
Revises: (none)
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('buyers',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_buyers'))
    )
    op.create_table('conversations',
    sa.Column('telegram_user_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('state', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('version >= 1', name=op.f('ck_conversations_version_positive')),
    sa.PrimaryKeyConstraint('telegram_user_id', name=op.f('pk_conversations'))
    )
    op.create_table('decisions',
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('policy_version', sa.String(length=128), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('facts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('result', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('refund_amount', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('fee', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('reimbursement', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('buyer_id', sa.String(length=64), nullable=True),
    sa.Column('seller_id', sa.String(length=64), nullable=True),
    sa.Column('order_item_id', sa.String(length=64), nullable=True),
    sa.Column('refund_id', sa.String(length=64), nullable=True),
    sa.Column('claim_id', sa.String(length=64), nullable=True),
    sa.CheckConstraint("channel IN ('cli', 'telegram', 'terminal')", name=op.f('ck_decisions_channel_valid')),
    sa.CheckConstraint("kind IN ('refund', 'tier', 'claim')", name=op.f('ck_decisions_kind_valid')),
    sa.CheckConstraint('fee >= 0', name=op.f('ck_decisions_fee_non_negative')),
    sa.CheckConstraint('refund_amount >= 0', name=op.f('ck_decisions_refund_amount_non_negative')),
    sa.CheckConstraint('reimbursement >= 0', name=op.f('ck_decisions_reimbursement_non_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions'))
    )
    op.create_index(op.f('ix_decisions_buyer_id_decided_at'), 'decisions', ['buyer_id', 'decided_at'], unique=False)
    op.create_index(op.f('ix_decisions_claim_id'), 'decisions', ['claim_id'], unique=False)
    op.create_index(op.f('ix_decisions_order_item_id'), 'decisions', ['order_item_id'], unique=False)
    op.create_index(op.f('ix_decisions_refund_id'), 'decisions', ['refund_id'], unique=False)
    op.create_index(op.f('ix_decisions_seller_id_decided_at'), 'decisions', ['seller_id', 'decided_at'], unique=False)

    op.create_table('processed_updates',
    sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('update_id', name=op.f('pk_processed_updates'))
    )
    op.create_table('sellers',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('csba_enrolled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('csba_enrolment', sa.String(length=16), nullable=True),
    sa.CheckConstraint("csba_enrolment IS NULL OR csba_enrolment IN ('default', 'choice')", name=op.f('ck_sellers_csba_enrolment_valid')),
    sa.CheckConstraint('(csba_enrolled_at IS NULL) = (csba_enrolment IS NULL)', name=op.f('ck_sellers_enrolment_complete')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sellers'))
    )
    op.create_table('chat_identities',
    sa.Column('telegram_user_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('buyer_id', sa.String(length=64), nullable=True),
    sa.Column('seller_id', sa.String(length=64), nullable=True),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(role = 'buyer' AND buyer_id IS NOT NULL AND seller_id IS NULL) OR (role = 'seller' AND seller_id IS NOT NULL AND buyer_id IS NULL) OR (role = 'admin' AND buyer_id IS NULL AND seller_id IS NULL)", name=op.f('ck_chat_identities_account_matches_role')),
    sa.CheckConstraint("role IN ('buyer', 'seller', 'admin')", name=op.f('ck_chat_identities_role_valid')),
    sa.ForeignKeyConstraint(['buyer_id'], ['buyers.id'], name=op.f('fk_chat_identities_buyer_id_buyers')),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_chat_identities_seller_id_sellers')),
    sa.PrimaryKeyConstraint('telegram_user_id', name=op.f('pk_chat_identities'))
    )
    op.create_table('chat_invites',
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('buyer_id', sa.String(length=64), nullable=True),
    sa.Column('seller_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used_by', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("(role = 'buyer' AND buyer_id IS NOT NULL AND seller_id IS NULL) OR (role = 'seller' AND seller_id IS NOT NULL AND buyer_id IS NULL) OR (role = 'admin' AND buyer_id IS NULL AND seller_id IS NULL)", name=op.f('ck_chat_invites_account_matches_role')),
    sa.CheckConstraint("role IN ('buyer', 'seller', 'admin')", name=op.f('ck_chat_invites_role_valid')),
    sa.CheckConstraint('used_at IS NULL OR used_at >= created_at', name=op.f('ck_chat_invites_used_at_after_created_at')),
    sa.ForeignKeyConstraint(['buyer_id'], ['buyers.id'], name=op.f('fk_chat_invites_buyer_id_buyers')),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_chat_invites_seller_id_sellers')),
    sa.PrimaryKeyConstraint('code_hash', name=op.f('pk_chat_invites'))
    )
    op.create_table('orders',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('buyer_id', sa.String(length=64), nullable=False),
    sa.Column('seller_id', sa.String(length=64), nullable=False),
    sa.Column('fulfilment', sa.String(length=16), nullable=False),
    sa.Column('placed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('shipped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("fulfilment IN ('seller', 'marketplace')", name=op.f('ck_orders_fulfilment_valid')),
    sa.CheckConstraint('delivered_at IS NULL OR delivered_at >= placed_at', name=op.f('ck_orders_delivered_at_after_placed_at')),
    sa.CheckConstraint('shipped_at IS NULL OR shipped_at >= placed_at', name=op.f('ck_orders_shipped_at_after_placed_at')),
    sa.ForeignKeyConstraint(['buyer_id'], ['buyers.id'], name=op.f('fk_orders_buyer_id_buyers')),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_orders_seller_id_sellers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders'))
    )
    op.create_index(op.f('ix_orders_buyer_id_placed_at'), 'orders', ['buyer_id', 'placed_at'], unique=False)
    op.create_index(op.f('ix_orders_seller_id_fulfilment_placed_at_id'), 'orders', ['seller_id', 'fulfilment', 'placed_at', 'id'], unique=False)

    op.create_table('products',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('seller_id', sa.String(length=64), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=63), nullable=False),
    sa.Column('price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.CheckConstraint("category <> ''", name=op.f('ck_products_category_present')),
    sa.CheckConstraint('price >= 0', name=op.f('ck_products_price_non_negative')),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_products_seller_id_sellers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('seller_id', 'sku', name=op.f('uq_products_seller_id_sku'))
    )
    op.create_index(op.f('ix_products_seller_id'), 'products', ['seller_id'], unique=False)

    op.create_table('contacts',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('contacted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.CheckConstraint("channel IN ('chat', 'email', 'phone')", name=op.f('ck_contacts_channel_valid')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_contacts_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts'))
    )
    op.create_index(op.f('ix_contacts_contacted_at'), 'contacts', ['contacted_at'], unique=False)
    op.create_index(op.f('ix_contacts_order_id_contacted_at'), 'contacts', ['order_id', 'contacted_at'], unique=False)

    op.create_table('order_items',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('product_id', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_order_items_quantity_positive')),
    sa.CheckConstraint('unit_price >= 0', name=op.f('ck_order_items_unit_price_non_negative')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_items_order_id_orders')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_order_items_product_id_products')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_items'))
    )
    op.create_index(op.f('ix_order_items_order_id_quantity_id'), 'order_items', ['order_id', 'quantity', 'id'], unique=False)
    op.create_index(op.f('ix_order_items_product_id'), 'order_items', ['product_id'], unique=False)

    op.create_table('shipments',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('order_id', sa.String(length=64), nullable=False),
    sa.Column('carrier', sa.String(length=64), nullable=False),
    sa.Column('tracking_number', sa.String(length=64), nullable=True),
    sa.Column('tracking_valid', sa.Boolean(), nullable=False),
    sa.Column('shipped_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('delivered_at IS NULL OR delivered_at >= shipped_at', name=op.f('ck_shipments_delivered_at_after_shipped_at')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_shipments_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipments'))
    )
    op.create_index(op.f('ix_shipments_order_id_shipped_at_tracking_valid'), 'shipments', ['order_id', 'shipped_at', 'tracking_valid'], unique=False)
    op.create_index(op.f('ix_shipments_shipped_at'), 'shipments', ['shipped_at'], unique=False)

    op.create_table('refunds',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('order_item_id', sa.String(length=64), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('fee', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('issued_by', sa.String(length=16), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('auto_refund_late', sa.Boolean(), nullable=False),
    sa.Column('decision_id', sa.String(length=16), nullable=True),
    sa.CheckConstraint("issued_by IN ('marketplace', 'seller')", name=op.f('ck_refunds_issued_by_valid')),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_refunds_amount_non_negative')),
    sa.CheckConstraint('fee >= 0', name=op.f('ck_refunds_fee_non_negative')),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], name=op.f('fk_refunds_decision_id_decisions')),
    sa.ForeignKeyConstraint(['order_item_id'], ['order_items.id'], name=op.f('fk_refunds_order_item_id_order_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds')),
    sa.UniqueConstraint('order_item_id', name=op.f('uq_refunds_order_item_id'))
    )
    op.create_index(op.f('ix_refunds_issued_at'), 'refunds', ['issued_at'], unique=False)

    op.create_table('return_requests',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('order_item_id', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('condition', sa.String(length=16), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('prepaid_label', sa.Boolean(), nullable=False),
    sa.Column('ships_back', sa.Boolean(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('condition_received', sa.String(length=16), nullable=True),
    sa.Column('decision_id', sa.String(length=16), nullable=True),
    sa.CheckConstraint("condition IN ('unopened', 'opened', 'used', 'damaged')", name=op.f('ck_return_requests_condition_valid')),
    sa.CheckConstraint("condition_received IS NULL OR condition_received IN ('unopened', 'opened', 'used', 'damaged')", name=op.f('ck_return_requests_condition_received_valid')),
    sa.CheckConstraint("reason IN ('no_longer_needed', 'defective', 'damaged_in_transit', 'wrong_item', 'not_as_described', 'not_received')", name=op.f('ck_return_requests_reason_valid')),
    sa.CheckConstraint('delivered_at IS NULL OR delivered_at >= requested_at', name=op.f('ck_return_requests_delivered_at_after_requested_at')),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], name=op.f('fk_return_requests_decision_id_decisions')),
    sa.ForeignKeyConstraint(['order_item_id'], ['order_items.id'], name=op.f('fk_return_requests_order_item_id_order_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_return_requests')),
    sa.UniqueConstraint('order_item_id', name=op.f('uq_return_requests_order_item_id'))
    )
    op.create_index(op.f('ix_return_requests_requested_at'), 'return_requests', ['requested_at'], unique=False)

    op.create_table('claims',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('refund_id', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('evidence', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reimbursement', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('decision_id', sa.String(length=16), nullable=True),
    sa.CheckConstraint("reason IN ('return_not_received', 'returned_damaged', 'different_item_returned', 'refunded_non_returnable', 'delivered_not_received')", name=op.f('ck_claims_reason_valid')),
    sa.CheckConstraint("status IN ('pending', 'approved', 'denied', 'needs_evidence')", name=op.f('ck_claims_status_valid')),
    sa.CheckConstraint('reimbursement >= 0', name=op.f('ck_claims_reimbursement_non_negative')),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], name=op.f('fk_claims_decision_id_decisions')),
    sa.ForeignKeyConstraint(['refund_id'], ['refunds.id'], name=op.f('fk_claims_refund_id_refunds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claims')),
    sa.UniqueConstraint('refund_id', name=op.f('uq_claims_refund_id'))
    )


def downgrade() -> None:
    op.drop_table('claims')
    op.drop_table('return_requests')
    op.drop_table('refunds')
    op.drop_table('shipments')
    op.drop_table('order_items')
    op.drop_table('contacts')
    op.drop_table('products')
    op.drop_table('orders')
    op.drop_table('chat_invites')
    op.drop_table('chat_identities')
    op.drop_table('sellers')
    op.drop_table('processed_updates')
    op.drop_table('decisions')
    op.drop_table('conversations')
    op.drop_table('buyers')
