"""The received mail, shared by the SMTP thread (writer) and readers (test threads, HTTP waits).

One lock guards everything; a condition on it wakes threads waiting the moment a
mail is added, and a :class:`Watch` may also ask for a callback (how an asyncio
reader, the HTTP wait, is woken).  Predicates run outside the lock so a slow one
(or the lazy parse it triggers) never holds up the SMTP thread.

Retention: past ``max_messages`` the oldest mail is dropped, but never one that
a reader still waiting has not looked at yet (see :class:`Watch`).
"""

from __future__ import annotations

import inspect
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

from fake_mail.message import Message

__all__ = ["DEFAULT_MAX_MESSAGES", "Criteria", "MailStore", "MailTimeout", "Predicate", "Watch"]

Predicate = Callable[[Message], bool]

# How many arrived mails a timeout message lists before eliding the rest.
_LISTED = 20
# Enough for a whole suite run against one sink; a few tens of MB of mail at most.
DEFAULT_MAX_MESSAGES = 10_000


class MailTimeout(AssertionError):
    """No matching mail arrived in time.

    An ``AssertionError`` so a step that waited in vain fails (rather than
    errors); the text says what was awaited and what did arrive.
    """


class MailStore:
    """Every mail received, in arrival order, indexed by lower-cased recipient.

    ``max_messages`` bounds what is kept (None: no bound); the oldest goes first.
    """

    def __init__(self, *, max_messages: int | None = DEFAULT_MAX_MESSAGES) -> None:
        if max_messages is not None and max_messages < 1:
            raise ValueError(f"max_messages must be at least 1 (or None for no bound), not {max_messages}")
        self.max_messages = max_messages
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._messages: dict[str, Message] = {}
        self._boxes: dict[str, dict[str, Message]] = {}
        self._watches: set[Watch] = set()
        self._last_seq = 0
        self.dropped = 0  # how many mails retention has dropped so far

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
            self._drop_oldest()
            self._arrived.notify_all()
            callbacks = [watch.on_arrival for watch in self._watches if watch.on_arrival is not None]
        for callback in callbacks:
            callback()
        return message

    def cursor(self) -> int:
        """The sequence number of the latest mail: "everything so far"."""
        with self._lock:
            return self._last_seq

    def __len__(self) -> int:
        with self._lock:
            return len(self._messages)

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
        criteria = Criteria(recipient, subject, where)
        with self._lock:
            stored = self._since(criteria.recipient, after or 0)
        return [message for message in stored if criteria.matches(message)]

    def delete(self, message_id: str) -> bool:
        """Forget one mail, for every recipient; False when it is unknown."""
        with self._lock:
            message = self._messages.get(message_id)
            if message is None:
                return False
            self._forget(message)
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

    @contextmanager
    def watch(
        self, recipient: str | None, after: int | None, on_arrival: Callable[[], None] | None = None
    ) -> Iterator[Watch]:
        """A reader's place in the stream of ``recipient``'s mail, for as long as the block runs.

        ``on_arrival`` is called (on the SMTP thread, outside the lock) after every
        mail stored; it must be quick, e.g. ``loop.call_soon_threadsafe``.
        """
        watch = Watch(self, recipient.lower() if recipient is not None else None, after or 0, on_arrival)
        with self._lock:
            self._watches.add(watch)
        try:
            yield watch
        finally:
            with self._lock:
                self._watches.discard(watch)
                self._drop_oldest()

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
        criteria = Criteria(recipient, subject, where)
        found = self._first_match(criteria, after, time.monotonic() + timeout)
        if found is None:
            raise MailTimeout(self.explain_timeout(criteria, after, timeout))
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
        criteria = Criteria(recipient, subject, where)
        found = self._first_match(criteria, after, time.monotonic() + within)
        if found is not None:
            raise AssertionError(unexpected_mail(criteria, found))

    def explain_timeout(self, criteria: Criteria, after: int | None, timeout: float) -> str:
        """What a reader waited for in vain, and what did arrive for that recipient."""
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

    def _first_match(self, criteria: Criteria, after: int | None, deadline: float) -> Message | None:
        with self.watch(criteria.recipient, after) as watch:
            while True:
                with self._arrived:
                    fresh = watch.take_fresh()
                    while not fresh:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            return None
                        self._arrived.wait(remaining)
                        fresh = watch.take_fresh()
                # Outside the lock: predicates may parse, and parsing takes time.
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

    def _drop_oldest(self) -> None:
        # Called with the lock held.  A watch has looked at everything up to
        # its ``seen``; what lies beyond the lowest one must stay.
        if self.max_messages is None or len(self._messages) <= self.max_messages:
            return
        floor = min((watch.seen for watch in self._watches), default=self._last_seq)
        while len(self._messages) > self.max_messages:
            oldest = next(iter(self._messages.values()))
            if oldest.seq > floor:
                break
            self._forget(oldest)
            self.dropped += 1

    def _forget(self, message: Message) -> None:
        # Called with the lock held.  An emptied box goes too, so a stream of
        # distinct recipients does not grow the index without bound.
        del self._messages[message.id]
        for recipient in {address.lower() for address in message.rcpt_tos}:
            box = self._boxes.get(recipient)
            if box is not None:
                box.pop(message.id, None)
                if not box:
                    del self._boxes[recipient]


class Watch:
    """Where one waiting reader has looked up to in a recipient's mail.

    :meth:`take_fresh` hands over the mail that arrived since the last call and
    moves ``seen`` to the store's latest sequence number.  While a watch is
    open, retention keeps every mail above its ``seen``: the reader has not
    looked at those yet.  What it was handed it holds itself.
    """

    __slots__ = ("_store", "recipient", "seen", "on_arrival")

    def __init__(
        self, store: MailStore, recipient: str | None, seen: int, on_arrival: Callable[[], None] | None
    ) -> None:
        self._store = store
        self.recipient = recipient
        self.seen = seen
        self.on_arrival = on_arrival

    def take_fresh(self) -> list[Message]:
        """Mail for this recipient above ``seen``, oldest first.  Call with the store's lock held."""
        store = self._store
        fresh = store._since(self.recipient, self.seen)
        self.seen = store._last_seq
        store._drop_oldest()
        return fresh

    def fresh(self) -> list[Message]:
        """:meth:`take_fresh`, taking the store's lock."""
        with self._store._lock:
            return self.take_fresh()


def unexpected_mail(criteria: Criteria, found: Message) -> str:
    """The failure of ``expect_none``: what was not expected, and what came."""
    return (
        f"expected no mail {criteria.describe()}, but got "
        f"#{found.seq} {found.subject!r} at {_clock(found.received_at)} "
        f"from {found.mail_from} (id {found.id})"
    )


class Criteria:
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
