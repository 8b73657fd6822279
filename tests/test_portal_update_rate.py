"""Portal updates: deals active on D, updated 0 .. 10 days before D."""
from kpi_reports import compute, load_workbook
from conftest import AS_OF, days_before


def deal(deal_id, opened_age, closed_age=None, updated_age=None, agent="A01"):
    return {"Deal ID": deal_id, "Agent ID": agent, "Opened": days_before(opened_age),
            "Closed": None if closed_age is None else days_before(closed_age),
            "Last Updated": None if updated_age is None else days_before(updated_age)}


def rate(path):
    return compute(load_workbook(path), AS_OF).value("A01", "portal_update_rate")


def test_active_on_d_means_opened_by_d_and_not_closed_by_d(write_workbook):
    path = write_workbook(deals=[
        deal("D1", 0, updated_age=0),          # opened today: active, updated today
        deal("D2", -1, updated_age=-1),        # opens tomorrow: not active
        deal("D3", 20, closed_age=0),          # closed today: not active
        deal("D4", 20, closed_age=-1),         # closes tomorrow: active, never updated
    ])
    row = rate(path)
    assert (row.numerator, row.denominator) == (1, 2)


def test_update_ages_0_to_10_count(write_workbook):
    path = write_workbook(deals=[deal("D1", 50, updated_age=10), deal("D2", 50, updated_age=11),
                                 deal("D3", 50, updated_age=-2)])
    row = rate(path)
    assert (row.numerator, row.denominator) == (1, 3)


def test_deal_updates_sheet_adds_known_update_days(write_workbook):
    path = write_workbook(deals=[deal("D1", 50, updated_age=30), deal("D2", 50, updated_age=30)],
                          updates=[{"Deal ID": "D1", "Updated": days_before(4)},
                                   {"Deal ID": "d2", "Updated": days_before(12)}])   # IDs ignore case
    row = rate(path)
    assert (row.numerator, row.denominator) == (1, 2)


def test_unknown_deal_in_updates_is_reported(write_workbook):
    path = write_workbook(deals=[deal("D1", 50)], updates=[{"Deal ID": "D9", "Updated": days_before(1)}])
    team = load_workbook(path)
    assert [(p.sheet, p.row, p.column) for p in team.problems] == [("Deal Updates", 2, "Deal ID")]
    assert "unknown deal" in team.problems[0].problem


def test_updates_of_a_deal_excluded_for_its_own_row_are_not_called_unknown(write_workbook):
    path = write_workbook(deals=[deal("D1", 50, agent="A99")], updates=[{"Deal ID": "D1", "Updated": days_before(1)}])
    team = load_workbook(path)
    assert [(p.sheet, p.row, p.column) for p in team.problems] == [("Deals", 2, "Agent ID")]
