"""The settings file: defaults, overrides, a team's own metric, and mistakes named plainly."""
import datetime as dt
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from kpi_reports import UserError, compute, load_settings, load_workbook
from kpi_reports import settings as settings_module
from kpi_reports.excel.dashboard import build_layout
from kpi_reports.mail import MailConfig, SmtpConfig
from kpi_reports.settings import default_settings_text
from conftest import AS_OF, days_before


def write(tmp_path, text):
    path = tmp_path / "kpi-reports.toml"
    path.write_text(text)
    return path


def test_defaults_hold_the_metrics_of_the_definition():
    settings = load_settings()
    assert settings.metric_ids == ["portal_update_rate", "schedule_rate_14d", "buyer_met_rate_28d",
                                   "seller_sign_rate_28d", "offers_sign_rate_28d", "contact_rate",
                                   "appointment_rate", "contract_rate"]
    assert (settings.rolling_days, settings.top_percent, settings.min_denominator) == (30, 10, 1)
    assert settings.metric("buyer_met_rate_28d").lead_types == ("Buyer",)
    assert "first call" in settings.metric("schedule_rate_14d").tip


def test_a_file_changes_only_what_it_names(tmp_path):
    settings = load_settings(write(tmp_path, '[metrics.contact_rate]\ntip = "Smile and dial."\n'))
    assert settings.metric("contact_rate").tip == "Smile and dial."
    assert settings.metric("contact_rate").numerator == "Contacts"


def test_a_metric_can_be_switched_off(tmp_path):
    settings = load_settings(write(tmp_path, "[metrics.offers_sign_rate_28d]\nenabled = false\n"))
    assert "offers_sign_rate_28d" not in settings.metric_ids


