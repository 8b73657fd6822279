"""Honest small samples, focus items by what they are worth, the Wilson interval, the ranked
leaderboard, team totals and targets (engine/coaching.py), on a hand-worked team."""
from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from kpi_reports import compute, load_settings, load_workbook
from kpi_reports.cli import main
from kpi_reports.engine.coaching import teams, wilson
from conftest import AS_OF, days_before

AGENTS = [
    {"Agent ID": "A01", "Name": "Dana Lee", "Team": "North", "Active": "Yes"},
    {"Agent ID": "A02", "Name": "Miguel Alvarez", "Team": "North", "Active": "Yes"},
    {"Agent ID": "A03", "Name": "Priya Shah", "Team": "South", "Active": "Yes"},
]
ACTIVITY = [   # contact, appointment, contract rates: A01 .10 .50 .20; A02 .30 .20 .50; A03 .21 .38 .25
    {"Date": days_before(1), "Agent ID": "A01", "Calls": 100, "Contacts": 10, "Appointments": 5, "Contracts": 1,
     "Closed Volume": 300_000},
    {"Date": days_before(1), "Agent ID": "A02", "Calls": 100, "Contacts": 30, "Appointments": 6, "Contracts": 3,
     "Closed Volume": 500_000},
    {"Date": days_before(1), "Agent ID": "A03", "Calls": 100, "Contacts": 21, "Appointments": 8, "Contracts": 2,
     "Closed Volume": 300_000},
]
LEADS = [      # in the 28-day cohorts: A01 0 of 1 buyer met, 0 of 1 seller signed; A02 1 of 1 each
    {"Lead ID": "L1", "Agent ID": "A01", "Type": "Buyer", "Matched": days_before(30)},
    {"Lead ID": "L2", "Agent ID": "A01", "Type": "Seller", "Matched": days_before(30)},
    {"Lead ID": "L3", "Agent ID": "A02", "Type": "Buyer", "Matched": days_before(30), "Met": days_before(25)},
    {"Lead ID": "L4", "Agent ID": "A02", "Type": "Seller", "Matched": days_before(30), "Signed": days_before(25)},
]


@pytest.fixture
def path(write_workbook):
    return write_workbook(agents=AGENTS, activity=ACTIVITY, leads=LEADS)


def settings_file(tmp_path, text):
    (tmp_path / "s.toml").write_text(text)
    return load_settings(tmp_path / "s.toml")


def result_with(path, settings=None):
    return compute(load_workbook(path, settings), AS_OF, settings)


def test_wilson_interval_by_hand():
    low, high = wilson([0, 5, 3], [1, 10, 2])
    assert low[0] == 0 and high[0] == pytest.approx(0.79345, abs=1e-5)        # z^2 / (1 + z^2)
    assert (low[1], high[1]) == (pytest.approx(0.23659, abs=1e-5), pytest.approx(0.76341, abs=1e-5))
    assert math.isnan(low[2]) and math.isnan(high[2])                        # 3 of 2: no share


def test_small_samples_are_marked_and_drive_no_focus_item(path):
    r = result_with(path)
    buyer = r.metric_position("buyer_met_rate_28d")
    assert r.small_sample[buyer].tolist() == [True, True, False]              # 1 lead < 5; A03 none
    # by gap, contract_rate (-0.117) would lead; by worth, contact_rate: 0.103 x 100 calls
    assert [(f.metric.id, round(f.gap, 4), round(f.worth, 3), f.clear) for f in r.focus("A01")] == [
        ("contact_rate", -0.1033, 10.333, True), ("contract_rate", -0.1167, 0.583, False)]
    assert [f.metric.id for f in r.focus("A02")] == ["appointment_rate"]
    assert [f.metric.id for f in r.focus("A03")] == ["contract_rate"]


def test_at_most_three_focus_items_ties_in_settings_order(path, tmp_path):
    r = result_with(path, settings_file(tmp_path, "[report]\nsmall_sample = 1\n"))
    # buyer met and seller sign: gap -0.5 x 1 lead each; buyer comes first in the settings
    assert [(f.metric.id, round(f.worth, 3)) for f in r.focus("A01")] == [
        ("contact_rate", 10.333), ("contract_rate", 0.583), ("buyer_met_rate_28d", 0.5)]


