"""Monthly sales: order lines and units per seller, UTC month of the order and product, kept by triggers
on `orders` and `order_items` in the transaction of every write to them, and backfilled here. The
returns report reads it instead of joining every order item with its order.

Revision ID: 0007_monthly_sales
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = '0007_monthly_sales'
down_revision = '0001'
branch_labels = None
depends_on = None

SQLITE_MONTH = "substr({}, 1, 7)"  # SQLite stores UTC text, 'YYYY-MM-DD HH:MM:SS.ffffff'
POSTGRES_MONTH = "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM')"
KEY = "(seller_id, month, product_id)"

# SQLite: one trigger per event, each row's line added to or taken from its (seller, month, product).
SQLITE_ADD = (f"INSERT INTO monthly_sales (seller_id, month, product_id, lines, units) "
              f"SELECT seller_id, {SQLITE_MONTH.format('placed_at')}, NEW.product_id, 1, NEW.quantity FROM orders WHERE id = NEW.order_id "
              f"ON CONFLICT {KEY} DO UPDATE SET lines = lines + 1, units = units + excluded.units;")
SQLITE_TAKE = (f"UPDATE monthly_sales SET lines = lines - 1, units = units - OLD.quantity "
               f"WHERE product_id = OLD.product_id AND (seller_id, month) = "
               f"(SELECT seller_id, {SQLITE_MONTH.format('placed_at')} FROM orders WHERE id = OLD.order_id); "
               f"DELETE FROM monthly_sales WHERE product_id = OLD.product_id AND lines = 0;")
SQLITE_TRIGGERS = {
    "monthly_sales_item_added": f"AFTER INSERT ON order_items BEGIN {SQLITE_ADD} END",
    "monthly_sales_item_removed": f"AFTER DELETE ON order_items BEGIN {SQLITE_TAKE} END",
    "monthly_sales_item_changed": (
        "AFTER UPDATE OF order_id, product_id, quantity ON order_items "
        "WHEN OLD.order_id IS NOT NEW.order_id OR OLD.product_id IS NOT NEW.product_id OR OLD.quantity IS NOT NEW.quantity "
        f"BEGIN {SQLITE_TAKE} {SQLITE_ADD} END"),
    "monthly_sales_order_moved": (
        "AFTER UPDATE OF seller_id, placed_at ON orders "
        f"WHEN OLD.seller_id IS NOT NEW.seller_id OR {SQLITE_MONTH.format('OLD.placed_at')} IS NOT {SQLITE_MONTH.format('NEW.placed_at')} "
        "BEGIN "
        "UPDATE monthly_sales SET "
        "lines = lines - (SELECT count(*) FROM order_items i WHERE i.order_id = NEW.id AND i.product_id = monthly_sales.product_id), "
        "units = units - (SELECT sum(quantity) FROM order_items i WHERE i.order_id = NEW.id AND i.product_id = monthly_sales.product_id) "
        f"WHERE seller_id = OLD.seller_id AND month = {SQLITE_MONTH.format('OLD.placed_at')} "
        "AND product_id IN (SELECT product_id FROM order_items WHERE order_id = NEW.id); "
        f"DELETE FROM monthly_sales WHERE seller_id = OLD.seller_id AND month = {SQLITE_MONTH.format('OLD.placed_at')} AND lines = 0; "
        "INSERT INTO monthly_sales (seller_id, month, product_id, lines, units) "
        f"SELECT NEW.seller_id, {SQLITE_MONTH.format('NEW.placed_at')}, product_id, count(*), sum(quantity) FROM order_items "
        f"WHERE order_id = NEW.id GROUP BY product_id ON CONFLICT {KEY} DO UPDATE SET lines = lines + excluded.lines, "
        "units = units + excluded.units; "
        "END"),
}

# PostgreSQL: statement triggers over the statement's transition tables, one aggregate per statement. Row
# triggers would update a (seller, month, product) row once per order item, and PostgreSQL keeps every version
# of a row a transaction updated: one seller's 200,000 order lines made chains thousands of versions long.
# The importers write a whole batch per statement on PostgreSQL.
PG_ADD = f"""
  INSERT INTO monthly_sales (seller_id, month, product_id, lines, units)
  SELECT o.seller_id, {POSTGRES_MONTH.format('o.placed_at')}, a.product_id, count(*), sum(a.quantity)
    FROM added a JOIN orders o ON o.id = a.order_id GROUP BY 1, 2, 3
  ON CONFLICT {KEY} DO UPDATE SET lines = monthly_sales.lines + excluded.lines, units = monthly_sales.units + excluded.units;"""
PG_TAKE = f"""
  UPDATE monthly_sales m SET lines = m.lines - g.lines, units = m.units - g.units
    FROM (SELECT o.seller_id, {POSTGRES_MONTH.format('o.placed_at')} AS month, r.product_id, count(*) AS lines, sum(r.quantity) AS units
            FROM removed r JOIN orders o ON o.id = r.order_id GROUP BY 1, 2, 3) g
   WHERE m.seller_id = g.seller_id AND m.month = g.month AND m.product_id = g.product_id;
  DELETE FROM monthly_sales WHERE lines = 0 AND product_id IN (SELECT product_id FROM removed);"""
MOVED = (f"FROM moved_from b JOIN moved_to a ON a.id = b.id WHERE b.seller_id <> a.seller_id "
         f"OR {POSTGRES_MONTH.format('b.placed_at')} <> {POSTGRES_MONTH.format('a.placed_at')}")
POSTGRES_FUNCTIONS = {
    "monthly_sales_items_added": f"BEGIN{PG_ADD}\n  RETURN NULL;\nEND",
    "monthly_sales_items_removed": f"BEGIN{PG_TAKE}\n  RETURN NULL;\nEND",
    # An upsert that found its row runs this too; rows whose order, product and quantity stay as they were change nothing.
    "monthly_sales_items_changed": f"""BEGIN
  IF NOT EXISTS (SELECT order_id, product_id, quantity FROM removed EXCEPT ALL SELECT order_id, product_id, quantity FROM added) THEN
    RETURN NULL;
  END IF;{PG_TAKE}{PG_ADD}
  RETURN NULL;