@pytest.mark.parametrize("text, words", [
    ("[windows]\nrolling_day = 14\n", "unknown setting 'rolling_day' in [windows]; did you mean rolling_days?"),
    ("[window]\nrolling_days = 14\n", "unknown setting 'window' in [top level]; did you mean windows?"),
    ("[metrics.x]\nkind = \"cohort\"\nevent = \"Met\"\nplayout_days = 3\n",
     "'playout_days' in [metrics.x]; did you mean play_out_days?"),
    ("[benchmarks]\ntop_percent = \"abc\"\n", "[benchmarks] top_percent must be a whole number, 1 to 100 (found 'abc')"),
    ("[windows]\nrolling_days = 0\n", "[windows] rolling_days must be a whole number, 1 to 3660 (found 0)"),
    ("[windows]\nrolling_days = 10000000\n",
     "[windows] rolling_days must be a whole number, 1 to 3660 (found 10000000)"),
    ("[benchmarks]\ntop_percent = 101\n", "[benchmarks] top_percent must be a whole number, 1 to 100 (found 101)"),
    ("[benchmarks]\nmin_denominator = true\n",
     "[benchmarks] min_denominator must be a whole number, 1 to 1000000 (found True)"),
    ("[report]\nmovers_min_sample = -1\n",
     "[report] movers_min_sample must be a whole number, 0 to 1000000 (found -1)"),
    ("[smtp]\nport = 70000\n", "[smtp] port must be a whole number, 1 to 65535 (found 70000)"),
    ("[smtp]\nsecurity = \"tls\"\n", "[smtp] security must be none or starttls or ssl (found 'tls')"),
    ("[smtp]\ntimeout_seconds = \"fast\"\n", "[smtp] timeout_seconds must be a number, 1 to 3600 (found 'fast')"),
    ("[smtp]\nretries = 50\n", "[smtp] retries must be a whole number, 0 to 10 (found 50)"),
    ("[smtp]\nhost = \"\"\n", "[smtp] host must be text in quotes, not empty (found '')"),
    ("[smtp]\npassword = \"oops\"\n", "remove `password` from [smtp]"),
    ("[mail]\nsubject = 5\n", "[mail] subject must be text in quotes, not empty (found 5)"),
    ("[mail.leaders]\nNorth = 5\n", "[mail] leaders must be a table of name = \"text\" lines (found {'North': 5})"),
    ("windows = 5\n", "windows must be a section, [windows], with its keys below it"),
    ("[metrics]\ncontact_rate = 5\n", "metrics.contact_rate must be a section, [metrics.contact_rate]"),
    ("[dashboard]\nchart_metric = \"schedule_rate_14\"\n",
     "[dashboard] chart_metric 'schedule_rate_14' is not a metric; did you mean schedule_rate_14d?"),
    ("[metrics.schedule_rate_14d]\nenabled = false\n",
     "[dashboard] chart_metric 'schedule_rate_14d' is switched off ([metrics.schedule_rate_14d] enabled = false)"),
    ("[metrics.contact_rate]\nmax_age_days = 5\n",
     "[metrics.contact_rate] max_age_days does not apply to activity metrics, which use numerator, denominator"),
    ("[metrics.x]\nkind = \"deal_updates\"\n", "metric 'x' of kind 'deal_updates' needs max_age_days"),
    ("[metrics.portal_update_rate]\nmax_age_days = 4000\n",
     "[metrics.portal_update_rate] max_age_days must be a whole number, 0 to 3660 (found 4000)"),
    ("[metrics.buyer_met_rate_28d]\nlead_types = \"Buyer\"\n", "[metrics.buyer_met_rate_28d] lead_types must be a list"),
    ("[metrics.contact_rate]\nlabel = 3\n", "[metrics.contact_rate] label must be text in quotes (found 3)"),
    ("[metrics.contact_rate]\nenabled = \"no\"\n", "[metrics.contact_rate] enabled must be true or false"),
    ("[metrics.x]\nkind = \"cohort\"\nevent = \"Met\"\nplay_out_days = 2.5\n",
     "[metrics.x] play_out_days must be a whole number, 0 to 3660 (found 2.5)"),
    ("[metrics.x]\nkind = \"ratio\"\n", "needs kind = \"cohort\", \"activity\" or \"deal_updates\""),
    ("[metrics.x]\nkind = \"cohort\"\n", "needs event, play_out_days"),
    ("[metrics.x]\nkind = \"cohort\"\nevent = \"Met\"\nplay_out_days = 3\nlead_types = [\"Renter\"]\n",
     "unknown lead type(s) ['Renter']"),
    ("[windows\n", "is not valid TOML"),
    ("[targets]\ncontact_rat = 0.25\n", "unknown setting 'contact_rat' in [targets]; did you mean contact_rate?"),
    ("[targets]\ncontact_rate = 25\n", "[targets] contact_rate must be a number, 0 to 1 (found 25)"),
    ("[targets]\nteam_goal = \"lots\"\n", "[targets] team_goal must be a number"),
    ("[targets]\ncontract_rate = 0.3\n[metrics.contract_rate]\nenabled = false\n",
     "[targets] contract_rate is a metric switched off ([metrics.contract_rate] enabled = false)"),
    ("targets = 5\n", "targets must be a section, [targets], with its keys below it"),
    ("[report]\nrank_by = \"volume\"\n", "[report] rank_by 'volume' is not a metric; known:"),
    ("[report]\nsmall_sample = 0\n", "[report] small_sample must be a whole number, 1 to 1000000 (found 0)"),
    ("[eligibility]\nmetric = \"portal_updates\"\n",
     "[eligibility] metric 'portal_updates' is not a metric; did you mean portal_update_rate?"),
    ("[metrics.portal_update_rate]\nenabled = false\n",
     "[eligibility] metric 'portal_update_rate' is switched off ([metrics.portal_update_rate] enabled = false)"),
    ("[eligibility]\nnot_eligible_below = 0.8\neligible_at = 0.5\n",
     "[eligibility] not_eligible_below (0.8) must not be above eligible_at (0.5)."),
    ("[plan]\ntrailing_days = 0\n", "[plan] trailing_days must be a whole number, 1 to 3660 (found 0)"),
    ("[dates]\norder = \"dmy\"\n", "[dates] order must be month-first or day-first (found 'dmy')"),
    ("[sheets]\nLeads = 5\n", "[sheets] must be a table of name = \"text\" lines"),
])
def test_mistakes_are_named(tmp_path, text, words):
    with pytest.raises(UserError) as err:
        load_settings(write(tmp_path, text))
    assert words in str(err.value)


def test_targets_follow_the_metrics_order_and_eligibility_can_be_off(tmp_path):
    settings = load_settings(write(tmp_path, "[targets]\nteam_goal = 100000000\ncontract_rate = 0.3\n"
                                             "contact_rate = 0.25\n[eligibility]\nmetric = \"\"\n"
                                             "[metrics.portal_update_rate]\nenabled = false\n"))
    assert settings.targets.team_goal == 100_000_000
    assert settings.targets.rates == (("contact_rate", 0.25), ("contract_rate", 0.3))
    assert settings.eligibility.metric == ""


