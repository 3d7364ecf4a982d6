"""The aiosmtpd handler: refuses mail before AUTH when AUTH is required, accepts recipients up to a
limit, stores each mail."""

from __future__ import annotations

from aiosmtpd.smtp import SMTP, Envelope, Session

from fake_mail.store import MailStore

__all__ = ["SinkHandler"]


class SinkHandler:
    """Stores every mail it is given, raw, in a :class:`MailStore`.

    Parsing is left to whoever reads the mail: the SMTP thread only appends
    bytes, so ingest runs at the speed of aiosmtpd itself.  The size limit is
    aiosmtpd's own ``data_size_limit`` (552 on MAIL SIZE= or at end of DATA).
    """

    def __init__(self, store: MailStore, *, max_recipients: int = 100, auth_required: bool = False) -> None:
        self.store = store
        self.max_recipients = max_recipients
        self.auth_required = auth_required

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        # Checked here rather than by aiosmtpd's auth_required, which cannot tell
        # that a session on the implicit-TLS port is encrypted (aio-libs/aiosmtpd#281).
        if self.auth_required and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        # RFC 5321 4.5.3.1.10: refuse the excess with 452 and keep the rest;
        # a client is expected to send those in another transaction.
        if len(envelope.rcpt_tos) >= self.max_recipients:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        message = self.store.add(raw, mail_from=envelope.mail_from or "", rcpt_tos=envelope.rcpt_tos)
        return f"250 OK queued as {message.id}"
