"""The plan to the goal (engine/plan.py): the README's worked example, to the unit, and the
team's average standing in for a ratio that is missing, too small or zero."""
from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpi_reports import compute, load_workbook
from kpi_reports.cli import main
from kpi_reports.engine.plan import time_left

AS_OF = dt.date(2026, 10, 31)          # a Saturday: 61 days and 44 weekdays left in 2026
README = Path(__file__).resolve().parents[1] / "README.md"

AGENTS = [
    {"Agent ID": "A01", "Name": "Dana Lee", "Active": "Yes", "Annual Volume Goal": 1_250_000},
    {"Agent ID": "A02", "Name": "Miguel Alvarez", "Active": "Yes", "Annual Volume Goal": 600_000},
    {"Agent ID": "A03", "Name": "Priya Shah", "Active": "Yes"},                    # no goal
]
ACTIVITY = [   # Date, Agent ID, Calls, Contacts, Appointments, Contracts, Closed Volume
    {"Date": dt.datetime(2025, 10, 31), "Agent ID": "A01", "Calls": 5000, "Contacts": 5000,   # 365 days ago: out
     "Appointments": 5000, "Contracts": 5000, "Closed Volume": 9_000_000},
    {"Date": dt.datetime(2025, 11, 1), "Agent ID": "A01", "Calls": 1000, "Contacts": 250,     # 364 days ago: in
     "Appointments": 50, "Contracts": 10, "Closed Volume": 2_550_000},
    {"Date": dt.datetime(2026, 6, 15), "Agent ID": "A01", "Calls": 1000, "Contacts": 150,
     "Appointments": 30, "Contracts": 2, "Closed Volume": 450_000},
    {"Date": dt.datetime(2026, 6, 15), "Agent ID": "A02", "Calls": 100, "Contacts": 3},
    {"Date": dt.datetime(2026, 6, 15), "Agent ID": "A03", "Calls": 50, "Contacts": 10, "Appointments": 5,
     "Contracts": 0},
]


@pytest.fixture
def result(write_workbook):
    return compute(load_workbook(write_workbook(agents=AGENTS, activity=ACTIVITY)), AS_OF)


def test_time_left_counts_calendar_days_and_weekdays_after_the_day():
    assert time_left(AS_OF) == (61, 44)                  # Nov 2-30: 21 weekdays, Dec 1-31: 23
    assert time_left(dt.date(2026, 12, 31)) == (0, 0)
    assert time_left(dt.date(2024, 2, 28)) == (307, 219)  # leap year: Feb 29 is a Thursday


def test_the_readme_worked_example_to_the_unit(result):
    p = result.plan
    i = result.position("A01")
    assert (p.goal[i], p.ytd[i], p.remaining[i]) == (1_250_000, 450_000, 800_000)
    steps = {name: (s.value[i], s.source[i]) for name, s in p.steps.items()}
    assert steps == {"price": (250_000, "own"), "contract_ratio": (pytest.approx(0.15), "own"),
                     "appointment_ratio": (0.2, "own"), "contact_ratio": (0.2, "own")}
    assert [p.need[k][i] for k in ("contracts", "appointments", "contacts", "calls")] == [4, 27, 135, 675]
    assert (p.days_left, p.workdays_left) == (61, 44)
    assert [round(p.per_week[k][i], 2) for k in ("contracts", "appointments", "contacts", "calls")] == [
        0.46, 3.10, 15.49, 77.46]
    assert [round(p.per_workday[k][i], 2) for k in ("contracts", "appointments", "contacts", "calls")] == [
        0.09, 0.61, 3.07, 15.34]
    assert p.trailing == (dt.date(2025, 11, 1), AS_OF)


