"""The windows in which an email must not arrive, one for each step after which some people must get none.

A subscription with automatic invitations off, a login link LL-8 refuses, an address without
access: after such a step someone must get no email, which only waiting can show. A step that
waited out `mail_quiet_s` every time would cost far more than a scenario's step, so the walk goes
on and the window stays open for those people until its deadline. Every email is judged once:
an email for a person whose window is open is the window's (its step's contradiction, told when
the window closes); any other is the step's during which it arrived.

A later step that may mail one of them makes way first (`make_way`): her window is waited out and
closed, because a portal's email lags behind its answers (the simulator's too, sent from an
outbox), and an email that came during the new step could then be either step's. Told to the
wrong step, a finding names the wrong rule, and cut back to that step it may not replay: an
invitation a subscription should not have sent, arriving while the next login link was asked for,
was told as LL-3 in a walk of 4 steps, not as INV-2 in 2. A step that may mail only people no
window holds goes on at once; an email for a held person that such a step caused (a portal
mixing up its customers) is told as her window's, as one a page opened caused always was.

A portal that delivers its emails in the order it decided to send them (the profile's
`timing.mail_in_order`) need not be waited out: once an email asked for after a window's step
has come (`settled`, the walk's own account email to a customer of its own), every email that
step caused has come too, and every open window can be judged at once.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Callable

from fake_mail import MailSink, RemoteSink

from . import actions as act


@dataclasses.dataclass
class Window:
    """After step `index`, until `deadline`: no email for `recipients` later than `cursor`."""

    index: int
    action: act.Action
    recipients: set[str]
    deadline: float
    cursor: int  # the sink's sequence number of the last email the step itself took
    rule: str = "LL-3"  # the expectation it came from, set once the step is judged
    why: str = "no email is sent"
    expected: tuple[tuple[str, str], ...] = ()  # the emails the step expected, and saw


@dataclasses.dataclass(frozen=True)
class Unwanted:
    """A window closed with emails for its people: its step's contradiction."""

    window: Window
    arrived: tuple[tuple[str, str], ...]  # (person, kind) of each email that came in it


class QuietWindows:
    """The open windows of one walk; a person is in one window at most."""

    def __init__(self, sink: MailSink | RemoteSink, emails: dict[str, str], kind_of: Callable[[str], str],
                 now: Callable[[], float] = time.monotonic, settled: Callable[[], bool] | None = None) -> None:
        self.sink = sink
        self.emails = emails  # person -> address, the walk's own
        self.kind_of = kind_of  # an email's subject -> the profile's kind of email
        self.now = now  # the clock of the deadlines (`Window.deadline`)
        # With in-order mail: asks for an email and awaits it; True once it came. False if it did
        # not: the windows are then waited out, from then on.
        self.settled = settled
        self.open: list[Window] = []

    def holding(self) -> dict[str, Window]:
        """Who is held, by which window: an email for them after its cursor is the window's."""
        return {who: window for window in self.open for who in window.recipients}

    def opened(self, window: Window) -> None:
        assert not window.recipients & set(self.holding()), "a person is in one window at most"
        self.open.append(window)

    def make_way(self, may_mail: set[str]) -> list[Unwanted]:
        """Before a step that may email `may_mail`: the windows holding any of them closed, once
        nothing more can come in them (`_settle`)."""
        return self._settle([window for window in self.open if window.recipients & may_mail])

    def expired(self) -> list[Unwanted]:
        """Close every window whose time is over."""
        now = self.now()
        return [found for window in list(self.open) if now >= window.deadline for found in self._close(window, wait=False)]

    def finish(self) -> list[Unwanted]:
        """At the end of a walk: every window closed, once nothing more can come in it (`_settle`)."""
        return self._settle(list(self.open))

    def _settle(self, windows: list[Window]) -> list[Unwanted]:
        """Close `windows` once nothing more can come in them: every open window at once when an
        email asked for now has come (in-order mail), else each waited out."""
        if not windows:
            return []
        if self.settled is not None:
            if self.settled():
                return [found for window in list(self.open) for found in self._close(window, wait=False)]
            self.settled = None
        return [found for window in windows for found in self._close(window, wait=True)]

    def _close(self, window: Window, *, wait: bool) -> list[Unwanted]:
        """Judge `window` on the emails that came for its people (waited out first, if `wait`)."""
        if wait:
            for who in sorted(window.recipients):
                try:
                    self.sink.mailbox(self.emails[who]).expect_none(after=window.cursor, within=max(0.0, window.deadline - self.now()))
                except AssertionError:
                    pass  # judged below
        arrived = tuple(sorted(
            (who, self.kind_of(message.subject)) for who in window.recipients
            for message in self.sink.mailbox(self.emails[who]).messages() if message.seq > window.cursor
        ))
        self.open.remove(window)
        return [Unwanted(window, arrived)] if arrived else []