def test_missing_file_is_named(tmp_path):
    with pytest.raises(UserError, match="Settings file not found"):
        load_settings(tmp_path / "nope.toml")


def test_the_printed_defaults_are_a_valid_settings_file(tmp_path):
    settings = load_settings(write(tmp_path, default_settings_text()))
    assert settings.metric_ids == load_settings().metric_ids


# ------------------------------------------------------------------ every default lives in the TOML

# Each key of the bundled file: its default line, a changed line, and where the change must show.
CHANGED_DEFAULTS = [
    ("windows.rolling_days", "rolling_days = 30 ", "rolling_days = 45 ", lambda s: s.rolling_days, 45),
    ("benchmarks.top_percent", "top_percent = 10 ", "top_percent = 20 ", lambda s: s.top_percent, 20),
    ("benchmarks.min_denominator", "min_denominator = 1 ", "min_denominator = 3 ", lambda s: s.min_denominator, 3),
    ("dashboard.chart_metric", "chart_metric = \"schedule_rate_14d\"", "chart_metric = \"contact_rate\"",
     lambda s: s.dashboard.chart_metric, "contact_rate"),
    ("report.movers_min_sample", "movers_min_sample = 5 ", "movers_min_sample = 9 ", lambda s: s.report.movers_min_sample, 9),
    ("report.small_sample", "small_sample = 5 ", "small_sample = 2 ", lambda s: s.report.small_sample, 2),
    ("report.rank_by", 'rank_by = "closed_volume_ytd"', 'rank_by = "contact_rate"', lambda s: s.report.rank_by,
     "contact_rate"),
    ("plan.trailing_days", "trailing_days = 365 ", "trailing_days = 90 ", lambda s: s.plan.trailing_days, 90),
    ("eligibility.metric", 'metric = "portal_update_rate"', 'metric = "appointment_rate"',
     lambda s: s.eligibility.metric, "appointment_rate"),
    ("eligibility.eligible_at", "eligible_at = 1.0 ", "eligible_at = 0.9 ", lambda s: s.eligibility.eligible_at, 0.9),
    ("eligibility.not_eligible_below", "not_eligible_below = 0.0 ", "not_eligible_below = 0.5 ",
     lambda s: s.eligibility.not_eligible_below, 0.5),
    ("targets.team_goal", "team_goal = 0\n", "team_goal = 5000000\n", lambda s: s.targets.team_goal, 5_000_000),
    ("mail.from", 'from = ""', 'from = "Team KPIs <kpi@team.example>"', lambda s: s.mail.sender, "Team KPIs <kpi@team.example>"),
    ("mail.subject", 'subject = "Your {month} scorecard"', 'subject = "KPIs for {month}"', lambda s: s.mail.subject, "KPIs for {month}"),
    ("mail.leaders", "[mail.leaders]\n", '[mail.leaders]\nNorth = "north@team.example"\n',
     lambda s: s.mail.leaders, (("North", "north@team.example"),)),
    ("smtp.host", 'host = "localhost"', 'host = "mail.team.example"', lambda s: s.smtp.host, "mail.team.example"),
    ("smtp.port", "port = 587 ", "port = 2525 ", lambda s: s.smtp.port, 2525),
    ("smtp.security", 'security = "starttls"', 'security = "ssl"', lambda s: s.smtp.security, "ssl"),
    ("smtp.user", 'user = ""', 'user = "kpi@team.example"', lambda s: s.smtp.user, "kpi@team.example"),
    ("smtp.timeout_seconds", "timeout_seconds = 30 ", "timeout_seconds = 12.5 ", lambda s: s.smtp.timeout_seconds, 12.5),
    ("smtp.max_per_minute", "max_per_minute = 30 ", "max_per_minute = 7 ", lambda s: s.smtp.max_per_minute, 7),
    ("smtp.max_per_day", "max_per_day = 500 ", "max_per_day = 77 ", lambda s: s.smtp.max_per_day, 77),
    ("smtp.retries", "retries = 4 ", "retries = 1 ", lambda s: s.smtp.retries, 1),
    ("smtp.retry_delay_seconds", "retry_delay_seconds = 2 ", "retry_delay_seconds = 0.5 ", lambda s: s.smtp.retry_delay_seconds, 0.5),
    ("dates.order", 'order = "month-first"', 'order = "day-first"', lambda s: s.dates.order, "day-first"),
    ("metrics.max_age_days", "max_age_days = 10", "max_age_days = 3", lambda s: s.metric("portal_update_rate").max_age_days, 3),
    ("metrics.short", 'short = "Updates"', 'short = "Portal"', lambda s: s.metric("portal_update_rate").short, "Portal"),
    ("metrics.play_out_days", "play_out_days = 14", "play_out_days = 7", lambda s: s.metric("schedule_rate_14d").play_out_days, 7),
    ("metrics.event", 'event = "Scheduled"', 'event = "Met"', lambda s: s.metric("schedule_rate_14d").event, "Met"),
    ("metrics.label", 'label = "14-day schedule rate"', 'label = "Schedule rate"',
     lambda s: s.metric("schedule_rate_14d").label, "Schedule rate"),
    ("metrics.lead_types", 'lead_types = ["Buyer"]', 'lead_types = ["Seller"]',
     lambda s: s.metric("buyer_met_rate_28d").lead_types, ("Seller",)),
    ("metrics.tip", 'tip = "Call at the hours', 'tip = "Dial early. Call at the hours',
     lambda s: s.metric("contact_rate").tip[:11], "Dial early."),
    ("metrics.numerator", 'numerator = "Contacts"', 'numerator = "Appointments"', lambda s: s.metric("contact_rate").numerator,
     "Appointments"),
    ("metrics.denominator", 'denominator = "Calls"', 'denominator = "Contacts"', lambda s: s.metric("contact_rate").denominator, "Contacts"),
    ("metrics.enabled", 'kind = "activity"\nlabel = "Contract rate', 'enabled = false\nkind = "activity"\nlabel = "Contract rate',
     lambda s: "contract_rate" in s.metric_ids, False),
]