def test_the_readme_shows_the_same_example():
    text = " ".join(README.read_text(encoding="utf-8").split())
    for line in ["$1,250,000 - $450,000 = $800,000", "$3,000,000 / 12 contracts = $250,000",
                 "ceil(800,000 / 250,000) = ceil(3.2) = 4 contracts",
                 "ceil(4 / 0.15) = ceil(26.7) = 27 appointments", "ceil(27 / 0.2) = 135 contacts",
                 "ceil(135 / 0.2) = 675 calls", "675 / 8.71 weeks = 77.5 calls a week",
                 "675 / 44 workdays = 15.3 calls a workday"]:
        assert line in text, line


def test_a_missing_small_or_zero_ratio_uses_the_teams_average_and_says_why(result):
    p = result.plan
    i, k = result.position("A02"), result.position("A03")
    # team averages over full samples (>= 5): price A01 only; contract ratio A01 0.15 and A03 0/5;
    # appointment ratio A01 0.2 and A03 5/10; A02's 3 contacts are too few to count
    assert p.steps["price"].team == 250_000
    assert p.steps["contract_ratio"].team == pytest.approx(0.075)
    assert p.steps["appointment_ratio"].team == pytest.approx(0.35)
    assert [(name, s.source[i], s.why[i]) for name, s in p.steps.items()] == [
        ("price", "team", "no data"), ("contract_ratio", "team", "no data"),
        ("appointment_ratio", "team", "small sample"), ("contact_ratio", "own", None)]
    assert p.steps["contract_ratio"].why[k] == "zero"                # 0 of 5 appointments: never, by itself
    # 600,000 / 250,000 = 2.4 -> 3; 3 / 0.075 = 40; 40 / 0.35 = 114.3 -> 115; 115 / 0.03 = 3833.3 -> 3834
    assert [p.need[c][i] for c in ("contracts", "appointments", "contacts", "calls")] == [3, 40, 115, 3834]
    assert math.isnan(p.goal[k]) and math.isnan(p.need["calls"][k])  # no goal, no plan


def test_a_goal_reached_needs_nothing_and_no_team_ratio_leaves_the_plan_undefined(write_workbook):
    agents = [{"Agent ID": "A01", "Name": "Dana Lee", "Active": "Yes", "Annual Volume Goal": 100_000},
              {"Agent ID": "A02", "Name": "Miguel Alvarez", "Active": "Yes", "Annual Volume Goal": 500_000}]
    activity = [{"Date": dt.datetime(2026, 3, 1), "Agent ID": "A01", "Closed Volume": 250_000}]
    p = compute(load_workbook(write_workbook(agents=agents, activity=activity)), AS_OF).plan
    assert [p.need["calls"][0], p.per_week["calls"][0]] == [0, 0]                      # A01: goal met
    assert p.remaining[1] == 500_000 and math.isnan(p.need["contracts"][1])          # no one has contracts
    assert p.steps["price"].source == [None, None]
    assert p.per_week["calls"].shape == (2,)


def test_the_plan_in_the_json(write_workbook):
    path = write_workbook(agents=AGENTS, activity=ACTIVITY)
    out = CliRunner().invoke(main, ["metrics", str(path), "--as-of", "2026-10-31", "--json"])
    doc = json.loads(out.stdout)
    dana = doc["agents"][0]
    assert dana["plan"]["need"]["calls"] == {"total": 675, "per_week": pytest.approx(675 / (61 / 7)),
                                             "per_workday": pytest.approx(675 / 44)}
    assert dana["plan"]["steps"]["price"] == {"value": 250000, "source": "own", "why": None, "own": 250000,
                                              "sample": 12}
    assert doc["agents"][1]["plan"]["steps"]["appointment_ratio"]["why"] == "small sample"
    assert doc["agents"][2]["plan"]["need"]["calls"] == {"total": None, "per_week": None, "per_workday": None}
    assert doc["plan"] == {"trailing_from": "2025-11-01", "trailing_to": "2026-10-31", "days_left": 61,
                           "weeks_left": pytest.approx(61 / 7), "workdays_left": 44}
