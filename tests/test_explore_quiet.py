"""The windows for unwanted email (`portalcheck.explore.quiet`), on a sink made up in memory.

Each email is judged once: by the window of the person it came for while her window is open, else
by the step it arrived during. A step that may mail a held person waits her window out first (a
portal's email lags: an email that came during the step could be either step's); a step that may
mail only others goes on at once.
"""

from __future__ import annotations

import dataclasses

import pytest

from portalcheck.explore import actions as act
from portalcheck.explore.quiet import QuietWindows, Window


@dataclasses.dataclass
class Message:
    seq: int
    subject: str


class Box:
    def __init__(self, sink: "Sink", address: str) -> None:
        self.sink, self.address = sink, address

    def messages(self) -> list[Message]:
        return [message for to, message in self.sink.sent if to == self.address]

    def expect_none(self, *, after: int, within: float) -> None:
        self.sink.waited.append((self.address, after, within))
        self.sink.clock += within  # the wait is the window's rest
        if any(message.seq > after for message in self.messages()):
            raise AssertionError("an email came")


class Sink:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Message]] = []
        self.waited: list[tuple[str, int, float]] = []
        self.clock = 100.0

    def mailbox(self, address: str) -> Box:
        return Box(self, address)

    def deliver(self, address: str, subject: str) -> int:
        seq = len(self.sent) + 1
        self.sent.append((address, Message(seq, subject)))
        return seq


EMAILS = {"Ada": "ada@example.com", "Bea": "bea@example.com", "someone": "someone@example.com"}
SUBSCRIBED = act.Subscribe("Ada")


@pytest.fixture
def sink() -> Sink:
    return Sink()


@pytest.fixture
def windows(sink: Sink) -> QuietWindows:
    return QuietWindows(sink, EMAILS, lambda subject: subject.split()[0], now=lambda: sink.clock)


def window(index: int, *who: str, deadline: float = 100.75, cursor: int = 0) -> Window:
    return Window(index, SUBSCRIBED, set(who), deadline, cursor, rule="INV-2", why="no invitation with automatic invitations off")


def test_an_email_for_a_held_person_is_her_windows_contradiction_once_it_is_over(sink: Sink, windows: QuietWindows) -> None:
    windows.opened(window(0, "Ada"))
    sink.deliver(EMAILS["Ada"], "invitation for Ada")
    assert windows.expired() == []  # not over yet: still open
    sink.clock = 101.0
    [found] = windows.expired()
    assert (found.window.index, found.window.rule, found.arrived) == (0, "INV-2", (("Ada", "invitation"),))
    assert windows.open == [] and sink.waited == []


def test_a_window_that_saw_nothing_closes_without_a_contradiction(sink: Sink, windows: QuietWindows) -> None:
    windows.opened(window(0, "Ada", cursor=1))
    sink.deliver(EMAILS["Ada"], "old")  # seq 1: the step's own, before the window
    sink.deliver(EMAILS["Bea"], "invitation for Bea")  # not held
    sink.clock = 101.0
    assert windows.expired() == [] and windows.open == []


def test_a_step_that_may_mail_a_held_person_waits_her_window_out_first(sink: Sink, windows: QuietWindows) -> None:
    windows.opened(window(0, "Ada", "Bea"))
    sink.clock = 100.25
    assert windows.make_way({"Ada"}) == []
    assert sink.waited == [(EMAILS["Ada"], 0, 0.5), (EMAILS["Bea"], 0, 0.0)]  # the rest of the window, then closed
    assert windows.open == []


def test_an_email_that_came_in_the_window_is_its_steps_when_the_next_step_makes_way(sink: Sink, windows: QuietWindows) -> None:
    """A subscription's invitation that lags behind its answer is the subscription's (INV-2), not
    the next login link's."""
    windows.opened(window(0, "Ada"))
    sink.deliver(EMAILS["Ada"], "invitation for Ada")
    [found] = windows.make_way({"Ada"})
    assert (found.window.index, found.window.rule, found.arrived) == (0, "INV-2", (("Ada", "invitation"),))
    assert windows.open == []


