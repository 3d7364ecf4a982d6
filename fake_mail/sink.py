"""MailSink: the SMTP sink, its store, and optionally its web face, in-process."""

from __future__ import annotations

import ssl
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from fake_mail import certificates
from fake_mail.auth import AcceptAny, Passwords
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

    By default it speaks plain SMTP, as Mailpit does.  Like a real relay it can
    also offer STARTTLS (``starttls``; ``require_starttls`` refuses mail until
    the client has started TLS), serve implicit TLS on a port of its own
    (``tls_port``), and require AUTH PLAIN/LOGIN (``auth={"user": "password"}``,
    or ``auth_accept_any``; wrong credentials get 535, mail before AUTH 530).
    Without ``tls_cert``/``tls_key`` it makes a certificate at start, signed
    by an authority whose PEM is :attr:`tls_ca_file`.
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
        starttls: bool = False,
        require_starttls: bool = False,
        tls_port: int | None = None,
        tls_cert: str | Path | None = None,
        tls_key: str | Path | None = None,
        auth: Mapping[str, str] | None = None,
        auth_accept_any: bool = False,
    ) -> None:
        if (tls_cert is None) != (tls_key is None):
            raise ValueError("tls_cert and tls_key go together: give both or neither")
        self._starttls = starttls or require_starttls
        self._require_starttls = require_starttls
        if tls_cert is not None and not (self._starttls or tls_port is not None):
            raise ValueError("tls_cert/tls_key given, but neither starttls nor tls_port asks for TLS")
        if auth is not None and auth_accept_any:
            raise ValueError("auth (named users) and auth_accept_any exclude each other")
        self.host = host
        self.store = MailStore(max_messages=max_messages)
        self._requested = (smtp_port, http_port, tls_port)
        self._given_pair = None if tls_cert is None or tls_key is None else (Path(tls_cert), Path(tls_key))
        self._authenticator = AcceptAny() if auth_accept_any else Passwords(auth) if auth is not None else None
        self._handler = SinkHandler(
            self.store, max_recipients=max_recipients, auth_required=self._authenticator is not None
        )
        self._max_message_size = max_message_size
        self._smtp: SmtpServer | None = None
        self._smtps: SmtpServer | None = None
        self._http: HttpServer | None = None
        self._certificate_folder: tempfile.TemporaryDirectory[str] | None = None
        self.tls_ca_file: Path | None = None
        """The PEM a client trusts to verify the sink: the made authority, or the given certificate."""

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> MailSink:
        """Bind the ports and serve; returns the sink for chaining."""
        if self._smtp is not None:
            raise RuntimeError("the sink is already running")
        smtp_port, http_port, tls_port = self._requested
        try:
            tls = self._tls_context() if self._starttls or tls_port is not None else None
            self._smtp = SmtpServer(
                self._handler,
                bind(self.host, smtp_port),
                **self._smtp_options(),
                tls_context=tls if self._starttls else None,
                require_starttls=self._require_starttls,
                # AUTH once STARTTLS has encrypted the session, when it is offered; over
                # plain text when AUTH is asked for without TLS; not at all otherwise.
                auth_require_tls=self._starttls or self._authenticator is None,
            )
            self._smtp.start()
            if tls_port is not None:
                # Encrypted from the first byte: aiosmtpd does not count that as TLS for AUTH
                # (aio-libs/aiosmtpd#281), so AUTH is not made to wait for a STARTTLS here.
                self._smtps = SmtpServer(
                    self._handler, bind(self.host, tls_port), **self._smtp_options(), ssl_context=tls,
                    auth_require_tls=self._authenticator is None,
                )
                self._smtps.start()
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
        smtps, self._smtps = self._smtps, None
        if http is not None:
            http.stop()
        for server in (smtp, smtps):
            if server is not None:
                server.stop()
        folder, self._certificate_folder = self._certificate_folder, None
        if folder is not None:
            folder.cleanup()
            self.tls_ca_file = None

    def _smtp_options(self) -> dict[str, Any]:
        return {
            "server_hostname": _SERVER_NAME,
            "ident": "fake_mail",
            "data_size_limit": self._max_message_size,
            "enable_SMTPUTF8": True,
            "authenticator": self._authenticator,
        }

    def _tls_context(self) -> ssl.SSLContext:
        if self._given_pair is not None:
            cert, key = self._given_pair
            context = certificates.server_context(cert, key)
            self.tls_ca_file = cert
            return context
        self._certificate_folder = tempfile.TemporaryDirectory(prefix="fake_mail-tls-")
        names = ["localhost", "127.0.0.1", "::1", _SERVER_NAME]
        if self.host not in names and self.host not in {"0.0.0.0", "::", ""}:
            names.insert(0, self.host)
        issued = certificates.issue(Path(self._certificate_folder.name), names)
        self.tls_ca_file = issued.ca_file
        return certificates.server_context(issued.cert_file, issued.key_file)

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
    def tls_port(self) -> int | None:
        """The implicit-TLS (SMTPS) port actually bound, or None when not asked for."""
        return self._smtps.port if self._smtps is not None else None

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
