"""Every date form and header spelling SPEC.md allows, blank rows, extra columns and sheets."""
import datetime as dt

import openpyxl
import pandas as pd
import pytest

from kpi_reports import compute, load_workbook
from kpi_reports.load import parse_days
from kpi_reports.settings import load_settings


@pytest.mark.parametrize("cell", [
    dt.datetime(2026, 10, 1), dt.date(2026, 10, 1), dt.datetime(2026, 10, 1, 15, 30),
    46296, 46296.65, "2026-10-01", " 2026-10-01T15:30 ", "2026-10-01 15:30:00", "10/01/2026", "10/1/2026",
])
def test_date_forms_read_as_the_calendar_day(cell):
    days, unreadable = parse_days(pd.Series([cell], dtype=object))
    assert days.iloc[0] == pd.Timestamp("2026-10-01") and not unreadable.iloc[0]


@pytest.mark.parametrize("cell", ["call back", "31/12/2026", "2026-13-01", -5, True])
def test_unreadable_dates_are_flagged(cell):
    days, unreadable = parse_days(pd.Series([cell], dtype=object))
    assert pd.isna(days.iloc[0]) and unreadable.iloc[0]


def test_time_zone_offsets_count_by_the_day_shown_even_when_mixed():
    days, unreadable = parse_days(pd.Series(["2026-10-30T23:30+02:00", "2026-10-29", "2026-10-28T01:00Z"],
                                            dtype=object))
    assert list(days) == [pd.Timestamp("2026-10-30"), pd.Timestamp("2026-10-29"), pd.Timestamp("2026-10-28")]
    assert not unreadable.any()


def test_blank_date_is_not_a_problem():
    days, unreadable = parse_days(pd.Series([None, "", "  "], dtype=object))
    assert days.isna().all() and not unreadable.any()


