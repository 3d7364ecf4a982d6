"""Reading a sink that runs in another process, over its HTTP API.

from fake_mail import RemoteSink

with RemoteSink("http://127.0.0.1:1080") as sink:
    box = sink.mailbox("ada@example.com")
    seen = box.cursor()
    ...  # the portal sends the invitation
    box.wait_for(subject="invited", after=seen).link(r"/invitation/")

A :class:`RemoteMailbox` has the interface of :class:`~fake_mail.Mailbox` and
returns the same :class:`~fake_mail.Message` objects (id and seq as the sink
numbered them).  A wait is one long-poll request that the sink answers the
moment a matching mail is stored; a ``where`` predicate, which cannot travel,
is applied here to each mail the subject lets through, and the wait goes on
after those it refuses.
"""

from __future__ import annotations

import base64
import time
from datetime import datetime
from types import TracebackType
from typing import Any

import httpx

from fake_mail.message import Message
from fake_mail.store import Criteria, MailTimeout, Predicate, unexpected_mail

__all__ = ["RemoteMailbox", "RemoteSink", "SinkUnavailable"]

# Beyond the wait itself: how long the sink may take to answer.
_ANSWER_S = 10.0


class SinkUnavailable(ConnectionError):
    """The sink's HTTP API did not answer, or answered what a sink would not."""


class RemoteSink:
    """The mail of a sink served elsewhere; ``api_url`` is its HTTP base (``http://host:port``)."""

    def __init__(self, api_url: str, *, transport: httpx.BaseTransport | None = None) -> None:
        self.api_url = api_url.rstrip("/")
        self._http = httpx.Client(base_url=self.api_url, timeout=_ANSWER_S, transport=transport)

    def mailbox(self, address: str) -> RemoteMailbox:
        """One recipient's mail (by envelope recipient, case-insensitive)."""
        return RemoteMailbox(self, address)

    def messages(self, subject: str | None = None, where: Predicate | None = None) -> list[Message]:
        """Everyone's matching mail, oldest first."""
        return self._messages(None, subject, where)

    def cursor(self) -> int:
        """A position meaning "everything that has arrived so far", for ``after=``."""
        cursor: int = self._json("GET", "/api/cursor")["cursor"]
        return cursor

    def wait_for(
        self, subject: str | None = None, where: Predicate | None = None, *, after: int | None = None, timeout: float = 5.0
    ) -> Message:
        """Like :meth:`RemoteMailbox.wait_for`, over everyone's mail."""
        return self._wait_for(Criteria(None, subject, where), after, timeout)

    def expect_none(
        self, subject: str | None = None, where: Predicate | None = None, *, after: int | None = None, within: float = 1.0
    ) -> None:
        """Like :meth:`RemoteMailbox.expect_none`, over everyone's mail."""
        self._expect_none(Criteria(None, subject, where), after, within)

    def get(self, message_id: str) -> Message | None:
        """One mail by its id, or None when the sink has no such mail (any more)."""
        answer = self._request("GET", f"/api/messages/{message_id}")
        if answer.status_code == 404:
            return None
        summary = self._checked(answer)
        raw = self._request("GET", f"/api/messages/{message_id}/raw").content
        return _message({**summary, "raw_base64": base64.b64encode(raw).decode("ascii")})

    def clear(self) -> None:
        """Forget all mail (every reader of the sink loses it)."""
        self._request("DELETE", "/api/messages")

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RemoteSink:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<RemoteSink {self.api_url}>"

    # -- what mailboxes call -----------------------------------------------------

    def _messages(self, recipient: str | None, subject: str | None, where: Predicate | None) -> list[Message]:
        criteria = Criteria(recipient, subject, where)  # a bad regex fails here, as in-process
        listed = self._json("GET", "/api/messages", params=_query(criteria, raw="1"))
        return [m for m in map(_message, reversed(listed)) if criteria.where is None or criteria.matches(m)]

    def _wait_for(self, criteria: Criteria, after: int | None, timeout: float) -> Message:
        found, explanation = self._first_match(criteria, after, timeout)
        if found is None:
            raise MailTimeout(explanation)
        return found

    def _expect_none(self, criteria: Criteria, after: int | None, within: float) -> None:
        found, _ = self._first_match(criteria, after, within)
        if found is not None:
            raise AssertionError(unexpected_mail(criteria, found))

    def _first_match(self, criteria: Criteria, after: int | None, timeout: float) -> tuple[Message | None, str]:
        deadline = time.monotonic() + timeout
        seen = after
        while True:
            remaining = max(0.0, deadline - time.monotonic())
            params = _query(criteria, timeout=f"{remaining:.3f}", after=None if seen is None else str(seen))
            answer = self._request("GET", "/api/messages/wait", params=params, timeout=remaining + _ANSWER_S)
            if answer.status_code == 408:
                return None, _timeout_text(answer.json()["error"], criteria, after, timeout)
            message = _message(self._checked(answer))
            if criteria.where is None or criteria.where(message):
                return message, ""
            seen = message.seq  # refused by the predicate: wait on after it

    def _json(self, method: str, path: str, **options: Any) -> Any:
        return self._checked(self._request(method, path, **options))

    def _request(self, method: str, path: str, **options: Any) -> httpx.Response:
        try:
            return self._http.request(method, path, **options)
        except httpx.HTTPError as error:
            raise SinkUnavailable(f"fake_mail at {self.api_url} did not answer {method} {path}: {error}") from error

    def _checked(self, answer: httpx.Response) -> Any:
        if answer.status_code == 400:
            raise ValueError(answer.json()["error"])
        if answer.status_code != 200:
            raise SinkUnavailable(
                f"fake_mail at {self.api_url} answered {answer.status_code} to {answer.request.method} "
                f"{answer.request.url.path}: {answer.text[:200]}"
            )
        return answer.json()


