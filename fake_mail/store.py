"""The received mail, shared by the SMTP thread (writer) and test threads (readers).

One lock guards everything; a condition on it wakes waiters the moment a
mail is added.  Predicates run outside the lock so a slow one (or the lazy
parse it triggers) never holds up the SMTP thread.
"""

from __future__ import annotations

import inspect
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timezone

from fake_mail.message import Message

__all__ = ["MailStore", "MailTimeout", "Predicate"]

Predicate = Callable[[Message], bool]

# How many arrived mails a timeout message lists before eliding the rest.
_LISTED = 20


class MailTimeout(AssertionError):
    """No matching mail arrived in time.

    An ``AssertionError`` so a step that waited in vain fails (rather than
    errors); the text says what was awaited and what did arrive.
    """


class MailStore:
    """Every mail received, in arrival order, indexed by lower-cased recipient."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._messages: dict[str, Message] = {}
        self._boxes: dict[str, dict[str, Message]] = {}
        self._last_seq = 0

    def add(self, raw: bytes, *, mail_from: str, rcpt_tos: Iterable[str]) -> Message:
        """Store a mail as received and wake every waiter."""
        rcpt_tos = list(rcpt_tos)
        received_at = datetime.now(timezone.utc)
        with self._lock:
            self._last_seq += 1
            message = Message(
                id=uuid.uuid4().hex,
                seq=self._last_seq,
                received_at=received_at,
                mail_from=mail_from,
                rcpt_tos=rcpt_tos,
                raw=raw,
            )
            self._messages[message.id] = message
            for recipient in {address.lower() for address in rcpt_tos}:
                self._boxes.setdefault(recipient, {})[message.id] = message
            self._arrived.notify_all()
        return message

    def cursor(self) -> int:
        """The sequence number of the latest mail: "everything so far"."""
        with self._lock:
            return self._last_seq

    def recipients(self) -> list[str]:
        """Every (lower-cased) recipient that has mail, in order of first mail."""
        with self._lock:
            return [name for name, box in self._boxes.items() if box]

    def get(self, message_id: str) -> Message | None:
        with self._lock:
            return self._messages.get(message_id)

    def messages(
        self,
        recipient: str | None = None,
        subject: str | None = None,
        where: Predicate | None = None,
        *,
        after: int | None = None,
    ) -> list[Message]:
        """Matching mail, oldest first; ``recipient`` None means everyone's."""
        criteria = _Criteria(recipient, subject, where)
        with self._lock:
            stored = self._since(criteria.recipient, after or 0)
        return [message for message in stored if criteria.matches(message)]

    def delete(self, message_id: str) -> bool:
        """Forget one mail, for every recipient; False when it is unknown."""
        with self._lock:
            message = self._messages.pop(message_id, None)
            if message is None:
                return False
            for recipient in {address.lower() for address in message.rcpt_tos}:
                self._boxes.get(recipient, {}).pop(message_id, None)
            return True

    def clear(self, recipient: str | None = None) -> None:
        """Forget everyone's mail, or one recipient's.

        A mail to several recipients stays for the others; it leaves the
        store when the last of its recipients has cleared it.
        """
        with self._lock:
            if recipient is None:
                self._messages.clear()
                self._boxes.clear()
                return
            for message in self._boxes.pop(recipient.lower(), {}).values():
                if not any(message.id in self._boxes.get(r.lower(), ()) for r in message.rcpt_tos):
                    self._messages.pop(message.id, None)

    def wait_for(
        self,
        recipient: str | None = None,
        subject: str | None = None,
        where: Predicate | None = None,
        *,
        after: int | None = None,
        timeout: float = 5.0,
    ) -> Message:
        """The first matching mail with a sequence number above ``after``.

        ``after=None`` considers mail already stored too.  Returns as soon as
        a match is stored; raises :class:`MailTimeout` after ``timeout`` s.
        """
        criteria = _Criteria(recipient, subject, where)
        found = self._first_match(criteria, after or 0, time.monotonic() + timeout)
        if found is None:
            raise MailTimeout(self._explain_timeout(criteria, after, timeout))
        return found

    def expect_none(
        self,
        recipient: str | None = None,
        subject: str | None = None,
        where: Predicate | None = None,
        *,
        after: int | None = None,
        within: float = 1.0,
    ) -> None:
        """Fail at once if a matching mail arrives (or, with ``after=None``, is
        already stored); return quietly when ``within`` seconds pass without one."""
        criteria = _Criteria(recipient, subject, where)
        found = self._first_match(criteria, after or 0, time.monotonic() + within)
        if found is not None:
            raise AssertionError(
                f"expected no mail {criteria.describe()}, but got "
                f"#{found.seq} {found.subject!r} at {_clock(found.received_at)} "
                f"from {found.mail_from} (id {found.id})"
            )

    def _first_match(self, criteria: _Criteria, seen: int, deadline: float) -> Message | None:
        while True:
            with self._arrived:
                fresh = self._since(criteria.recipient, seen)
                while not fresh:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return None
                    self._arrived.wait(remaining)
                    fresh = self._since(criteria.recipient, seen)
            # Outside the lock: predicates may parse, and parsing takes time.
            seen = fresh[-1].seq
            for message in fresh:
                if criteria.matches(message):
                    return message
            if time.monotonic() >= deadline:  # a steady stream of other mail must not wait forever
                return None

    def _since(self, recipient: str | None, seq: int) -> list[Message]:
        # Newest mail sits at the end; walk back only over what is new, so a
        # waiter woken once per arrival does constant work per mail.
        source = self._messages if recipient is None else self._boxes.get(recipient, {})
        fresh: list[Message] = []
        for message in reversed(source.values()):
            if message.seq <= seq:
                break
            fresh.append(message)
        fresh.reverse()
        return fresh

    def _explain_timeout(self, criteria: _Criteria, after: int | None, timeout: float) -> str:
        with self._lock:
            arrived = self._since(criteria.recipient, 0)
        whom = criteria.recipient or "anyone"
        lines = [f"no mail {criteria.describe()} within {timeout:g} s"]
        if after is not None:
            lines[0] += f" (after cursor {after})"
        if not arrived:
            lines.append(f"no mail at all arrived for {whom}")
        else:
            lines.append(f"mail that did arrive for {whom} ({len(arrived)}):")
            if len(arrived) > _LISTED:
                lines.append(f"  ... {len(arrived) - _LISTED} earlier")
            for message in arrived[-_LISTED:]:
                marker = "  " if after is None or message.seq > after else "  (before cursor) "
                lines.append(
                    f"{marker}#{message.seq} {_clock(message.received_at)} "
                    f"{message.subject!r} to {', '.join(message.rcpt_tos)}"
                )
        return "\n".join(lines)


