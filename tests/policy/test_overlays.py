"""Seller overlays: found beside the marketplace policy, merged over it, held above its floor, reloaded with it."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.policy_runtime import PolicyRuntime
from policy import DEFAULT_POLICY_PATH, PolicyErrors, load_policy

POLICY_DIR = Path(DEFAULT_POLICY_PATH).parent
REFUND = {"category": "apparel", "price": 40, "days_since_delivery": 50, "reason": "no_longer_needed", "condition": "unopened",
          "buyer_returns_90d": 0, "seller_id": "S9", "requested_on": "2026-06-15"}


@pytest.fixture
def home(tmp_path) -> Path:
    shutil.copy(POLICY_DIR / "amazon-2026.yaml", tmp_path / "policy.yaml")
    (tmp_path / "sellers").mkdir()
    shutil.copy(POLICY_DIR / "sellers" / "S9.yaml", tmp_path / "sellers" / "S9.yaml")
    return tmp_path


def test_an_overlay_merges_over_the_marketplace(home):
    policy = load_policy(str(home / "policy.yaml"))
    s9 = policy.overlays["S9"].returns
    assert (s9.category("apparel").window_days, s9.category("books").window_days, s9.category("garden").window_days) == (60, 30, 45)
    assert s9.category("electronics").restocking_fee["opened"] == policy.returns.category("electronics").restocking_fee["opened"]
    assert [r.cited for r in s9.rules if r.seller] == ["S9/keep_it_small_complaints"]


def test_the_version_covers_every_overlay_file(home):
    before = load_policy(str(home / "policy.yaml")).version
    overlay = home / "sellers" / "S9.yaml"
    overlay.write_text(overlay.read_text().replace("default_window_days: 45", "default_window_days: 50"))
    assert load_policy(str(home / "policy.yaml")).version != before
    (home / "sellers" / "S10.yaml").write_text('version: "1"\nreturns: {default_window_days: 90}\n')
    assert set(load_policy(str(home / "policy.yaml")).overlays) == {"S9", "S10"}


def test_a_missing_overlay_directory_is_a_located_error(home):
    shutil.rmtree(home / "sellers")
    with pytest.raises(PolicyErrors) as info:
        load_policy(str(home / "policy.yaml"))
    [error] = info.value.errors
    assert (error.path, error.code) == (str(home / "policy.yaml"), "file-unreadable") and "sellers.directory" in error.message


def test_every_bad_overlay_is_reported_with_its_own_file(home):
    (home / "sellers" / "S1.yaml").write_text('version: "1"\nreturns:\n  default_window_days: 10\n')
    (home / "sellers" / "S2.yaml").write_text('version: "1"\nreturns:\n  categories:\n    books: {returnable: false}\n')
    with pytest.raises(PolicyErrors) as info:
        load_policy(str(home / "policy.yaml"))
    assert [(Path(e.path).name, e.line, e.col, e.code) for e in info.value.errors] == [
        ("S1.yaml", 3, 24, "below-floor"), ("S2.yaml", 4, 25, "below-floor")]


def test_a_bad_seller_id_is_described_as_an_id_not_a_code(home):
    (home / "sellers" / "S5.yaml").write_text('seller: "S 5"\nversion: "1"\nreturns: {default_window_days: 40}\n')
    with pytest.raises(PolicyErrors) as info:
        load_policy(str(home / "policy.yaml"))
    [error] = [e for e in info.value.errors if e.code == "bad-name"]
    assert (Path(error.path).name, error.line, error.col) == ("S5.yaml", 1, 9)
    assert "'S 5' must be letters, digits, '.', '_' or '-', starting with a letter or digit" in error.message
    assert "lower-case" not in error.message  # seller ids are not codes: S9 is one


def test_without_a_floor_an_overlay_may_go_lower(home):
    policy = home / "policy.yaml"
    policy.write_text(policy.read_text().replace("  floor:\n    windows: true\n", "  floor:\n    windows: false\n"))
    (home / "sellers" / "S1.yaml").write_text('version: "1"\nreturns:\n  default_window_days: 10\n')
    assert load_policy(str(policy)).overlays["S1"].returns.default_window_days == 10


def test_reloading_the_running_policy_picks_up_an_overlay_edit_and_refuses_a_bad_one(home):
    runtime = PolicyRuntime(str(home / "policy.yaml"))
    try:
        assert runtime.live.decide_refund(REFUND).outcome == "approve_return"
        assert runtime.reload("admin").changed is False
        overlay = home / "sellers" / "S9.yaml"
        good = overlay.read_text()
        overlay.write_text(good.replace("apparel: {window_days: 60}", "apparel: {window_days: 40}"))
        result = runtime.reload("admin")
        assert result.ok and result.changed
        assert runtime.live.decide_refund(REFUND).rule == "outside_window"
        overlay.write_text(good.replace("apparel: {window_days: 60}", "apparel: {window_days: 20}"))
        result = runtime.reload("admin")
        assert not result.ok and result.errors[0].startswith(f"{overlay}:11:28: below-floor:")
        assert runtime.live.decide_refund(REFUND).rule == "outside_window"  # still the last good version
    finally:
        runtime.stop()