def _write_openpyxl(path, sheets: dict[str, list[list]]):
    """A workbook as a person might type it: odd headers, blank rows, serials, text dates."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_headers_any_case_and_spacing_blank_rows_extra_columns_and_sheets(tmp_path):
    path = _write_openpyxl(tmp_path / "odd.xlsx", {
        "Notes": [["anything"]],
        "agents": [["AGENT id", "name", "Favourite colour"], ["A01", "Dana", "blue"], [7, "Seven", "red"]],
        "ACTIVITY": [["date", "agent_id", "CALLS", " contacts ", "appointments", "Con tracts"]],
        "Leads": [["lead_id", "Agent ID", "type", "MATCHED", "scheduled", "Source", "met", "SIGNED"],
                  [None, None, None, None, None, None],
                  ["L1", "a01", " SELLER ", 46296, "2026-10-02", "Zillow"],   # serial 46296 = 2026-10-01
                  ["L2", 7.0, "buyer", "10/01/2026", dt.datetime(2026, 10, 20, 9, 0), "web"],
                  ["L3", "7", "Offers", dt.datetime(2026, 10, 1, 23, 59), None, ""]],
        "deals": [["Deal ID", "Agent ID", "Opened"]],
    })
    team = load_workbook(path)
    assert team.problems == []
    assert list(team.leads["agent_id"]) == ["A01", "7", "7"]
    assert list(team.leads["type"]) == ["Seller", "Buyer", "Offers"]
    assert list(team.leads["row"]) == [3, 4, 5]
    result = compute(team, dt.date(2026, 10, 31))
    seven = result.value("7", "schedule_rate_14d")        # matched Oct 1 (age 30): in the cohort
    assert (seven.numerator, seven.denominator) == (0, 2)   # L2 scheduled 19 days after: too late
    a01 = result.value("A01", "schedule_rate_14d")
    assert (a01.numerator, a01.denominator) == (1, 1)


def test_missing_optional_columns_are_reported_once_per_column(tmp_path):
    path = _write_openpyxl(tmp_path / "thin.xlsx", {
        "Agents": [["Agent ID", "Name"], ["A01", "Dana"]],
        "Activity": [["Date", "Agent ID", "Calls", "Contacts"]],
        "Leads": [["Lead ID", "Agent ID", "Type", "Matched", "Scheduled", "Signed"]],
        "Deals": [["Deal ID", "Agent ID", "Opened"]],
    })
    team = load_workbook(path)
    problems = [(p.sheet, p.row, p.column, p.problem) for p in team.problems]
    assert problems == [
        ("Activity", None, "Appointments",
         "column 'Appointments' not found: Appointment rate (contacts to appointments) and "
         "Contract rate (appointments to contracts) undefined"),
        ("Activity", None, "Contracts", "column 'Contracts' not found: Contract rate (appointments to contracts) undefined"),
        ("Leads", None, "Met", "column 'Met' not found: 28-day buyer met rate undefined"),
    ]
    assert team.missing_columns == {
        "agents": ("email", "team", "active", "left_on", "annual_volume_goal", "leader"),
        "activity": ("appointments", "contracts", "closed_volume"), "leads": ("met",),
        "deals": ("closed", "last_updated")}


def test_a_missing_count_column_is_unknown_not_zero(tmp_path):
    path = _write_openpyxl(tmp_path / "no_contracts.xlsx", {
        "Agents": [["Agent ID", "Name"], ["A01", "Dana"]],
        "Activity": [["Date", "Agent ID", "Calls", "Contacts", "Appointments"],
                     [dt.datetime(2026, 10, 30), "A01", 10, 4, 2], [dt.datetime(2026, 10, 29), "A01", 5, None, 1]],
        "Leads": [["Lead ID", "Agent ID", "Type", "Matched"]],
        "Deals": [["Deal ID", "Agent ID", "Opened"]],
    })
    activity = load_workbook(path).activity
    assert activity["contracts"].isna().all() and activity["closed_volume"].isna().all()
    assert list(activity["contacts"]) == [4.0, 0.0]        # a blank cell in a present column counts 0


def test_a_team_metrics_missing_column_is_recorded_and_reported_once(tmp_path):
    settings = tmp_path / "team.toml"
    settings.write_text('[metrics.showing_rate]\nkind = "activity"\nlabel = "Showing rate"\n'
                        'numerator = "Showings"\ndenominator = "Appointments"\n'
                        '[metrics.quick_tour_rate]\nkind = "cohort"\nlabel = "Tour rate"\nevent = "Toured"\n'
                        'play_out_days = 7\nlead_types = ["Buyer"]\n')
    path = _write_openpyxl(tmp_path / "team.xlsx", {
        "Agents": [["Agent ID", "Name"], ["A01", "Dana"]],
        "Activity": [["Date", "Agent ID", "Calls", "Contacts", "Appointments", "Contracts"]],
        "Leads": [["Lead ID", "Agent ID", "Type", "Matched", "Scheduled", "Met", "Signed"]],
        "Deals": [["Deal ID", "Agent ID", "Opened"]],
    })
    team = load_workbook(path, load_settings(settings))
    assert [(p.sheet, p.column, p.problem) for p in team.problems] == [
        ("Activity", "Showings", "column 'Showings' not found: Showing rate undefined"),
        ("Leads", "Toured", "column 'Toured' not found: Tour rate undefined")]
    assert "showings" in team.missing_columns["activity"] and "toured" in team.missing_columns["leads"]


def test_blank_rows_are_empty_or_whitespace_only():
    from kpi_reports.load.sheets import sheet_from_rows, SheetSpec
    rows = [["A", "B"], [None, ""], ["  ", None], [" x ", None], [0.0, None], [None, dt.date(2026, 1, 1)], [False]]
    sheet = sheet_from_rows("S", rows, SheetSpec("S", ("A", "B")), ())
    assert list(sheet.frame.index) == [4, 5, 6, 7]


def test_true_and_false_are_not_one_and_zero_among_other_cells():
    """Python finds True == 1: typing once per distinct value must still keep them apart."""
    from kpi_reports.load import parse_numbers
    numbers, unreadable = parse_numbers(pd.Series([1.0, True, 0, False, 1, True], dtype=object))
    assert list(unreadable) == [False, True, False, True, False, True]
    assert list(numbers.fillna(-1)) == [1.0, -1, 0.0, -1, 1.0, -1]
