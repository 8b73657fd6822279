"""Mail and SMTP settings: TOML sections, KPI_* variables, and where the password may come from."""
from __future__ import annotations

import pytest

from kpi_reports.errors import UserError
from kpi_reports.mail import MailConfig, SmtpConfig
from kpi_reports.settings import load_settings


@pytest.fixture
def settings_file(tmp_path):
    def write(text: str):
        path = tmp_path / "kpi-reports.toml"
        path.write_text(text)
        return load_settings(path)
    return write


def no_keyring(service, user):
    raise AssertionError("keyring must not be asked")


def test_defaults_come_from_the_smtp_section():
    config = SmtpConfig.from_settings(load_settings(), env={}, keyring_get=no_keyring)
    assert (config.host, config.port, config.security, config.user) == ("localhost", 587, "starttls", "")
    assert (config.max_per_minute, config.max_per_day, config.retries) == (30, 500, 4)


def test_environment_variables_override_the_settings(settings_file):
    settings = settings_file('[smtp]\nhost = "mail.one"\nport = 25\nsecurity = "none"\nuser = "a"\n')
    env = {"KPI_SMTP_HOST": "mail.two", "KPI_SMTP_PORT": "465", "KPI_SMTP_SECURITY": "SSL",
           "KPI_SMTP_USER": "b", "KPI_SMTP_PASSWORD": "s3cret"}
    config = SmtpConfig.from_settings(settings, env=env, keyring_get=no_keyring)
    assert (config.host, config.port, config.security, config.user, config.password) == \
        ("mail.two", 465, "ssl", "b", "s3cret")
    assert "s3cret" not in repr(config)


def test_password_comes_from_the_keyring_for_the_user():
    asked = []
    keyring = lambda service, user: asked.append((service, user)) or "from-keyring"  # noqa: E731
    config = SmtpConfig.from_settings(load_settings(), env={"KPI_SMTP_USER": "me@team.example"}, keyring_get=keyring)
    assert config.password == "from-keyring" and asked == [("kpi-reports", "me@team.example")]


def test_a_user_without_any_password_is_told_how_to_set_one():
    with pytest.raises(UserError, match="KPI_SMTP_PASSWORD or store it with `keyring set kpi-reports me`"):
        SmtpConfig.from_settings(load_settings(), env={"KPI_SMTP_USER": "me"}, keyring_get=lambda s, u: None)


def test_a_password_in_the_settings_file_is_refused(settings_file):
    with pytest.raises(UserError, match="Remove `password`"):
        SmtpConfig.from_settings(settings_file('[smtp]\npassword = "oops"\n'), env={})


def test_bad_security_and_bad_numbers_are_user_errors(settings_file):
    with pytest.raises(UserError, match="none, starttls or ssl"):
        SmtpConfig.from_settings(load_settings(), env={"KPI_SMTP_SECURITY": "tls"})
    with pytest.raises(UserError, match="a number is wrong"):
        SmtpConfig.from_settings(load_settings(), env={"KPI_SMTP_PORT": "smtp"})
    with pytest.raises(UserError, match="at least 1"):
        SmtpConfig.from_settings(settings_file("[smtp]\nmax_per_day = 0\n"), env={})


def test_sender_is_required_and_checked(settings_file):
    with pytest.raises(UserError, match="No sender address"):
        MailConfig.from_settings(load_settings(), env={})
    with pytest.raises(UserError, match="sender address .* is wrong"):
        MailConfig.from_settings(load_settings(), env={"KPI_MAIL_FROM": "a@x.example, b@y.example"})
    config = MailConfig.from_settings(settings_file('[mail]\nfrom = "KPIs <kpi@team.example>"\n'), env={})
    assert str(config.sender) == "KPIs <kpi@team.example>"


def test_leaders_from_settings_and_from_a_column_match_teams_loosely(settings_file):
    settings = settings_file('[mail]\nfrom = "kpi@team.example"\n[mail.leaders]\nNorth = "north@team.example"\n')
    config = MailConfig.from_settings(settings, env={}, leaders={"South ": "south@team.example"})
    assert config.leader_of(" NORTH").addr_spec == "north@team.example"
    assert config.leader_of("south").addr_spec == "south@team.example"
    assert config.leader_of("East") is None
    with pytest.raises(UserError, match="leader address for team 'West'"):
        MailConfig.from_settings(settings, env={}, leaders={"West": "w@x.example\nBcc: y@z.example"})
