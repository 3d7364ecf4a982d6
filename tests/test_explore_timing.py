"""The moments a walk's step is judged at, on a constructed timeline, without a browser.

The portal is played by the model itself, asked at the real moments things happened; the walk's
model is asked at the moments `walk.Timing` gives from the clock readings, and keeps the first
branch that agrees with the portal's page, as `Walk.step` does. The timeline is the one that
once gave a false LL-5 finding on the correct simulator under load: a long step dates a session
late, a later step's late branch is the one that agrees, and a login link still live at the
portal must not be judged expired at the step after.
"""

from __future__ import annotations

from typing import Any

from portalcheck.explore import actions as act
from portalcheck.explore import model
from portalcheck.explore.walk import Timing


class Race:
    """A portal (the model at real moments) and a walk (the model at the walk's moments)."""

    def __init__(self, **policy: Any) -> None:
        self.portal = model.initial(0.0, {**model.DEFAULT_POLICY, **policy})
        self.walk = model.initial(0.0, {**model.DEFAULT_POLICY, **policy})
        self.timing = Timing()

    def step(self, action: act.Action, *, real: float, before: float, after: float) -> tuple[str | None, list[model.Expect]]:
        """The page the portal showed, and what the walk's chosen branch expected (contradictions: none when they agree)."""
        self.portal, shown, _ = model.apply(self.portal, action, real)
        pages = {expect.channel: expect.value for expect in shown if expect.channel.startswith("page:")}
        candidates = [model.apply(self.walk, action, moment) for moment in self.timing.moments(before, after, action)]
        self.timing.stepped(action, before, after)

        def disagreeing(expects: list[model.Expect]) -> list[model.Expect]:
            return [expect for expect in expects if expect.channel in pages and expect.value != pages[expect.channel]]

        chosen = next((candidate for candidate in candidates if not disagreeing(candidate[1])), candidates[0])
        self.walk = chosen[0]
        return next(iter(pages.values()), None), disagreeing(chosen[1])


def timeline(race: Race) -> None:
    """Up to the step whose late branch agrees: a session the portal began 5 s before the model dated it."""
    for action in (act.AddCustomer("Ada"), act.Invite("Ada"), act.AskForLoginLink("Ada", "phone")):
        assert race.step(action, real=0.0, before=0.0, after=0.0)[1] == []
    # A long step (waiting on a loaded machine): the portal signed her in at 995, the middle is 1000.
    assert race.step(act.OpenEmailLink("Ada", "laptop", "invitation"), real=995.0, before=990.0, after=1009.0)[1] == []
    assert race.step(act.AdvanceClock(1785, "just before SES-1"), real=1010.0, before=1010.0, after=2795.0)[1] == []
    # The portal ended the session (1800 s after 995); only the late moment agrees.
    page, wrong = race.step(act.VisitPortal("Ada", "laptop"), real=2795.5, before=2795.0, after=2796.0)
    assert (page, wrong) == (model.SIGNED_OUT, [])


def test_a_clock_advance_does_not_widen_the_moments_of_later_steps() -> None:
    race = Race()
    timeline(race)
    assert race.timing.dated_within == (1009.0 - 990.0) / 2 + 1  # the long step's, not half the advance
    assert race.timing.moments(2797.0, 2798.0)[2] < 2798.0 + 15


def test_a_login_link_live_at_the_portal_is_not_judged_expired_after_a_late_branch() -> None:
    race = Race(login_link_ttl_s=2800)  # it expires at 2800: after the real moment, before the late one
    timeline(race)
    page, wrong = race.step(act.OpenEmailLink("Ada", "phone", "login_link"), real=2797.5, before=2797.0, after=2798.0)
    assert page == model.ACCOUNT and wrong == [], [expect.why for expect in wrong]


def test_just_after_the_expiry_the_login_link_is_judged_expired() -> None:
    race = Race(login_link_ttl_s=2800)
    timeline(race)
    page, wrong = race.step(act.OpenEmailLink("Ada", "phone", "login_link"), real=2805.5, before=2805.0, after=2806.0)
    assert page == model.PROBLEM and wrong == []


def test_a_model_moment_earlier_than_the_last_one_is_taken_as_given() -> None:
    state = model.initial(100.0)
    later, _, _ = model.apply(state, act.AddCustomer("Ada"), 90.0)
    assert later.now == 90.0


def test_after_a_clock_advance_the_model_is_where_the_clock_is_not_halfway_through_the_jump() -> None:
    race = Race()
    race.step(act.AddCustomer("Ada"), real=0.0, before=0.0, after=0.0)
    race.step(act.AdvanceClock(3605), real=1.0, before=1.0, after=3606.0)
    assert 3606.0 <= race.walk.now <= 3607.0  # a verify page shown before is an hour old, not half an hour
