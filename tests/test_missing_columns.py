"""A metric whose column the workbook lacks is undefined for every agent on every face.

SPEC: null in JSON, "—" on every face, no benchmark, no rank, no focus tip, no mover;
the same for a team's own metric. Here the Contracts column is not on the Activity sheet,
so contract_rate must not read 0%.
"""
from __future__ import annotations

import datetime as dt

import pytest

from kpi_reports import compute, load_workbook, monthly_history
from kpi_reports.engine.coaching import focus, movers
from kpi_reports.excel.dashboard import FIRST_METRIC_COL, build_layout
from kpi_reports.report.context import scorecard_context, summary_context

from conftest import AS_OF, days_before, team_tables


def day(age: int, agent: str, calls: int, contacts: int, appointments: int, contracts: int) -> dict:
    return {"Date": days_before(age), "Agent ID": agent, "Calls": calls, "Contacts": contacts,
            "Appointments": appointments, "Contracts": contracts}


ROWS = [day(age, agent, 20, 10, 6, 3 if agent == "A01" else 0)
        for age in (1, 35) for agent in ("A01", "A02")] + [day(2, "A02", 20, 10, 6, 0)]


@pytest.fixture
def team(write_workbook):
    tables = team_tables(activity=ROWS)
    tables["Activity"] = tables["Activity"].drop(columns=["Contracts"])
    return load_workbook(write_workbook(tables))       # the loader records the missing column


def test_the_metric_is_undefined_for_every_agent_with_no_benchmark(team):
    result = compute(team, AS_OF)
    for agent in ("A01", "A02"):
        row = result.value(agent, "contract_rate")
        assert row.isna()[["numerator", "denominator", "value", "rank"]].all(), row
    assert result.benchmarks.loc["contract_rate"].isna()[["average", "top10"]].all()
    assert result.benchmarks.at["contract_rate", "agents"] == 0
    assert result.value("A01", "appointment_rate").value == 0.6        # the other funnel steps still count
    doc = result.to_json_dict()
    figure = doc["agents"][0]["metrics"]["contract_rate"]
    assert [figure[k] for k in ("numerator", "denominator", "value", "interval")] == [None, None, None, None]
    bench = doc["benchmarks"]["contract_rate"]
    assert [bench[k] for k in ("average", "top10", "agents")] == [None, None, 0]


def test_no_focus_tip_and_no_mover(team, tmp_path):
    history = monthly_history(team, dt.date(2026, 10, 1), months=2)
    assert "contract_rate" not in [m.id for m, _ in focus(history[-1], "A02")]
    found = movers(history, history.agent_ids)
    assert "contract_rate" not in [m.metric.id for m in found.up + found.down]


def test_every_face_shows_a_dash_and_says_why(team):
    result = compute(team, AS_OF)
    j = result.metric_position("contract_rate")
    layout = build_layout(result, dt.datetime(2026, 11, 1, 8, 0))
    rate_col = FIRST_METRIC_COL + 3 * j
    column = [cell.value for (r, c), cell in layout.cells.items() if c == rate_col and r > 7]
    assert column[:4] == ["—", "—", "—", "—"]              # A01, A02, Average, Top 10%
    history = monthly_history(team, dt.date(2026, 10, 1), months=2)
    card = scorecard_context(history, "A02")
    tile = next(t for t in card["tiles"] if t["id"] == "contract_rate")
    assert (tile["value"], tile["average"], tile["top"], tile["rank"]) == ("—", "—", "—", "—")
    assert tile["reason"] == "No Contracts column on the Activity sheet"
    assert [s["count"] for s in card["funnel"]["steps"]] == ["40", "20", "12", "—"]
    assert "Appointments to contracts" not in [item["label"] for item in card["focus"]]
    summary = summary_context(history)
    assert summary["average"][j] == "—" and summary["top"][j] == "—"


def test_a_teams_own_metric_on_a_missing_column_is_undefined(write_workbook, tmp_path):
    from kpi_reports import load_settings
    (tmp_path / "team.toml").write_text(
        '[metrics.text_rate]\nkind = "activity"\nlabel = "Texts per call"\nshort = "Texts"\n'
        'numerator = "Texts"\ndenominator = "Calls"\ntip = "Text every missed call."\n', encoding="utf-8")
    settings = load_settings(tmp_path / "team.toml")
    team = load_workbook(write_workbook(team_tables(activity=ROWS)), settings)
    assert team.missing_columns["activity"] == ("texts",)
    team.missing_columns.clear()                               # a source that records nothing:
    team.activity = team.activity.drop(columns=["texts"])     # the column's absence is enough
    result = compute(team, AS_OF, settings)
    assert result.value("A01", "text_rate").isna()[["numerator", "denominator", "value"]].all()
    assert result.benchmarks.at["text_rate", "agents"] == 0
    assert result.history.missing_inputs == {"text_rate": ("Texts",)}
