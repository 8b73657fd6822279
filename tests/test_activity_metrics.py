"""Activity funnel: sums over the W days ending on D (ages 0 .. W-1)."""
import math

from kpi_reports import compute, load_workbook
from conftest import AS_OF, days_before


def activity(age, calls=None, contacts=None, appointments=None, contracts=None, agent="A01", volume=None):
    return {"Date": days_before(age), "Agent ID": agent, "Calls": calls, "Contacts": contacts,
            "Appointments": appointments, "Contracts": contracts, "Closed Volume": volume}


def test_activity_window_is_ages_0_to_29(write_workbook):
    path = write_workbook(activity=[
        activity(-1, calls=100, contacts=100),   # tomorrow: not yet
        activity(0, calls=10, contacts=2),
        activity(29, calls=10, contacts=3),
        activity(30, calls=100, contacts=100),   # a day too old
    ])
    row = compute(load_workbook(path), AS_OF).value("A01", "contact_rate")
    assert (row.numerator, row.denominator) == (5, 20)
    assert row.value == 0.25


def test_rows_of_one_day_are_summed_and_blank_counts_are_zero(write_workbook):
    path = write_workbook(activity=[activity(3, calls=10, contacts=4, appointments=1),
                                    activity(3, calls=5, contacts=None, appointments=2, contracts=1)])
    result = compute(load_workbook(path), AS_OF)
    assert tuple(result.value("A01", "contact_rate")[["numerator", "denominator"]]) == (4, 15)
    assert tuple(result.value("A01", "appointment_rate")[["numerator", "denominator"]]) == (3, 4)
    assert tuple(result.value("A01", "contract_rate")[["numerator", "denominator"]]) == (1, 3)


def test_no_calls_means_undefined_contact_rate(write_workbook):
    path = write_workbook(activity=[activity(3, calls=0, contacts=0)])
    row = compute(load_workbook(path), AS_OF).value("A01", "contact_rate")
    assert row.denominator == 0 and math.isnan(row.value)


def test_month_window_covers_the_calendar_month(write_workbook):
    # as of Oct 31 the month window is Oct 1 .. Oct 31 (ages 0..30): age 30 counts, 31 does not
    path = write_workbook(activity=[activity(30, calls=10, contacts=1), activity(31, calls=10, contacts=9)])
    result = compute(load_workbook(path), AS_OF, activity_window="month")
    row = result.value("A01", "contact_rate")
    assert (row.numerator, row.denominator) == (1, 10)
    assert result.activity_window == (AS_OF.replace(day=1), AS_OF)


def test_closed_volume_year_to_date(write_workbook):
    path = write_workbook(activity=[activity(0, volume=500_000), activity(303, volume=250_000),
                                    activity(304, volume=1_000_000)])   # Jan 1 is 303 days before Oct 31
    result = compute(load_workbook(path), AS_OF)
    assert result.agents.at["A01", "closed_volume_ytd"] == 750_000
