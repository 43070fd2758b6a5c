"""Days given on the command line (--as-of, --since) are refused with a clear error when far off, before any window
is counted from them: `claims find --as-of 0001-01-01`, `seller tier --as-of 9999-12-31` and `report returns --since
9999-12-31` ended in an OverflowError traceback."""
from __future__ import annotations

import pytest

from bot.cli import main


@pytest.mark.parametrize("argv", [
    ["claims", "find", "S1", "--as-of", "0001-01-01"],
    ["seller", "tier", "S1", "--as-of", "9999-12-31"],
    ["report", "returns", "--since", "9999-12-31"],
    ["policy", "replay", "policy/default.yaml", "--since", "1899-12-31"],
])
def test_a_far_off_day_is_a_usage_error(argv, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert "is not a day from 1900-01-01 to 8999-12-31" in capsys.readouterr().err


def test_the_first_and_last_days_are_accepted():
    from bot.commands.common import iso_date
    assert (iso_date("1900-01-01").year, iso_date("8999-12-31").year) == (1900, 8999)