def test_small_sample_and_interval_in_the_json(path):
    doc = json.loads(CliRunner().invoke(main, ["metrics", str(path), "--as-of", "2026-10-31", "--json"]).stdout)
    buyer = doc["agents"][0]["metrics"]["buyer_met_rate_28d"]
    assert (buyer["small_sample"], buyer["value"]) == (True, 0)
    assert buyer["interval"] == [0, pytest.approx(0.79345, abs=1e-5)]
    assert doc["agents"][2]["metrics"]["buyer_met_rate_28d"] == {
        "numerator": 0, "denominator": 0, "value": None, "small_sample": False, "interval": None}
    assert [f["metric"] for f in doc["agents"][0]["focus"]] == ["contact_rate", "contract_rate"]


def test_leaderboard_ranks_by_the_settings_metric(path, tmp_path):
    board = result_with(path).leaderboard()                                  # closed_volume_ytd
    assert (board.by, board.agent_ids, board.rank.tolist()) == ("closed_volume_ytd", ["A02", "A01", "A03"], [1, 2, 2])
    board = result_with(path, settings_file(tmp_path, '[report]\nrank_by = "contact_rate"\n')).leaderboard()
    assert (board.agent_ids, board.rank.tolist()) == (["A02", "A03", "A01"], [1, 2, 3])
    board = result_with(path, settings_file(tmp_path, '[report]\nrank_by = "name"\n')).leaderboard()
    assert board.agent_ids == ["A01", "A02", "A03"] and all(map(math.isnan, board.rank))


def test_leaderboard_of_part_of_the_team_ranks_among_them(path):
    board = result_with(path).leaderboard(["A03", "A01"])
    assert (board.agent_ids, board.rank.tolist()) == (["A01", "A03"], [1, 1])   # $300,000 each: a tie


def test_team_totals_averages_and_the_team_goal(path, tmp_path):
    r = result_with(path, settings_file(tmp_path, "[targets]\nteam_goal = 2200000\ncontact_rate = 0.25\n"))
    whole = r.team_totals()
    assert whole.counts == {"calls": 300, "contacts": 61, "appointments": 19, "contracts": 6,
                            "closed_volume": 1_100_000}
    assert whole.closed_volume_ytd == 1_100_000
    assert whole.share.tolist() == pytest.approx([3 / 11, 5 / 11, 3 / 11])
    assert whole.average[r.metric_position("contact_rate")] == pytest.approx(0.61 / 3)
    assert (whole.pace.goal, whole.pace.share) == (2_200_000, 0.5)
    assert whole.pace.expected == pytest.approx(2_200_000 * 304 / 365)        # Oct 31: day 304 of 365
    assert teams(r) == {"North": ["A01", "A02"], "South": ["A03"]}
    north = r.team_totals(["A01", "A02"])
    assert north.counts["calls"] == 200 and north.pace is None
    assert north.average[r.metric_position("contact_rate")] == pytest.approx(0.2)
    assert r.target[r.metric_position("contact_rate")] == 0.25
    assert math.isnan(r.target[r.metric_position("appointment_rate")])


def test_targets_leaderboard_and_team_in_the_json(path, tmp_path):
    (tmp_path / "s.toml").write_text("[targets]\nteam_goal = 2200000\ncontact_rate = 0.25\n")
    out = CliRunner().invoke(main, ["metrics", str(path), "--as-of", "2026-10-31", "--json",
                                    "--settings", str(tmp_path / "s.toml")])
    doc = json.loads(out.stdout)
    assert doc["benchmarks"]["contact_rate"]["target"] == 0.25
    assert doc["benchmarks"]["appointment_rate"]["target"] is None
    assert doc["leaderboard"] == {"by": "closed_volume_ytd", "agents": [
        {"agent_id": "A02", "rank": 1, "value": 500000}, {"agent_id": "A01", "rank": 2, "value": 300000},
        {"agent_id": "A03", "rank": 2, "value": 300000}]}
    assert [a["rank"] for a in doc["agents"]] == [2, 1, 2]
    assert doc["team"]["goal"]["goal"] == 2200000 and doc["team"]["goal"]["share"] == 0.5
    assert doc["team"]["counts"]["calls"] == 300
    assert [(t["team"], t["agents"]) for t in doc["teams"]] == [("North", ["A01", "A02"]), ("South", ["A03"])]
