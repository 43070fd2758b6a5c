"""The per-person message limit, kept in the store so every worker process and host shares one budget.

GCRA (the generic cell rate algorithm): one row per person holds the theoretical arrival time
`tat`. A message is allowed when `tat - now` is within the burst tolerance, and then pushes `tat`
on by one interval; `refused` counts refusals in a row, so the first refusal can warn and later
ones stay quiet. One upsert statement decides and records, under the row's lock.
"""
from __future__ import annotations

from sqlalchemy import bindparam, case, delete, func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .db import prepared
from .models import RateLimit

WINDOW_SECONDS = 60.0


def _statement(insert, greatest):
    # On the table, not the ORM class: an ORM-enabled insert goes through the unit of work's bulk path on every call.
    statement = insert(RateLimit.__table__).values(telegram_user_id=bindparam("user"), tat=bindparam("first_tat"), refused=0)
    old = RateLimit.__table__.c
    allowed = old.tat - bindparam("now") <= bindparam("tolerance")
    return prepared(statement.on_conflict_do_update(
        index_elements=["telegram_user_id"],
        set_={"tat": case((allowed, greatest(old.tat, bindparam("now")) + bindparam("interval")), else_=old.tat),
              "refused": case((allowed, 0), else_=old.refused + 1)},
    ).returning(old.refused))


_CHECK = {"postgresql": _statement(pg_insert, func.greatest), "sqlite": _statement(sqlite_insert, func.max)}


def rate_check(session: Session, *, telegram_user_id: int, now: float, per_minute: int) -> str:
    """'ok', 'warn' (refused, say so once) or 'drop' (refused again, stay quiet); `now` in epoch seconds."""
    interval = WINDOW_SECONDS / per_minute
    refused = session.execute(_CHECK[session.get_bind().dialect.name], {
        "user": telegram_user_id, "now": now, "interval": interval, "first_tat": now + interval,
        "tolerance": WINDOW_SECONDS - interval}).scalar_one()
    return "ok" if refused == 0 else "warn" if refused == 1 else "drop"


def prune_rate_limits(session: Session, *, now: float) -> int:
    """Forget people whose budget is full again (their row would allow a whole burst); returns how many."""
    return session.execute(delete(RateLimit).where(RateLimit.tat <= now).execution_options(synchronize_session=False)).rowcount
