"""Bad rows are reported with sheet, row and column, and still count where they can."""
import math

from kpi_reports import compute, load_workbook
from conftest import AS_OF, days_before


def lead(lead_id, agent="A01", lead_type="Buyer", matched=30, scheduled=None, met=None):
    return {"Lead ID": lead_id, "Agent ID": agent, "Type": lead_type,
            "Matched": days_before(matched) if isinstance(matched, int) else matched,
            "Scheduled": days_before(scheduled) if isinstance(scheduled, int) else scheduled,
            "Met": days_before(met) if isinstance(met, int) else met}


def located(team):
    return [(p.sheet, p.row, p.column) for p in team.problems]


def test_unknown_agent_rows_are_excluded_and_reported(write_workbook):
    path = write_workbook(leads=[lead("L1"), lead("L2", agent="A99", scheduled=29)])
    team = load_workbook(path)
    assert located(team) == [("Leads", 3, "Agent ID")]
    assert "unknown agent 'A99'" in team.problems[0].problem
    row = compute(team, AS_OF).value("A01", "schedule_rate_14d")
    assert row.denominator == 1


def test_inactive_agent_gets_no_metrics_and_no_benchmark(write_workbook):
    agents = [{"Agent ID": "A01", "Name": "Dana", "Active": "FALSE"}, {"Agent ID": "A02", "Name": "Miguel"}]
    path = write_workbook(agents=agents, leads=[lead("L1", scheduled=29), lead("L2", agent="A02")])
    result = compute(load_workbook(path), AS_OF)
    assert list(result.agents.index) == ["A02"]
    assert result.benchmarks.at["schedule_rate_14d", "average"] == 0.0


def test_duplicate_lead_id_last_row_wins(write_workbook):
    path = write_workbook(leads=[lead("L1", scheduled=29), lead("l1")])   # IDs ignore case
    team = load_workbook(path)
    assert located(team) == [("Leads", 2, "Lead ID")]
    assert "row 3 replaces it" in team.problems[0].problem
    row = compute(team, AS_OF).value("A01", "schedule_rate_14d")
    assert (row.numerator, row.denominator) == (0, 1)


def test_missing_matched_excludes_the_lead_from_every_lead_metric(write_workbook):
    path = write_workbook(leads=[lead("L1", matched=None, scheduled=1), lead("L2")])
    team = load_workbook(path)
    assert [(p.row, p.column, p.problem) for p in team.problems] == [(2, "Matched", "missing Matched")]
    assert compute(team, AS_OF).value("A01", "schedule_rate_14d").denominator == 1


def test_unknown_type_counts_in_no_lead_metric_not_even_schedule_rate(write_workbook):
    path = write_workbook(leads=[lead("L1", lead_type="Renter", scheduled=29), lead("L2", lead_type=None),
                                 lead("L3")])
    team = load_workbook(path)
    assert located(team) == [("Leads", 2, "Type"), ("Leads", 3, "Type")]
    assert compute(team, AS_OF).value("A01", "schedule_rate_14d").denominator == 1


def test_met_before_matched_excludes_lead_only_from_met_rate(write_workbook):
    path = write_workbook(leads=[lead("L1", matched=30, scheduled=29, met=31), lead("L2", matched=30, met=25)])
    team = load_workbook(path)
    assert [(p.row, p.column, p.problem) for p in team.problems] == [(2, "Met", "before Matched")]
    result = compute(team, AS_OF)
    met = result.value("A01", "buyer_met_rate_28d")
    assert (met.numerator, met.denominator) == (1, 1)          # L1 excluded
    sched = result.value("A01", "schedule_rate_14d")
    assert (sched.numerator, sched.denominator) == (1, 2)      # L1 still counts here


def test_unreadable_event_day_is_reported_and_excludes_that_metric(write_workbook):
    path = write_workbook(leads=[lead("L1", scheduled="call back", met=29), lead("L2", scheduled=29)])
    team = load_workbook(path)
    assert [(p.row, p.column, p.problem) for p in team.problems] == [(2, "Scheduled", "not a date: 'call back'")]
    result = compute(team, AS_OF)
    assert result.value("A01", "schedule_rate_14d").denominator == 1
    assert result.value("A01", "buyer_met_rate_28d").denominator == 2


