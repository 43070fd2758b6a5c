"""The per-person message limit, kept in the store so every worker process and host shares one budget.

GCRA (the generic cell rate algorithm): one row per person holds the theoretical arrival time
`tat`. A message is allowed when `tat - now` is within the burst tolerance, and then pushes `tat`
on by one interval; `refused` counts refusals in a row, so the first refusal can warn and later
ones stay quiet. One upsert statement decides and records, under the row's lock.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Double, bindparam, case, cast, delete, exists, func, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .db import prepared
from .models import RateLimit

WINDOW_SECONDS = 60.0


def rate_statement(insert, greatest, only_if=None):
    """The decide-and-record upsert; with `only_if` (a CTE), it inserts or updates only when that CTE returned a row."""
    # On the table, not the ORM class: an ORM-enabled insert goes through the unit of work's bulk path on every call.
    if only_if is None:
        statement = insert(RateLimit.__table__).values(telegram_user_id=bindparam("user"), tat=bindparam("first_tat"), refused=0)
    else:
        statement = insert(RateLimit.__table__).from_select(
            ["telegram_user_id", "tat", "refused"],
            select(cast(bindparam("user"), BigInteger), cast(bindparam("first_tat"), Double), literal(0)).where(exists(select(only_if))))
    old = RateLimit.__table__.c
    allowed = old.tat - bindparam("now") <= bindparam("tolerance")
    return prepared(statement.on_conflict_do_update(
        index_elements=["telegram_user_id"],
        set_={"tat": case((allowed, greatest(old.tat, bindparam("now")) + bindparam("interval")), else_=old.tat),
              "refused": case((allowed, 0), else_=old.refused + 1)},
    ).returning(old.refused))


_CHECK = {"postgresql": rate_statement(pg_insert, func.greatest), "sqlite": rate_statement(sqlite_insert, func.max)}


def rate_parameters(*, telegram_user_id: int, now: float, per_minute: int) -> dict:
    """The parameters of the rate check's statement."""
    interval = WINDOW_SECONDS / per_minute
    return {"user": telegram_user_id, "now": now, "interval": interval, "first_tat": now + interval,
            "tolerance": WINDOW_SECONDS - interval}


def verdict(refused: int) -> str:
    """What a count of refusals in a row means: 'ok', 'warn' or 'drop'."""
    return "ok" if refused == 0 else "warn" if refused == 1 else "drop"


def rate_check(session: Session, *, telegram_user_id: int, now: float, per_minute: int) -> str:
    """'ok', 'warn' (refused, say so once) or 'drop' (refused again, stay quiet); `now` in epoch seconds."""
    refused = session.execute(_CHECK[session.get_bind().dialect.name],
                              rate_parameters(telegram_user_id=telegram_user_id, now=now, per_minute=per_minute)).scalar_one()
    return verdict(refused)


def prune_rate_limits(session: Session, *, now: float) -> int:
    """Forget people whose budget is full again (their row would allow a whole burst); returns how many."""
    return session.execute(delete(RateLimit).where(RateLimit.tat <= now).execution_options(synchronize_session=False)).rowcount
