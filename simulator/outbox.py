"""Delivery of queued email by SMTP. A mail that cannot be delivered stays queued and is retried.

The portal writes each email to the store's outbox in the same request that decides to send it;
this worker only moves queued mail to the SMTP relay, so a relay that is down loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from typing import Callable

from .store import OutgoingMail, Store

log = logging.getLogger("simulator.outbox")

MAX_RETRY_DELAY_S = 30.0


class Outbox:
    def __init__(
        self,
        store: Store,
        *,
        smtp_host: str,
        smtp_port: int,
        wall_clock: Callable[[], float],
        sender: str,
    ) -> None:
        self._store = store
        self._smtp = (smtp_host, smtp_port)
        self._now = wall_clock
        self._sender = sender
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
            with smtplib.SMTP(*self._smtp, timeout=10) as relay:
                while pending:
                    mail = pending[0]
                    try:
                        relay.sendmail(self._sender, [mail.recipient], mail.message)
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

    def _retry_later(self, mail: OutgoingMail, error: str) -> None:
        delay = min(MAX_RETRY_DELAY_S, 0.5 * 2**mail.attempts)
        log.warning("mail %s to %s not delivered (%s); retry in %.1fs", mail.id, mail.recipient, error, delay)
        self._store.mark_failed(mail.id, error, self._now() + delay)