def test_negative_or_text_activity_counts_are_excluded_cell_by_cell(write_workbook):
    path = write_workbook(activity=[
        {"Date": days_before(1), "Agent ID": "A01", "Calls": -5, "Contacts": 2},
        {"Date": days_before(2), "Agent ID": "A01", "Calls": "ten", "Contacts": 1},
        {"Date": days_before(3), "Agent ID": "A01", "Calls": 10, "Contacts": 3},
        {"Date": days_before(4), "Agent ID": "A01", "Calls": "inf", "Contacts": 0},
    ])
    team = load_workbook(path)
    assert located(team) == [("Activity", 2, "Calls"), ("Activity", 3, "Calls"), ("Activity", 5, "Calls")]
    row = compute(team, AS_OF).value("A01", "contact_rate")
    assert (row.numerator, row.denominator) == (6, 10)          # contacts of those rows still count


def test_closed_before_opened_excludes_the_deal_from_portal_updates(write_workbook):
    deals = [{"Deal ID": "D1", "Agent ID": "A01", "Opened": days_before(5), "Closed": days_before(9),
              "Last Updated": days_before(1)},
             {"Deal ID": "D2", "Agent ID": "A01", "Opened": days_before(5), "Last Updated": days_before(20)}]
    team = load_workbook(write_workbook(deals=deals))
    assert [(p.row, p.column, p.problem) for p in team.problems] == [(2, "Closed", "before Opened")]
    row = compute(team, AS_OF).value("A01", "portal_update_rate")
    assert (row.numerator, row.denominator) == (0, 1)


def test_problems_carry_the_agent_for_the_scorecard(write_workbook):
    team = load_workbook(write_workbook(leads=[lead("L1", met="soon")]))
    assert team.problems[0].agent_id == "A01"


def test_agent_ids_7_and_7_point_0_and_text_7_are_one_agent(write_workbook):
    agents = [{"Agent ID": 7, "Name": "Seven"}]
    path = write_workbook(agents=agents, leads=[lead("L1", agent=7.0, scheduled=29), lead("L2", agent="7")])
    result = compute(load_workbook(path), AS_OF)
    row = result.value("7", "schedule_rate_14d")
    assert (row.numerator, row.denominator) == (1, 2)
    assert result.to_json_dict()["agents"][0]["agent_id"] == "7"
    assert not math.isnan(row.value)


def test_a_lead_without_a_lead_id_is_reported_and_still_counts(write_workbook):
    path = write_workbook(leads=[lead(None, scheduled=29), lead("L2")])
    team = load_workbook(path)
    assert [(p.row, p.column, p.problem) for p in team.problems] == [(2, "Lead ID", "missing Lead ID")]
    row = compute(team, AS_OF).value("A01", "schedule_rate_14d")
    assert (row.numerator, row.denominator) == (1, 2)


def test_a_deal_without_a_deal_id_is_reported_and_still_counts(write_workbook):
    deals = [{"Deal ID": None, "Agent ID": "A01", "Opened": days_before(5), "Last Updated": days_before(1)},
             {"Deal ID": "D2", "Agent ID": "A01", "Opened": days_before(5)}]
    team = load_workbook(write_workbook(deals=deals, updates=[{"Deal ID": "D2", "Updated": days_before(30)}]))
    assert [(p.row, p.column, p.problem) for p in team.problems] == [(2, "Deal ID", "missing Deal ID")]
    row = compute(team, AS_OF).value("A01", "portal_update_rate")
    assert (row.numerator, row.denominator) == (1, 2)


def test_a_team_with_no_active_agent_gets_empty_results_not_a_crash(write_workbook):
    path = write_workbook(agents=[{"Agent ID": "A01", "Name": "Dana", "Active": "No"}])
    doc = compute(load_workbook(path), AS_OF).to_json_dict()
    assert doc["agents"] == []
    assert doc["benchmarks"]["schedule_rate_14d"] == {"average": None, "top10": None, "agents": 0, "target": None}
