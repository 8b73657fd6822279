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
from typing import Any, Literal

from ..errors import UserError
from ..settings import Settings
from .addresses import AddressError, parse_address

Security = Literal["none", "starttls", "ssl"]
KEYRING_SERVICE = "kpi-reports"


@dataclass(frozen=True)
class MailConfig:
    """Who the mail is from, its subject line and each team's leader."""

    sender: Address
    subject: str = "Your {month} scorecard"
    leaders: dict[str, Address] = field(default_factory=dict)   # key: team name, casefolded

    @classmethod
    def from_settings(cls, settings: Settings, env: Mapping[str, str] = os.environ,
                      leaders: Mapping[str, str] | None = None) -> "MailConfig":
        """[mail] + KPI_MAIL_FROM; `leaders` (e.g. a Leader Email column) adds to [mail.leaders]."""
        mail = settings.section("mail")
        raw_from = env.get("KPI_MAIL_FROM") or mail.get("from", "")
        if not str(raw_from).strip():
            raise UserError("No sender address: set [mail] from = \"you@yourteam.com\" in the "
                            "settings file or the KPI_MAIL_FROM environment variable.")
        try:
            sender = parse_address(raw_from)
        except AddressError as exc:
            raise UserError(f"The sender address ([mail] from / KPI_MAIL_FROM) is wrong: {exc}.") from None
        return cls(sender=sender, subject=str(mail.get("subject", cls.subject)),
                   leaders=_leaders({**mail.get("leaders", {}), **(leaders or {})}))

    def leader_of(self, team: str | None) -> Address | None:
        return self.leaders.get(str(team or "").strip().casefold())


def _leaders(table: Mapping[str, Any]) -> dict[str, Address]:
    leaders = {}
    for team, raw in table.items():
        try:
            leaders[str(team).strip().casefold()] = parse_address(raw)
        except AddressError as exc:
            raise UserError(f"The leader address for team {team!r} is wrong: {exc}. "
                            "Fix [mail.leaders] in the settings or the Leader Email column.") from None
    return leaders


@dataclass(frozen=True)
class SmtpConfig:
    """How to reach the mail server, how fast to go, and how hard to retry."""

    host: str = "localhost"
    port: int = 587
    security: Security = "starttls"
    user: str = ""
    password: str = field(default="", repr=False)
    timeout_seconds: float = 30.0
    max_per_minute: int = 30
    max_per_day: int = 500
    retries: int = 4
    retry_delay_seconds: float = 2.0    # first back-off; doubles on every retry

    @classmethod
    def from_settings(cls, settings: Settings, env: Mapping[str, str] = os.environ,
                      keyring_get: Callable[[str, str], str | None] | None = None) -> "SmtpConfig":
        """[smtp] + KPI_SMTP_* variables; the password from KPI_SMTP_PASSWORD or the keyring."""
        smtp = settings.section("smtp")
        if "password" in smtp:
            raise UserError("Remove `password` from [smtp] in the settings file: the password is read "
                            "only from KPI_SMTP_PASSWORD or the system keyring "
                            f"(keyring set {KEYRING_SERVICE} YOUR_SMTP_USER).")
        pick = lambda key, var, default: env.get(var) or smtp.get(key, default)  # noqa: E731
        security = str(pick("security", "KPI_SMTP_SECURITY", "starttls")).strip().lower()
        if security not in ("none", "starttls", "ssl"):
            raise UserError(f"SMTP security must be none, starttls or ssl (found {security!r}); "
                            "fix [smtp] security or KPI_SMTP_SECURITY.")
        user = str(pick("user", "KPI_SMTP_USER", "")).strip()
        try:
            config = cls(
                host=str(pick("host", "KPI_SMTP_HOST", "localhost")).strip(),
                port=int(pick("port", "KPI_SMTP_PORT", 587)), security=security, user=user,
                password=_password(user, env, keyring_get),
                timeout_seconds=float(smtp.get("timeout_seconds", 30)),
                max_per_minute=int(smtp.get("max_per_minute", 30)),
                max_per_day=int(smtp.get("max_per_day", 500)),
                retries=int(smtp.get("retries", 4)),
                retry_delay_seconds=float(smtp.get("retry_delay_seconds", 2)),
            )
        except (TypeError, ValueError) as exc:
            raise UserError(f"[smtp] settings: a number is wrong ({exc}).") from None
        if min(config.max_per_minute, config.max_per_day) < 1 or config.retries < 0:
            raise UserError("[smtp] max_per_minute and max_per_day must be at least 1, retries 0 or more.")
        return config


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
