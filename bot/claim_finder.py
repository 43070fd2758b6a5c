"""The claim finder for a seller: the store's candidate refunds decided by the policy in force."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from rules import CompiledPolicy
from rules.finder import Findings, find_claims, lookback_days
from store import NotFound
from store.claim_candidates import claim_candidates
from store.models import Seller
from store.timeutil import aware, utc_date


def find_for_seller(session: Session, compiled: CompiledPolicy, *, seller_id: str, as_of: datetime) -> Findings:
    """Every refund of the seller that can still be claimed on `as_of`, and why the others can't; NotFound for an unknown seller."""
    as_of = aware(as_of)
    if session.get(Seller, seller_id) is None:
        raise NotFound(f"no seller {seller_id!r}")
    candidates = claim_candidates(session, seller_id=seller_id, as_of=as_of, lookback_days=lookback_days(compiled))
    return find_claims(compiled, candidates, seller_id=seller_id, as_of=utc_date(as_of))
