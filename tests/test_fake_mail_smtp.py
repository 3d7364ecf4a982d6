"""fake_mail over real SMTP on loopback, with smtplib as the client."""

from __future__ import annotations

import smtplib
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from email import policy

import pytest
from mail_flows import compose, signal_when_waiting

from fake_mail import Link, MailSink, MailTimeout


@pytest.fixture(scope="module")
def sink() -> Iterator[MailSink]:
    with MailSink() as running:
        yield running


@pytest.fixture
def ada() -> str:
    """A recipient no other test uses, as scenarios do."""
    return f"ada-{uuid.uuid4().hex[:10]}@example.com"




def send(sink: MailSink, raw: bytes, to: list[str]) -> dict[str, tuple[int, bytes]]:
    with smtplib.SMTP("127.0.0.1", sink.smtp_port) as client:
        return client.sendmail("no-reply@portal.example", to, raw)


def test_start_binds_a_free_port_and_stop_releases_it() -> None:
    sink = MailSink(smtp_port=0)
    with pytest.raises(RuntimeError, match="not running"):
        sink.smtp_port  # noqa: B018
    assert sink.http_url is None
    with sink:
        port = sink.smtp_port
        assert port > 0
        with smtplib.SMTP("127.0.0.1", port) as client:
            assert client.noop()[0] == 250
    with pytest.raises(RuntimeError, match="not running"):
        sink.smtp_port  # noqa: B018
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    sink.stop()  # idempotent


def test_multipart_mail_arrives_parsed(sink: MailSink, ada: str) -> None:
    url = "https://portal.example/invitations/accept?token=t0k3n"
    mail = compose(ada, "You are invited", f"Accept: {url}\n", f'<a href="{url}">Accept the invitation</a>')
    raw = mail.as_bytes(policy=policy.SMTP)
    assert send(sink, raw, [ada]) == {}

    message = sink.mailbox(ada).wait_for(subject="invited", timeout=10)
    assert message.raw == raw
    assert message.mail_from == "no-reply@portal.example"
    assert message.rcpt_tos == [ada]
    assert message.to == [ada]
    assert message.text == f"Accept: {url}\n"
    assert message.link("/invitations/") == Link(url, "Accept the invitation")
    assert message.parse_error is None


def test_html_only_mail(sink: MailSink, ada: str) -> None:
    send(sink, compose(ada, "HTML", html='<a href="https://portal.example/l/1">Log in</a>').as_bytes(), [ada])
    message = sink.mailbox(ada).wait_for(timeout=10)
    assert message.text is None
    assert message.links == [Link("https://portal.example/l/1", "Log in")]


@pytest.mark.parametrize("cte", ["quoted-printable", "base64"])
def test_encoded_bodies(sink: MailSink, ada: str, cte: str) -> None:
    body = "Héllo Ada, " + "long line " * 12 + "https://portal.example/login/xyz\n"
    mail = compose(ada, "Encoded")
    mail.set_content(body, cte=cte)
    send(sink, mail.as_bytes(policy=policy.SMTP), [ada])
    message = sink.mailbox(ada).wait_for(timeout=10)
    assert message.headers["Content-Transfer-Encoding"] == cte
    assert message.text == body
    assert message.link("login").url == "https://portal.example/login/xyz"


def test_non_ascii_subject_is_decoded(sink: MailSink, ada: str) -> None:
    mail = compose(ada, "Ihre Einladung — 請求ポータル", "hi\n")
    raw = mail.as_bytes(policy=policy.SMTP)
    assert b"=?utf-8?" in raw
    send(sink, raw, [ada])
    assert sink.mailbox(ada).wait_for(subject="請求", timeout=10).subject == "Ihre Einladung — 請求ポータル"


def test_smtputf8_addresses(sink: MailSink) -> None:
    zoe = f"zoë-{uuid.uuid4().hex[:6]}@exämple.com"
    mail = compose(zoe, "Grüße", "Hällo\n")
    with smtplib.SMTP("127.0.0.1", sink.smtp_port) as client:
        client.ehlo()
        assert client.has_extn("smtputf8")
        client.sendmail("nö-reply@pörtal.example", [zoe], mail.as_bytes(policy=policy.SMTPUTF8), ["SMTPUTF8"])
    message = sink.mailbox(zoe.upper()).wait_for(timeout=10)
    assert message.mail_from == "nö-reply@pörtal.example"
    assert message.rcpt_tos == [zoe]
    assert message.to == [zoe]
    assert (message.subject, message.text) == ("Grüße", "Hällo\n")