@pytest.fixture
def changed_defaults(monkeypatch):
    """The bundled defaults file with every line of CHANGED_DEFAULTS changed."""
    text = default_settings_text()
    for _, old, new, _, _ in CHANGED_DEFAULTS:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    monkeypatch.setattr(settings_module, "_defaults_text", lambda: text)
    return text


def test_every_key_of_the_bundled_file_is_changed_by_the_test_below():
    """If a key is added to default_settings.toml, CHANGED_DEFAULTS must show it taking effect."""
    data = tomllib.loads(default_settings_text())
    keys = {f"{section}.{key}" for section, table in data.items() if section != "metrics" for key in table}
    keys |= {f"metrics.{key}" for table in data["metrics"].values() for key in table}
    changed = {key for key, *_ in CHANGED_DEFAULTS}
    assert keys - changed == {"metrics.kind"}          # a metric's kind is its shape, not a default


def test_the_date_order_default_reaches_the_loader(changed_defaults, write_workbook):
    path = write_workbook(leads=[{"Lead ID": "L1", "Agent ID": "A01", "Type": "Buyer", "Matched": "03/10/2026"}])
    assert load_workbook(path, load_settings()).leads["matched"].iloc[0].date().isoformat() == "2026-10-03"


def test_sheets_and_columns_tables_map_names(write_workbook, tmp_path):
    tables = {("Opportunities" if name == "Leads" else name): frame for name, frame in
              __import__("conftest").team_tables(leads=[{"Lead ID": "L1", "Agent ID": "A01", "Type": "Buyer",
                                                         "Matched": "2026-10-01"}]).items()}
    tables["Opportunities"] = tables["Opportunities"].rename(columns={"Matched": "Date Matched"})
    settings = load_settings(write(tmp_path, '[sheets]\nLeads = "Opportunities"\n'
                                             '[columns.Leads]\nMatched = "Date Matched"\n'))
    assert (settings.sheets, settings.columns) == ((("Leads", "Opportunities"),),
                                                   (("Leads", (("Matched", "Date Matched"),)),))
    team = load_workbook(write_workbook(tables), settings)
    assert team.leads["matched"].iloc[0].date().isoformat() == "2026-10-01"


def test_each_default_in_the_bundled_file_takes_effect(changed_defaults):
    settings = load_settings()
    for _, _old, new, read, want in CHANGED_DEFAULTS:
        assert read(settings) == want, new


