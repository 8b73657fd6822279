"""Any day a sheet can hold (1900-01-01 .. 9999-12-31) is a date; TRUE/FALSE are not counts.

SPEC.md: a far-future event lies outside every window (the lead stays in its cohort
without a success, the deal stays active); TRUE and FALSE in an Activity count are
reported and count as blank. Expected numbers are worked out by hand in the comments.
"""
import datetime as dt

import pandas as pd
import pytest

from kpi_reports import compute, load_workbook
from kpi_reports.load import parse_days, serial_day
from conftest import AS_OF, days_before

LAST = dt.datetime(9999, 12, 31)
FAR = dt.datetime(2150, 6, 1)


def lead(lead_id, lead_type="Buyer", matched=30, **events):
    row = {"Lead ID": lead_id, "Agent ID": "A01", "Type": lead_type,
           "Matched": days_before(matched) if isinstance(matched, int) else matched}
    row.update({k.capitalize(): days_before(v) if isinstance(v, int) else v for k, v in events.items()})
    return row


@pytest.mark.parametrize("cell, day", [
    (2_958_465, dt.date(9999, 12, 31)), ("9999-12-31", dt.date(9999, 12, 31)),
    ("12/31/9999", dt.date(9999, 12, 31)), (dt.datetime(9999, 12, 31, 23, 59), dt.date(9999, 12, 31)),
    ("2150-06-01", dt.date(2150, 6, 1)), (91_453, dt.date(2150, 5, 21)),
    (1, dt.date(1900, 1, 1)), (59, dt.date(1900, 2, 28)), (61, dt.date(1900, 3, 1)),
    ("1900-01-01", dt.date(1900, 1, 1)),
])
def test_every_day_a_sheet_holds_is_a_date(cell, day):
    days, unreadable = parse_days(pd.Series([cell], dtype=object))
    assert days.iloc[0] == pd.Timestamp(day) and not unreadable.iloc[0]


@pytest.mark.parametrize("cell", [2_958_466, 0, 60, "1899-12-31", "10000-01-01"])
def test_days_outside_the_sheet_range_are_not_dates(cell):
    days, unreadable = parse_days(pd.Series([cell], dtype=object))
    assert pd.isna(days.iloc[0]) and unreadable.iloc[0]


def test_formulas_read_serials_with_the_loaders_bounds():
    from kpi_reports.excel.udfs import as_day
    assert as_day(2_958_465.0) == dt.date(9999, 12, 31)
    assert as_day(1.0) == dt.date(1900, 1, 1)
    assert as_day(46_326.0) == dt.date(2026, 10, 31)
    assert serial_day(2_958_466.0) is None and serial_day(60.0) is None


def test_far_future_lead_events_are_no_success_and_keep_the_lead_in_its_cohort(write_workbook):
    leads = [
        lead("B1", met=LAST, scheduled=LAST),            # matched 30 days before D: in both cohorts
        lead("B2", met=FAR, scheduled=FAR),
        lead("B3", met=25, scheduled=29),                # met 5 days after, scheduled 1 day after
        lead("S1", "Seller", signed=LAST), lead("S2", "Seller", signed=FAR), lead("S3", "Seller", signed=20),
        lead("O1", "Offers", signed=FAR),
        lead("B4", matched=LAST, met=LAST), lead("B5", matched=FAR),   # matched in the future: no cohort
    ]
    team = load_workbook(write_workbook(leads=leads))
    assert team.problems == []
    result = compute(team, AS_OF)
    numbers = {m: (result.value("A01", m).numerator, result.value("A01", m).denominator)
               for m in ("schedule_rate_14d", "buyer_met_rate_28d", "seller_sign_rate_28d", "offers_sign_rate_28d")}
    assert numbers == {"schedule_rate_14d": (1, 7), "buyer_met_rate_28d": (1, 3),
                       "seller_sign_rate_28d": (1, 3), "offers_sign_rate_28d": (0, 1)}


def test_far_future_closed_keeps_the_deal_active(write_workbook):
    deals = [
        {"Deal ID": "D1", "Agent ID": "A01", "Opened": days_before(5), "Closed": LAST, "Last Updated": days_before(1)},
        {"Deal ID": "D2", "Agent ID": "A01", "Opened": days_before(5), "Closed": FAR, "Last Updated": days_before(20)},
        {"Deal ID": "D3", "Agent ID": "A01", "Opened": days_before(5), "Last Updated": LAST},   # no update yet as of D
        {"Deal ID": "D4", "Agent ID": "A01", "Opened": FAR, "Last Updated": FAR},               # not open yet
    ]
    team = load_workbook(write_workbook(deals=deals))
    assert team.problems == []
    row = compute(team, AS_OF).value("A01", "portal_update_rate")
    assert (row.numerator, row.denominator) == (1, 3)


def test_true_and_false_in_counts_are_blank_and_reported(write_workbook):
    path = write_workbook(activity=[
        {"Date": days_before(1), "Agent ID": "A01", "Calls": 10, "Contacts": 3},
        {"Date": days_before(2), "Agent ID": "A01", "Calls": True, "Contacts": 2},
        {"Date": days_before(3), "Agent ID": "A01", "Calls": 5, "Contacts": False},
    ])
    team = load_workbook(path)
    assert [(p.sheet, p.row, p.column, p.problem) for p in team.problems] == [
        ("Activity", 3, "Calls", "not a number: TRUE (counted as blank)"),
        ("Activity", 4, "Contacts", "not a number: FALSE (counted as blank)"),
    ]
    row = compute(team, AS_OF).value("A01", "contact_rate")
    assert (row.numerator, row.denominator) == (5, 15)       # contacts 3 + 2; calls 10 + 5
