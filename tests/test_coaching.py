"""Figures derived from the metrics (engine/coaching.py): goal pace, gaps and focus order,
biggest movers, and the mail's headline, on the two-month team of test_result_views."""
from __future__ import annotations

import datetime as dt
import math

import pytest

from kpi_reports import load_settings, load_workbook, monthly_history
from kpi_reports.engine.coaching import agent_goal_pace, focus, gaps, goal_pace, movers, year_elapsed
from kpi_reports.mail import mail_summary
from test_result_views import ACTIVITY, AGENTS


@pytest.fixture
def team(write_workbook):
    return load_workbook(write_workbook(agents=AGENTS, activity=ACTIVITY))


@pytest.fixture
def months(team):
    return monthly_history(team, dt.date(2026, 10, 1), 2)


@pytest.mark.parametrize("day, elapsed", [
    (dt.date(2026, 1, 1), 1 / 365), (dt.date(2026, 12, 31), 1.0),
    (dt.date(2024, 3, 1), 61 / 366),           # leap year: Feb 29 counts
    (dt.date(2100, 3, 1), 60 / 365),           # divisible by 100, not by 400: no Feb 29
    (dt.date(2000, 3, 1), 61 / 366),           # divisible by 400: a leap year
])
def test_year_elapsed_counts_the_calendar_days(day, elapsed):
    assert year_elapsed(day) == pytest.approx(elapsed)


def test_goal_pace_at_an_even_pace_through_the_year():
    pace = goal_pace(ytd=183_000, goal=366_000, as_of=dt.date(2024, 7, 1))     # day 183 of 366
    assert (pace.expected, pace.projected, pace.share) == pytest.approx((183_000, 366_000, 0.5))
    assert pace.ahead
    assert not goal_pace(ytd=100, goal=366_000, as_of=dt.date(2024, 7, 1)).ahead


@pytest.mark.parametrize("goal", [math.nan, 0.0, -5.0])
def test_no_goal_means_no_pace(goal):
    assert goal_pace(ytd=1_000, goal=goal, as_of=dt.date(2026, 10, 31)) is None


def test_an_agents_pace_reads_the_agents_sheet(months):
    pace = agent_goal_pace(months[-1], "A01")                   # 400,000 of 1,200,000 by Oct 31 (day 304)
    assert (pace.ytd, pace.goal, pace.share) == pytest.approx((400_000, 1_200_000, 1 / 3))
    assert pace.expected == pytest.approx(1_200_000 * 304 / 365) and not pace.ahead
    assert pace.projected == pytest.approx(400_000 * 365 / 304)
    assert agent_goal_pace(months[-1], "A02") is None           # no Annual Volume Goal


def test_gap_to_the_average_is_undefined_where_the_rate_is(months):
    oct_ = months[-1]
    g = gaps(oct_)
    contact, contract = oct_.metric_position("contact_rate"), oct_.metric_position("contract_rate")
    assert g[contact].tolist() == pytest.approx([0.6 - 2 / 3, 0.4 - 2 / 3, 1 - 2 / 3])
    assert math.isnan(g[contract, 2])                           # A03: no appointment, no contract rate


def test_focus_lists_metrics_below_the_average_on_a_full_sample(months):
    oct_ = months[-1]          # small_sample = 5: A01's 1 of 3 contracts, A03's 2 calls are too few
    assert [(m.id, round(gap, 4)) for m, gap in focus(oct_, "A01")] == [("contact_rate", -0.0667)]
    assert [m.id for m, _ in focus(oct_, "A02")] == ["contact_rate"]
    assert focus(oct_, "A03") == []                             # 0 of 2 appointments: a small sample


def test_movers_need_the_minimum_sample_in_both_months(months):
    found = movers(months, months.agent_ids)
    assert found.since == dt.date(2026, 9, 30)
    assert [(m.agent_id, m.metric.id, m.before, m.after) for m in found.up] == [("A01", "contact_rate", 0.2, 0.6)]
    assert [(m.agent_id, m.metric.id, round(m.change, 4)) for m in found.down] == [("A02", "contact_rate", -0.1)]


def test_movers_also_need_more_than_a_small_sample(team, tmp_path):
    (tmp_path / "s.toml").write_text("[report]\nmovers_min_sample = 2\n")       # small_sample stays 5
    h = monthly_history(team, dt.date(2026, 10, 1), 2, load_settings(tmp_path / "s.toml"))
    assert [(m.agent_id, m.metric.id) for m in movers(h, h.agent_ids).up] == [("A01", "contact_rate")]


def test_movers_min_sample_is_the_settings(team, tmp_path):
    (tmp_path / "s.toml").write_text("[report]\nmovers_min_sample = 2\nsmall_sample = 2\n")
    h = monthly_history(team, dt.date(2026, 10, 1), 2, load_settings(tmp_path / "s.toml"))
    found = movers(h, h.agent_ids)
    assert [(m.agent_id, m.metric.id, round(m.change, 4)) for m in found.up] == [
        ("A01", "contact_rate", 0.4), ("A02", "appointment_rate", 0.3)]
    assert movers(h, ["A02"]).up[0].metric.id == "appointment_rate"      # only the agents asked for
    assert movers(monthly_history(team, dt.date(2026, 10, 1), 1), ["A01"]).since is None


def test_mail_headline_says_undefined_and_the_goal(months):
    lines, tip = mail_summary(months[-1], "A01")
    assert lines == [("Portal updates", "— (network average —)"),
                     ("14-day schedule rate", "— (network average —)"),
                     ("Closed volume 2026 to date", "$400,000 of your $1,200,000 goal")]
    assert tip == months.settings.metric("contact_rate").tip     # 1 of 3 contracts: too few for a tip
    lines, tip = mail_summary(months[-1], "A02")
    assert lines[-1] == ("Closed volume 2026 to date", "$0")
    assert tip == "Call at the hours your leads pick up, and follow every missed call with a text the same day."
