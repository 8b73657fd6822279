"""`kpi-reports deals`: stale deals oldest first and lead eligibility, on the workbook of
test_stale_deals (every kind of deal once)."""
from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from kpi_reports.cli import main
from test_stale_deals import AGENTS, DEALS, UPDATES


@pytest.fixture
def path(write_workbook):
    return write_workbook(agents=AGENTS, deals=DEALS, updates=UPDATES)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_deals_command_lists_stale_deals_and_eligibility(path):
    out = run("deals", path, "--stale", "--as-of", "2026-10-31")
    assert out.exit_code == 0, out.output
    lines = [" ".join(line.split()) for line in out.stdout.splitlines()]
    assert "A01 Dana Lee D3 Oct 1, 2026 never never 4" in lines
    assert "A01 Dana Lee D6 Sep 1, 2026 Oct 1, 2026 30 7" in lines
    assert "A02 Miguel Alvarez D7 Oct 11, 2026 Oct 16, 2026 15 8" in lines
    listed = [m.group(1) for m in map(re.compile(r"A0\d \w+ \w+ (D\d) ").match, lines) if m]
    assert listed == ["D3", "D9", "D6", "D7", "D2"]
    assert "5 active deal(s) without an update in the last 10 days, as of Oct 31, 2026 (oldest first)" in lines
    assert "A01 Dana Lee at risk Portal updates 33% (2 of 6 active deals); 100% required to stay eligible" in lines
    assert "A03 Priya Shah eligible no active deals" in lines


def test_deals_command_for_one_agent_as_json(path):
    out = run("deals", path, "--stale", "--agent", "a02", "--as-of", "2026-10-31", "--json")
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc == {"as_of": "2026-10-31", "max_age_days": 10, "agents": [{
        "agent_id": "A02", "name": "Miguel Alvarez", "active_deals": 1,
        "eligibility": {"status": "at risk", "metric": "portal_update_rate",
                        "reason": "Portal updates 0% (0 of 1 active deals); 100% required to stay eligible"},
        "stale_deals": [{"deal_id": "D7", "opened": "2026-10-11", "last_updated": "2026-10-16",
                         "days_since": 15, "row": 8}]}]}


def test_deals_command_names_an_unknown_agent(path):
    out = run("deals", path, "--stale", "--agent", "A77", "--as-of", "2026-10-31")
    assert out.exit_code == 2
    assert "Agent 'A77' is not on the Agents sheet" in " ".join(out.output.split())
