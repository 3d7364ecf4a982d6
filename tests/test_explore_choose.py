"""The chooser and the model together, without a portal: every action a walk is handed can be
taken when its turn comes, and the model predicts it without failing."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from portalcheck.explore import actions as act
from portalcheck.explore import machine, model
from portalcheck.explore.choose import next_actions, possible

T0 = 1_800_000_000.0


class ModelWalk:
    """A walk that only asks the model: what `Walk` does against a portal that agrees with it."""

    def __init__(self, target: Any) -> None:
        self.state: model.State | None = None
        self.taken: list[act.Action] = []
        self.now = T0

    def clock(self) -> float:
        return self.now

    def step(self, action: act.Action) -> list:
        if self.state is None:
            self.state = model.initial(self.now, model.DEFAULT_POLICY, passwords=True)
        self.state = model.apply(self.state, action, self.now)[0]
        self.now += action.seconds if isinstance(action, act.AdvanceClock) else 0
        self.taken.append(action)
        return []

    def finish(self) -> list:
        return []

    def close(self) -> None:
        WALKS.append(self.taken)


WALKS: list[list[act.Action]] = []


def test_an_aims_later_action_its_earlier_ones_ruled_out_is_not_taken(monkeypatch: Any) -> None:
    """LL-6's aim asks for a login link and opens it twice. Ben asked five times before he had
    access (LL-3: no email, but LL-8 counts them), so the aim's request is refused too, and no
    login link ever came to open."""
    limited = [act.AddCustomer("Ben"), *[act.AskForLoginLink("Ben", "laptop")] * 5, act.Invite("Ben")]
    aim = [act.AskForLoginLink("Ben", "laptop"), act.OpenEmailLink("Ben", "laptop", "login_link"),
           act.OpenEmailLink("Ben", "phone", "login_link")]
    handed = iter([limited + aim])  # to the first step of the first walk that takes one
    monkeypatch.setattr(machine, "Walk", ModelWalk)
    monkeypatch.setattr(machine, "next_actions", lambda *args: next(handed, []))
    WALKS.clear()
    machine.explore(object(), seed=1, walks=5, steps=3, time_budget_s=60, progress=lambda line: None)
    [kinds] = [[action.kind for action in walk] for walk in WALKS if len(walk) > 2]
    assert kinds == ["add_customer", "invite", "add_customer", *["ask_for_login_link"] * 5, "invite",
                     "ask_for_login_link"], kinds


@settings(max_examples=60, deadline=None)
@given(st.randoms(use_true_random=False))
def test_every_action_handed_to_a_walk_is_possible_and_predicted(rng: random.Random) -> None:
    """Drawn by Hypothesis's own randoms, which spread further than a walk's seeds do: this is
    where the aim above was found (the model failed on an email link opened that never came)."""
    state = model.initial(T0, model.DEFAULT_POLICY, passwords=True)
    now, opened = T0, {}
    for first in (act.AddCustomer("Ada"), act.Invite("Ada")):
        state = model.apply(state, first, now)[0]
    for _ in range(30):
        for action in next_actions(rng, state, opened, lambda: now):
            if not possible(state, action):
                break
            if isinstance(action, (act.OpenEmailLink, act.OpenManagementUrl)):
                opened[action.customer] = action
            state = model.apply(state, action, now)[0]
            now += action.seconds if isinstance(action, act.AdvanceClock) else 0