def test_several_recipients_each_see_the_mail(sink: MailSink, ada: str) -> None:
    ben = ada.replace("ada-", "ben-")
    cleo = ada.replace("ada-", "cleo-")
    send(sink, compose(ada, "Team update", "hi\n").as_bytes(), [ada.upper(), ben, cleo])
    message = sink.mailbox(ada).wait_for(timeout=10)
    assert message.rcpt_tos == [ada.upper(), ben, cleo]
    assert sink.mailbox(ben).messages() == [message]
    assert sink.mailbox(cleo).messages() == [message]


def test_malformed_mime_is_stored_raw_and_flagged(sink: MailSink, ada: str) -> None:
    raw = (
        f"To: {ada}\r\nSubject: broken\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
        "--B\r\nContent-Type: text/plain; charset=no-such-charset\r\n\r\nsee https://portal.example/x\r\n"
    ).encode()
    send(sink, raw, [ada])
    message = sink.mailbox(ada).wait_for(subject="broken", timeout=10)
    assert message.raw == raw
    assert message.parse_error is not None
    assert "CloseBoundaryNotFoundDefect" in message.parse_error
    assert "no-such-charset" in message.parse_error
    assert message.link("portal").url == "https://portal.example/x"


@pytest.fixture(scope="module")
def strict_sink() -> Iterator[MailSink]:
    with MailSink(max_message_size=4096, max_recipients=3) as running:
        yield running


def test_oversize_mail_is_refused_with_552_whether_announced_or_not(strict_sink: MailSink, ada: str) -> None:
    big = compose(ada, "Too big", "x" * 70 + "\n" * 1 + ("y" * 70 + "\n") * 80).as_bytes(policy=policy.SMTP)
    small = compose(ada, "Fits", "ok\n").as_bytes(policy=policy.SMTP)
    assert len(big) > 4096
    with smtplib.SMTP("127.0.0.1", strict_sink.smtp_port) as client:
        client.ehlo()
        assert client.has_extn("size") and int(client.esmtp_features["size"]) == 4096
        # Announced: smtplib sends MAIL FROM ... SIZE=n, refused up front.
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.sendmail("p@portal.example", [ada], big)
        assert refused.value.smtp_code == 552
        # Not announced: refused at the end of DATA.
        client.rset()
        assert client.mail("p@portal.example")[0] == 250
        assert client.rcpt(ada)[0] == 250
        code, _ = client.data(big)
        assert code == 552
        # And the same connection still delivers.
        assert client.sendmail("p@portal.example", [ada], small) == {}
    assert [m.subject for m in strict_sink.mailbox(ada).messages()] == ["Fits"]


def test_too_many_recipients_get_452_and_the_rest_get_the_mail(strict_sink: MailSink, ada: str) -> None:
    rcpts = [ada.replace("ada-", f"r{i}-") for i in range(5)]
    refused = send(strict_sink, compose(ada, "Crowd", "hi\n").as_bytes(), rcpts)
    assert {address: code for address, (code, _) in refused.items()} == {rcpts[3]: 452, rcpts[4]: 452}
    message = strict_sink.mailbox(rcpts[0]).wait_for(subject="Crowd", timeout=10)
    assert message.rcpt_tos == rcpts[:3]
    assert strict_sink.mailbox(rcpts[4]).messages() == []


def test_malformed_commands_get_errors_and_the_server_keeps_serving(sink: MailSink, ada: str) -> None:
    with smtplib.SMTP("127.0.0.1", sink.smtp_port) as client:
        assert client.docmd("FROBNICATE")[0] == 500
        assert client.docmd("RCPT", f"TO:<{ada}>")[0] == 503  # before HELO
        client.ehlo()
        assert client.docmd("RCPT", f"TO:<{ada}>")[0] == 503  # before MAIL
        assert client.docmd("MAIL", "FROM:")[0] == 501
        assert client.docmd("MAIL", "TO:<p@portal.example>")[0] == 501
        assert client.docmd("DATA")[0] == 503
        assert client.docmd("MAIL", "FROM:<p@portal.example> BOGUS=1")[0] == 555
        client.rset()
        assert client.sendmail("p@portal.example", [ada], compose(ada, "After errors", "ok\n").as_bytes()) == {}
    with socket.create_connection(("127.0.0.1", sink.smtp_port), timeout=10) as raw:
        reader = raw.makefile("rb")
        assert reader.readline().startswith(b"220")
        raw.sendall(b"\xff\xfe\x00 garbage\r\n" + b"A" * 2000 + b"\r\nQUIT\r\n")
        assert reader.readline()[:3] == b"500"
        assert reader.readline()[:3] == b"500"
        assert reader.readline()[:3] == b"221"
        reader.close()
    send(sink, compose(ada, "Still serving", "ok\n").as_bytes(), [ada])
    assert [m.subject for m in sink.mailbox(ada).messages()] == ["After errors", "Still serving"]


