"""The sample workbook round-trips, and history equals day-by-day computation."""
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from kpi_reports import UserError, compute, history, load_workbook, month_ends, monthly_history
from kpi_reports.report import check_month
from kpi_reports.sample import SAMPLE_PROBLEMS, sample_tables


@pytest.fixture(scope="module")
def team(sample_workbook):
    return load_workbook(sample_workbook)


def test_sample_is_the_same_every_time():
    a, b = sample_tables(), sample_tables()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])


def test_sample_round_trips_through_the_workbook(team):
    tables = sample_tables()
    assert len(team.agents) == 25 and team.agents["active"].sum() == 24
    assert set(team.agents["team"]) == {"North Shore", "Downtown", "Coastal"}
    assert len(team.leads) == len(tables["Leads"]) - 1            # one duplicate Lead ID
    assert len(team.activity) == len(tables["Activity"]) - 1      # the unknown agent's row
    assert set(team.leads["type"].dropna()) == {"Buyer", "Seller", "Offers"}
    assert len(team.problems) == len(SAMPLE_PROBLEMS)
    first, last = team.date_range()
    assert first == dt.date(2025, 5, 1) and last == dt.date(2026, 10, 31)


def test_a_workbook_without_dated_rows_has_no_range_and_no_scorecard_month(write_workbook):
    empty = load_workbook(write_workbook())
    assert empty.date_range() is None
    with pytest.raises(UserError, match="no dated Activity, Leads or Deals rows yet"):
        check_month(empty, dt.date(2026, 10, 1))


def test_a_month_outside_the_data_names_the_months_there_are(team):
    with pytest.raises(UserError, match="Choose a month from 2025-05 to 2026-10"):
        check_month(team, dt.date(2026, 11, 1))
    check_month(team, dt.date(2025, 5, 1))


def test_history_equals_computing_each_day_alone(team):
    days = month_ends(dt.date(2026, 10, 1), 12)
    assert days[0] == dt.date(2025, 11, 30) and days[-1] == dt.date(2026, 10, 31)
    together = history(team, days)
    for day, result in zip(days, together):
        alone = compute(team, day)
        pd.testing.assert_frame_equal(result.values, alone.values)
        pd.testing.assert_frame_equal(result.benchmarks, alone.benchmarks)


def test_monthly_history_uses_calendar_month_funnel(team):
    results = monthly_history(team, dt.date(2026, 2, 1), months=2)
    assert [r.as_of for r in results] == [dt.date(2026, 1, 31), dt.date(2026, 2, 28)]
    assert results[-1].activity_window == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    feb = team.activity[(team.activity["date"] >= "2026-02-01") & (team.activity["date"] <= "2026-02-28")]
    calls = feb.groupby("agent_id")["calls"].sum()
    agents = results[-1].agents
    assert np.allclose(agents["calls"], calls.reindex(agents.index).fillna(0))