class RemoteMailbox:
    """One recipient's mail in a remote sink: the interface of :class:`~fake_mail.Mailbox`."""

    __slots__ = ("address", "_sink")

    def __init__(self, sink: RemoteSink, address: str) -> None:
        self.address = address.lower()
        self._sink = sink

    def messages(self, subject: str | None = None, where: Predicate | None = None) -> list[Message]:
        """Matching mail, oldest first; ``subject`` is a regex searched in the subject."""
        return self._sink._messages(self.address, subject, where)

    def cursor(self) -> int:
        """A position meaning "everything that has arrived so far", for ``after=``."""
        return self._sink.cursor()

    def wait_for(
        self, subject: str | None = None, where: Predicate | None = None, *, after: int | None = None, timeout: float = 5.0
    ) -> Message:
        """The first matching mail that arrived after ``after`` (None: any, stored ones too).

        Returns the moment the sink stores it; raises :class:`~fake_mail.MailTimeout`
        naming what was awaited and listing what came instead.
        """
        return self._sink._wait_for(Criteria(self.address, subject, where), after, timeout)

    def expect_none(
        self, subject: str | None = None, where: Predicate | None = None, *, after: int | None = None, within: float = 1.0
    ) -> None:
        """Raise ``AssertionError`` as soon as a matching mail arrives within ``within`` s."""
        self._sink._expect_none(Criteria(self.address, subject, where), after, within)

    def clear(self) -> None:
        """Forget this recipient's mail (mail to others stays for them)."""
        self._sink._request("DELETE", "/api/messages", params={"to": self.address})

    def __repr__(self) -> str:
        return f"<RemoteMailbox {self.address} at {self._sink.api_url}>"


def _query(criteria: Criteria, **extra: str | None) -> dict[str, str]:
    given = {"to": criteria.recipient, "subject": criteria.subject, **extra}
    return {name: value for name, value in given.items() if value is not None}


def _message(data: dict[str, Any]) -> Message:
    return Message(
        id=data["id"],
        seq=data["seq"],
        received_at=datetime.fromisoformat(data["received_at"]),
        mail_from=data["mail_from"],
        rcpt_tos=list(data["rcpt_tos"]),
        raw=base64.b64decode(data["raw_base64"]),
    )


def _timeout_text(explanation: str, criteria: Criteria, after: int | None, timeout: float) -> str:
    # The sink says what arrived; the first line says what this reader awaited
    # (its predicate, the whole timeout and its cursor, not those of the last request).
    first = f"no mail {criteria.describe()} within {timeout:g} s"
    if after is not None:
        first += f" (after cursor {after})"
    rest = explanation.split("\n")[1:]
    return "\n".join([first, *rest])
