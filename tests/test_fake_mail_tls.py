"""The sink as a real relay: STARTTLS, implicit TLS and AUTH PLAIN/LOGIN, driven with smtplib."""

from __future__ import annotations

import smtplib
import ssl
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from fake_mail import MailSink
from fake_mail import certificates
from fake_mail.__main__ import main, parse_args

ROOT = Path(__file__).resolve().parents[1]
USERS = {"portal": "s3cret:with-colon"}


def raw(to: str, subject: str) -> bytes:
    return f"From: p@portal.example\r\nTo: {to}\r\nSubject: {subject}\r\n\r\nhi\r\n".encode()


def trusting(sink: MailSink) -> ssl.SSLContext:
    """A client context that verifies the sink's certificate (no shortcuts: hostname checked too)."""
    assert sink.tls_ca_file is not None
    return ssl.create_default_context(cafile=str(sink.tls_ca_file))


@pytest.fixture
def ada() -> str:
    return f"ada-{uuid.uuid4().hex[:10]}@example.com"


def test_starttls_then_auth_plain_delivers_over_a_verified_connection(ada: str) -> None:
    with MailSink(require_starttls=True, auth=USERS) as sink, smtplib.SMTP("127.0.0.1", sink.smtp_port) as client:
        client.ehlo()
        assert client.has_extn("starttls") and not client.has_extn("auth")  # no AUTH in the clear
        client.starttls(context=trusting(sink))
        client.ehlo()
        assert "PLAIN" in client.esmtp_features["auth"] and "LOGIN" in client.esmtp_features["auth"]
        client.login("portal", USERS["portal"])
        client.sendmail("p@portal.example", [ada], raw(ada, "over TLS"))
        assert sink.mailbox(ada).wait_for(subject="over TLS", timeout=5).subject == "over TLS"


def test_auth_login_works_too(ada: str) -> None:
    with MailSink(starttls=True, auth=USERS) as sink, smtplib.SMTP("127.0.0.1", sink.smtp_port) as client:
        client.starttls(context=trusting(sink))
        client.ehlo()  # auth(), unlike login(), does not say EHLO again after STARTTLS
        client.user, client.password = "portal", USERS["portal"]
        code, _ = client.auth("LOGIN", client.auth_login, initial_response_ok=False)
        assert code == 235
        client.sendmail("p@portal.example", [ada], raw(ada, "login mechanism"))
        assert sink.mailbox(ada).wait_for(subject="login mechanism", timeout=5)


@pytest.mark.parametrize(("user", "password"), [("portal", "wrong"), ("nobody", USERS["portal"])])
def test_wrong_credentials_are_refused_with_535_and_no_mail_is_taken(user: str, password: str, ada: str) -> None:
    with MailSink(starttls=True, auth=USERS) as sink, smtplib.SMTP("127.0.0.1", sink.smtp_port) as client:
        client.starttls(context=trusting(sink))
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            client.login(user, password)
        assert refused.value.smtp_code == 535
        with pytest.raises(smtplib.SMTPSenderRefused) as unauthenticated:
            client.sendmail("p@portal.example", [ada], raw(ada, "sneaked in"))
        assert unauthenticated.value.smtp_code == 530
        assert sink.messages() == []


def test_required_starttls_refuses_plain_mail(ada: str) -> None:
    with MailSink(require_starttls=True) as sink, smtplib.SMTP("127.0.0.1", sink.smtp_port) as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.sendmail("p@portal.example", [ada], raw(ada, "plain"))
        assert refused.value.smtp_code == 530
        assert b"STARTTLS" in refused.value.smtp_error
        assert sink.messages() == []


def test_offered_but_not_required_starttls_still_takes_plain_mail(ada: str) -> None:
    with MailSink(starttls=True) as sink, smtplib.SMTP("127.0.0.1", sink.smtp_port) as client:
        client.sendmail("p@portal.example", [ada], raw(ada, "plain is fine"))
        assert sink.mailbox(ada).wait_for(subject="plain is fine", timeout=5)


def test_implicit_tls_on_a_port_of_its_own_with_auth(ada: str) -> None:
    with MailSink(tls_port=0, auth=USERS) as sink:
        assert sink.tls_port not in (None, sink.smtp_port)
        with smtplib.SMTP_SSL("127.0.0.1", sink.tls_port, context=trusting(sink)) as client:
            client.ehlo()
            assert not client.has_extn("starttls")  # encrypted already
            client.login("portal", USERS["portal"])
            client.sendmail("p@portal.example", [ada], raw(ada, "smtps"))
        assert sink.mailbox(ada).wait_for(subject="smtps", timeout=5)


