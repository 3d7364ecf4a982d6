"""fake_mail: a local SMTP sink that test steps can wait on, query and show.

from fake_mail import MailSink

with MailSink(http_port=0) as sink:
    box = sink.mailbox("ada@example.com")
    mail = box.wait_for(subject="Your invitation")
    mail.link(r"/invitations/").url

A sink in another process is read the same way through ``RemoteSink(api_url)``.
"""

from __future__ import annotations

from fake_mail.links import Link
from fake_mail.mailbox import Mailbox
from fake_mail.message import Message, Part
from fake_mail.parsing import Headers
from fake_mail.remote import RemoteMailbox, RemoteSink, SinkUnavailable
from fake_mail.sink import MailSink
from fake_mail.store import MailStore, MailTimeout

__all__ = [
    "Headers",
    "Link",
    "MailSink",
    "MailStore",
    "MailTimeout",
    "Mailbox",
    "Message",
    "Part",
    "RemoteMailbox",
    "RemoteSink",
    "SinkUnavailable",
]
