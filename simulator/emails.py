"""Composing the portal's emails: text and HTML parts, from templates, with the stdlib `email`."""

from __future__ import annotations

import email.parser
import email.policy
import email.utils
from email.headerregistry import Address
from email.message import EmailMessage

import jinja2

from .records import Customer

# The right-hand side of every Message-ID the portal makes.
MESSAGE_ID_DOMAIN = "portal.invalid"

SUBJECTS = {
    "invitation": "You're invited to your billing portal",
    "login_link": "Your billing portal login link",
    "account": "Your billing statement",
}


def compose(
    templates: jinja2.Environment,
    kind: str,
    *,
    sender: str,
    customer: Customer,
    sent_at: float,
    links: dict[str, str],
) -> EmailMessage:
    """One portal email of `kind` ("invitation", "login_link", "account") to `customer`.

    `links` holds the absolute URLs the templates place (e.g. "action", "management").
    """
    context = {"customer": customer, "links": links, "subject": SUBJECTS[kind]}
    # SMTP policy: CRLF line ends. smtplib sends bytes as they are, and a relay reads a
    # message with bare LFs as one over-long line (aiosmtpd: "500 Line too long").
    # Lines up to RFC 5322's 998: folding at 78, CPython's `email` splits a long unbroken word
    # in a display name with a blank line, ending the headers early (names may be 100 chars).
    # 7bit: non-ASCII text goes quoted-printable, so no relay needs 8BITMIME.
    message = EmailMessage(policy=email.policy.SMTP.clone(max_line_length=998, cte_type="7bit"))
    message["Subject"] = SUBJECTS[kind]
    message["From"] = sender
    message["To"] = Address(customer.name, addr_spec=customer.email)
    message["Date"] = email.utils.formatdate(sent_at, usegmt=True)
    message["Message-ID"] = new_message_id()
    message["X-Portal-Email-Kind"] = kind
    message.set_content(templates.get_template(f"email/{kind}.txt").render(context))
    message.add_alternative(
        templates.get_template(f"email/{kind}.html").render(context), subtype="html"
    )
    return message


def new_message_id() -> str:
    """A fresh, globally unique Message-ID (with its angle brackets)."""
    return email.utils.make_msgid(domain=MESSAGE_ID_DOMAIN)


def message_id_of(raw: bytes) -> str | None:
    """The Message-ID header of a mail as queued, or None when it has none.

    The outbox stores it with the queued mail: a copy delivered again after a crash
    (delivery is at-least-once) carries the same Message-ID, so a reader can tell copies.
    """
    headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
    value = headers.get("Message-ID")
    return str(value).strip() or None if value is not None else None


def with_message_id(raw: bytes, message_id: str) -> bytes:
    """``raw`` as it goes on the wire: with ``message_id`` added in front when it carries none."""
    if message_id_of(raw) is not None:
        return raw
    return f"Message-ID: {message_id}\r\n".encode("ascii") + raw