def test_accept_any_takes_any_credentials_but_still_wants_auth(ada: str) -> None:
    with MailSink(starttls=True, auth_accept_any=True) as sink:
        with smtplib.SMTP("127.0.0.1", sink.smtp_port) as client:
            client.starttls(context=trusting(sink))
            with pytest.raises(smtplib.SMTPSenderRefused):
                client.sendmail("p@portal.example", [ada], raw(ada, "anonymous"))
        with smtplib.SMTP("127.0.0.1", sink.smtp_port) as client:
            client.starttls(context=trusting(sink))
            client.login("whoever", "whatever")
            client.sendmail("p@portal.example", [ada], raw(ada, "anyone"))
        assert [m.subject for m in sink.mailbox(ada).messages()] == ["anyone"]


def test_a_given_certificate_is_served(tmp_path: Path, ada: str) -> None:
    issued = certificates.issue(tmp_path, ["localhost"])
    with MailSink(starttls=True, tls_cert=issued.cert_file, tls_key=issued.key_file) as sink:
        assert sink.tls_ca_file == issued.cert_file
        context = ssl.create_default_context(cafile=str(issued.ca_file))
        with smtplib.SMTP("localhost", sink.smtp_port) as client:
            client.starttls(context=context)
            client.sendmail("p@portal.example", [ada], raw(ada, "given cert"))
        assert sink.mailbox(ada).wait_for(subject="given cert", timeout=5)


def test_a_made_certificate_is_not_trusted_without_its_authority() -> None:
    with MailSink(starttls=True) as sink, smtplib.SMTP("127.0.0.1", sink.smtp_port) as client:
        with pytest.raises(ssl.SSLCertVerificationError):
            client.starttls(context=ssl.create_default_context())


def test_the_made_certificate_goes_when_the_sink_stops() -> None:
    sink = MailSink(starttls=True).start()
    ca_file = sink.tls_ca_file
    assert ca_file is not None and ca_file.is_file()
    sink.stop()
    assert not ca_file.exists() and sink.tls_ca_file is None


def test_defaults_stay_plain_smtp_without_auth() -> None:
    with MailSink() as sink, smtplib.SMTP("127.0.0.1", sink.smtp_port) as client:
        client.ehlo()
        assert not client.has_extn("starttls") and not client.has_extn("auth")
        assert sink.tls_ca_file is None and sink.tls_port is None


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        ({"tls_cert": "c.pem"}, "tls_cert and tls_key go together"),
        ({"tls_cert": "c.pem", "tls_key": "k.pem"}, "neither starttls nor tls_port asks for TLS"),
        ({"auth": USERS, "auth_accept_any": True}, "exclude each other"),
        ({"auth": {}}, "at least one USER:PASSWORD"),
    ],
)
def test_contradictory_options_are_refused(options: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        MailSink(**options)  # type: ignore[arg-type]


def test_an_unusable_certificate_fails_start_and_leaves_nothing_listening(tmp_path: Path) -> None:
    (tmp_path / "c.pem").write_text("not a certificate")
    (tmp_path / "k.pem").write_text("not a key")
    sink = MailSink(starttls=True, tls_cert=tmp_path / "c.pem", tls_key=tmp_path / "k.pem")
    with pytest.raises(ValueError, match="cannot use TLS certificate"):
        sink.start()
    with pytest.raises(RuntimeError, match="not running"):
        sink.smtp_port


def test_cli_options() -> None:
    args = parse_args(["--require-starttls", "--tls-port", "0", "--auth", "portal:pw:x", "--auth", "b:c",
                       "--max-messages", "50"])
    assert (args.require_starttls, args.tls_port, args.auth, args.max_messages) == (
        True, 0, [("portal", "pw:x"), ("b", "c")], 50
    )
    assert parse_args([]).max_messages == 10_000


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--auth", "nopassword"], "expected USER:PASSWORD, got 'nopassword'"),
        (["--auth", ":pw"], "expected USER:PASSWORD"),
        (["--tls-key", "k.pem"], "--tls-cert and --tls-key go together"),
        (["--tls-cert", "c.pem", "--tls-key", "k.pem"], "--tls-cert needs --starttls"),
        (["--auth", "a:b", "--auth-accept-any"], "exclude each other"),
        (["--max-messages", "0"], "must be at least 1"),
    ],
)
def test_cli_refuses_bad_tls_and_auth_options_in_one_line(
    args: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and complaint in err


def test_cli_with_starttls_prints_where_its_authority_is() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "fake_mail", "--smtp-port", "0", "--no-http", "--require-starttls", "--tls-port", "0",
         "--auth", "portal:pw"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        smtp_port = int(process.stdout.readline().rsplit(":", 1)[1])
        assert process.stdout.readline().startswith("fake_mail SMTPS on smtps://127.0.0.1:")
        ca_line = process.stdout.readline()
        assert ca_line.startswith("fake_mail TLS trust ")
        context = ssl.create_default_context(cafile=ca_line.removeprefix("fake_mail TLS trust ").strip())
        with smtplib.SMTP("127.0.0.1", smtp_port) as client:
            client.starttls(context=context)
            client.login("portal", "pw")
            client.sendmail("p@portal.example", ["ada@example.com"], raw("ada@example.com", "cli"))
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
