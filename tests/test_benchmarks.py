"""Average and Top 10% over active agents with a defined value (SPEC.md, Benchmarks)."""
import math

import numpy as np
import pytest

from kpi_reports import compute, load_settings, load_workbook
from kpi_reports.benchmarks import benchmark_arrays, top_count
from conftest import AS_OF, days_before


@pytest.mark.parametrize("n, k", [(1, 1), (9, 1), (10, 1), (11, 2), (20, 2), (30, 3), (31, 4), (100, 10)])
def test_top_count_is_ceil_of_ten_percent(n, k):
    assert top_count(np.array(n), 10) == k


def test_average_weighs_each_agent_once_and_top10_takes_the_best_k():
    values = np.array([[0.1 * i for i in range(1, 12)] + [np.nan]])   # 11 defined, 1 undefined
    counted = ~np.isnan(values)
    average, top, n, rank = benchmark_arrays(values, counted, 10)
    assert n[0] == 11
    assert average[0] == pytest.approx(sum(0.1 * i for i in range(1, 12)) / 11)
    assert top[0] == pytest.approx((1.1 + 1.0) / 2)                   # k = ceil(1.1) = 2
    assert rank[0, 10] == 1 and rank[0, 0] == 11 and math.isnan(rank[0, 11])


def test_ties_share_a_rank():
    values = np.array([[0.5, 0.9, 0.5, 0.2]])
    _, _, _, rank = benchmark_arrays(values, np.ones_like(values, dtype=bool), 10)
    assert rank.tolist() == [[2, 1, 2, 4]]


def _agents(n, inactive=()):
    return [{"Agent ID": f"A{i:02d}", "Name": f"Agent {i}", "Active": "No" if i in inactive else "Yes"}
            for i in range(1, n + 1)]


def _calls(agent, calls, contacts):
    return {"Date": days_before(1), "Agent ID": agent, "Calls": calls, "Contacts": contacts}


def test_benchmarks_skip_inactive_and_undefined_agents(write_workbook):
    path = write_workbook(agents=_agents(4, inactive={4}), activity=[
        _calls("A01", 10, 2), _calls("A02", 10, 6), _calls("A03", 0, 0), _calls("A04", 10, 10)])
    result = compute(load_workbook(path), AS_OF)
    bench = result.benchmarks.loc["contact_rate"]
    assert bench.agents == 2
    assert bench.average == pytest.approx(0.4)       # (0.2 + 0.6) / 2; A03 undefined, A04 inactive
    assert bench.top10 == pytest.approx(0.6)
    assert "A04" not in result.agents.index


def test_min_denominator_setting_excludes_small_samples(write_workbook, tmp_path):
    (tmp_path / "s.toml").write_text("[benchmarks]\nmin_denominator = 5\n")
    settings = load_settings(tmp_path / "s.toml")
    path = write_workbook(agents=_agents(2), activity=[_calls("A01", 4, 4), _calls("A02", 10, 5)])
    result = compute(load_workbook(path, settings), AS_OF, settings)
    assert result.benchmarks.at["contact_rate", "agents"] == 1
    assert result.benchmarks.at["contact_rate", "average"] == pytest.approx(0.5)
    assert result.value("A01", "contact_rate").value == 1.0     # still shown, just not benchmarked
    assert math.isnan(result.value("A01", "contact_rate")["rank"])


def test_no_agent_with_a_value_gives_null_benchmarks(write_workbook):
    result = compute(load_workbook(write_workbook()), AS_OF)
    doc = result.to_json_dict()
    assert doc["benchmarks"]["offers_sign_rate_28d"] == {"average": None, "top10": None, "agents": 0, "target": None}
