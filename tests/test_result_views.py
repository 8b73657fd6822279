"""One result shape: the engine's labelled arrays and the views every face reads.

A two-month team written to a real workbook; the numbers below are worked out by hand.
"""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from kpi_reports import KpiHistory, compute, history, load_workbook, monthly_history

SEP, OCT = dt.date(2026, 9, 30), dt.date(2026, 10, 31)


def _day(d: int, month: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, d)


AGENTS = [
    {"Agent ID": "A01", "Name": "Dana Lee", "Email": "dana@example.com", "Team": "North", "Active": "Yes",
     "Annual Volume Goal": 1_200_000},
    {"Agent ID": "A02", "Name": "Miguel Alvarez", "Email": "miguel@example.com", "Team": "North", "Active": "Yes"},
    {"Agent ID": "A03", "Name": "Priya Dubois", "Email": "priya@example.com", "Team": "South", "Active": "Yes"},
    {"Agent ID": "A04", "Name": "Old Hand", "Email": "old@example.com", "Team": "South", "Active": "No"},
]
ACTIVITY = [   # Date, Agent ID, Calls, Contacts, Appointments, Contracts, Closed Volume
    {"Date": _day(10, 9), "Agent ID": "A01", "Calls": 10, "Contacts": 2, "Appointments": 1, "Contracts": 0},
    {"Date": _day(10, 9), "Agent ID": "A02", "Calls": 10, "Contacts": 5, "Appointments": 1, "Contracts": 0},
    {"Date": _day(10), "Agent ID": "A01", "Calls": 10, "Contacts": 6, "Appointments": 3, "Contracts": 1,
     "Closed Volume": 400_000},
    {"Date": _day(10), "Agent ID": "A02", "Calls": 10, "Contacts": 4, "Appointments": 2, "Contracts": 2},
    {"Date": _day(10), "Agent ID": "A03", "Calls": 2, "Contacts": 2, "Appointments": 0, "Contracts": 0},
    {"Date": _day(10), "Agent ID": "A04", "Calls": 50, "Contacts": 50, "Appointments": 5, "Contracts": 5},
]


@pytest.fixture
def months(write_workbook) -> KpiHistory:
    """Month-ends Sep 30 and Oct 31, 2026 (funnel over each calendar month)."""
    return monthly_history(load_workbook(write_workbook(agents=AGENTS, activity=ACTIVITY)), dt.date(2026, 10, 1), 2)


def test_the_arrays_are_days_by_metrics_by_agents(months):
    n_metrics = len(months.metrics)
    assert months.days == (SEP, OCT) and months.agent_ids == ["A01", "A02", "A03"]   # A04 inactive
    assert months.rate.shape == months.numerator.shape == months.rank.shape == (2, n_metrics, 3)
    assert months.average.shape == months.top10.shape == months.ranked.shape == (2, n_metrics)
    j = months.settings.metric_ids.index("contact_rate")
    assert months.numerator[:, j].tolist() == [[2, 5, 0], [6, 4, 2]]
    assert months.denominator[:, j].tolist() == [[10, 10, 0], [10, 10, 2]]
    assert months.counts["calls"].tolist() == [[10, 10, 0], [10, 10, 2]]
    assert months.closed_volume_ytd.tolist() == [[0, 0, 0], [400_000, 0, 0]]
    assert months.activity_windows == ((dt.date(2026, 9, 1), SEP), (dt.date(2026, 10, 1), OCT))


def test_one_day(months):
    oct_ = months[-1]
    assert oct_.as_of == OCT and len(months) == 2 and [r.as_of for r in months] == [SEP, OCT]
    assert [r.as_of for r in months[-2:]] == [SEP, OCT]
    j = oct_.metric_position("contact_rate")
    assert oct_.rate[j].tolist() == pytest.approx([0.6, 0.4, 1.0])
    assert oct_.average[j] == pytest.approx(2 / 3) and oct_.top10[j] == 1.0 and oct_.ranked[j] == 3
    assert oct_.rank[j].tolist() == [2, 3, 1]
    assert oct_.count("contacts").tolist() == [6, 4, 2]
    row = oct_.value("A02", "contact_rate")
    assert (row.numerator, row.denominator, row.value, row["rank"], row.ranked) == (4, 10, 0.4, 3, 3)
    assert math.isnan(months[0].rate[j, 2])                          # A03 made no call in September
    with pytest.raises(IndexError):
        months[2]


def test_one_day_as_pandas_for_python_users(months):
    oct_ = months[-1]
    assert oct_.values.loc[("A01", "contract_rate")].tolist() == pytest.approx([1, 3, 1 / 3, 2, 2])
    assert oct_.values.index.names == ["agent_id", "metric"] and len(oct_.values) == 3 * len(months.metrics)
    assert oct_.benchmarks.loc["appointment_rate"].tolist() == pytest.approx([1 / 3, 0.5, 3])
    assert oct_.agents.loc["A01", ["name", "calls", "closed_volume", "closed_volume_ytd"]].tolist() == \
        ["Dana Lee", 10, 400_000, 400_000]
    assert oct_.agent_values("A03").loc["contract_rate"].isna()["value"]        # 0 appointments: undefined


def test_one_agent_over_the_months(months):
    a01 = months.agent("A01")
    j = months.settings.metric_ids.index("appointment_rate")
    assert a01.agent_id == "A01" and a01.person["name"] == "Dana Lee"
    assert a01.rate[:, j].tolist() == [0.5, 0.5]
    assert a01.numerator[:, j].tolist() == [1, 3] and a01.denominator[:, j].tolist() == [2, 6]
    assert a01.count("appointments").tolist() == [1, 3]
    assert a01.closed_volume_ytd.tolist() == [0, 400_000]
    with pytest.raises(KeyError):
        months.agent("A04")                                     # inactive: not on the agents axis


def test_one_metric_over_the_months(months):
    contact = months.metric("contact_rate")
    assert contact.metric.label == "Contact rate (calls to contacts)"
    table = contact.frame()
    assert list(table.index) == [SEP, OCT]
    assert list(table.columns) == ["A01", "A02", "A03", "average", "top10"]
    assert table.loc[SEP].tolist()[:2] == [0.2, 0.5] and math.isnan(table.at[SEP, "A03"])
    assert table.loc[SEP, ["average", "top10"]].tolist() == pytest.approx([0.35, 0.5])
    assert table.loc[OCT].tolist() == pytest.approx([0.6, 0.4, 1.0, 2 / 3, 1.0])


def test_the_whole_history_as_one_frame(months):
    frame = months.frame()
    assert frame.index.names == ["as_of", "agent_id", "metric"] and len(frame) == 2 * 3 * len(months.metrics)
    assert frame.loc[(SEP, "A02", "contact_rate")].tolist() == [5, 10, 0.5, 1, 2]
    for r in months:                                             # each day's frame is a slice of it
        pd.testing.assert_frame_equal(frame.loc[r.as_of], r.values)


def test_history_of_no_day_is_empty(write_workbook):
    team = load_workbook(write_workbook(agents=AGENTS, activity=ACTIVITY))
    empty = history(team, [])
    assert len(empty) == 0 and list(empty) == [] and empty.rate.shape == (0, len(empty.metrics), 3)


def test_compute_is_the_last_day_of_history(write_workbook, months):
    team = load_workbook(write_workbook(agents=AGENTS, activity=ACTIVITY))
    alone = compute(team, OCT, activity_window="month")
    np.testing.assert_array_equal(alone.rate, months[-1].rate)
    assert alone.to_json_dict() == months[-1].to_json_dict()
