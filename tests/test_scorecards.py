"""Scorecard PDFs of the sample team: every number on the page is the engine's, read back
from the PDF's text, and the pages look right when rendered to pixels."""
from __future__ import annotations

import datetime as dt
import logging
import math
import re
import subprocess
from pathlib import Path

import numpy as np
import pdfplumber
import pytest

from kpi_reports import formatting as f
from kpi_reports import load_settings, load_workbook, monthly_history
from kpi_reports.mail import mail_summary
from kpi_reports.report.render import SUBSET_FALLBACK

MONTH = dt.date(2026, 10, 1)
DPI = 50


@pytest.fixture(scope="module")
def sample(rendered_month, sample_workbook):
    """The whole sample team rendered once, end to end, in two worker processes (conftest)."""
    settings = load_settings()
    team = load_workbook(sample_workbook, settings)
    result = monthly_history(team, MONTH, 12, settings)[-1]
    return rendered_month.run, result, team, rendered_month.progress


def pdf_text(path: Path) -> str:
    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def tile_texts(path: Path, labels: list[str]) -> dict[str, str]:
    """The text of each metric tile: the column below the tile's label, one tile tall."""
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[0]
        width = (page.width - 2 * 34) / 4
        texts = {}
        for label in labels:
            hits = page.search(re.escape(label.split(" (")[0]), regex=True)
            hit = min(hits, key=lambda h: h["top"])
            box = (hit["x0"] - 2, hit["top"] - 2, min(hit["x0"] + width - 6, page.width), hit["top"] + 100)
            texts[label] = flat(page.crop(box).extract_text())
        return texts


def tile_text(path: Path, label: str) -> str:
    return tile_texts(path, [label])[label]


def test_one_pdf_per_active_agent_and_summaries(sample):
    run, result, team, calls = sample
    assert set(run.scorecards) == set(result.agents.index)
    assert "A25" not in run.scorecards                      # inactive on the Agents sheet
    assert run.scorecards["A01"].name == "A01-Dana_Lee.pdf"
    assert run.scorecards["A01"].parent == run.folder and run.folder.name == "2026-10"
    assert run.summary.name == "team-summary.pdf"
    assert set(run.team_summaries) == {"North Shore", "Downtown", "Coastal"}
    total = len(run.scorecards) + 1 + len(run.team_summaries)
    assert calls[-1] == (total, total) and len(calls) == total
    assert [p.name for p in run.folder.glob(".*")] == [".fingerprints"]   # no temporary files left behind
    assert not list((run.folder / ".fingerprints").glob(".*"))


def test_every_tile_shows_the_engines_numbers(sample):
    run, result, *_ = sample
    for agent_id in ("A01", "A09", "A17"):
        rows = result.agent_values(agent_id)
        tiles = tile_texts(run.scorecards[agent_id], [m.label for m in result.metrics])
        for m in result.metrics:
            row, bench = rows.loc[m.id], result.benchmarks.loc[m.id]
            text = tiles[m.label]
            assert f.percent(bench.average) in text and f.percent(bench.top10) in text, (agent_id, m.id, text)
            if math.isnan(row.value):
                assert "—" in text and f"No {m.population} " in text, (agent_id, m.id, text)
            else:
                assert f.percent(row.value) in text, (agent_id, m.id, text)
                assert f.fraction(row.numerator, row.denominator, m.population) in text, (agent_id, m.id, text)
                assert f.rank(row["rank"], row.ranked) in text, (agent_id, m.id, text)


def test_undefined_value_says_why_instead_of_zero(sample):
    run, result, *_ = sample
    assert math.isnan(result.value("A01", "offers_sign_rate_28d").value)
    text = tile_text(run.scorecards["A01"], "28-day offers sign rate")
    assert "No Offers leads matched Sep 4 – Oct 3, 2026" in text
    assert "0%" not in text.split("AVG")[0]