def test_a_step_that_mails_nobody_held_leaves_the_windows_open(sink: Sink, windows: QuietWindows) -> None:
    windows.opened(window(0, "Ada"))
    assert windows.make_way({"Bea"}) == []
    assert [item.index for item in windows.open] == [0] and sink.waited == []


def test_the_end_of_a_walk_waits_every_window_out(sink: Sink, windows: QuietWindows) -> None:
    windows.opened(window(0, "Ada"))
    windows.opened(window(2, "Bea", deadline=101.0, cursor=0))
    sink.deliver(EMAILS["Bea"], "login_link for Bea")
    found = windows.finish()
    assert [(item.window.index, item.arrived) for item in found] == [(2, (("Bea", "login_link"),))]
    assert [address for address, _, _ in sink.waited] == [EMAILS["Ada"], EMAILS["Bea"]] and windows.open == []


def test_a_person_is_in_one_window_at_most(windows: QuietWindows) -> None:
    windows.opened(window(0, "Ada"))
    with pytest.raises(AssertionError, match="one window at most"):
        windows.opened(window(1, "Ada"))


# -- in-order mail: an email asked for since has come, so nothing more can come in any window ---


def settled_by(sink: Sink, *, comes: bool, late: tuple[str, str] | None = None):
    """A `settled` that asks for an email of its own: `late` (an email the held step caused,
    still on its way) is delivered first, as a portal sending in order would."""
    asked: list[float] = []

    def settled() -> bool:
        asked.append(sink.clock)
        if late is not None:
            sink.deliver(*late)
        if comes:
            sink.deliver("sentinel@example.com", "account for the walk")
        return comes

    return settled, asked


def test_with_mail_in_order_a_step_that_may_mail_a_held_person_waits_for_no_window(sink: Sink) -> None:
    settled, asked = settled_by(sink, comes=True, late=(EMAILS["Ada"], "invitation for Ada"))
    windows = QuietWindows(sink, EMAILS, lambda subject: subject.split()[0], now=lambda: sink.clock, settled=settled)
    windows.opened(window(0, "Ada"))
    windows.opened(window(1, "Bea"))
    [found] = windows.make_way({"Ada"})
    assert (found.window.index, found.window.rule, found.arrived) == (0, "INV-2", (("Ada", "invitation"),))
    assert sink.waited == [] and len(asked) == 1
    assert windows.open == []  # Bea's too: nothing more can come in it either


def test_with_mail_in_order_the_end_of_a_walk_asks_once_and_judges_every_window(sink: Sink) -> None:
    settled, asked = settled_by(sink, comes=True, late=(EMAILS["Bea"], "login_link for Bea"))
    windows = QuietWindows(sink, EMAILS, lambda subject: subject.split()[0], now=lambda: sink.clock, settled=settled)
    windows.opened(window(0, "Ada"))
    windows.opened(window(2, "Bea", deadline=101.0))
    found = windows.finish()
    assert [(item.window.index, item.arrived) for item in found] == [(2, (("Bea", "login_link"),))]
    assert sink.waited == [] and len(asked) == 1 and windows.open == []


def test_no_window_no_email_asked_for(sink: Sink) -> None:
    settled, asked = settled_by(sink, comes=True)
    windows = QuietWindows(sink, EMAILS, lambda subject: subject.split()[0], now=lambda: sink.clock, settled=settled)
    windows.opened(window(0, "Ada"))
    assert windows.make_way({"Bea"}) == [] and windows.finish() == [] and len(asked) == 1
    assert windows.finish() == [] and len(asked) == 1


def test_when_the_email_asked_for_does_not_come_the_windows_are_waited_out_from_then_on(sink: Sink) -> None:
    settled, asked = settled_by(sink, comes=False)
    windows = QuietWindows(sink, EMAILS, lambda subject: subject.split()[0], now=lambda: sink.clock, settled=settled)
    windows.opened(window(0, "Ada"))
    assert windows.make_way({"Ada"}) == []
    assert sink.waited == [(EMAILS["Ada"], 0, 0.75)] and len(asked) == 1
    windows.opened(window(1, "Ada", deadline=sink.clock + 0.75))
    windows.finish()
    assert len(asked) == 1 and len(sink.waited) == 2  # not asked again: waited out
