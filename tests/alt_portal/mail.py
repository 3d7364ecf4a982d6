"""Writing the portal's emails and sending them, in order, from one background thread.

Requests only queue a mail, so the answer to "send me a link" takes as long whether or not a
mail goes out (LL-2). Lines end in CRLF on the wire (`email.policy.SMTP`).
"""

from __future__ import annotations

import email.policy
import email.utils
import html
import queue
import smtplib
import sys
import threading
from email.message import EmailMessage

from .model import Mail

SENDER = "Customer Accounts <accounts@alt-portal.test>"
SUBJECTS = {
    "invitation": "Activate your customer account",
    "login": "Your sign-in link",
    "account": "Account update",
}
LEADS = {
    "invitation": ("You now have a customer account for billing.", "Activate my account"),
    "login": ("Someone asked for a sign-in link for this address.", "Sign me in"),
    "account": ("Here is your latest account update.", None),
}


def compose(mail: Mail) -> EmailMessage:
    lead, action = LEADS[mail.kind]
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = SENDER
    message["To"] = email.utils.formataddr((mail.name, mail.to))
    message["Subject"] = SUBJECTS[mail.kind]
    message["Date"] = email.utils.formatdate(localtime=False)
    message["Message-ID"] = email.utils.make_msgid(domain="alt-portal.test")
    lines = [f"Hello {mail.name},", "", lead, ""]
    if mail.action_url:
        lines += [f"{action}: {mail.action_url}", "", "This link works once and expires."]
    lines += ["", f"Manage your subscription any time: {mail.management_url}", ""]
    message.set_content("\n".join(lines))
    parts = [f"<p>Hello {html.escape(mail.name)},</p>", f"<p>{html.escape(lead)}</p>"]
    if mail.action_url:
        parts.append(f'<p><a href="{html.escape(mail.action_url)}">{action}</a></p>')
    parts.append(f'<p><a href="{html.escape(mail.management_url)}">Manage your subscription</a></p>')
    message.add_alternative("<html><body>" + "".join(parts) + "</body></html>", subtype="html")
    return message


class Outbox:
    """A queue of mails and the thread that delivers them to `host:port` by SMTP."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._queue: queue.Queue[Mail | None] = queue.Queue()
        self._thread = threading.Thread(target=self._deliver, name="outbox", daemon=True)
        self._thread.start()

    def send(self, mail: Mail | None) -> None:
        if mail is not None:
            self._queue.put(mail)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _deliver(self) -> None:
        while (mail := self._queue.get()) is not None:
            try:
                with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
                    smtp.send_message(compose(mail))
            except (OSError, smtplib.SMTPException) as error:
                print(f"alt portal: could not send {mail.kind} mail to {mail.to}: {error}", file=sys.stderr, flush=True)
