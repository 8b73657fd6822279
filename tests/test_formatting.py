"""formatting.py pinned by literal text: the boundary cases every face shows the same way.

Each expected string is written out by hand, so a change of rule (round half to even, a
"$1,000K", a "+12 pts" beside "50% → 63%") fails here even where every face test would
compute its expectation with the same function.
"""
from __future__ import annotations

import datetime as dt
import math

import pytest

from kpi_reports import formatting as f


@pytest.mark.parametrize("rate, text", [
    (0.625, "63%"), (0.125, "13%"), (0.005, "1%"), (0.0049999, "0%"), (0.9999, "100%"), (0.995, "100%"),
    (0.285, "29%"), (0.615, "62%"), (0.015, "2%"), (0.025, "3%"), (0.5, "50%"), (0.0, "0%"), (1.0, "100%"),
    (1 / 3, "33%"), (2 / 3, "67%"), (0.2096, "21%"), (-0.0001, "0%"),
])
def test_percent_rounds_halves_up_like_excel(rate, text):
    assert f.percent(rate) == text


def test_percent_with_decimals():
    assert f.percent(0.62549, 1) == "62.5%"
    assert f.percent(0.62550, 1) == "62.6%"
    assert f.percent(0.12345, 2) == "12.35%"


@pytest.mark.parametrize("value", [None, math.nan, float("nan")])
def test_undefined_is_a_dash_everywhere(value):
    assert f.percent(value) == "—"
    assert f.count(value) == "—"
    assert f.money(value) == "—"
    assert f.money(value, compact=True) == "—"
    assert f.points(value, 0.5) == "—"
    assert f.points(0.5, value) == "—"
    assert f.rank(value, 24) == "—"
    assert f.fraction(3, value, "leads") == "—"
    assert f.shown_percent(value) is None


@pytest.mark.parametrize("after, before, text", [
    (0.625, 0.5, "+13 pts"),        # 63% - 50%, not round(12.5) = 12
    (0.5, 0.625, "−13 pts"),
    (0.1249, 0.125, "−1 pts"),      # 12% vs 13%: the shown figures differ by one
    (0.2096, 0.21, "±0 pts"),       # both show 21%
    (0.45, 0.5, "−5 pts"), (1.0, 0.0, "+100 pts"), (0.335, 0.334, "+1 pts"),
])
def test_points_are_the_difference_of_the_shown_percentages(after, before, text):
    assert f.points(after, before) == text


@pytest.mark.parametrize("amount, text", [
    (0, "$0"), (999, "$999"), (999.5, "$1,000"), (1234567, "$1,234,567"), (2.5, "$3"), (1.5, "$2"),
    (-1500, "-$1,500"), (-0.4, "$0"),
])
def test_money(amount, text):
    assert f.money(amount) == text


@pytest.mark.parametrize("amount, text", [
    (999, "$999"), (999.4, "$999"), (999.5, "$1K"), (1000, "$1K"), (1050, "$1.1K"), (850_000, "$850K"),
    (999_949, "$999.9K"), (999_950, "$1M"), (1_000_000, "$1M"), (1_250_000, "$1.3M"), (1_350_000, "$1.4M"),
    (12_000_000, "$12M"), (999_949_999, "$999.9M"), (999_999_999, "$1B"), (12_345_678_901, "$12.3B"),
    (-1500, "-$1.5K"),
])
def test_money_compact_boundaries(amount, text):
    assert f.money(amount, compact=True) == text


@pytest.mark.parametrize("n, text", [
    (1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"), (13, "13th"), (21, "21st"),
    (22, "22nd"), (23, "23rd"), (101, "101st"), (111, "111th"), (112, "112th"), (113, "113th"), (121, "121st"),
])
def test_ordinal(n, text):
    assert f.ordinal(n) == text


@pytest.mark.parametrize("x, text", [
    (0, "0"), (12.0, "12"), (1234, "1,234"), (1234567.0, "1,234,567"), (2.5, "2.5"), (2.25, "2.3"),
    (1234.56, "1,234.6"),
])
def test_count(x, text):
    assert f.count(x) == text


def test_rank_and_fraction():
    assert f.rank(4, 24) == "4th of 24"
    assert f.rank(1.0, 3.0) == "1st of 3"
    assert f.fraction(9, 12, "leads") == "9 of 12 leads"
    assert f.fraction(1234, 2000.0, "calls") == "1,234 of 2,000 calls"


def test_days_months_and_spans():
    assert f.day(dt.date(2026, 10, 31)) == "Oct 31, 2026"
    assert f.day(dt.date(2026, 1, 2)) == "Jan 2, 2026"
    assert f.day(None) == "—"
    assert f.month(dt.date(2026, 10, 1)) == "October 2026"
    assert f.span(dt.date(2026, 10, 2), dt.date(2026, 10, 31)) == "Oct 2 – Oct 31, 2026"
    assert f.span(dt.date(2025, 12, 3), dt.date(2026, 1, 2)) == "Dec 3, 2025 – Jan 2, 2026"
    assert f.span(dt.date(2026, 10, 31), dt.date(2026, 10, 31)) == "Oct 31 – Oct 31, 2026"
