"""Delivery of queued email by SMTP. A mail that cannot be delivered stays queued and is retried.

The portal writes each email to the store's outbox in the same request that decides to send it;
this worker only moves queued mail to the SMTP relay, so a relay that is down loses nothing.
Delivery is at-least-once: a crash between the relay's 250 and the store recording it sends the
mail again on restart, with the Message-ID it was queued with, so a reader can tell the copies.
The relay may insist on STARTTLS and AUTH, as vendors' relays do (`RelaySecurity`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import smtplib
import ssl
from typing import Callable

from .emails import with_message_id
from .store import OutgoingMail, Store

log = logging.getLogger("simulator.outbox")

MAX_RETRY_DELAY_S = 30.0


@dataclasses.dataclass(frozen=True)
class RelaySecurity:
    """How the outbox talks to its relay. The default is plain SMTP without AUTH.

    `starttls`: upgrade every connection, verifying the relay's certificate against the system's
    authorities, or `cafile`'s, or (`insecure`) not at all; `username`/`password`: AUTH after
    STARTTLS (never in the clear).
    """

    starttls: bool = False
    username: str | None = None
    password: str | None = None
    cafile: str | None = None
    insecure: bool = False

    def __post_init__(self) -> None:
        if (self.username is None) != (self.password is None):
            raise ValueError("AUTH needs both a user name and a password")
        if self.username is not None and not self.starttls:
            raise ValueError("AUTH needs STARTTLS: the password is not sent in the clear")
        if (self.cafile is not None or self.insecure) and not self.starttls:
            raise ValueError("a CA file or insecure TLS means nothing without STARTTLS")
        if self.cafile is not None and self.insecure:
            raise ValueError("a CA file and insecure TLS exclude each other")

    def tls_context(self) -> ssl.SSLContext:
        """The client context STARTTLS uses; a CA file that cannot be read fails here."""
        if self.insecure:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        try:
            return ssl.create_default_context(cafile=self.cafile)
        except (OSError, ssl.SSLError) as error:
            raise ValueError(f"cannot read CA file {self.cafile}: {error}") from error


class Outbox:
    def __init__(
        self,
        store: Store,
        *,
        smtp_host: str,
        smtp_port: int,
        wall_clock: Callable[[], float],
        sender: str,
        security: RelaySecurity = RelaySecurity(),
    ) -> None:
        self._store = store
        self._smtp = (smtp_host, smtp_port)
        self._now = wall_clock
        self._sender = sender
        self._security = security
        self._tls = security.tls_context() if security.starttls else None
        self._wake = asyncio.Event()

    def notify(self) -> None:
        """Wake the worker: a mail was queued."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver until cancelled; sleep until the next retry is due or a mail is queued."""
        while True:
            self._wake.clear()
            due = self._store.due_mail(self._now())
            if due:
                await asyncio.to_thread(self._deliver, due)
                continue
            next_at = self._store.next_mail_due_at()
            timeout = None if next_at is None else max(0.0, next_at - self._now())
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                pass

    def _deliver(self, mails: list[OutgoingMail]) -> None:
        pending = list(mails)
        try:
            with self._connect() as relay:
                while pending:
                    mail = pending[0]
                    try:
                        relay.sendmail(self._sender, [mail.recipient], with_message_id(mail.message, mail.message_id))
                    except smtplib.SMTPRecipientsRefused as error:
                        self._retry_later(mail, f"relay refused: {error}")
                    else:
                        self._store.mark_sent(mail.id, self._now())
                    pending.pop(0)
        except (OSError, smtplib.SMTPException) as error:
            for mail in pending:
                self._retry_later(mail, f"relay unavailable: {error}")
        except Exception as error:  # never let one bad mail stop delivery for the whole process
            log.exception("unexpected error delivering mail")
            for mail in pending:
                self._retry_later(mail, f"unexpected error: {error!r}")

    def _connect(self) -> smtplib.SMTP:
        relay = smtplib.SMTP(*self._smtp, timeout=10)
        try:
            if self._tls is not None:
                relay.starttls(context=self._tls)  # login and sendmail say EHLO again, as RFC 3207 asks
            if self._security.username is not None and self._security.password is not None:
                relay.login(self._security.username, self._security.password)
        except BaseException:
            relay.close()
            raise
        return relay

    def _retry_later(self, mail: OutgoingMail, error: str) -> None:
        delay = min(MAX_RETRY_DELAY_S, 0.5 * 2**mail.attempts)
        log.warning("mail %s to %s not delivered (%s); retry in %.1fs", mail.id, mail.recipient, error, delay)
        self._store.mark_failed(mail.id, error, self._now() + delay)
