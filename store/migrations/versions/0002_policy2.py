"""Policy language 2 facts: buyers' country and tags, products' tags, orders' shipping paid and A-to-z claim.

Revision ID: 0002_policy2
Revises: 0001

The columns with a CHECK are added with a column constraint in plain ALTER TABLE ... ADD COLUMN,
which SQLite and PostgreSQL both accept, so SQLite needs no table rebuild (a rebuild of `buyers`
would drop a table other tables reference, inside the migration's transaction).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0002_policy2'
down_revision = '0001'
branch_labels = None
depends_on = None

TAGS = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
COUNTRY_VALID = "country IS NULL OR (length(country) = 2 AND ltrim(country, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') = '')"


def upgrade() -> None:
    op.execute(f"ALTER TABLE buyers ADD COLUMN country VARCHAR(2) CONSTRAINT ck_buyers_country_valid CHECK ({COUNTRY_VALID})")
    op.add_column('buyers', sa.Column('tags', TAGS, server_default=sa.text("'[]'"), nullable=False))
    op.add_column('products', sa.Column('tags', TAGS, server_default=sa.text("'[]'"), nullable=False))
    op.execute("ALTER TABLE orders ADD COLUMN shipping_paid NUMERIC(12, 2) DEFAULT 0 NOT NULL "
               "CONSTRAINT ck_orders_shipping_paid_non_negative CHECK (shipping_paid >= 0)")
    op.add_column('orders', sa.Column('a_to_z_claim', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    op.drop_column('orders', 'a_to_z_claim')
    op.drop_column('orders', 'shipping_paid')
    op.drop_column('products', 'tags')
    op.drop_column('buyers', 'tags')
    op.drop_column('buyers', 'country')
