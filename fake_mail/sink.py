"""MailSink: the SMTP sink, its store, and optionally its web face, in-process."""

from __future__ import annotations

from types import TracebackType

from fake_mail.handler import SinkHandler
from fake_mail.mailbox import Mailbox
from fake_mail.message import Message
from fake_mail.serving import HttpServer, SmtpServer, bind
from fake_mail.store import DEFAULT_MAX_MESSAGES, MailStore, Predicate
from fake_mail.web import create_app

__all__ = ["MailSink"]

# The name the sink gives itself in its SMTP greeting.  Passing one also
# spares aiosmtpd a getfqdn() (a DNS lookup) on every connection.
_SERVER_NAME = "fake-mail"


class MailSink:
    """A local SMTP server that keeps every mail for test steps to read.

    It serves on threads of its own (SMTP, and HTTP when ``http_port`` is not
    None), so synchronous code in the main thread is unaffected.  Port 0
    means a free port, known after :meth:`start`::

        with MailSink() as sink:
            box = sink.mailbox("ada@example.com")
            seen = box.cursor()
            ...  # the portal sends to 127.0.0.1:sink.smtp_port
            invitation = box.wait_for(subject="invited", after=seen)
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        *,
        smtp_port: int = 0,
        http_port: int | None = None,
        max_message_size: int = 10 * 1024 * 1024,
        max_recipients: int = 100,
        max_messages: int | None = DEFAULT_MAX_MESSAGES,
    ) -> None:
        self.host = host
        self.store = MailStore(max_messages=max_messages)
        self._requested = (smtp_port, http_port)
        self._handler = SinkHandler(self.store, max_recipients=max_recipients)
        self._max_message_size = max_message_size
        self._smtp: SmtpServer | None = None
        self._http: HttpServer | None = None

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> MailSink:
        """Bind the ports and serve; returns the sink for chaining."""
        if self._smtp is not None:
            raise RuntimeError("the sink is already running")
        smtp_port, http_port = self._requested
        try:
            self._smtp = SmtpServer(
                self._handler,
                bind(self.host, smtp_port),
                server_hostname=_SERVER_NAME,
                ident="fake_mail",
                data_size_limit=self._max_message_size,
                enable_SMTPUTF8=True,
            )
            self._smtp.start()
            if http_port is not None:
                self._http = HttpServer(create_app(self.store), bind(self.host, http_port))
                self._http.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop serving (mail already received stays readable). Idempotent."""
        http, self._http = self._http, None
        smtp, self._smtp = self._smtp, None
        if http is not None:
            http.stop()
        if smtp is not None:
            smtp.stop()

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def smtp_port(self) -> int:
        """The SMTP port actually bound (port 0 asked for a free one)."""
        if self._smtp is None:
            raise RuntimeError("the sink is not running: start() it first")
        return self._smtp.port

    @property
    def http_port(self) -> int | None:
        return self._http.port if self._http is not None else None

    @property
    def http_url(self) -> str | None:
        """``http://host:port`` of the inbox and API, or None without HTTP."""
        if self._http is None:
            return None
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self._http.port}"

    # -- reading mail ----------------------------------------------------------

    def mailbox(self, address: str) -> Mailbox:
        """One recipient's mail (by envelope recipient, case-insensitive)."""
        return Mailbox(self.store, address)

    def messages(self, subject: str | None = None, where: Predicate | None = None) -> list[Message]:
        """Everyone's matching mail, oldest first."""
        return self.store.messages(None, subject, where)

    def cursor(self) -> int:
        """A position meaning "everything that has arrived so far"."""
        return self.store.cursor()

    def wait_for(
        self,
        subject: str | None = None,
        where: Predicate | None = None,
        *,
        after: int | None = None,
        timeout: float = 5.0,
    ) -> Message:
        """Like :meth:`Mailbox.wait_for`, over everyone's mail."""
        return self.store.wait_for(None, subject, where, after=after, timeout=timeout)

    def expect_none(
        self,
        subject: str | None = None,
        where: Predicate | None = None,
        *,
        after: int | None = None,
        within: float = 1.0,
    ) -> None:
        """Like :meth:`Mailbox.expect_none`, over everyone's mail."""
        self.store.expect_none(None, subject, where, after=after, within=within)

    def get(self, message_id: str) -> Message | None:
        return self.store.get(message_id)

    def clear(self) -> None:
        """Forget all mail."""
        self.store.clear()

    def __repr__(self) -> str:
        state = f"smtp={self.host}:{self._smtp.port}" if self._smtp else "stopped"
        return f"<MailSink {state} http={self.http_url}>"