class _Criteria:
    """What a reader asks for: a recipient, a subject regex, a predicate."""

    __slots__ = ("recipient", "subject", "where", "_pattern")

    def __init__(self, recipient: str | None, subject: str | None, where: Predicate | None):
        self.recipient = recipient.lower() if recipient is not None else None
        self.subject = subject
        self.where = where
        self._pattern = re.compile(subject) if subject is not None else None

    def matches(self, message: Message) -> bool:
        if self._pattern is not None and not self._pattern.search(message.subject):
            return False
        return self.where is None or bool(self.where(message))

    def describe(self) -> str:
        words = [f"to {self.recipient}" if self.recipient else "to anyone"]
        if self.subject is not None:
            words.append(f"with subject matching {self.subject!r}")
        if self.where is not None:
            words.append(f"where {_describe_predicate(self.where)}")
        return " ".join(words)


def _describe_predicate(where: Predicate) -> str:
    name = getattr(where, "__qualname__", None)
    if isinstance(name, str) and "<lambda>" not in name:
        return name
    try:
        source = inspect.getsource(where).strip()
    except (OSError, TypeError):
        return repr(where)
    start = source.find("lambda")
    text = " ".join((source[start:] if start >= 0 else source).split())
    return text if len(text) <= 100 else text[:97] + "..."


def _clock(moment: datetime) -> str:
    return moment.strftime("%H:%M:%S.%f")[:-3] + "Z"