def test_a_team_file_overrides_the_changed_defaults_and_keeps_the_others(changed_defaults, tmp_path):
    settings = load_settings(write(tmp_path, "[windows]\nrolling_days = 60\n"))
    assert (settings.rolling_days, settings.top_percent, settings.smtp.port) == (60, 20, 2525)


def test_changed_defaults_reach_the_mail_and_smtp_configs(changed_defaults):
    settings = load_settings()
    smtp = SmtpConfig.from_settings(settings, env={"KPI_SMTP_PASSWORD": "pw"})
    assert smtp == SmtpConfig(host="mail.team.example", port=2525, security="ssl", user="kpi@team.example",
                              password="pw", timeout_seconds=12.5, max_per_minute=7, max_per_day=77,
                              retries=1, retry_delay_seconds=0.5)
    mail = MailConfig.from_settings(settings, env={})
    assert (str(mail.sender), mail.subject) == ("Team KPIs <kpi@team.example>", "KPIs for {month}")
    assert mail.leader_of("north").addr_spec == "north@team.example"


def test_changed_defaults_reach_the_engine_and_the_dashboard(changed_defaults, write_workbook):
    path = write_workbook(activity=[
        {"Date": days_before(40), "Agent ID": "A01", "Calls": 10, "Contacts": 4, "Appointments": 2},
        {"Date": days_before(1), "Agent ID": "A01", "Calls": 10, "Contacts": 5, "Appointments": 1},
        {"Date": days_before(1), "Agent ID": "A02", "Calls": 10, "Contacts": 2, "Appointments": 1},
    ])
    settings = load_settings()
    result = compute(load_workbook(path, settings), AS_OF, settings)
    start, end = result.activity_window
    assert (end - start).days + 1 == 45                              # rolling_days = 45
    row = result.value("A01", "contact_rate")                        # numerator = Appointments / Contacts
    assert (row["numerator"], row["denominator"]) == (3, 9)
    assert result.value("A02", "contact_rate")["numerator"] == 1
    assert "contract_rate" not in result.settings.metric_ids
    layout = build_layout(result)
    assert layout.chart.title.startswith("Contact rate (calls to contacts) by agent")


def test_changed_coaching_defaults_reach_the_engine(changed_defaults, write_workbook):
    path = write_workbook(activity=[
        {"Date": days_before(100), "Agent ID": "A01", "Calls": 1000, "Contacts": 1},   # outside 90 days
        {"Date": days_before(1), "Agent ID": "A01", "Calls": 10, "Contacts": 5, "Appointments": 1},
        {"Date": days_before(1), "Agent ID": "A02", "Calls": 10, "Contacts": 2, "Appointments": 1,
         "Closed Volume": 100_000},
    ])
    settings = load_settings()
    result = compute(load_workbook(path, settings), AS_OF, settings)
    appointments = result.metric_position("appointment_rate")
    assert result.small_sample[appointments].tolist() == [False, False]            # 1 of 5, 1 of 2: not below 2
    assert result.leaderboard().agent_ids == ["A01", "A02"]                         # contact rate 50% > 20%
    assert result.plan.trailing == (AS_OF - dt.timedelta(days=89), AS_OF)
    assert result.plan.steps["contact_ratio"].sample.tolist() == [10, 10]
    assert result.eligibility.status == ["not eligible", "at risk"]                  # 1 of 5 < 50%; 1 of 2
    assert result.eligibility.reason[0] == "Appointment rate 20% (1 of 5 contacts); below 50%"
    assert result.team_totals().pace.goal == 5_000_000


# ------------------------------------------------------------------ the real command line

def kpi_reports(*args) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("kpi-reports")
    return subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("content, words", [
    (b"[windows]\nrolling_days = 10000000\n",
     "[windows] rolling_days must be a whole number, 1 to 3660 (found 10000000)."),
    ("[mail]\nsubject = \"Ihr Bericht für {month}\"\n".encode("latin-1"),
     "is not UTF-8 text (byte 0xfc on line 2); save it as UTF-8."),
])
def test_a_bad_settings_file_stops_the_cli_with_exit_2(write_workbook, tmp_path, content, words):
    bad = tmp_path / "bad.toml"
    bad.write_bytes(content)
    done = kpi_reports("metrics", write_workbook(), "--as-of", "2026-10-31", "--settings", bad)
    assert done.returncode == 2, done.stderr
    assert words in " ".join((done.stdout + done.stderr).split())      # the console wraps long lines
    assert "Traceback" not in done.stderr
