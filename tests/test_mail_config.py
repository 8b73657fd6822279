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
    with pytest.raises(UserError, match="remove `password` from \\[smtp\\]"):
        SmtpConfig.from_settings(settings_file('[smtp]\npassword = "oops"\n'), env={})


@pytest.mark.parametrize("env, words", [
    ({"KPI_SMTP_SECURITY": "tls"},
     "KPI_SMTP_SECURITY (environment): [smtp] security must be none or starttls or ssl (found 'tls')."),
    ({"KPI_SMTP_PORT": "smtp"},
     "KPI_SMTP_PORT (environment): [smtp] port must be a whole number, 1 to 65535 (found 'smtp')."),
    ({"KPI_SMTP_PORT": "70000"},
     "KPI_SMTP_PORT (environment): [smtp] port must be a whole number, 1 to 65535 (found '70000')."),
])
def test_bad_environment_variables_are_checked_like_the_file(env, words):
    with pytest.raises(UserError) as err:
        SmtpConfig.from_settings(load_settings(), env=env, keyring_get=no_keyring)
    assert str(err.value) == words


def test_bad_numbers_in_the_file_name_the_setting(settings_file):
    with pytest.raises(UserError, match=r"\[smtp\] max_per_day must be a whole number, 1 to 1000000 \(found 0\)"):
        settings_file("[smtp]\nmax_per_day = 0\n")
    with pytest.raises(UserError, match=r"\[smtp\] retry_delay_seconds must be a number, 0 to 300 \(found -1\)"):
        settings_file("[smtp]\nretry_delay_seconds = -1\n")


def test_every_smtp_setting_is_read_from_the_file(settings_file):
    settings = settings_file('[smtp]\nhost = "mail.team.example"\nport = 465\nsecurity = "SSL"\n'
                             'timeout_seconds = 9.5\nmax_per_minute = 3\nmax_per_day = 40\nretries = 0\n'
                             'retry_delay_seconds = 0.25\n')
    config = SmtpConfig.from_settings(settings, env={}, keyring_get=no_keyring)
    assert config == SmtpConfig(host="mail.team.example", port=465, security="ssl", user="", password="",
                                timeout_seconds=9.5, max_per_minute=3, max_per_day=40, retries=0,
                                retry_delay_seconds=0.25)


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