END""",
    "monthly_sales_orders_moved": f"""BEGIN
  IF NOT EXISTS (SELECT 1 {MOVED}) THEN
    RETURN NULL;
  END IF;
  UPDATE monthly_sales m SET lines = m.lines - g.lines, units = m.units - g.units
    FROM (SELECT b.seller_id, {POSTGRES_MONTH.format('b.placed_at')} AS month, i.product_id, count(*) AS lines, sum(i.quantity) AS units
            FROM order_items i JOIN moved_from b ON b.id = i.order_id JOIN moved_to a ON a.id = b.id
           WHERE b.seller_id <> a.seller_id OR {POSTGRES_MONTH.format('b.placed_at')} <> {POSTGRES_MONTH.format('a.placed_at')}
           GROUP BY 1, 2, 3) g
   WHERE m.seller_id = g.seller_id AND m.month = g.month AND m.product_id = g.product_id;
  DELETE FROM monthly_sales WHERE lines = 0 AND seller_id IN (SELECT seller_id FROM moved_from);
  INSERT INTO monthly_sales (seller_id, month, product_id, lines, units)
  SELECT a.seller_id, {POSTGRES_MONTH.format('a.placed_at')}, i.product_id, count(*), sum(i.quantity)
    FROM order_items i JOIN moved_to a ON a.id = i.order_id JOIN moved_from b ON b.id = a.id
   WHERE b.seller_id <> a.seller_id OR {POSTGRES_MONTH.format('b.placed_at')} <> {POSTGRES_MONTH.format('a.placed_at')}
   GROUP BY 1, 2, 3
  ON CONFLICT {KEY} DO UPDATE SET lines = monthly_sales.lines + excluded.lines, units = monthly_sales.units + excluded.units;
  RETURN NULL;
END""",
}
POSTGRES_TRIGGERS = {  # name: (function, event and table, transition tables)
    "monthly_sales_items_added": ("AFTER INSERT ON order_items", "NEW TABLE AS added"),
    "monthly_sales_items_removed": ("AFTER DELETE ON order_items", "OLD TABLE AS removed"),
    "monthly_sales_items_changed": ("AFTER UPDATE ON order_items", "OLD TABLE AS removed NEW TABLE AS added"),
    "monthly_sales_orders_moved": ("AFTER UPDATE ON orders", "OLD TABLE AS moved_from NEW TABLE AS moved_to"),
}


def upgrade() -> None:
    op.create_table('monthly_sales',
    sa.Column('seller_id', sa.String(length=64), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('product_id', sa.String(length=64), nullable=False),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('seller_id', 'month', 'product_id', name=op.f('pk_monthly_sales'))
    )
    op.create_index(op.f('ix_monthly_sales_product_id_month'), 'monthly_sales', ['product_id', 'month'], unique=False)
    sqlite = op.get_bind().dialect.name == "sqlite"
    month = (SQLITE_MONTH if sqlite else POSTGRES_MONTH).format("o.placed_at")
    op.execute(f"INSERT INTO monthly_sales (seller_id, month, product_id, lines, units) "
               f"SELECT o.seller_id, {month}, i.product_id, count(*), sum(i.quantity) "
               f"FROM order_items i JOIN orders o ON o.id = i.order_id GROUP BY o.seller_id, {month}, i.product_id")
    if sqlite:
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
    else:
        for name, body in POSTGRES_FUNCTIONS.items():
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $${body}\n$$")
        for name, (when, tables) in POSTGRES_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION {name}()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    else:
        for name, (when, _) in POSTGRES_TRIGGERS.items():
            op.execute(f"DROP TRIGGER {name} ON {when.rsplit(' ', 1)[1]}")
        for name in POSTGRES_FUNCTIONS:
            op.execute(f"DROP FUNCTION {name}()")
    op.drop_index(op.f('ix_monthly_sales_product_id_month'), table_name='monthly_sales')
    op.drop_table('monthly_sales')
