"""Rules with one home, pinned literally: the cohort's ages, the activity count columns and
the funnel window's wording, as every face (footnotes, formulas' help, Dashboard) reads them."""
from __future__ import annotations

import datetime as dt

from kpi_reports import formatting as f
from kpi_reports.engine import cohort_ages, cohort_span
from kpi_reports.excel.udfs import _describe
from kpi_reports.load import activity_columns
from kpi_reports.settings import load_settings


def test_cohort_ages_and_span():
    s = load_settings()
    assert cohort_ages(s.metric("schedule_rate_14d"), s) == (14, 43)
    assert cohort_ages(s.metric("buyer_met_rate_28d"), s) == (28, 57)
    assert cohort_span(s.metric("schedule_rate_14d"), s, dt.date(2026, 10, 31)) == (dt.date(2026, 9, 18),
                                                                                   dt.date(2026, 10, 17))
    assert "of those matched 28 to 57 days before" in _describe(s.metric("buyer_met_rate_28d"), s)


def test_activity_count_columns_once_each_with_a_teams_own(tmp_path):
    assert activity_columns(load_settings()) == ("Calls", "Contacts", "Appointments", "Contracts", "Closed Volume")
    (tmp_path / "s.toml").write_text('[metrics.text_rate]\nkind = "activity"\nlabel = "Texts per call"\n'
                                     'short = "Texts"\nnumerator = "Texts"\ndenominator = "Calls"\ntip = "Text."\n')
    assert activity_columns(load_settings(tmp_path / "s.toml"))[-1] == "Texts"


def test_the_funnel_window_wording():
    assert f.window(dt.date(2026, 10, 2), dt.date(2026, 10, 31), "rolling") == "Oct 2 – Oct 31, 2026 (rolling 30 days)"
    assert f.window(dt.date(2026, 10, 1), dt.date(2026, 10, 31), "month") == "Oct 1 – Oct 31, 2026 (calendar month)"
    assert f.window(dt.date(2025, 12, 31), dt.date(2026, 1, 29), "rolling") == (
        "Dec 31, 2025 – Jan 29, 2026 (rolling 30 days)")