def test_funnel_and_goal_match_the_engine(sample):
    run, result, *_ = sample
    for agent_id in ("A01", "A17"):
        people = result.agents.loc[agent_id]
        text = flat(pdf_text(run.scorecards[agent_id]))
        for step in ("calls", "contacts", "appointments", "contracts"):
            assert f"{step.capitalize()} {f.count(people[step])}" in text
        assert f.money(people["closed_volume_ytd"]) in text
        assert f"of {f.money(people['annual_goal'], compact=True)} annual goal" in text
        assert f"Closed this month: {f.money(people['closed_volume'])}" in text
        assert "Oct 1 – Oct 31, 2026" in text


def test_focus_lists_tips_below_average_most_worth_first(sample):
    run, result, *_ = sample
    for agent_id in ("A01", "A10"):         # A10: contact before contract by worth, not by gap
        row = result.agent_values(agent_id)
        values, averages = row["value"], result.benchmarks["average"]
        gaps = (values - averages)[row["denominator"] >= 5].dropna()   # small_sample
        below = gaps[[f.shown_percent(values[m]) < f.shown_percent(averages[m]) for m in gaps.index]]  # as shown
        worth = (-below * row["denominator"][below.index]).sort_values(ascending=False)
        below = below[worth.index[:3]]                       # at most three, most worth first
        text = flat(pdf_text(run.scorecards[agent_id])).split("Focus for next month")[1]
        assert len(below) > 0
        for k, mid in enumerate(below.index, start=1):
            m = result.settings.metric(mid)
            assert f"{k}. {m.label} {f.points(values[mid], result.benchmarks['average'][mid])} vs Average" in text
            assert m.tip.split()[0] in text
        assert f"{len(below) + 1}. " not in text
        assert "Well done" not in text
        assert mail_summary(result, agent_id)[1] == result.settings.metric(below.index[0]).tip


def test_portal_rule_called_out_only_below_100_percent(sample):
    run, result, *_ = sample
    rates = result.values.xs("portal_update_rate", level="metric")["value"]
    below, full = rates[rates < 1].index[0], rates[rates == 1].index[0]
    assert "keep you eligible for leads" in flat(pdf_text(run.scorecards[below]))
    assert "keep you eligible for leads" not in flat(pdf_text(run.scorecards[full]))


def test_own_data_quality_problems_only(sample):
    run, _, team, _ = sample
    met = next(p for p in team.problems if p.problem == "before Matched")
    owner = met.agent_id
    other = next(a for a in run.scorecards if a != owner and
                 not any(p.agent_id == a and p.problem == "before Matched" for p in team.problems))
    assert f"Leads!row {met.row}, Met: before Matched" in flat(pdf_text(run.scorecards[owner]))
    assert "before Matched" not in pdf_text(run.scorecards[other])


def test_windows_footnote_names_the_matched_dates(sample):
    run, *_ = sample
    text = flat(pdf_text(run.scorecards["A01"]))
    assert "14-day schedule rate: Leads matched Sep 18 – Oct 17, 2026; Scheduled within 14 days." in text
    assert "28-day buyer met rate: Buyer leads matched Sep 4 – Oct 3, 2026; Met within 28 days." in text
    assert "Portal updates: Deals active on Oct 31, 2026; updated within 10 days." in text
    assert "Contact rate: Contacts ÷ calls logged Oct 1 – Oct 31, 2026." in text


def test_summary_leaderboard_benchmarks_movers_and_problems(sample):
    run, result, *_ = sample
    text = flat(pdf_text(run.summary))
    for agent_id in result.agents.index:
        assert agent_id in text
    averages = " ".join(f.percent(a) for a in result.benchmarks["average"])
    assert f"Network Average {averages}" in text
    assert "Biggest movers since Sep 30, 2026" in text
    assert "unknown agent 'A99'" in text and "before Opened" in text
    coastal = flat(pdf_text(run.team_summaries["Coastal"]))
    assert "Dana Lee" not in coastal and "Priya Dubois" in coastal   # A01 North Shore, A03 Coastal


