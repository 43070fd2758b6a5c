"""A small valid policy used as the base of loader tests; line numbers below are relied on."""

MINIMAL = """\
version: "t1"
returns:
  default_window_days: 30
  categories:
    apparel: {window_days: 30}
    sleeping_bags: {returnable: false}
  seller_fault_reasons: [defective]
  restocking_fee: {used: 0.5}
  returnless: {max_price: 15}
  escalation: {min_price: 500, min_buyer_returns_90d: 6}
rewards:
  window_days: 90
  fee_per_unit: 0.5
  eligibility: {min_vtr: 0.95, min_aprl: 0.95}
  low_volume: {min_units: 100, treat_as: not_eligible}
  tiers:
    - {name: free, max_cpu: 0.05, discount: 1.0}
    - {name: standard, discount: 0}
claims:
  filing_window_days: 30
  reasons:
    returned_damaged: {return: received, evidence: [photo]}
"""


def edit(old: str, new: str, text: str = MINIMAL) -> str:
    """MINIMAL with one exact substring replaced (asserting it was there)."""
    assert old in text, old
    return text.replace(old, new, 1)
