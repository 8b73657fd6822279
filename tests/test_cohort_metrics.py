"""Cohort metrics: ages P .. P+W-1 count, 'within N days' is inclusive, types filter."""
import math

import pytest

from kpi_reports import compute, load_settings, load_workbook
from conftest import AS_OF, days_before


def lead(lead_id, matched_age, lead_type="Buyer", agent="A01", scheduled_lag=None, met_lag=None, signed_lag=None):
    matched = days_before(matched_age)

    def after(lag):
        return None if lag is None else days_before(matched_age - lag)

    return {"Lead ID": lead_id, "Agent ID": agent, "Type": lead_type, "Matched": matched,
            "Scheduled": after(scheduled_lag), "Met": after(met_lag), "Signed": after(signed_lag)}


def metric(path, metric_id, agent="A01"):
    result = compute(load_workbook(path), AS_OF)
    return result.value(agent, metric_id)


def test_schedule_cohort_is_matched_ages_14_to_43(write_workbook):
    # ages 13 and 44 are outside the cohort; 14 and 43 are its first and last days
    path = write_workbook(leads=[lead("L1", 13, scheduled_lag=0), lead("L2", 14, scheduled_lag=1),
                                 lead("L3", 43), lead("L4", 44, scheduled_lag=2)])
    row = metric(path, "schedule_rate_14d")
    assert (row.numerator, row.denominator) == (1, 2)
    assert row.value == pytest.approx(0.5)


def test_scheduled_within_14_days_is_inclusive(write_workbook):
    # lag 0 and 14 succeed, 15 does not: 2 of 3
    path = write_workbook(leads=[lead("L1", 30, scheduled_lag=0), lead("L2", 30, scheduled_lag=14),
                                 lead("L3", 30, scheduled_lag=15)])
    row = metric(path, "schedule_rate_14d")
    assert (row.numerator, row.denominator) == (2, 3)


def test_schedule_rate_counts_every_lead_type(write_workbook):
    path = write_workbook(leads=[lead("L1", 20, "Buyer", scheduled_lag=3), lead("L2", 20, "Seller"),
                                 lead("L3", 20, "Offers", scheduled_lag=3)])
    row = metric(path, "schedule_rate_14d")
    assert (row.numerator, row.denominator) == (2, 3)


def test_buyer_met_rate_counts_only_buyers_matched_28_to_57_days_ago(write_workbook):
    path = write_workbook(leads=[
        lead("L1", 27, "Buyer", met_lag=1),      # too recent
        lead("L2", 28, "Buyer", met_lag=28),     # in, met on the 28th day: success
        lead("L3", 57, "Buyer", met_lag=29),     # in, met a day late
        lead("L4", 58, "Buyer", met_lag=1),      # too old
        lead("L5", 40, "Seller", met_lag=1),     # not a buyer
    ])
    row = metric(path, "buyer_met_rate_28d")
    assert (row.numerator, row.denominator) == (1, 2)


@pytest.mark.parametrize("metric_id, lead_type", [("seller_sign_rate_28d", "Seller"),
                                                  ("offers_sign_rate_28d", "Offers")])
def test_sign_rates_use_signed_within_28_days_of_their_type(write_workbook, metric_id, lead_type):
    other = "Buyer"
    path = write_workbook(leads=[lead("L1", 30, lead_type, signed_lag=28), lead("L2", 30, lead_type, signed_lag=5),
                                 lead("L3", 30, lead_type), lead("L4", 30, other, signed_lag=1)])
    row = metric(path, metric_id)
    assert (row.numerator, row.denominator) == (2, 3)


def test_empty_cohort_is_undefined_not_zero(write_workbook):
    path = write_workbook(leads=[lead("L1", 30, "Buyer", met_lag=1)])
    row = metric(path, "seller_sign_rate_28d")
    assert row.denominator == 0 and math.isnan(row.value)


def test_window_and_play_out_come_from_settings(write_workbook, tmp_path):
    settings_file = tmp_path / "s.toml"
    settings_file.write_text("[windows]\nrolling_days = 10\n[metrics.schedule_rate_14d]\nplay_out_days = 7\n")
    settings = load_settings(settings_file)
    # cohort is now ages 7..16: 6 and 17 fall outside; lag 7 succeeds, 8 fails
    path = write_workbook(leads=[lead("L1", 6, scheduled_lag=0), lead("L2", 7, scheduled_lag=7),
                                 lead("L3", 16, scheduled_lag=8), lead("L4", 17, scheduled_lag=0)])
    row = compute(load_workbook(path, settings), AS_OF, settings).value("A01", "schedule_rate_14d")
    assert (row.numerator, row.denominator) == (1, 2)


def test_a_team_metric_on_its_own_column_needs_no_code(write_workbook, tmp_path):
    settings_file = tmp_path / "s.toml"
    settings_file.write_text(
        '[metrics.contact_rate_2d]\nkind = "cohort"\nlabel = "2-day contact rate"\n'
        'event = "First Contact"\nplay_out_days = 2\ntip = "Call within the hour."\n')
    settings = load_settings(settings_file)
    from conftest import team_tables
    tables = team_tables(leads=[lead("L1", 5), lead("L2", 5), lead("L3", 1)])
    tables["Leads"]["First Contact"] = [days_before(3), days_before(1), days_before(1)]   # lags 2, 4, 0
    path = write_workbook(tables)
    result = compute(load_workbook(path, settings), AS_OF, settings)
    row = result.value("A01", "contact_rate_2d")
    assert (row.numerator, row.denominator) == (1, 2)   # L3 is 1 day old: still playing out
    assert settings.metric("contact_rate_2d").label == "2-day contact rate"
