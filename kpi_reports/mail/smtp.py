"""Talking to the SMTP server: connect (TLS, login), send one message, classify failures.

Failures come in three kinds, because each needs a different answer:
- Transient (4xx, dropped connection, timeout; refused once the server has answered in
  this run, as while it restarts): reconnect, back off, retry.
- Permanent for this message (5xx to RCPT or DATA): report it, go on with the others.
- Uncertain: the connection broke after the whole message was sent but before the
  server's answer. The server may have it; retrying could deliver it twice, so it is
  recorded as uncertain and only `resend` sends it again.

Settings that cannot work (unknown host, nothing listening at host:port, a refused login,
TLS that does not match the port) are a UserError naming the setting to fix, never retried.
"""
from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from typing import TYPE_CHECKING

from ..errors import UserError
from .config import SmtpConfig

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer


class TransientError(Exception):
    """Worth retrying after a pause (4xx, connection lost before the message was sent)."""


class PermanentError(Exception):
    """The server refused this message for good (5xx); the others may still go."""


class UncertainError(Exception):
    """The message was sent but the server's answer was lost; it may have been delivered."""


class _Tracking(smtplib.SMTP):
    """Notes when the message's final "." went out, to tell "lost" from "maybe delivered"."""

    payload_sent = False

    def send(self, s: ReadableBuffer | str) -> None:
        super().send(s)
        if isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
            self.payload_sent = True


class _SMTP(_Tracking, smtplib.SMTP):
    pass


class _SMTP_SSL(_Tracking, smtplib.SMTP_SSL):
    pass


class SmtpSender:
    """One connection, opened on first use and reopened after a transient failure."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self._smtp: _SMTP | _SMTP_SSL | None = None
        self.connected = False          # a connection has been opened (and logged in) in this run

    def send(self, msg: EmailMessage, envelope_from: str, envelope_to: list[str],
             before_data: Callable[[], None] = lambda: None) -> None:
        """Deliver to exactly `envelope_to` (To first); raises one of the three errors above.

        `before_data` runs once the server has accepted every recipient, just before DATA
        (the caller records its intent there); its own exceptions pass through unchanged."""
        smtp = self._connection()
        smtp.payload_sent = False
        with self._classified(smtp):
            _envelope(smtp, envelope_from, envelope_to)
        before_data()
        with self._classified(smtp):
            code, resp = smtp.data(msg.as_bytes(policy=SMTP_POLICY))
            if code != 250:
                raise smtplib.SMTPDataError(code, resp)

    @contextlib.contextmanager
    def _classified(self, smtp: _SMTP | _SMTP_SSL) -> Iterator[None]:
        try:
            yield
        except smtplib.SMTPResponseException as exc:
            self._after_refusal(smtp, exc.smtp_code)
            kind = TransientError if 400 <= exc.smtp_code < 500 else PermanentError
            raise kind(_describe(exc)) from None
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.close()
            if smtp.payload_sent:
                raise UncertainError(f"connection lost after the message was sent ({_describe(exc)})") from None
            raise TransientError(_describe(exc)) from None

    def abort(self) -> None:
        """Drop the connection without QUIT (an interrupted transaction: no waiting on the server)."""
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def _after_refusal(self, smtp: smtplib.SMTP, code: int) -> None:
        if code == 421:       # "service closing": the server is hanging up
            self.close()
            return
        try:
            smtp.rset()
        except (smtplib.SMTPException, OSError):
            self.close()

    def _connection(self) -> _SMTP | _SMTP_SSL:
        if self._smtp is None:
            self._smtp = _connect(self.config, first=not self.connected)
            self.connected = True
        return self._smtp


def _envelope(smtp: smtplib.SMTP, envelope_from: str, envelope_to: list[str]) -> None:
    """MAIL and RCPT for each address; any refusal raises before DATA (nothing is sent)."""
    smtp.ehlo_or_helo_if_needed()
    code, resp = smtp.mail(envelope_from)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, resp, envelope_from)
    for rcpt in envelope_to:
        code, resp = smtp.rcpt(rcpt)
        if code not in (250, 251):
            raise smtplib.SMTPResponseException(code, f"{rcpt}: {resp.decode(errors='replace')}".encode())


def _connect(config: SmtpConfig, first: bool = True) -> _SMTP | _SMTP_SSL:
    """Open, secure and log in; wrong settings become a UserError, a busy server a TransientError.

    A refused connection is a wrong host or port on the first connection of a run, and a
    server restarting (worth a retry) on a later one."""
    where = f"{config.host}:{config.port}"
    try:
        if config.security == "ssl":
            smtp: _SMTP | _SMTP_SSL = _SMTP_SSL(config.host, config.port, timeout=config.timeout_seconds,
                                                 context=ssl.create_default_context())
        else:
            smtp = _SMTP(config.host, config.port, timeout=config.timeout_seconds)
        if config.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if config.user:
            smtp.login(config.user, config.password)
        return smtp
    except smtplib.SMTPAuthenticationError as exc:
        raise UserError(f"The SMTP server {where} refused the login for {config.user!r}: {_describe(exc)}. "
                        "Check KPI_SMTP_USER and the password (KPI_SMTP_PASSWORD or keyring).") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise UserError(f"The SMTP server {where} does not support this: {str(exc).rstrip('.')}. "
                        "Check [smtp] security (none, starttls or ssl) and port.") from None
    except ssl.SSLError as exc:
        raise UserError(f"TLS with {where} failed ({exc.reason or exc}). Check [smtp] security and port "
                        "(starttls is usually 587, ssl 465).") from None
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            raise TransientError(f"{where}: {_describe(exc)}") from None
        raise UserError(f"The SMTP server {where} refused the connection: {_describe(exc)}.") from None
    except socket.gaierror as exc:
        raise UserError(f"Unknown SMTP host {config.host!r} ({exc.strerror}); fix [smtp] host or KPI_SMTP_HOST.") from None
    except ConnectionRefusedError:
        if first:
            raise UserError(f"Nothing accepts connections at {where} (connection refused): check [smtp] host "
                            "and port in the settings file, or KPI_SMTP_HOST and KPI_SMTP_PORT.") from None
        raise TransientError(f"cannot reach {where}: connection refused") from None
    except (smtplib.SMTPServerDisconnected, OSError) as exc:
        raise TransientError(f"cannot reach {where}: {_describe(exc)}") from None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {' '.join(text.split())}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
