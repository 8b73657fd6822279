"""A PDF is reused only when it was rendered from the same numbers, settings, templates and
code (issue 10): the mail body and its attachment never disagree, and a rerun renders
exactly the stale PDFs and says how many."""
from __future__ import annotations

import email
import re
import shutil
from email import policy
from pathlib import Path

import openpyxl
import pdfplumber
import pytest
from click.testing import CliRunner

from kpi_reports.cli import main

ALL_PDFS = 28                       # 24 active agents, the team summary and 3 team summaries


def run(*args) -> str:
    out = CliRunner().invoke(main, [str(a) for a in args])
    assert out.exit_code == 0, out.output
    return " ".join(out.output.split())


def files(folder: Path) -> dict[str, tuple[int, int]]:
    """PDF name -> (inode, mtime): what a re-render changes."""
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.glob("*.pdf")}


def pdf_text(path: Path) -> str:
    with pdfplumber.open(path) as pdf:
        return re.sub(r"\s+", " ", " ".join(page.extract_text() or "" for page in pdf.pages))


def mail_of(outbox: Path, agent_id: str) -> tuple[str, str]:
    """(plain-text body, text of the attached PDF) of the agent's .eml in the outbox."""
    (path,) = outbox.glob(f"2026-10/scorecard-{agent_id}-*.eml")
    msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    (pdf,) = msg.iter_attachments()
    attached = outbox / f"{agent_id}-attached.pdf"
    attached.write_bytes(pdf.get_content())
    return " ".join(msg.get_body(("plain",)).get_content().split()), pdf_text(attached)


def set_goal(book: Path, agent_id: str, goal: float) -> None:
    wb = openpyxl.load_workbook(book)
    sheet = wb["Agents"]
    column = [c.value for c in sheet[1]].index("Annual Volume Goal") + 1
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == agent_id)
    sheet.cell(row, column).value = goal
    wb.save(book)


@pytest.fixture
def sample(tmp_path, sample_workbook):
    book = shutil.copy(sample_workbook, tmp_path / "team.xlsx")
    (tmp_path / "kpi-reports.toml").write_text('[mail]\nfrom = "Office <office@team.example>"\n')
    return book


def test_email_rerenders_exactly_the_stale_pdfs_and_mail_matches_its_attachment(sample, tmp_path, rendered_month):
    out, outbox, month = tmp_path / "out", tmp_path / "outbox", tmp_path / "out" / "2026-10"
    shutil.copytree(rendered_month.run.folder, month)              # the whole month, with its fingerprints
    first = files(month)
    assert len(first) == ALL_PDFS
    assert f"0 PDF(s) rendered, {ALL_PDFS} kept" in run("scorecards", sample, "--month", "2026-10", "--out", out)
    assert files(month) == first

    set_goal(sample, "A01", 9_000_000)              # only Dana's goal panel and mail change
    said = run("email", sample, "--month", "2026-10", "--out", out, "--outbox", outbox)
    assert f"1 PDF(s) rendered, {ALL_PDFS - 1} kept" in said
    now = files(month)
    assert now["A01-Dana_Lee.pdf"] != first["A01-Dana_Lee.pdf"]
    assert {k: v for k, v in now.items() if k != "A01-Dana_Lee.pdf"} == \
           {k: v for k, v in first.items() if k != "A01-Dana_Lee.pdf"}
    body, attached = mail_of(outbox, "A01")
    assert "Closed volume 2026 to date: $8,095,000 of your $9,000,000 goal" in body
    assert "of $9M annual goal · 90%" in attached and "$4M" not in attached
    assert attached == pdf_text(month / "A01-Dana_Lee.pdf")

    settings = tmp_path / "longer.toml"               # a wider rolling window moves every lead rate
    settings.write_text('[windows]\nrolling_days = 60\n[mail]\nfrom = "Office <office@team.example>"\n')
    said = run("email", sample, "--month", "2026-10", "--settings", settings, "--out", out,
               "--outbox", tmp_path / "outbox60")
    assert f"{ALL_PDFS} PDF(s) rendered." in said
    body, attached = mail_of(tmp_path / "outbox60", "A01")
    assert "14-day schedule rate: 50% (network average 61%)" in body          # was 63% (62%) over 30 days
    assert "80% 50% 40% 57%" in attached and "7 of 14 leads" in attached      # the tiles' values, then fractions
    assert "61% 91% 17th of 24" in attached                                    # Average, Top 10%, rank
    assert "Leads matched Aug 19 – Oct 17, 2026" in attached


def test_changed_templates_rerender_and_a_pdf_changed_on_disk_is_replaced(sample, tmp_path):
    out, month = tmp_path / "out", tmp_path / "out" / "2026-10"
    ours = tmp_path / "ours"
    ours.mkdir()
    args = ["scorecards", sample, "--month", "2026-10", "--out", out, "--agent", "A02", "--templates", ours]
    assert "1 PDF(s) rendered." in run(*args)
    (ours / "theme.toml").write_text('page_size = "A4"\n')
    assert "1 PDF(s) rendered." in run(*args)
    with pdfplumber.open(month / "A02-Miguel_Moreno.pdf") as pdf:
        assert round(pdf.pages[0].width) == 595
    assert "0 PDF(s) rendered, 1 kept" in run(*args)
    (month / "A02-Miguel_Moreno.pdf").write_bytes(b"%PDF-1.7 something else")
    assert "1 PDF(s) rendered." in run(*args)
    assert "Miguel Moreno" in pdf_text(month / "A02-Miguel_Moreno.pdf")
