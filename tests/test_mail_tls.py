"""Sending over STARTTLS and implicit TLS with a login, to a real aiosmtpd server.

The server's certificate is self-signed for 127.0.0.1; the client trusts it through
SSL_CERT_FILE, as a company CA bundle would be trusted, with full verification on.
"""
from __future__ import annotations

import datetime as dt
import email
import ipaddress
import socket
import ssl
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from kpi_reports.errors import UserError
from kpi_reports.mail import MailConfig, ScorecardMail, SmtpConfig, deliver, parse_address

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
x509 = pytest.importorskip("cryptography.x509")
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for IP 127.0.0.1: (cert path, key path)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "kpi-reports test")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return folder / "cert.pem", folder / "key.pem"


class Inbox:
    def __init__(self):
        self.received, self.logins = [], []

    async def handle_DATA(self, server, session, envelope):
        self.received.append((session.authenticated, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data == (b"kpi@team.example", b"right-password")
    return AuthResult(success=ok, handled=False)    # handled=False: aiosmtpd answers 535 itself


@pytest.fixture(params=["starttls", "ssl"])
def tls_server(request, certificate, monkeypatch):
    cert, key = certificate
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))        # the client trusts our test CA only
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    # aiosmtpd only counts STARTTLS as TLS when deciding to offer AUTH, hence the flag for "ssl"
    tls = {"tls_context": server_ctx, "require_starttls": True} if request.param == "starttls" \
        else {"ssl_context": server_ctx, "auth_require_tls": False}
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=authenticator,
                            auth_required=True, **tls)
    controller.start()
    yield request.param, port, inbox
    controller.stop()


@pytest.fixture
def one_mail(tmp_path):
    from weasyprint import HTML
    pdf = tmp_path / "dana.pdf"
    HTML(string="<p>Agent: Dana Lee</p>").write_pdf(pdf)
    return ScorecardMail("A01", "Dana Lee", "dana@team.example", "North", dt.date(2026, 10, 1),
                         [("Contracts", "3")], None, pdf)


def smtp(security, port, password):
    return SmtpConfig(host="127.0.0.1", port=port, security=security, user="kpi@team.example",
                      password=password, timeout_seconds=5, retries=0)


CONFIG = MailConfig(sender=parse_address("kpi@team.example"))


def test_tls_with_login_delivers(tls_server, one_mail, tmp_path):
    security, port, inbox = tls_server
    report = deliver([one_mail], outbox=tmp_path, config=CONFIG, smtp=smtp(security, port, "right-password"),
                     send=True)
    assert report.ok and len(report.delivered) == 1
    ((authenticated, rcpts, content),) = inbox.received
    assert authenticated and rcpts == ["dana@team.example"]
    msg = email.message_from_bytes(content, policy=policy.default)
    assert next(msg.iter_attachments()).get_content() == one_mail.pdf_path.read_bytes()


def test_a_wrong_password_stops_the_run_with_a_clear_reason(tls_server, one_mail, tmp_path):
    security, port, inbox = tls_server
    with pytest.raises(UserError, match="refused the login for 'kpi@team.example'"):
        deliver([one_mail], outbox=tmp_path, config=CONFIG, smtp=smtp(security, port, "wrong"), send=True)
    assert inbox.received == []


@pytest.mark.parametrize("tls_server", ["starttls"], indirect=True)
def test_plain_text_to_a_tls_only_server_is_refused_clearly(tls_server, one_mail, tmp_path):
    security, port, inbox = tls_server
    with pytest.raises(UserError) as caught:
        deliver([one_mail], outbox=tmp_path, config=CONFIG, smtp=smtp("none", port, "right-password"), send=True)
    assert inbox.received == []
    assert "does not support this: SMTP AUTH extension not supported" in str(caught.value)
    assert "Check [smtp] security" in str(caught.value)
