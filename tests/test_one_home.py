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


def test_both_team_workbook_writers_format_the_columns_alike(tmp_path):
    import openpyxl

    from kpi_reports.excel.new_workbook import new_workbook
    from kpi_reports.sample import write_sample_workbook

    plain = openpyxl.load_workbook(write_sample_workbook(tmp_path / "plain.xlsx"))
    macro = openpyxl.load_workbook(new_workbook(tmp_path / "macro.xlsm", sample=True), keep_vba=True)
    expected = {"Date": "yyyy-mm-dd", "Matched": "yyyy-mm-dd", "Opened": "yyyy-mm-dd", "Closed Volume": '"$"#,##0',
                "Annual Volume Goal": '"$"#,##0', "Calls": "General"}
    for name in ("Agents", "Activity", "Leads", "Deals"):
        for book in (plain, macro):
            ws = book[name]
            for col in range(1, ws.max_column + 1):
                header = ws.cell(1, col).value
                letter = openpyxl.utils.get_column_letter(col)
                (width,) = [d.width for d in ws.column_dimensions.values() if d.min <= col <= d.max]
                assert abs(width - max(12, len(header) + 2)) < 1, (name, header)     # XlsxWriter adds 0.71
                if header in expected:
                    cell = next(c for c in ws[letter][1:] if c.value is not None and not isinstance(c.value, str))
                    assert cell.number_format == expected[header], (book, name, header)