def test_concurrent_senders_lose_nothing(sink: MailSink) -> None:
    # 50 connections x 40 mails here keeps the suite quick on 2 cores (the
    # client shares this interpreter); bench/bench_fake_mail.py runs the
    # full 50 x 200 with the client in its own process.
    connections, per_connection = 50, 40
    run = uuid.uuid4().hex[:8]
    raw = compose("x@example.com", "{subject}", "hello\n").as_bytes(policy=policy.SMTP)
    start = threading.Barrier(connections)
    failures: list[BaseException] = []

    def sender(index: int) -> None:
        try:
            with smtplib.SMTP("127.0.0.1", sink.smtp_port, timeout=60) as client:
                start.wait(30)
                for number in range(per_connection):
                    body = raw.replace(b"{subject}", f"{index}/{number}".encode())
                    client.sendmail("p@portal.example", [f"c{index}-{run}@example.com"], body)
        except BaseException as error:  # reported below, not lost in the thread
            failures.append(error)

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    for index in range(connections):
        subjects = [m.subject for m in sink.mailbox(f"c{index}-{run}@example.com").messages()]
        assert subjects == [f"{index}/{number}" for number in range(per_connection)]


# -- waiting over SMTP ------------------------------------------------------------


@pytest.fixture
def blocked(sink: MailSink, monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Set when the test thread blocks in a wait, so mail is sent after it."""
    return signal_when_waiting(sink.store, monkeypatch)


def send_once_blocked(sink: MailSink, blocked: threading.Event, raw: bytes, to: list[str]) -> threading.Thread:
    def run() -> None:
        assert blocked.wait(10)
        send(sink, raw, to)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_wait_for_wakes_on_arrival(sink: MailSink, ada: str, blocked: threading.Event) -> None:
    box = sink.mailbox(ada)
    seen = box.cursor()
    raw = compose(ada, "Your login link", "https://p.example/l\n").as_bytes()
    thread = send_once_blocked(sink, blocked, raw, [ada])
    began = time.monotonic()
    try:
        message = box.wait_for(subject="login link", after=seen, timeout=30)
    finally:
        thread.join()
    assert time.monotonic() - began < 15  # woken by the mail, long before the timeout
    assert message.link("p.example").url == "https://p.example/l"


def test_wait_for_timeout_names_what_was_awaited_and_what_came(sink: MailSink, ada: str) -> None:
    send(sink, compose(ada, "Welcome", "hi\n").as_bytes(), [ada])
    box = sink.mailbox(ada)
    box.wait_for(subject="Welcome", timeout=10)
    with pytest.raises(MailTimeout) as raised:
        box.wait_for(subject="^Login", after=box.cursor(), timeout=0.1)
    text = str(raised.value)
    assert f"to {ada}" in text and "'^Login'" in text and "0.1 s" in text
    assert "(before cursor)" in text and "'Welcome'" in text


def test_expect_none_raises_when_one_arrives(sink: MailSink, ada: str, blocked: threading.Event) -> None:
    box = sink.mailbox(ada)
    seen = box.cursor()
    thread = send_once_blocked(sink, blocked, compose(ada, "Login link", "x\n").as_bytes(), [ada])
    began = time.monotonic()
    try:
        with pytest.raises(AssertionError, match=r"expected no mail .* but got .*'Login link'"):
            box.expect_none(subject="Login", after=seen, within=30)
    finally:
        thread.join()
    assert time.monotonic() - began < 15
    box.expect_none(subject="Login", after=box.cursor(), within=0.05)


def test_sink_level_reading_and_clearing(ada: str) -> None:
    with MailSink() as own:
        send(own, compose(ada, "One", "1\n").as_bytes(), [ada])
        send(own, compose(ada, "Two", "2\n").as_bytes(), ["someone@example.com"])
        assert own.wait_for(subject="Two", timeout=10).rcpt_tos == ["someone@example.com"]
        assert [m.subject for m in own.messages()] == ["One", "Two"]
        own.clear()
        assert own.messages() == [] and own.mailbox(ada).messages() == []


def test_stopping_with_a_client_still_connected_closes_its_session(ada: str) -> None:
    sink = MailSink().start()
    client = smtplib.SMTP("127.0.0.1", sink.smtp_port)
    try:
        client.ehlo()
        client.mail("p@portal.example")
        sink.stop()  # must not hang, and must not leave a transport to the GC
        with pytest.raises(smtplib.SMTPServerDisconnected):
            client.rcpt(ada)
    finally:
        client.close()
