"""Composing a scorecard mail: one checked address, safe headers, templates, the PDF."""
from __future__ import annotations

import datetime as dt
import email
from email import policy
from pathlib import Path

import pytest

from kpi_reports.errors import UserError
from kpi_reports.mail import AddressError, MailConfig, MailProblem, ScorecardMail, compose, parse_address
from kpi_reports.mail.addresses import one_line, safe_filename

MONTH = dt.date(2026, 10, 1)


@pytest.fixture(scope="module")
def pdf(tmp_path_factory) -> Path:
    from weasyprint import HTML
    path = tmp_path_factory.mktemp("pdf") / "dana.pdf"
    HTML(string="<p>Agent: Dana Lee</p>").write_pdf(path)
    return path


@pytest.fixture
def config() -> MailConfig:
    return MailConfig(sender=parse_address("KPI Reports <kpi@team.example>"))


def mail(pdf: Path, **changes) -> ScorecardMail:
    fields = dict(agent_id="A01", name="Dana Lee", email="dana@team.example", team="North", month=MONTH,
                  headline=[("14-day schedule rate", "60%"), ("Contracts", "3")],
                  top_tip="Call every lead within the hour.", pdf_path=pdf)
    return ScorecardMail(**{**fields, **changes})


def reparsed(msg) -> email.message.EmailMessage:
    """What the receiving side sees: the bytes on the wire, parsed again."""
    return email.message_from_bytes(msg.as_bytes(policy=policy.SMTP), policy=policy.default)


@pytest.mark.parametrize("cell", [
    "a@team.example, b@evil.example", "a@team.example;b@evil.example", "a@team.example b@evil.example",
    "a@team.example\r\nBcc: b@evil.example", "a@team.example\nb@evil.example", "a@team.example\u2028x",
    "group: a@team.example, b@evil.example;", "a@team", "@team.example", "a@@team.example",
    "a@team.example (b@evil.example)", "<a@team.example> b@evil.example", "a..b@team.example", "dänä@team.example",
])
def test_a_cell_that_is_not_exactly_one_address_is_refused(cell):
    with pytest.raises(AddressError, match="not one valid address"):
        parse_address(cell)


@pytest.mark.parametrize("cell, expected", [
    ("dana@team.example", "dana@team.example"), ("  Dana.Lee+kpi@team.example ", "Dana.Lee+kpi@team.example"),
    ("Dana Lee <dana@team.example>", "dana@team.example"), ('"Lee, Dana" <dana@team.example>', None),
])
def test_one_plain_address_is_accepted(cell, expected):
    if expected is None:          # a comma is refused even when quoted: never guess at lists
        with pytest.raises(AddressError):
            parse_address(cell)
    else:
        assert parse_address(cell).addr_spec == expected


def test_blank_address_says_so():
    with pytest.raises(AddressError, match="no email address"):
        parse_address("   ")


def test_one_line_flattens_every_kind_of_line_break():
    assert one_line("a\r\nb\nc\x85d\u2028e\tf\x00g") == "a b c d e f g"


def test_safe_filename_has_no_path_parts_and_keeps_different_ids_apart():
    a, b = safe_filename("scorecard", "../../etc/passwd"), safe_filename("scorecard", "..\\..\\etc\\passwd")
    assert "/" not in a and "\\" not in b and not a.startswith(".") and a != b
    assert safe_filename("x", "Ünïcödé name", suffix=".pdf", unique=False) == "x-Unicode_name.pdf"


def test_message_has_text_html_and_the_pdf_with_one_recipient(pdf, config):
    msg = reparsed(compose(mail(pdf), config))
    assert [a.addr_spec for a in msg["To"].addresses] == ["dana@team.example"]
    assert msg["From"].addresses[0].addr_spec == "kpi@team.example"
    assert msg["Subject"] == "Your October 2026 scorecard"
    assert "Hello Dana Lee" in msg.get_body(("plain",)).get_content()
    assert "60%" in msg.get_body(("html",)).get_content()
    (part,) = msg.iter_attachments()
    assert part.get_content_type() == "application/pdf"
    assert part.get_filename() == "scorecard-2026-10-Dana_Lee.pdf"
    assert part.get_content() == pdf.read_bytes()


def test_untrusted_text_is_escaped_in_html_and_kept_out_of_headers(pdf, config):
    evil = mail(pdf, name='<b>Dana</b> "Boss"\r\nBcc: spy@evil.example\r\n', top_tip="<script>x()</script>",
                headline=[("<i>rate</i>", "1 & 2")])
    msg = reparsed(compose(evil, config))
    assert msg["Bcc"] is None and [a.addr_spec for a in msg["To"].addresses] == ["dana@team.example"]
    html = msg.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html and "<b>Dana" not in html
    assert "1 &amp; 2" in html
    assert "/" not in next(msg.iter_attachments()).get_filename()


def test_the_message_id_is_the_same_on_every_run_and_differs_per_agent(pdf, config):
    first, again = compose(mail(pdf), config), compose(mail(pdf), config)
    other = compose(mail(pdf, agent_id="A02"), config)
    assert first["Message-ID"] == again["Message-ID"] != other["Message-ID"]
    assert first["Message-ID"].endswith("@team.example>")


def test_team_summary_goes_to_the_leader_with_its_own_subject(pdf, config):
    msg = reparsed(compose(ScorecardMail.team_summary("North", "lead@team.example", MONTH, [], pdf), config))
    assert msg["Subject"] == "North team summary — October 2026"
    assert msg["To"].addresses[0].display_name == "North team leader"
    assert next(msg.iter_attachments()).get_filename() == "team-summary-2026-10-North.pdf"


def test_subject_pattern_from_settings_and_a_bad_one_is_a_user_error(pdf, config):
    custom = MailConfig(sender=config.sender, subject="{name}: KPIs for {month}")
    assert compose(mail(pdf), custom)["Subject"] == "Dana Lee: KPIs for October 2026"
    with pytest.raises(UserError, match="may use {month}"):
        compose(mail(pdf), MailConfig(sender=config.sender, subject="KPIs {nope}"))


def test_an_override_folder_replaces_only_the_templates_it_holds(pdf, config, tmp_path):
    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "body.txt").write_text("Hi {{ name }}, see attached.\n")
    msg = compose(mail(pdf), config, templates=tmp_path)
    assert msg.get_body(("plain",)).get_content() == "Hi Dana Lee, see attached.\n"
    assert "Dana Lee" in msg.get_body(("html",)).get_content()        # built-in HTML still used


def test_a_broken_template_is_a_user_error_naming_the_folders(pdf, config, tmp_path):
    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "body.txt").write_text("Hi {{ nmae }}\n")
    with pytest.raises(UserError, match="Email template problem .*nmae"):
        compose(mail(pdf), config, templates=tmp_path)


def test_a_missing_or_fake_pdf_fails_that_mail_only(config, tmp_path):
    with pytest.raises(MailProblem, match="not readable"):
        compose(mail(tmp_path / "missing.pdf"), config)
    (tmp_path / "fake.pdf").write_text("hello")
    with pytest.raises(MailProblem, match="not a PDF"):
        compose(mail(tmp_path / "fake.pdf"), config)


def test_cc_addresses_are_checked_too(pdf, config):
    with pytest.raises(AddressError):
        compose(mail(pdf, cc=["lead@team.example, spy@evil.example"]), config)
    msg = compose(mail(pdf, cc=["lead@team.example", "DANA@team.example"]), config)
    assert [a.addr_spec for a in msg["Cc"].addresses] == ["lead@team.example"]   # no copy to self
