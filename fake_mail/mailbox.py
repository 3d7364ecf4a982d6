"""One recipient's view of the store: what a test step reads."""

from __future__ import annotations

from fake_mail.message import Message
from fake_mail.store import MailStore, Predicate

__all__ = ["Mailbox"]


class Mailbox:
    """The mail of one envelope recipient (matched case-insensitively).

    Scenarios that use unique recipients never see each other's mail, so
    they can run in parallel against one sink.
    """

    __slots__ = ("address", "_store")

    def __init__(self, store: MailStore, address: str) -> None:
        self.address = address.lower()
        self._store = store

    def messages(self, subject: str | None = None, where: Predicate | None = None) -> list[Message]:
        """Matching mail, oldest first; ``subject`` is a regex searched in the subject."""
        return self._store.messages(self.address, subject, where)

    def cursor(self) -> int:
        """A position meaning "everything that has arrived so far", for ``after=``."""
        return self._store.cursor()

    def wait_for(
        self,
        subject: str | None = None,
        where: Predicate | None = None,
        *,
        after: int | None = None,
        timeout: float = 5.0,
    ) -> Message:
        """The first matching mail that arrived after ``after`` (None: any, stored ones too).

        Returns the moment it arrives; raises :class:`~fake_mail.MailTimeout`
        naming what was awaited and listing what came instead.
        """
        return self._store.wait_for(self.address, subject, where, after=after, timeout=timeout)

    def expect_none(
        self,
        subject: str | None = None,
        where: Predicate | None = None,
        *,
        after: int | None = None,
        within: float = 1.0,
    ) -> None:
        """Raise ``AssertionError`` as soon as a matching mail arrives within ``within`` s.

        With ``after=None`` a matching mail already stored fails it too; pass
        ``after=box.cursor()`` taken before the action to look only at new mail.
        """
        self._store.expect_none(self.address, subject, where, after=after, within=within)

    def clear(self) -> None:
        """Forget this recipient's mail (mail to others stays for them)."""
        self._store.clear(self.address)

    def __repr__(self) -> str:
        return f"<Mailbox {self.address}>"