def test_mail_summary_headline_is_the_engines(sample):
    _, result, *_ = sample
    headline, tip = mail_summary(result, "A01")
    rate = result.value("A01", "schedule_rate_14d").value
    average = result.benchmarks.at["schedule_rate_14d", "average"]
    assert len(headline) == 3
    assert headline[1] == ("14-day schedule rate", f"{f.percent(rate)} (network average {f.percent(average)})")
    goal = result.agents.at["A01", "annual_goal"]
    assert headline[-1][1] == f"{f.money(result.agents.at['A01', 'closed_volume_ytd'])} of your {f.money(goal)} goal"


# ------------------------------------------------------------------ what a reader sees

def page_images(pdf: Path, tmp_path: Path) -> list[np.ndarray]:
    """Each page as a greyscale array, via poppler's pdftoppm (PGM output)."""
    subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", pdf, tmp_path / pdf.stem], check=True)
    images = []
    for pgm in sorted(tmp_path.glob(f"{pdf.stem}*.pgm")):
        data = pgm.read_bytes()
        _, w, h, _, pixels = data.split(maxsplit=4)
        images.append(np.frombuffer(pixels, dtype=np.uint8).reshape(int(h), int(w)))
    return images


@pytest.mark.parametrize("which", ["A01", "A21", "summary"])
def test_pages_are_drawn_fit_and_nothing_crosses_the_margins(sample, which, tmp_path):
    run, *_ = sample
    pdf = run.summary if which == "summary" else run.scorecards[which]
    pages = page_images(pdf, tmp_path)
    assert 1 <= len(pages) <= (3 if which == "summary" else 1)
    margin = int(10 / 25.4 * DPI)                       # the page's margins are 11-12 mm
    for img in pages:
        assert (img < 200).mean() > 0.03                # ink on the page, not a blank sheet
        assert (img[:margin] > 245).all() and (img[:, :margin] > 245).all() and (img[:, -margin:] > 245).all()
    with pdfplumber.open(pdf) as doc:
        for page in doc.pages:
            body = [c for c in page.chars if c["top"] < page.height - 34]   # the page-number footer aside
            assert min(c["x0"] for c in body) >= 33 and max(c["x1"] for c in body) <= page.width - 33


def test_weasyprint_uses_harfbuzz_subsetting_and_warns_of_nothing(sample):
    from weasyprint.text import ffi

    run, *_ = sample
    assert ffi.harfbuzz_subset is not None, "install libharfbuzz-subset0: font subsetting is far slower without it"
    assert not [w for w in run.warnings if SUBSET_FALLBACK in w]
    assert run.warnings == []


def test_biggest_movers_need_a_real_sample_in_both_months(sample):
    from kpi_reports.report import summary_context
    _, result, team, _ = sample
    history = monthly_history(team, MONTH, 12, result.settings)
    movers = summary_context(history)["movers"]
    now, before = history[-1], history[-2]
    by_name = {name: agent for agent, name in now.agents["name"].items()}
    by_label = {m.label: m.id for m in now.metrics}
    listed = movers["up"] + movers["down"]
    assert listed
    for item in listed:
        agent, metric = by_name[item["name"]], by_label[item["metric"]]
        assert now.value(agent, metric).denominator >= 5 and before.value(agent, metric).denominator >= 5


def test_renderers_leave_weasyprints_logger_as_they_found_it(tmp_path):
    from kpi_reports.report.render import Renderer
    from kpi_reports.report.templates import DEFAULT_TEMPLATES, TemplateFolders

    import weasyprint  # noqa: F401 - it adds a NullHandler of its own on import

    (tmp_path / "page.html").write_text('<p style="colour: red">Hello</p>')
    logger = logging.getLogger("weasyprint")
    before = list(logger.handlers)
    renderers = [Renderer(TemplateFolders((tmp_path, DEFAULT_TEMPLATES)).bundle()) for _ in range(3)]
    assert logger.handlers == before
    for renderer in renderers:
        pdf, warnings = renderer.pdf("page.html", {})
        assert len(warnings) == 1 and "colour" in warnings[0]      # each render: its own warning, once
        assert pdf.startswith(b"%PDF")
    assert logger.handlers == before
