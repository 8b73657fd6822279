"""Deals to update (engine/deals.py) and lead eligibility, in the engine and the JSON, on a
workbook built so that every kind of deal is there once."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kpi_reports import compute, load_settings, load_workbook
from kpi_reports.cli import main
from conftest import AS_OF, days_before

AGENTS = [
    {"Agent ID": "A01", "Name": "Dana Lee", "Active": "Yes"},
    {"Agent ID": "A02", "Name": "Miguel Alvarez", "Active": "Yes"},
    {"Agent ID": "A03", "Name": "Priya Shah", "Active": "Yes"},           # no deals at all
]
DEALS = [   # max_age_days = 10: an update 0 .. 10 days old is fresh
    {"Deal ID": "D1", "Agent ID": "A01", "Opened": days_before(40), "Last Updated": days_before(10)},  # fresh
    {"Deal ID": "D2", "Agent ID": "A01", "Opened": days_before(40), "Last Updated": days_before(11)},  # 11 days
    {"Deal ID": "D3", "Agent ID": "A01", "Opened": days_before(30)},                                   # never
    {"Deal ID": "D4", "Agent ID": "A01", "Opened": days_before(50), "Last Updated": days_before(25)},  # + update 3
    {"Deal ID": "D5", "Agent ID": "A01", "Opened": days_before(50), "Closed": days_before(5)},         # closed
    {"Deal ID": "D6", "Agent ID": "A01", "Opened": days_before(60), "Closed": days_before(-1),         # open on D
     "Last Updated": days_before(30)},
    {"Deal ID": "D7", "Agent ID": "A02", "Opened": days_before(20)},                                   # update 15
    {"Deal ID": "D8", "Agent ID": "A02", "Opened": days_before(-5)},                                   # not yet
    {"Deal ID": "D9", "Agent ID": "A01", "Opened": days_before(20), "Last Updated": days_before(-2)},  # after D
]
UPDATES = [{"Deal ID": "D4", "Updated": days_before(3)}, {"Deal ID": "D7", "Updated": days_before(15)},
           {"Deal ID": "D7", "Updated": days_before(19)}]


@pytest.fixture
def path(write_workbook):
    return write_workbook(agents=AGENTS, deals=DEALS, updates=UPDATES)


def test_stale_deals_oldest_first_never_updated_on_top(path):
    result = compute(load_workbook(path), AS_OF)
    stale = result.stale_deals
    assert stale["deal_id"].tolist() == ["D3", "D9", "D6", "D7", "D2"]
    assert stale["agent_id"].tolist() == ["A01", "A01", "A01", "A02", "A01"]
    assert stale["days_since"].fillna(-1).tolist() == [-1, -1, 30, 15, 11]
    assert stale["last_updated"].tolist() == [None, None, days_before(30).date(), days_before(15).date(),
                                              days_before(11).date()]
    assert stale["row"].tolist() == [4, 10, 7, 8, 3]                   # the Deals sheet's rows
    assert result.agent_stale_deals("A02")["deal_id"].tolist() == ["D7"]


def test_stale_deals_are_the_portal_update_rates_misses(path):
    result = compute(load_workbook(path), AS_OF)
    j = result.metric_position("portal_update_rate")
    assert result.numerator[j].tolist() == [2, 0, 0] and result.denominator[j].tolist() == [6, 1, 0]
    assert [len(result.agent_stale_deals(a)) for a in result.agent_ids] == [4, 1, 0]


def test_eligibility_follows_the_networks_rule_by_default(path):
    e = compute(load_workbook(path), AS_OF).eligibility
    assert e.status == ["at risk", "at risk", "eligible"]       # 0 of 1 is no small-sample excuse
    assert e.reason == ["Portal updates 33% (2 of 6 active deals); 100% required to stay eligible",
                        "Portal updates 0% (0 of 1 active deals); 100% required to stay eligible",
                        "no active deals"]


def test_a_second_rule_marks_not_eligible(path, tmp_path):
    (tmp_path / "s.toml").write_text("[eligibility]\nnot_eligible_below = 0.3\n")
    settings = load_settings(tmp_path / "s.toml")
    e = compute(load_workbook(path, settings), AS_OF, settings).eligibility
    assert e.status == ["at risk", "not eligible", "eligible"]
    assert e.reason[1] == "Portal updates 0% (0 of 1 active deals); below 30%"


def test_no_rule_no_status(path, tmp_path):
    (tmp_path / "s.toml").write_text('[eligibility]\nmetric = ""\n')
    settings = load_settings(tmp_path / "s.toml")
    result = compute(load_workbook(path, settings), AS_OF, settings)
    assert result.eligibility.status == [None, None, None]
    assert result.to_json_dict()["agents"][0]["eligibility"] is None


def test_stale_deals_and_eligibility_in_the_json(path):
    doc = json.loads(CliRunner().invoke(main, ["metrics", str(path), "--as-of", "2026-10-31", "--json"]).stdout)
    dana = doc["agents"][0]
    assert dana["eligibility"] == {"status": "at risk", "metric": "portal_update_rate",
                                   "reason": "Portal updates 33% (2 of 6 active deals); 100% required to stay eligible"}
    assert dana["stale_deals"][0] == {"deal_id": "D3", "opened": "2026-10-01", "last_updated": None,
                                      "days_since": None, "row": 4}
    assert dana["stale_deals"][2] == {"deal_id": "D6", "opened": "2026-09-01", "last_updated": "2026-10-01",
                                      "days_since": 30, "row": 7}
    assert [d["deal_id"] for d in dana["stale_deals"]] == ["D3", "D9", "D6", "D2"]
