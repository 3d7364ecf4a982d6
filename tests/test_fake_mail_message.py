"""fake_mail.message: what a Message reads from raw bytes."""

from __future__ import annotations

from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from fake_mail import Link, Message


def received(raw: bytes, rcpt_tos: list[str] | None = None) -> Message:
    return Message(
        id="m1",
        seq=1,
        received_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        mail_from="portal@example.com",
        rcpt_tos=rcpt_tos or ["ada@example.com"],
        raw=raw,
    )


def compose(subject: str = "Your invitation", **headers: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = headers.pop("from_", "Billing Portal <no-reply@portal.example>")
    mail["To"] = headers.pop("to", "Ada Lovelace <ada@example.com>")
    mail["Subject"] = subject
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    return mail


def test_multipart_alternative_gives_text_html_parts_and_links() -> None:
    mail = compose()
    mail.set_content("Accept: https://portal.example/invitations/t0k3n\n")
    mail.add_alternative('<p>Hi</p><a href="https://portal.example/invitations/t0k3n">Accept</a>', subtype="html")
    message = received(mail.as_bytes(policy=policy.SMTP))

    assert message.subject == "Your invitation"
    assert message.from_ == "no-reply@portal.example"
    assert message.to == ["ada@example.com"]
    assert message.headers["from"] == "Billing Portal <no-reply@portal.example>"
    assert message.text == "Accept: https://portal.example/invitations/t0k3n\n"
    assert message.html == '<p>Hi</p><a href="https://portal.example/invitations/t0k3n">Accept</a>\n'
    assert message.links == [Link("https://portal.example/invitations/t0k3n", "Accept")]
    assert [part.content_type for part in message.parts] == ["text/plain", "text/html"]
    assert message.parse_error is None


def test_html_only() -> None:
    mail = compose()
    mail.set_content('<a href="https://portal.example/login/x">Log in</a>', subtype="html")
    message = received(mail.as_bytes(policy=policy.SMTP))
    assert message.text is None
    assert message.link("/login/") == Link("https://portal.example/login/x", "Log in")


@pytest.mark.parametrize("cte", ["quoted-printable", "base64"])
def test_transfer_encodings_are_decoded(cte: str) -> None:
    body = "Grüße, Ada — a long line " + "x" * 90 + " https://portal.example/login/äbc\n"
    mail = compose()
    mail.set_content(body, cte=cte)
    raw = mail.as_bytes(policy=policy.SMTP)
    assert body.encode() not in raw  # really encoded on the wire
    message = received(raw)
    assert message.text == body
    assert message.links == [Link("https://portal.example/login/äbc")]


def test_rfc2047_subject_and_display_names_are_decoded() -> None:
    raw = (
        b"From: =?utf-8?q?Z=C3=B6e?= <zoe@portal.example>\r\n"
        b"To: =?utf-8?b?w4FkYQ==?= <ada@example.com>, ben@example.com\r\n"
        b"Subject: =?utf-8?q?Einladung_f=C3=BCr?= =?utf-8?b?IOaXpeacrA==?=\r\n"
        b"\r\nhi\r\n"
    )
    message = received(raw)
    assert message.subject == "Einladung für 日本"
    assert message.headers["To"] == "Áda <ada@example.com>, ben@example.com"
    assert message.to == ["ada@example.com", "ben@example.com"]
    assert message.parse_error is None


def test_raw_utf8_headers_of_smtputf8_mail_are_decoded() -> None:
    mail = compose("Grüße", from_="Zoë <zoë@pörtal.example>", to="Ünï <ünï@exämple.com>")
    mail.set_content("Hällo\n")
    message = received(mail.as_bytes(policy=policy.SMTPUTF8))
    assert message.subject == "Grüße"
    assert message.from_ == "zoë@pörtal.example"
    assert message.to == ["ünï@exämple.com"]
    assert message.text == "Hällo\n"
    assert message.parse_error is None


def test_repeated_headers_and_case_insensitive_lookup() -> None:
    message = received(b"Received: one\r\nreceived: two\r\nSubject: s\r\n\r\nbody\r\n")
    assert message.headers["RECEIVED"] == "one"
    assert message.headers.getlist("Received") == ["one", "two"]
    assert list(message.headers) == ["Received", "Subject"]
    assert message.headers.get("X-Missing") is None


def test_a_header_the_parser_chokes_on_is_flagged_and_the_rest_still_read() -> None:
    message = received(b"To: a@\r\nSubject: still readable\r\n\r\nbody https://portal.example/x\r\n")
    assert message.subject == "still readable"
    assert message.parse_error is not None and "To header" in message.parse_error
    assert message.headers["To"] == "a@"
    assert message.link("portal") == Link("https://portal.example/x")


def test_unterminated_multipart_is_flagged_and_read_best_effort() -> None:
    raw = (
        b"Subject: broken\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=XX\r\n\r\n"
        b"--XX\r\nContent-Type: text/plain\r\n\r\nhello https://portal.example/a\r\n"
        b"--XX\r\nContent-Type: text/html\r\n\r\n<a href='https://portal.example/b'>B</a>\r\n"
    )
    message = received(raw)
    assert message.parse_error is not None and "CloseBoundaryNotFoundDefect" in message.parse_error
    assert message.text == "hello https://portal.example/a"
    assert message.links == [Link("https://portal.example/b", "B"), Link("https://portal.example/a")]


@pytest.mark.parametrize(
    ("raw", "flag"),
    [
        (b"Content-Type: multipart/mixed\r\n\r\nno boundary at all\r\n", "NoBoundaryInMultipartDefect"),
        (b"Content-Transfer-Encoding: base64\r\n\r\n!!not*base64\r\n", "InvalidBase64"),
        (b"Content-Type: text/plain; charset=x-unknown\r\n\r\nhello\r\n", "unknown charset 'x-unknown'"),
        (b"\x00\xff\xfe this is no mail\r\n", "MissingHeaderBodySeparatorDefect"),
    ],
)
def test_malformed_mail_is_kept_raw_and_flagged(raw: bytes, flag: str) -> None:
    message = received(raw)
    assert message.raw == raw
    assert message.parse_error is not None and flag in message.parse_error
    assert message.text is not None  # best effort: something a person can read


def test_link_lookup_failure_lists_the_links() -> None:
    message = received(b"Subject: s\r\n\r\nsee https://portal.example/help\r\n")
    with pytest.raises(LookupError, match=r"(?s)no link matching '/login/'.*https://portal\.example/help"):
        message.link("/login/")


def test_save_eml_round_trips(tmp_path: Path) -> None:
    mail = compose("Round trip")
    mail.set_content("body\n")
    raw = mail.as_bytes(policy=policy.SMTP)
    message = received(raw)

    saved = message.save_eml(tmp_path / "copy.eml")
    assert saved.read_bytes() == raw
    assert received(saved.read_bytes()).subject == "Round trip"
    assert message.save_eml(tmp_path) == tmp_path / "m1.eml"
    assert (tmp_path / "m1.eml").read_bytes() == raw
