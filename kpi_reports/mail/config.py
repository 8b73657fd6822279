"""Mail and SMTP settings: the [mail] and [smtp] sections, overridden by KPI_* variables.

The SMTP password never comes from the workbook, the settings file or the command line
(they end up in shell history, backups and screenshots): only from KPI_SMTP_PASSWORD or
the system keyring (service "kpi-reports", username = the SMTP user).
"""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.headerregistry import Address
from typing import Any

from ..errors import UserError
from ..settings import KEYRING_SERVICE, Security, Settings, load_settings, with_changes
from .addresses import AddressError, parse_address

SMTP_ENV = {"host": "KPI_SMTP_HOST", "port": "KPI_SMTP_PORT", "security": "KPI_SMTP_SECURITY",
            "user": "KPI_SMTP_USER"}
# Field defaults for direct construction (tests, Python users) are the bundled settings
# file's, so no default value is written twice; from_settings passes every field.
_BUNDLED = load_settings()


@dataclass(frozen=True)
class MailConfig:
    """Who the mail is from, its subject line and each team's leader."""

    sender: Address
    subject: str = _BUNDLED.mail.subject
    leaders: dict[str, Address] = field(default_factory=dict)   # key: team name, casefolded

    @classmethod
    def from_settings(cls, settings: Settings, env: Mapping[str, str] = os.environ,
                      leaders: Mapping[str, str] | None = None) -> "MailConfig":
        """[mail] + KPI_MAIL_FROM; `leaders` (the Agents sheet's, see leaders_from_agents) add to [mail.leaders]."""
        mail = settings.mail
        raw_from = env.get("KPI_MAIL_FROM") or mail.sender
        if not raw_from.strip():
            raise UserError("No sender address: set [mail] from = \"you@yourteam.com\" in the "
                            "settings file or the KPI_MAIL_FROM environment variable.")
        try:
            sender = parse_address(raw_from)
        except AddressError as exc:
            raise UserError(f"The sender address ([mail] from / KPI_MAIL_FROM) is wrong: {exc}.") from None
        return cls(sender=sender, subject=mail.subject, leaders=_leaders({**dict(mail.leaders), **(leaders or {})}))

    def leader_of(self, team: str | None) -> Address | None:
        return self.leaders.get(str(team or "").strip().casefold())


def _leaders(table: Mapping[str, Any]) -> dict[str, Address]:
    leaders = {}
    for team, raw in table.items():
        try:
            leaders[str(team).strip().casefold()] = parse_address(raw)
        except AddressError as exc:
            raise UserError(f"The leader address for team {team!r} is wrong: {exc}. "
                            "Fix [mail.leaders] in the settings, or the leader's Email cell on Agents.") from None
    return leaders


@dataclass(frozen=True)
class SmtpConfig:
    """How to reach the mail server, how fast to go, and how hard to retry."""

    host: str = _BUNDLED.smtp.host
    port: int = _BUNDLED.smtp.port
    security: Security = _BUNDLED.smtp.security
    user: str = _BUNDLED.smtp.user
    password: str = field(default="", repr=False)
    timeout_seconds: float = _BUNDLED.smtp.timeout_seconds
    max_per_minute: int = _BUNDLED.smtp.max_per_minute
    max_per_day: int = _BUNDLED.smtp.max_per_day
    retries: int = _BUNDLED.smtp.retries
    retry_delay_seconds: float = _BUNDLED.smtp.retry_delay_seconds    # first back-off; doubles on every retry

    @classmethod
    def from_settings(cls, settings: Settings, env: Mapping[str, str] = os.environ,
                      keyring_get: Callable[[str, str], str | None] | None = None) -> "SmtpConfig":
        """[smtp] + KPI_SMTP_* variables (checked like the file); the password from KPI_SMTP_PASSWORD or the keyring."""
        smtp = settings.smtp
        for key, var in SMTP_ENV.items():
            if env.get(var):
                smtp = with_changes(smtp, {key: env[var]}, f"{var} (environment)")
        return cls(**vars(smtp), password=_password(smtp.user, env, keyring_get))


def _password(user: str, env: Mapping[str, str], keyring_get: Callable[[str, str], str | None] | None) -> str:
    if not user:
        return ""
    if env.get("KPI_SMTP_PASSWORD"):
        return env["KPI_SMTP_PASSWORD"]
    if keyring_get is None:
        import keyring
        keyring_get = keyring.get_password
    try:
        password = keyring_get(KEYRING_SERVICE, user)
    except Exception as exc:  # any keyring backend failure: say how to fix, no traceback
        raise UserError(f"Could not read the SMTP password from the system keyring ({exc}). "
                        "Set KPI_SMTP_PASSWORD instead.") from None
    if not password:
        raise UserError(f"No SMTP password for {user!r}: set KPI_SMTP_PASSWORD or store it with "
                        f"`keyring set {KEYRING_SERVICE} {user}`.")
    return password
