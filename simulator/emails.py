"""Composing the portal's emails: text and HTML parts, from templates, with the stdlib `email`."""

from __future__ import annotations

import email.utils
from email.headerregistry import Address
from email.message import EmailMessage

import jinja2

from .records import Customer

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
    message = EmailMessage()
    message["Subject"] = SUBJECTS[kind]
    message["From"] = sender
    message["To"] = Address(customer.name, addr_spec=customer.email)
    message["Date"] = email.utils.formatdate(sent_at, usegmt=True)
    message["Message-ID"] = email.utils.make_msgid(domain="portal.invalid")
    message["X-Portal-Email-Kind"] = kind
    message.set_content(templates.get_template(f"email/{kind}.txt").render(context))
    message.add_alternative(
        templates.get_template(f"email/{kind}.html").render(context), subtype="html"
    )
    return message
